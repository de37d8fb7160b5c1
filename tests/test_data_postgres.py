"""Data statements against a real PostgreSQL server: a throwaway cluster made here with initdb and
started with pg_ctl (as the `postgres` user when the tests run as root: the server refuses root),
listening only on a unix socket in its own folder, stopped and removed afterwards. `make test`
installs PostgreSQL (`make postgres`); without it these tests are skipped, and fail under CI."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import run_cli
from unitsheet import load
from unitsheet.engine.diagnostics import ModelError

PORT = 5432  # on a socket in a private folder: no clash with a server already running


def _unavailable(reason: str, output: str = ""):
    """PostgreSQL missing: fail in CI, which must test the real server; skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI (`CI` is set) must test against a real PostgreSQL (make postgres)."
                    + (f" The output:\n{output[-3000:]}" if output else ""), pytrace=False)
    pytest.skip(f"{reason} (run `make postgres`; with `CI` set this fails instead)")


def _binaries() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.access(f"{folder}/initdb", os.X_OK) and os.access(f"{folder}/pg_ctl", os.X_OK):
            return Path(folder)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def _as_server_user(command: list) -> list:
    """The command as a user the server accepts: ourselves, or `postgres` when we are root."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="module")
def postgres():
    """A URL of a fresh database on a server of its own, with a table `ledger` of four rows."""
    try:
        import psycopg  # noqa: F401
        import sqlalchemy
    except ImportError as err:
        _unavailable(f"the PostgreSQL driver is missing ({err}): pip install -e '.[sql]'")
    binaries = _binaries()
    if binaries is None:
        _unavailable("PostgreSQL's initdb and pg_ctl are not installed")
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root, and there is no `postgres` user to run the server as")
    folder = Path(tempfile.mkdtemp(prefix="unitsheet-pg-"))
    if os.geteuid() == 0:
        os.chown(folder, user.pw_uid, user.pw_gid)
    data = folder / "data"
    try:
        _start(binaries, folder, data)
    except RuntimeError as err:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable("PostgreSQL could not be started", str(err))
    url = f"postgresql://postgres@/postgres?host={folder}&port={PORT}"
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as db:
        db.execute(sqlalchemy.text("CREATE TABLE ledger (period DATE, region TEXT, revenue NUMERIC(12, 2), "
                                   "share DOUBLE PRECISION)"))
        db.execute(sqlalchemy.text("INSERT INTO ledger VALUES ('2026-01-31', 'na', 100.25, 0.5), "
                                   "('2026-01-31', 'eu', 80, 0.25), ('2026-02-28', 'na', 110, 0.5), "
                                   "('2026-02-28', 'eu', 90.5, 0.75)"))
    engine.dispose()
    try:
        yield url
    finally:
        subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def _start(binaries: Path, folder: Path, data: Path) -> None:
    steps = [[str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
             [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60", "-o",
              f"-c listen_addresses='' -k {folder} -p {PORT} -c fsync=off", "start"]]
    for step in steps:
        done = subprocess.run(_as_server_user(step), capture_output=True, text=True, timeout=120, cwd=folder)
        if done.returncode != 0:
            log = (folder / "log").read_text() if (folder / "log").exists() else ""
            raise RuntimeError(f"{' '.join(step)} exited {done.returncode}\n{done.stdout}{done.stderr}{log}")


MODEL = """timeline 2026-01..2026-06 monthly
dimension region = {na, eu}
data ledger = sql "SELECT period, region, revenue, share FROM ledger ORDER BY period" by month(period), region
input revenue by region: USD/month = ledger.revenue
input share by region: % = ledger.share
    rollup last
jan = revenue[na, 2026-01] + revenue[eu, 2026-01]
"""


def test_postgres_values_dates_and_decimals(postgres, tmp_path):
    path = tmp_path / "m.ush"
    path.write_text(MODEL)
    results = load(path, data={"ledger": postgres}).run()
    assert list(results.values["revenue[na]"][:2]) == [100.25, 110]  # NUMERIC read as numbers
    assert list(results.values["revenue[eu]"][:2]) == [80, 90.5]
    assert results.value("jan") == 180.25
    assert results.values["share[eu]"][1] == 0.75  # a bare column in the declared unit: 0.75 %


def test_postgres_through_the_command_line_and_the_environment(postgres, tmp_path, capsys, monkeypatch):
    path = tmp_path / "m.ush"
    path.write_text(MODEL)
    code, out, err = run_cli(["run", path, "--only", "jan", "--data", f"ledger={postgres}", "--format", "json"], capsys)
    assert code == 0, err
    assert '"jan"' in out and "180.25" in out
    monkeypatch.setenv("UNITSHEET_DATA_LEDGER", postgres)
    code, out, err = run_cli(["explain", path, "revenue"], capsys)
    assert code == 0, err
    assert "postgresql database postgres" in out and "SELECT period, region, revenue" in out
    assert str(tmp_path) not in out and "host=" not in out  # the address is not cited


def test_postgres_refuses_writes_and_reports_bad_queries(postgres, tmp_path):
    path = tmp_path / "m.ush"
    path.write_text(MODEL.replace("SELECT period, region, revenue, share FROM ledger ORDER BY period",
                                  "DELETE FROM ledger RETURNING period, region, revenue, share"))
    with pytest.raises(ModelError) as info:
        load(path, data={"ledger": postgres}).checked()
    assert "failed" in info.value.diagnostics[0].message  # a server-side cursor over a read-only transaction
    path.write_text(MODEL)
    assert load(path, data={"ledger": postgres}).run().value("jan") == 180.25  # the rows are all there
    path.write_text(MODEL.replace("FROM ledger", "FROM ledgr"))
    with pytest.raises(ModelError) as info:
        load(path, data={"ledger": postgres}).checked()
    assert 'relation "ledgr" does not exist' in info.value.diagnostics[0].message
