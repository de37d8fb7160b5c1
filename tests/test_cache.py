"""The parse cache: a cached tree is the parsed tree, spans and comments included; a stale,
damaged or hostile cache file is never used."""

import marshal
from pathlib import Path

import pytest

import engine
from engine import cache, parser
from engine.diagnostics import ModelError, render_all

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
    monkeypatch.setattr("engine.model.parse", no_parse)
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
    monkeypatch.setattr("engine.model.parse", lambda *a: calls.append(1) or real(*a))
    path.write_text('model "m"\ntimeline 2025..2027 yearly\nx = 2 USD\n')
    assert engine.load(path).run().values["x"][0] == 2.0 and calls == [1]
    stored = cache._path_for(path.read_text())
    for damage in (b"", b"\x00garbage", marshal.dumps([999, 1, 2]), marshal.dumps(compile("1", "f", "eval")),
                   marshal.dumps((1, {2, 3})), stored.read_bytes()[:-7]):
        stored.write_bytes(damage)
        assert engine.load(path).run().values["x"][0] == 2.0
    assert len(calls) == 7, "every damaged cache file was parsed again"
    assert cache.decode(marshal.loads(stored.read_bytes()), "m.ush") is not None, "and replaced"


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("UNITSHEET_CACHE_DIR", "")
    path = tmp_path / "m.ush"
    path.write_text('model "m"\ntimeline 2025..2027 yearly\nx = 1 USD\n')
    calls = []
    real = parser.parse
    monkeypatch.setattr("engine.model.parse", lambda *a: calls.append(1) or real(*a))
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
