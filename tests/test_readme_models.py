"""The README's generated model sections (docs/build_readme.py, `make readme`): current, and each
command they show gives, when run, the numbers printed beside it.

The generator is imported from its file and asked for the text alone (charts=False: nothing is
written); its goal seeks and tornado go through the Python API (Model.solve, Model.sensitivity),
the commands below through the command line, and each root is checked once more by a plain run."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex

import pytest

from unitsheet import engine
from conftest import ROOT, run_cli

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_readme", ROOT / "docs" / "build_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _between(text: str, begin: str, end: str) -> str:
    assert begin in text and end in text, f"README.md lost its {begin} ... {end} markers"
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


def _command(section: str, start: str) -> list[str]:
    """The shown `unitsheet ...` line that starts with `start`, as arguments, the model path made
    absolute (the tests do not run from the repository's root)."""
    line = next(ln for ln in section.splitlines() if ln.startswith(start))
    words = shlex.split(line)
    assert words[0] == "unitsheet" and words[2].startswith("models/"), line
    return [words[1], str(ROOT / words[2]), *words[3:]]


def _number(cell: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", cell.replace("\u2212", "-")))


def test_the_generated_sections_are_current(build, readme):
    for (begin, end), body in build.sections(charts=False).items():
        assert _between(readme, begin, end) == body, "run `make readme` to regenerate README.md"
    for image in re.findall(r"!\[[^\]]*\]\((docs/img/[^)]+\.png)\)", readme):
        path = ROOT / image
        assert path.is_file() and path.read_bytes()[:8] == PNG, f"{image}: run `make readme`"


def test_the_correlated_simulation_command_gives_the_readme_percentiles(build, readme, capsys):
    """The README's `simulate` command, as printed, gives the stated row's capacity percentiles;
    the samples' rank correlation is the stated one, the independent row's near zero."""
    section = _between(readme, build.BEGIN, build.END)
    rows = {m.group(1): [float(x) for x in m.group(2).split(" | ")]
            for m in re.finditer(r"^\| (as stated|independent) \| (.*) \|$", section, re.M)}
    assert rows["as stated"][0] == pytest.approx(0.5, abs=0.02) and abs(rows["independent"][0]) < 0.02
    assert rows["as stated"][3] - rows["as stated"][1] < rows["independent"][3] - rows["independent"][1]
    code, out, _ = run_cli(shlex.split(build.SIMULATION_COMMAND)[1:] + ["--format", "json"], capsys)
    capacity = json.loads(out)["quantities"][build.CAPACITY]
    assert [round(capacity[k], 1) for k in ("p5", "p50", "p95")] == rows["as stated"][1:]


def test_the_lease_rate_command_gives_the_readme_row_and_the_irr_holds_there(build, readme, capsys):
    section = _between(readme, build.PROJECT_BEGIN, build.PROJECT_END)
    rows = {m.group(1): m.group(2).split(" | ")
            for m in re.finditer(r"^\| (base|bear|bull) \| (.*) \|$", section, re.M)}
    model = engine.load(build.PROJECT)
    assert sorted(rows) == sorted(model.scenarios)
    args = _command(section, "unitsheet solve ")
    scenario = args[args.index("--scenario") + 1]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    found = re.findall(r"^  lease_rate = ([0-9,.]+) thousand USD/MW/month", out, re.M)
    assert len(found) == 1, out
    assert round(_number(found[0]), 2) == _number(rows[scenario][1])
    for name, (_, shown, achieved) in rows.items():
        rate = _number(shown) * 1e3  # thousand USD/MW/month, to the input's own unit
        assert _number(achieved) == 12.00
        # At the rounded rate, the IRR is 12 % to within what 0.005 thousand USD/MW/month moves it.
        irr = model.run(name, overrides={"lease_rate": f"{rate!r} USD/MW/month"}).value("equity_irr")
        assert irr == pytest.approx(0.12, abs=1e-5), name


def test_the_tornado_command_gives_the_readme_rows_and_draws_the_chart(build, readme, capsys, tmp_path):
    section = _between(readme, build.PROJECT_BEGIN, build.PROJECT_END)
    args = _command(section, "unitsheet sensitivity ")
    assert args[args.index("-o") + 1] == build.TORNADO_PNG
    png = tmp_path / "tornado.png"
    args[args.index("-o") + 1] = str(png)
    code, out, err = run_cli(args + ["--format", "json"], capsys)
    assert code == 0, err
    assert png.read_bytes()[:8] == PNG and png.stat().st_size > 10_000
    swings = json.loads(out)["swings"]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| [^|]+ \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", section, re.M)
    assert len(rows) == build.TORNADO_ROWS
    for swing, (name, how, low, high, size) in zip(swings, rows):
        assert (swing["input"], swing["how"]) == (name, how.strip())
        for value, cell in ((swing["output_low"], low), (swing["output_high"], high), (swing["swing"], size)):
            assert round(value / 1e9, 2) == _number(cell), (name, cell)


def test_the_revenue_ambition_command_reports_what_the_readme_shows(build, readme, capsys):
    section = _between(readme, build.BEGIN, build.END)
    args = _command(section, "unitsheet solve ")
    code, out, err = run_cli(args, capsys)
    shown = re.search(r"It reports no value, and exits 2:\n\n```\n(.*?)\n```", section, re.S)
    assert shown, "the README no longer shows the solve's refusal: update this test with what it shows"
    assert code == 2 and out == ""
    assert err.strip() == shown.group(1)
