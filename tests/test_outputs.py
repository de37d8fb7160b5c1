"""Files the tool writes (issue 12, 10-13): never over an input, never through a fixed temporary
name, whole or not at all, with the target's mode, and clear usage errors for bad paths."""

import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_cli

MODEL = 'model "m"\ntimeline 2025..2027 yearly\ninput a: USD = {2025..2027: 5}\nb = a * 2\n'


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.ush"
    path.write_text(MODEL)
    return path


@pytest.mark.parametrize("command", [["export", "-o"], ["plot", "b", "-o"]])
def test_an_output_that_is_the_model_itself_is_refused(command, model, tmp_path, capsys):
    link = tmp_path / "link.ush"
    link.symlink_to(model)
    for target in (model, link, tmp_path / "." / "m.ush"):
        code, out, err = run_cli([command[0], model] + command[1:] + [target], capsys)
        assert code == 2 and "an input of this command" in err, err
        assert model.read_text() == MODEL


def test_plot_never_writes_through_a_planted_temporary_name(model, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / ".out.png.tmp.png").symlink_to(victim)  # the fixed name the old plot wrote through
    code, _, _ = run_cli(["plot", model, "b", "-o", tmp_path / "out.png"], capsys)
    assert code == 0 and victim.read_text() == "precious"
    assert (tmp_path / "out.png").read_bytes().startswith(b"\x89PNG")


def test_concurrent_plots_to_one_path_all_succeed(model, tmp_path):
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-m", "unitsheet", "plot", str(model), "b", "-o", str(tmp_path / "p.png")],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_fmt_write_through_a_symlink_formats_the_target_and_keeps_its_mode(tmp_path, capsys):
    target = tmp_path / "real.ush"
    target.write_text(MODEL.replace("b = a * 2", "b   =   a*2"))
    os.chmod(target, 0o600)
    link = tmp_path / "link.ush"
    link.symlink_to(target)
    code, _, _ = run_cli(["fmt", link, "--write"], capsys)
    assert code == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "b = a * 2" in target.read_text()
    assert os.stat(target).st_mode & 0o777 == 0o600


def test_a_new_output_gets_the_umask_mode(model, tmp_path, capsys):
    old = os.umask(0o027)
    try:
        assert run_cli(["export", model, "-o", tmp_path / "new.xlsx"], capsys)[0] == 0
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "new.xlsx").st_mode & 0o777 == 0o640


@pytest.mark.parametrize("where, needle", [
    ("", "empty"), ("FOLDER", "is a folder"), ("missing/x.xlsx", "does not exist"), ("N" * 256 + ".xlsx", "255 bytes"),
])
@pytest.mark.parametrize("command", ["export", "plot"])
def test_bad_output_paths_are_usage_errors(where, needle, command, model, tmp_path, capsys):
    target = "" if where == "" else str(tmp_path if where == "FOLDER" else tmp_path / where)
    args = [command, model] + (["b"] if command == "plot" else []) + ["-o", target]
    code, out, err = run_cli(args, capsys)
    assert code == 2 and needle in err and "internal error" not in err, err


@pytest.mark.parametrize("length", [241, 250, 255])
def test_long_file_names_up_to_the_limit_work(length, model, tmp_path, capsys):
    name = "n" * (length - 5) + ".xlsx"
    assert run_cli(["export", model, "-o", tmp_path / name], capsys)[0] == 0
    assert (tmp_path / name).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any folder")
def test_an_unwritable_folder_is_a_usage_error(model, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    code, _, err = run_cli(["export", model, "-o", folder / "x.xlsx"], capsys)
    assert code == 2 and "not writable" in err


def test_sigterm_during_export_leaves_no_temporary_file(tmp_path):
    from benchmarks.synthetic import synthetic_model

    path = tmp_path / "big.ush"
    path.write_text(synthetic_model(1000))
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "unitsheet", "export", str(path), "-o", str(out / "big.xlsx")],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not list(out.glob(".unitsheet-*.tmp")):
        time.sleep(0.01)
    assert list(out.glob(".unitsheet-*.tmp")), "the export was caught while writing"
    proc.terminate()
    code = proc.wait(timeout=60)
    assert code in (143, -15) and list(out.iterdir()) == [], (code, list(out.iterdir()), proc.stderr.read())


# ------------------------------------------------------------------ numbers and text (issue 12, 14-17, 22)

HEADER = 'model "m"\ntimeline 2025..2027 yearly\n'


@pytest.mark.parametrize("body", ["input a: W = 1e300 TW\n", "input a: TW = 1e-300 pW\n",
                                  "input a = 1e300 TW\nscenario s { a = 1e300 TW }\ninput b: W = {2025: 1e300 TW}\n"])
def test_a_conversion_that_overflows_or_underflows_is_a_located_error(body, tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + body)
    code, _, err = run_cli(["run", path], capsys)
    assert code == 2 and "too " in err and f"{path}:" in err and "internal error" not in err, err


def test_set_that_overflows_is_refused(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + "input a: W = 1 W\n")
    code, _, err = run_cli(["run", path, "--set", "a=1e300 TW"], capsys)
    assert code == 2 and "too large" in err


def test_json_output_is_strict_json(tmp_path, capsys):
    import json

    path = tmp_path / "m.ush"
    path.write_text(HEADER + "input a: USD = {2026..2027: 1}\nb[2026..] = a[t] * 2\n")
    _, out, _ = run_cli(["run", path, "--format", "json"], capsys)

    def refuse(name):
        raise AssertionError(f"{name} is not JSON")
    data = json.loads(out, parse_constant=refuse)
    assert data["quantities"]["b"]["values"] == [None, 2.0, 2.0]


def test_strings_keep_their_backslashes_through_run_and_fmt(tmp_path, capsys):
    text = HEADER + 'input a = 1 USD\n    source "C:\\data\\new\\q1.txt" "a \\"quoted\\" word"\n'
    path = tmp_path / "m.ush"
    path.write_text(text)
    _, out, _ = run_cli(["run", path, "--sources"], capsys)
    assert "C:\\data\\new\\q1.txt" in out and 'a "quoted" word' in out
    assert run_cli(["fmt", path, "--write"], capsys)[0] == 0
    from unitsheet import engine

    again = engine.load(path).checked().quantities["a"].sources[0]
    assert again.file == "C:\\data\\new\\q1.txt" and again.quote == 'a "quoted" word'


HOSTILE = "fine\x1b[2K\x1b[1A\r\x1b]52;c;ZXZpbA==\x07\u202e"


@pytest.mark.parametrize("command", [["run"], ["check"], ["explain", "x"], ["simulate", "-n", "20"], ["run", "--sources"]])
def test_control_characters_from_the_model_never_reach_the_terminal(command, tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(f'model "{HOSTILE}"\ntimeline 2025..2027 yearly\ninput x = 1 .. 2\n    note "{HOSTILE}"\n'
                    f'    source "{HOSTILE}" "{HOSTILE}"\ncheck "{HOSTILE}": x > 5\n')
    code, out, err = run_cli([command[0], path] + command[1:], capsys)
    for text in (out, err):
        assert not any(ch in text for ch in "\x1b\x07\r\u202e"), repr(text)
    assert "\\x1b" in out + err


def test_control_characters_in_an_error_excerpt_are_escaped(tmp_path, capsys):
    path = tmp_path / "m.ush"
    path.write_text(HEADER + f'input x = 1 USD + "{HOSTILE}"\n')
    code, _, err = run_cli(["run", path], capsys)
    assert code == 2 and "\x1b" not in err and "\\x1b" in err


@pytest.mark.parametrize("args, needle", [(["--seed", "-1"], "not a seed"), (["--seed", "x"], "not a whole number"),
                                          (["-n", "0"], "positive"),
                                          (["--backend", "dask", "--scheduler", "foo://h:1"], "not a Dask scheduler")])
def test_bad_simulation_arguments_are_usage_errors(args, needle, model, capsys):
    code, _, err = run_cli(["simulate", model] + args, capsys)
    assert code == 2 and needle in err and "internal error" not in err


@pytest.mark.parametrize("text", ["C:\\data\\new\\q1.txt", 'say "hi"', "ends with \\", "\\\\server\\share", "a\\\"b",
                                  "tab\there", "ünïcödé € 40 %"])
def test_fmt_prints_strings_as_written_and_they_parse_back_byte_for_byte(text):
    from unitsheet.engine.formatter import _string, format_module
    from unitsheet.engine.parser import parse

    printed = _string(text)
    module = parse(f'model "m"\ntimeline 2025..2026 yearly\ninput a = 1 USD\n    note {printed}\n', "m.ush")
    assert module.statements[2].clauses.note == text
    assert format_module(module).count(printed) == 1
    if "\\" in text and '"' not in text and not text.endswith("\\") and "\\\\" not in text:
        assert printed == f'"{text}"', "a Windows path prints as written"


def test_any_string_survives_fmt():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from unitsheet.engine.formatter import format_module
    from unitsheet.engine.parser import parse

    @settings(max_examples=300)
    @given(st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=30))
    def roundtrip(text):
        from unitsheet.engine.formatter import _string

        module = parse(f'model {_string(text)}\ntimeline 2025..2026 yearly\n', "m.ush")
        assert module.statements[0].title == text
        again = parse(format_module(module), "m.ush")
        assert again.statements[0].title == text
    roundtrip()


def test_a_long_timeline_plots_with_readable_ticks(tmp_path, monkeypatch):
    """A tick label per period was a black band (and 34 s for 10,000 periods)."""
    from unitsheet import engine
    from unitsheet.engine.plot import plot

    captured = {}
    from unitsheet.engine import plot as plotting  # plot() builds a Figure without pyplot, then writes it
    written = plotting.write_png
    monkeypatch.setattr(plotting, "write_png", lambda fig, *rest: (captured.setdefault("fig", fig), written(fig, *rest)))
    model = engine.loads('model "long"\ntimeline 2000..3999 yearly\ninput a: USD = {2000..3999: 5}\nb = a * 2\n', "l.ush")
    plot(model, ["b"], ["base"], tmp_path / "p.png")
    ticks = captured["fig"].axes[0].get_xticks()
    assert len(ticks) <= 15
    assert captured["fig"].axes[0].get_lines()[0].get_marker() in ("None", None, "")
