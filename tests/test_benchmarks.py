"""The benchmark runner works (times are never asserted here: a shared CI machine says nothing
about speed). It also refuses to time an engine whose numbers disagree with the hand-written loop."""

import json
import subprocess
import sys

import numpy as np

from benchmarks.synthetic import numpy_rows, python_loop, rows, synthetic_model
from unitsheet.exports.recalc import soffice


def test_quick_benchmark_prints_its_json_contract_last(root):
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=root, capture_output=True,
                          text=True, timeout=600, check=True)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    keys = ["n", "parse_s", "check_s", "eval_s", "export_s", "run_process_s", "numpy_s", "python_loop_s",
            "libreoffice_s", "formulas_s"]
    assert all(k in last for k in keys) and last["n"] == 1000
    measured = keys[1:-1] if soffice() else [k for k in keys[1:-1] if k != "libreoffice_s"]
    assert all(isinstance(last[k], float) and last[k] > 0 for k in measured), last
    assert last["formulas_s"] is None and last["formulas_note"] == "not run (quick mode)"
    assert "| evaluate |" in done.stdout


def test_hand_written_limits_compute_what_the_engine_computes():
    from unitsheet import engine

    n = 200
    results = engine.loads(synthetic_model(n), "s.ush").run()
    got = np.array([results.values[f"q{i}"] for i in range(n)])
    assert np.array_equal(np.array(python_loop(rows(n))), got)  # same operations, same order
    assert np.allclose(numpy_rows(rows(n)), got, rtol=1e-9, atol=0)  # sums associate differently


def test_quick_whatif_benchmark_checks_its_answers_and_prints_every_command(root):
    """benchmarks/whatif.py --quick: the tornado, data table and goal seek of both models against
    their loops of Model.run and of `unitsheet run --set` processes (answers compared first)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.whatif", "--quick"], cwd=root, capture_output=True,
                          text=True, timeout=600, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert [(r["model"], r["command"]) for r in rows] == [
        (m, c) for m in ("datacenter", "OpenAI") for c in ("sensitivity", "table", "solve")]
    keys = ["run_ms", "command_ms", "loop_ms", "process_loop_s", "command_process_s", "run_process_s"]
    assert all(isinstance(r[k], float) and r[k] > 0 for r in rows for k in keys), rows
    assert all(r["runs"] == r["processes"] >= 21 and r["processes_timed"] == 1 for r in rows), rows
    assert all(r["cli"].startswith("unitsheet " + r["command"]) for r in rows)
    assert "| datacenter (base) | table |" in done.stdout and "extrapolation" in done.stdout


def test_quick_editing_benchmark_checks_each_edit_against_a_whole_parse(root):
    """benchmarks/editing.py --quick: re-parsing after a one-line edit, statement by statement
    (engine/incremental_parse.py); each edited text's result is compared with a whole parse first."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.editing", "--quick"], cwd=root, capture_output=True,
                          text=True, timeout=600, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["model"] for r in rows] == ["OpenAI", "synthetic 200"]
    for r in rows:
        assert r["statement changed counts"] == {"parsed": 1, "moved": 0, "whole": False}
        assert r["line inserted above counts"]["parsed"] == 1 and r["line inserted above counts"]["moved"] > 0
        assert r["syntax error typed counts"] == {"parsed": 1, "moved": 0, "whole": False}
        assert all(isinstance(r[k], float) and r[k] > 0 for k in ("whole_parse_s", "statement changed"))
    assert "| OpenAI | 161 |" in done.stdout


def test_quick_editor_latency_benchmark_diagnoses_an_edited_model(root):
    """benchmarks/editor_latency.py --quick: the editor's two publishes after a one-line edit."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.editor_latency", "--quick"], cwd=root,
                          capture_output=True, text=True, timeout=600, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["model"] for r in rows] == ["OpenAI", "synthetic 200"]
    assert all(0 < r["checked_ms"] <= r["all_ms"] for r in rows)
    assert all(r["retyped"] == r["repeats"] for r in rows)  # each edit checked alone (engine/check/retype.py)


def test_quick_html_page_benchmark_checks_each_page(root):
    """benchmarks/html_page.py --quick: run --format html and the notebook tables, against run's text table."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.html_page", "--quick"], cwd=root,
                          capture_output=True, text=True, timeout=600, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["model"] for r in rows] == ["OpenAI", "synthetic 200"]
    assert all(r["page_s"] > 0 and r["notebook_s"] > 0 and r["page_mb"] > 0.05 for r in rows)


def test_quick_diff_benchmark_compares_its_routes_and_prints_its_json_last(root):
    """benchmarks/diff.py --quick: the input edits as rows and as hybrid texts agree (asserted
    before timing), then the table and the JSON."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.diff", "--quick"], cwd=root, capture_output=True,
                          text=True, timeout=600, check=True)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["case"] for r in last] == ["OpenAI (5 inputs, 2 formulas)", "synthetic 200 (1 input, 1 formula)"]
    assert [(r["edits"], r["input_edits"]) for r in last] == [(7, 5), (2, 1)]
    assert all(r["diff_s"] > 0 and r["inputs_as_rows_s"] > 0 and r["inputs_as_texts_s"] > 0 for r in last)


def test_quick_data_load_benchmark_reads_back_what_it_wrote(root):
    """benchmarks/data_load.py --quick: a CSV of 10,000 rows read by a data statement (the values
    are compared with the numbers written before anything is timed)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.data_load", "--quick"], cwd=root, capture_output=True,
                          text=True, timeout=600, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["rows"] for r in rows] == [10_000]
    assert all(r[k] > 0 for r in rows for k in ("read_s", "peak_mb", "load_and_run_s", "file_mb"))
