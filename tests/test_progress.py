"""Progress bars (issue 27 item 5): on a terminal's stderr for the long commands (simulate,
check --explore, table, solve), never when piped, never with --format json or csv, never on
stdout, and nothing the command computes or prints changes with one (engine/progress.py)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading

import numpy as np
import pytest

from unitsheet import engine
from unitsheet.engine import progress
from unitsheet.engine.cli import main
from conftest import ROOT, count_evaluations

OPENAI = ROOT / "models" / "openai_capex.ush"
DATACENTER = ROOT / "models" / "datacenter_project.ush"
LEASE = "lease_rate=1.0 million USD/MW/month..1.4 million USD/MW/month:30"
COST = "cost_per_gw=50 billion USD/GW..60 billion USD/GW:20"
# The command line in a child process, with the bar drawn at once (no half-second wait) and a
# clock that always reads 0 (simulate prints its evaluation time: two runs print the same bytes).
CHILD = ("import sys, types\n"
         "from unitsheet.engine import progress, samples\n"
         "progress.DELAY = 0\n"
         "samples.time = types.SimpleNamespace(perf_counter=lambda: 0.0)\n"
         "from unitsheet.engine.cli import main\n"
         "sys.exit(main(sys.argv[1:]))\n")
SIMULATE = ["simulate", str(OPENAI), "-n", "1000"]  # 6 chunks of samples


def _child(args: list[str], terminal: bool) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr) of the command line in a child process: stdout piped; stderr a
    pseudo-terminal of 100 columns (terminal) or a pipe."""
    command = [sys.executable, "-c", CHILD, *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, cwd=ROOT, timeout=300)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, cwd=ROOT)
    os.close(follower)
    read: list[bytes] = []

    def drain():  # as the child writes: a full pseudo-terminal would block it
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child has closed it
                return
            if not chunk:
                return
            read.append(chunk)
    reader = threading.Thread(target=drain)
    reader.start()
    out = child.stdout.read()
    child.wait(timeout=300)
    reader.join()
    os.close(leader)
    return child.returncode, out, b"".join(read)


def test_a_simulation_on_a_terminal_draws_a_bar_on_stderr_and_prints_the_same_bytes_on_stdout():
    code, out, err = _child(SIMULATE, terminal=True)
    piped_code, piped_out, piped_err = _child(SIMULATE, terminal=False)
    assert code == piped_code == 0
    assert b"simulate:" in err and b"/1.00k [" in err and b" samples/s]" in err, err
    assert err.endswith(b"\r") and err.rstrip(b" \r").endswith(b"]"), "the bar is erased when the work ends"
    assert out == piped_out and out.startswith(b"OpenAI") and b"simulate" not in out
    assert piped_err == b"", "no bar when stderr is piped"


@pytest.mark.parametrize("extra", [["--format", "json"], ["--no-progress"]])
def test_json_or_no_progress_draws_no_bar_even_on_a_terminal(extra):
    code, out, err = _child(SIMULATE + extra, terminal=True)
    assert code == 0 and err == b""
    if "json" in extra:
        assert json.loads(out)["samples"] == 1000


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _run(argv: list[str], stderr) -> tuple[int, str, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(stderr):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), stderr.getvalue()


WHAT_IFS = [
    (["check", OPENAI, "--explore", "30"], "check --explore:"),
    (["table", DATACENTER, "project_npv", "--vary", LEASE, "--vary", COST], "table:"),
    (["solve", DATACENTER, "--target", "equity_irr = 12 %", "--vary", "lease_rate", "--scenario", "base",
      "--scenario", "bear"], "solve:"),
]


@pytest.mark.parametrize("argv, label", WHAT_IFS, ids=["check", "table", "solve"])
def test_check_explore_table_and_solve_draw_a_bar_on_a_terminal_and_print_the_same(argv, label, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0)
    code, out, err = _run(argv, Terminal())
    assert label in err and "\r" in err and "\\x0d" not in err, err  # the raw stream: not escaped
    piped_code, piped_out, piped_err = _run(argv, io.StringIO())
    assert (code, out) == (piped_code, piped_out) and piped_err == ""
    assert label not in out


def test_a_quick_command_or_csv_draws_no_bar_on_a_terminal(monkeypatch):
    quick = ["table", DATACENTER, "project_npv", "--vary", LEASE]
    assert _run(quick, Terminal())[2] == "", "done within DELAY: nothing drawn"
    monkeypatch.setattr(progress, "DELAY", 0)
    assert _run(quick + ["--format", "csv"], Terminal())[2] == ""
    assert _run(["check", OPENAI], Terminal())[2] == "", "check without --explore has no bar"
    assert "table:" in _run(quick, Terminal())[2]


def test_the_python_api_draws_no_bar(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0)
    model = engine.load(OPENAI)
    with contextlib.redirect_stderr(Terminal()) as err:
        model.simulate(500)
        model.check(explore=5)
    assert err.getvalue() == ""
    with contextlib.redirect_stderr(Terminal()) as err:
        with progress.bar("simulate", "samples") as tick:  # asked for
            model.simulate(500, progress=tick)
    assert "simulate:" in err.getvalue()


class Counter:
    """A progress callback that counts what it is told."""

    def __init__(self):
        self.done = self.expected = self.calls = 0

    def __call__(self, done: int, expected: int = 0) -> None:
        self.done += done
        self.expected += expected
        self.calls += 1


def _without_time(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "eval_seconds"}


def test_simulate_counts_every_sample_and_computes_the_same_with_a_callback():
    model = engine.load(OPENAI)
    counter = Counter()
    ticked = model.simulate(700, seed=3, chunk=100, progress=counter)
    plain = model.simulate(700, seed=3, chunk=100)
    assert (counter.done, counter.expected, counter.calls) == (700, 700, 8)  # announced, then 7 chunks
    assert _without_time(ticked.to_dict()) == _without_time(plain.to_dict())


def test_explore_counts_each_example_drawn_and_point_evaluated_and_finds_the_same():
    model = engine.load(OPENAI)
    counter = Counter()
    ticked = model.check(explore=20, seed=1, progress=counter)
    plain = model.check(explore=20, seed=1)
    searched = sum(s["base"] + s["corners"] + 2 * s["examples"] for s in ticked.exploration.searched.values())
    assert counter.done == counter.expected and counter.done >= searched > 0
    assert ticked.to_dict() == plain.to_dict() and str(ticked) == str(plain)


def test_a_table_counts_its_cells_and_is_the_same_in_chunks(monkeypatch):
    from unitsheet.engine import datatable as datatable

    model = engine.load(DATACENTER)
    whole = model.table("project_npv", [LEASE, COST])
    calls = count_evaluations(monkeypatch, model)
    monkeypatch.setattr(datatable, "chunk_size", lambda evaluator: 7)
    counter = Counter()
    chunked = model.table("project_npv", [LEASE, COST], progress=counter)
    assert calls == [(7,)] * 85 + [(5,)] and (counter.done, counter.expected) == (600, 600)
    assert np.array_equal(chunked.values, whole.values)


def test_a_table_of_two_periods_of_one_input_varies_both():
    """(each axis once overwrote the other: a table of volume[2025] by volume[2026] varied only the second)"""
    text = 'model "t"\ntimeline 2025..2026 yearly\ninput volume = {2025: 1, 2026: 2}\ntotal = sum(volume)\n'
    table = engine.loads(text, "t.ush").table("total", ["volume[2025]=10..20:2", "volume[2026]=100..200:2"])
    assert table.values.tolist() == [[110.0, 210.0], [120.0, 220.0]]


def test_solve_counts_the_variants_it_evaluates_and_finds_the_same_roots(monkeypatch):
    model = engine.load(DATACENTER)
    plain = model.solve("equity_irr = 12 %", "lease_rate")
    calls = count_evaluations(monkeypatch, model)
    counter = Counter()
    ticked = model.solve("equity_irr = 12 %", "lease_rate", progress=counter)
    assert counter.done == sum(prefix[0] for prefix in calls) > 257 and counter.expected == 0  # open-ended
    assert ticked.to_dict() == plain.to_dict()
