import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _parse_cache_in_a_temporary_folder(tmp_path_factory):
    """The command line caches syntax trees (engine/cache.py): never in the user's own cache."""
    os.environ["UNITSHEET_CACHE_DIR"] = str(tmp_path_factory.mktemp("parse-cache"))
    yield

# Deterministic property tests in CI: no example database, derandomised, no deadlines.
settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def root():
    return ROOT


def run_cli(args, capsys):
    from unitsheet.engine.cli import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def count_evaluations(monkeypatch, model, scenario: str = "base") -> list:
    """The samples-axis prefix of every evaluation the model's evaluator runs from now on (a what-if
    command's variants are rows of one evaluation, not a run each)."""
    calls = []
    evaluator = model.evaluator(scenario)
    run = evaluator.run

    def counted(inputs, prefix=(), **kw):
        calls.append(prefix)
        return run(inputs, prefix=prefix, **kw)
    monkeypatch.setattr(evaluator, "run", counted)
    return calls


def pytest_configure(config):
    config.addinivalue_line("markers", "last: run after every other test (audits what the others wrote)")


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)
