"""`unitsheet diff` with git (issue 29 item 1), in a temporary repository with real git: the
textconv driver (`*.ush diff=unitsheet`), git's seven-argument external diff (GIT_EXTERNAL_DIFF,
diff.external, diff.<driver>.command) and `--git REV [REV] [PATH]`, set up as the README says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from unitsheet.engine.diff_textconv import annotated
from conftest import ROOT, run_cli
from test_diff import SHOP

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

MORE = SHOP.replace("input volume = 100", "input volume = 120")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository with two commits of models/shop.ush, and `unitsheet` on the PATH (this
    checkout's, as an installed command would be)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / "unitsheet"
    command.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m unitsheet "$@"\n')
    command.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_EXTERNAL_DIFF", "GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(key, raising=False)
    work = tmp_path / "repo"
    (work / "models").mkdir(parents=True)
    monkeypatch.chdir(work)
    git("init", "-q")
    git("config", "user.name", "test")
    git("config", "user.email", "test@example.com")
    (work / "models" / "shop.ush").write_text(SHOP)
    git("add", ".")
    git("commit", "-qm", "v1")
    (work / "models" / "shop.ush").write_text(MORE)
    git("commit", "-qam", "v2")
    return work


def git(*args, env=None) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_textconv_shows_the_values_a_change_moved(repo):
    (repo / ".gitattributes").write_text("*.ush diff=unitsheet\n")
    git("config", "diff.unitsheet.textconv", "unitsheet diff --textconv")
    out = git("diff", "HEAD~1", "HEAD")
    assert "-input volume = 100\n-#= 100\n+input volume = 120\n+#= 120\n" in out  # the input and its value
    assert "-#= 2025: 1000; 2026..2027: 1200  [USD]\n+#= 2025: 1200; 2026..2027: 1440  [USD]\n" in out  # revenue
    assert "-#= 2025: 500; 2026..2027: 700  [USD]\n+#= 2025: 700; 2026..2027: 940  [USD]\n" in out  # profit
    assert " #= passes\n" in out  # the check, unchanged


def test_the_textconv_text_is_fmts_with_values_and_an_invalid_version_as_it_is():
    text = annotated(SHOP, "shop.ush")
    plain = "\n".join(line for line in text.split("\n") if not line.startswith("#= "))
    from unitsheet.engine.formatter import format_module
    from unitsheet import loads

    assert plain == format_module(loads(SHOP, "s").module)
    assert "input volume = 100\n#= 100\n" in text and "    display %\n#= 2025: 50; 2026..2027: 58.3333  [%]\n" in text
    broken = SHOP.replace("500 USD", "500 GW")
    shown = annotated(broken, "shop.ush")
    assert shown.startswith("# unitsheet: this version has errors (") and "#= " not in shown
    raw = annotated("input = =", "x.ush")  # does not parse: shown as it is
    assert raw.startswith("# unitsheet: this version has errors (") and raw.endswith("); no values\ninput = =")


def test_git_external_diff_with_seven_arguments(repo):
    for env, args in (({"GIT_EXTERNAL_DIFF": "unitsheet diff"}, ["diff", "HEAD~1", "HEAD"]),
                      ({}, ["-c", "diff.external=unitsheet diff", "diff", "HEAD~1", "HEAD"])):
        out = git(*args, env=env)
        assert "unitsheet diff a/models/shop.ush -> b/models/shop.ush" in out
        assert "changed  input volume" in out and "value: 100 -> 120" in out
        assert "      2025: 1,000 -> 1,200 USD   +200 USD (+20 %)" in out
    # a per-path driver (.gitattributes), and an added model: git goes on (exit 0)
    (repo / ".gitattributes").write_text("*.ush diff=unitsheet\n")
    git("config", "diff.unitsheet.command", "unitsheet diff")
    (repo / "models" / "new.ush").write_text(SHOP)
    git("add", ".")
    out = git("diff", "--cached", "HEAD~1")
    assert "models/new.ush: the model was added (nothing to compare)" in out
    assert "changed  input volume" in out


def test_git_external_diff_goes_on_past_a_version_with_errors(repo):
    (repo / "models" / "shop.ush").write_text(SHOP.replace("500 USD", "500 GW"))
    done = subprocess.run(["git", "diff"], capture_output=True, text=True,
                          env={**os.environ, "GIT_EXTERNAL_DIFF": "unitsheet diff"})
    assert done.returncode == 0  # git stops at an external diff that fails: it exits 0
    assert "b/models/shop.ush: this version does not compile" in done.stderr
    assert "not compared, b/models/shop.ush has errors" in done.stdout


def test_diff_git_reads_both_versions_from_the_repository(repo, capsys):
    code, out, err = run_cli(["diff", "--git", "HEAD~1", "HEAD", "models/shop.ush"], capsys)
    assert (code, err) == (1, "")
    assert "unitsheet diff HEAD~1:models/shop.ush -> HEAD:models/shop.ush" in out and "value: 100 -> 120" in out
    # every changed model without a path; a revision against the work tree
    code, out, _ = run_cli(["diff", "--git", "HEAD~1", "HEAD", "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 1 and [f["path"] for f in data["files"]] == ["models/shop.ush"]
    assert data["files"][0]["diff"]["changes"][0]["label"] == "input volume"
    code, out, _ = run_cli(["diff", "--git", "HEAD"], capsys)
    assert (code, out) == (0, "")  # the work tree is HEAD: nothing differs
    (repo / "models" / "shop.ush").write_text(SHOP)
    code, out, _ = run_cli(["diff", "--git", "HEAD", "models/shop.ush"], capsys)
    assert code == 1 and "value: 120 -> 100" in out and "-> models/shop.ush" in out
    os.chdir(repo / "models")  # a path from the current folder, as git takes it
    code, out, _ = run_cli(["diff", "--git", "HEAD~1", "--", "shop.ush"], capsys)
    assert code == 0 and "no number moved" in out  # v1 and the work tree hold the same model


def test_diff_git_refuses_what_is_not_a_revision_and_runs_no_shell(repo, capsys):
    code, _, err = run_cli(["diff", "--git", "HEAD; touch pwned", "models/shop.ush"], capsys)
    assert code == 2 and "`HEAD; touch pwned` is not a commit of this repository" in err
    assert not (repo / "pwned").exists()
    code, _, err = run_cli(["diff", "--git", "--output=x", "models/shop.ush"], capsys)
    assert code == 2
    git("branch", "shop.ush")
    os.chdir(repo / "models")
    code, _, err = run_cli(["diff", "--git", "HEAD~1", "shop.ush"], capsys)
    assert code == 2 and "`shop.ush` is both a revision and a file" in err
    assert "hint: write `--git HEAD~1 shop.ush --` for the revision, or `--git HEAD~1 -- shop.ush` for the file" in err
    code, _, err = run_cli(["diff", "--git", "HEAD~1", "HEAD", "--", "nowhere.ush"], capsys)
    assert code == 2 and "models/nowhere.ush is in neither HEAD~1 nor HEAD" in err
    code, _, err = run_cli(["diff", "--git", "HEAD~1", "--", "../../outside.ush"], capsys)
    assert code == 2 and "../../outside.ush is outside the repository" in err


def test_diff_git_with_errors_at_one_revision_exits_2(repo, capsys):
    (repo / "models" / "shop.ush").write_text(SHOP.replace("500 USD", "500 GW"))
    git("commit", "-qam", "v3")
    code, out, err = run_cli(["diff", "--git", "HEAD~1", "HEAD"], capsys)
    assert code == 2 and "HEAD:models/shop.ush: this version does not compile; its errors:" in err
    assert "HEAD:models/shop.ush:8:" in err


def test_git_external_diff_of_a_renamed_model_and_of_an_unmerged_path(repo, capsys, monkeypatch):
    git("mv", "models/shop.ush", "models/store.ush")
    (repo / "models" / "store.ush").write_text(SHOP)
    git("commit", "-qam", "renamed, and back to v1")
    out = git("diff", "-M", "HEAD~1", "HEAD", env={"GIT_EXTERNAL_DIFF": "unitsheet diff"})  # nine arguments
    assert "unitsheet diff a/models/shop.ush -> b/models/store.ush" in out and "value: 120 -> 100" in out
    monkeypatch.setenv("GIT_DIFF_PATH_TOTAL", "1")  # what git sets: a lone argument is then an unmerged path
    code, out, _ = run_cli(["diff", "models/store.ush"], capsys)
    assert (code, out) == (0, "models/store.ush: unmerged (a conflict to resolve first): not compared\n")
