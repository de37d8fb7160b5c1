"""The parse cache: a cached tree is the parsed tree, spans and comments included; a stale,
damaged or hostile cache file is never used."""

import marshal
from pathlib import Path

import pytest

from unitsheet import engine
from unitsheet.engine import cache, parser
from unitsheet.engine.diagnostics import ModelError, render_all

MODELS = sorted((Path(__file__).resolve().parent.parent / "models").glob("*.ush"))


def _spans(node, out):
    """Every span in a tree, in order (equality of nodes ignores them)."""
    import dataclasses

    if isinstance(node, tuple):
        for x in node:
            _spans(x, out)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.name.endswith("span"):
                out.append(value)
            else:
                _spans(value, out)
    return out


@pytest.mark.parametrize("path", MODELS + [Path(__file__).parent / "fuzz_regressions"], ids=lambda p: p.name)
def test_decode_encode_is_the_parsed_tree_spans_and_comments_included(path):
    files = [path] if path.is_file() else sorted(path.glob("*.ush"))
    for file in files:
        text = file.read_text(encoding="utf-8", errors="surrogatepass")
        try:
            module = parser.parse(text, "a.ush")
        except ModelError:
            continue
        again = cache.decode(marshal.loads(marshal.dumps(cache.encode(module))), "a.ush")
        assert again == module
        assert again.comments == module.comments
        assert _spans(again, []) == _spans(module, [])
        assert all(span is None or span.file == "a.ush" for span in _spans(again, []))


def test_second_load_skips_the_parser_and_reports_the_new_path(tmp_path, monkeypatch):
    text = 'model "m"\ntimeline 2025..2027 yearly\nx = 1 USD + 2 GW\n'
    (tmp_path / "a.ush").write_text(text)
    (tmp_path / "b.ush").write_text(text)
    with pytest.raises(ModelError) as first:
        engine.load(tmp_path / "a.ush").checked()
    assert len(list(Path(cache.directory()).glob("*.ast"))) >= 1

    def no_parse(*args, **kwargs):
        raise AssertionError("parsed again")
    monkeypatch.setattr("unitsheet.engine.model.parse", no_parse)
    with pytest.raises(ModelError) as second:
        engine.load(tmp_path / "b.ush").checked()  # same text, other file: cached tree, spans in b.ush
    assert render_all(second.value).replace("b.ush", "a.ush") == render_all(first.value)
    assert "b.ush:3:" in render_all(second.value)


def test_an_edit_or_a_damaged_file_misses_the_cache(tmp_path, monkeypatch):
    path = tmp_path / "m.ush"
    path.write_text('model "m"\ntimeline 2025..2027 yearly\nx = 1 USD\n')
    engine.load(path)
    calls = []
    real = parser.parse
    monkeypatch.setattr("unitsheet.engine.model.parse", lambda *a: calls.append(1) or real(*a))
    path.write_text('model "m"\ntimeline 2025..2027 yearly\nx = 2 USD\n')
    assert engine.load(path).run().values["x"][0] == 2.0 and calls == [1]
    stored = cache._path_for(path.read_text())
    for damage in (b"", b"\x00garbage", marshal.dumps([999, 1, 2]), marshal.dumps(compile("1", "f", "eval")),
                   marshal.dumps((1, {2, 3})), stored.read_bytes()[:-7]):
        stored.write_bytes(damage)
        assert engine.load(path).run().values["x"][0] == 2.0
    assert len(calls) == 7, "every damaged cache file was parsed again"
    assert cache.load(path.read_text(), "m.ush") is not None, "and replaced"


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("UNITSHEET_CACHE_DIR", "")
    path = tmp_path / "m.ush"
    path.write_text('model "m"\ntimeline 2025..2027 yearly\nx = 1 USD\n')
    calls = []
    real = parser.parse
    monkeypatch.setattr("unitsheet.engine.model.parse", lambda *a: calls.append(1) or real(*a))
    engine.load(path)
    engine.load(path)
    assert calls == [1, 1] and cache.directory() is None


def test_the_cache_keeps_only_the_newest_files(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("UNITSHEET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "MAX_FILES", 3)
    for i in range(6):
        path = tmp_path / f"m{i}.ush"
        path.write_text(f'model "m"\ntimeline 2025..2027 yearly\nx = {i} USD\n')
        engine.load(path)
        for f in (tmp_path / "cache").glob("*.ast"):  # make the order of writing visible to mtime
            os.utime(f, (f.stat().st_mtime - 10, f.stat().st_mtime - 10))
    files = list((tmp_path / "cache").glob("*.ast"))
    assert len(files) == 3
    assert cache._path_for((tmp_path / "m5.ush").read_text()) in files


# ------------------------------------------------------------------ hostile cache files (issue 12, 1-4)

import os
import subprocess
import sys

TEXT = 'model "m"\ntimeline 2025..2027 yearly\ninput budget = 500 USD\nx = budget * 2\n'


def _sign(text: str, payload: bytes) -> bytes:
    folder = cache.directory()
    secret = (folder / "key").read_bytes()
    return cache.MAGIC + cache._signature(secret, cache._key(text), payload) + payload


def _planted_tree() -> bytes:
    planted = parser.parse(TEXT.replace("500 USD", "5 billion USD"), "m.ush")
    return marshal.dumps(cache.encode(planted))


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("UNITSHEET_CACHE_DIR", str(folder))
    model = tmp_path / "m.ush"
    model.write_text(TEXT)
    engine.load(model)  # creates the folder, its key and the entry
    return folder, model


def test_a_planted_entry_is_refused_by_run_explain_export_and_fmt(own_cache, tmp_path, capsys):
    from conftest import run_cli

    folder, model = own_cache
    entry = cache._path_for(TEXT)
    unsigned = _planted_tree()  # what the attack wrote: the old format, anyone can compute its name
    forged = cache.MAGIC + b"\0" * 32 + unsigned  # the new header with a signature made without the key
    other_key = _sign("another model", unsigned)  # a real signature, for another model's key
    for planted in (unsigned, forged, other_key):
        entry.write_bytes(planted)
        assert engine.load(model).run().value("budget") == 500
        code, out, _ = run_cli(["explain", model, "budget"], capsys)
        assert "500" in out and "5 billion" not in out
        assert run_cli(["fmt", model, "--write"], capsys)[0] == 0
        assert model.read_text() == TEXT, "fmt --write never writes a planted tree into the model"
        run_cli(["export", model, "-o", tmp_path / "m.xlsx"], capsys)
        import openpyxl

        cells = [c.value for row in openpyxl.load_workbook(tmp_path / "m.xlsx", data_only=True)["Inputs"].iter_rows()
                 for c in row]
        assert 500 in cells and 5e9 not in cells


def _in_a_child(code: str, tmp_path, timeout=60) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter (a hang becomes a timeout, not a stuck test run)."""
    env = dict(os.environ, UNITSHEET_CACHE_DIR=os.environ["UNITSHEET_CACHE_DIR"])
    return subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_an_entry_of_exponentially_shared_tuples_is_refused_quickly(own_cache, tmp_path):
    node = [cache._INDEX[parser.ast.Name], "a", [cache._SPAN, 1, 1, 1, 2]]
    shared = (node, node)
    for _ in range(60):
        shared = (shared, shared)  # marshal stores each level once: 2^60 nodes in a few kilobytes
    module = [cache._INDEX[parser.ast.Module], "m.ush", shared, ()]
    data = marshal.dumps(module)
    assert len(data) < 4000
    with pytest.raises(cache.BudgetExceeded):
        cache.decode(marshal.loads(data), "m.ush", budget=10_000)
    cache._path_for(TEXT).write_bytes(_sign(TEXT, data))  # even when it carries a valid signature
    done = _in_a_child(f"import unitsheet; print(unitsheet.load({str(own_cache[1])!r}).run().value('budget'))", tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "500.0", done.stderr


def test_fifos_devices_symlinks_and_huge_headers_are_refused(own_cache, tmp_path):
    entry = cache._path_for(TEXT)
    entry.unlink()
    os.mkfifo(entry)  # opening a FIFO for reading would wait for a writer forever
    done = _in_a_child(f"import unitsheet; print(unitsheet.load({str(own_cache[1])!r}).run().value('budget'))", tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "500.0", done.stderr
    entry.unlink()
    entry.symlink_to("/dev/zero")  # would read without end
    done = _in_a_child(f"import unitsheet; print(unitsheet.load({str(own_cache[1])!r}).run().value('budget'))", tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "500.0", done.stderr
    entry.unlink()
    entry.write_bytes(_sign(TEXT, b"[\xff\xff\xff\x7f"))  # a list of 2^31 items: MemoryError in marshal
    assert engine.load(own_cache[1]).run().value("budget") == 500
    assert cache.load(TEXT, "m.ush") is not None, "replaced by a good entry"


def test_pruning_deletes_only_the_caches_own_entries(tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("UNITSHEET_CACHE_DIR", str(folder))
    monkeypatch.setattr(cache, "MAX_FILES", 2)
    foreign = [folder / f"{i:064x}.ast" for i in range(50)] + [folder / f"notes{i}.ast" for i in range(50)]
    for f in foreign:
        f.write_bytes(b"someone else's file")
    for i in range(5):
        path = tmp_path / f"m{i}.ush"
        path.write_text(TEXT.replace("500", str(500 + i)))
        engine.load(path)
    assert all(f.exists() for f in foreign), "100 unrelated *.ast files survive"
    own = [p for p in folder.glob("*.ast") if p.read_bytes().startswith(cache.MAGIC)]
    assert len(own) == 2


def test_a_folder_open_to_others_is_not_used_and_says_so_once(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "open"
    folder.mkdir()
    os.chmod(folder, 0o777)
    monkeypatch.setenv("UNITSHEET_CACHE_DIR", str(folder))
    monkeypatch.setattr(cache, "_warned", set())
    path = tmp_path / "m.ush"
    path.write_text(TEXT)
    calls = []
    real = parser.parse
    monkeypatch.setattr("unitsheet.engine.model.parse", lambda *a: calls.append(1) or real(*a))
    engine.load(path)
    engine.load(path)
    assert calls == [1, 1] and not list(folder.iterdir())
    err = capsys.readouterr().err
    assert err.count("warning: not using the parse cache") == 1 and "chmod 700" in err


def test_a_folder_only_readable_by_others_is_closed_and_used(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "older"  # as an older unitsheet made it
    folder.mkdir()
    os.chmod(folder, 0o755)
    monkeypatch.setenv("UNITSHEET_CACHE_DIR", str(folder))
    path = tmp_path / "m.ush"
    path.write_text(TEXT)
    engine.load(path)
    assert os.stat(folder).st_mode & 0o777 == 0o700 and cache.load(TEXT, "m.ush") is not None
    assert "warning" not in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_a_folder_owned_by_another_user_is_not_used(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, -1)
    monkeypatch.setenv("UNITSHEET_CACHE_DIR", str(folder))
    monkeypatch.setattr(cache, "_warned", set())
    path = tmp_path / "m.ush"
    path.write_text(TEXT)
    engine.load(path)
    assert not list(folder.iterdir()) and "another user" in capsys.readouterr().err


def test_a_new_cache_folder_and_key_are_private(tmp_path, monkeypatch):
    folder = tmp_path / "new" / "cache"
    monkeypatch.setenv("UNITSHEET_CACHE_DIR", str(folder))
    path = tmp_path / "m.ush"
    path.write_text(TEXT)
    engine.load(path)
    assert os.stat(folder).st_mode & 0o777 == 0o700
    assert os.stat(folder / "key").st_mode & 0o777 == 0o600
    os.chmod(folder / "key", 0o644)  # a key others can read is no longer a secret
    assert cache.load(TEXT, "m.ush") is None
