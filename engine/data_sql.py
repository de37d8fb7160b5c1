"""A data statement's rows from a SQL database, through SQLAlchemy (SQLite, PostgreSQL, any dialect
it has a driver for). The address comes from the command line or the environment, never the
model (engine/data_sources.py). The model's query is untrusted text: it runs in a read-only
transaction (PostgreSQL's READ ONLY, SQLite's query_only) that is rolled back, and the rows are
streamed (a server-side cursor where the driver has one)."""

from __future__ import annotations

from contextlib import contextmanager

from . import syntax as ast
from .data_sources import DataError, Rows, counted, env_name

BATCH = 10_000


def _engine(stmt: ast.Data, url: str | None):
    if url is None:
        raise DataError(f"`{stmt.name}` reads a SQL database, and no address is bound to it",
                        f"give it on the command line, --data {stmt.name}=postgresql://user@host/db (or "
                        f"sqlite:///ledger.db), or in the environment variable {env_name(stmt.name)}")
    try:
        import sqlalchemy
    except ImportError:
        raise DataError("reading a SQL database needs SQLAlchemy", "pip install 'unitsheet[sql]'") from None
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except Exception:  # sqlalchemy.exc.ArgumentError: the text is not a URL
        raise DataError(f"the address bound to `{stmt.name}` is not a database URL",
                        "e.g. postgresql://user@host/db or sqlite:///ledger.db") from None
    if parsed.drivername == "postgresql":  # SQLAlchemy's default driver is psycopg2; the project's is psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return sqlalchemy.create_engine(parsed, poolclass=sqlalchemy.pool.NullPool), parsed
    except Exception as err:  # NoSuchModuleError: no driver for the dialect
        raise DataError(f"cannot use the database bound to `{stmt.name}` ({parsed.drivername}): {_first_line(err)}",
                        "PostgreSQL needs psycopg: pip install 'unitsheet[sql]'") from None


def _first_line(err: Exception) -> str:
    return str(getattr(err, "orig", None) or err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _statement(stmt: ast.Data):
    import sqlalchemy

    table = dict(stmt.options).get("table")
    if table is not None:
        schema, _, name = table.rpartition(".")
        return sqlalchemy.select(sqlalchemy.text("*")).select_from(sqlalchemy.table(name, schema=schema or None))
    return sqlalchemy.text(stmt.target)


def _read_only(connection, dialect: str) -> None:
    import sqlalchemy

    if dialect == "postgresql":
        connection.execute(sqlalchemy.text("SET TRANSACTION READ ONLY"))
    elif dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")


@contextmanager
def sql_rows(stmt: ast.Data, url: str | None):
    engine, parsed = _engine(stmt, url)
    import sqlalchemy

    database = parsed.database or ""
    where = f"the {'table `' + dict(stmt.options)['table'] + '`' if 'table' in dict(stmt.options) else 'query'} " \
            f"of `{stmt.name}` ({parsed.get_backend_name()} database `{database.rpartition('/')[2]}`)"
    try:
        connection = engine.connect()
    except Exception as err:
        raise DataError(f"cannot connect to the database bound to `{stmt.name}` "
                        f"({parsed.render_as_string(hide_password=True)}): {_first_line(err)}",
                        "check the address given with --data or " + env_name(stmt.name)) from None
    try:
        with connection.begin() as transaction:
            _read_only(connection, parsed.get_backend_name())
            try:
                result = connection.execution_options(stream_results=True).execute(_statement(stmt))
            except Exception as err:
                raise DataError(f"{where} failed: {_first_line(err)}",
                                "the query must be one SELECT statement the database accepts") from None
            header = list(result.keys())

            def rows():
                k = 0
                try:
                    for batch in result.partitions(BATCH):
                        for row in batch:
                            k += 1
                            yield k, list(row)
                except sqlalchemy.exc.SQLAlchemyError as err:  # the connection lost, a row the driver refuses
                    raise DataError(f"{where} failed after row {k}: {_first_line(err)}",
                                    "run the command again; if it persists, check the database") from None

            cite = (f"{parsed.get_backend_name()} database {database.rpartition('/')[2]} "
                    f"(bound by --data {stmt.name} or {env_name(stmt.name)})",
                    f"SELECT * FROM {dict(stmt.options)['table']}" if "table" in dict(stmt.options) else stmt.target)
            yield Rows(header, counted(rows(), where), where, cite)
            transaction.rollback()
    finally:
        connection.close()
        engine.dispose()
