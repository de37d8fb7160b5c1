"""Monte Carlo chunks on a Dask cluster: when a simulation outgrows one machine.

The client draws each chunk's samples just before submitting it (the same streams as the numpy
backend, so a seed gives the same numbers), keeps a bounded window of chunks in flight, and
folds the results in chunk order as they come back (engine/montecarlo.py). Each worker compiles
the model once from its text (the text is sent, not Python objects: a worker needs only
unitsheet installed) and evaluates chunks with the same compiled plan as `unitsheet run`.

    unitsheet simulate model.ush -n 1000000 --backend dask                    # a local cluster
    unitsheet simulate model.ush -n 1000000 --backend dask --scheduler tcp://10.0.0.5:8786
"""

from __future__ import annotations

from collections import deque
from contextlib import contextmanager
from functools import lru_cache

from .diagnostics import Diagnostic, ModelError
from .evaluate import MATRIX
from .overrides import input_values
from .samples import evaluate_samples, summarised_cells

LOCAL_WORKERS = 2
CONNECT_TIMEOUT = "10s"  # to an existing scheduler
CHUNKS_PER_THREAD = 2  # chunks in flight per worker thread: each has the next one queued, no more


@contextmanager
def connect(scheduler: str | None):
    """A Dask client: of the scheduler at `scheduler`, or of a local cluster started here.
    A usage error if dask.distributed is missing or the cluster cannot be reached."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ModelError([Diagnostic("usage", "the dask backend needs dask.distributed",
                                     None, hint="pip install 'unitsheet[dask]'")]) from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        else:
            cluster = LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
    except (OSError, TimeoutError, RuntimeError) as err:
        if cluster is not None:
            cluster.close()
        where = f"the Dask scheduler {scheduler}" if scheduler else "a local Dask cluster"
        raise ModelError([Diagnostic("usage", f"cannot start or reach {where}: {err}", None,
                                     hint="start one with `dask scheduler`, or leave --scheduler out "
                                          "for a local cluster")]) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def map_chunks(client, model, scenario: str, chunks, keep: list[str]):
    """Each chunk's result (montecarlo.Chunk), in chunk order. chunks: (draws, m) per chunk, from
    a generator that draws each one when it is asked for: at most a window of chunks (their
    draws and results) is in memory."""
    _no_data(model)
    text = client.scatter(model.text, broadcast=True)
    window = CHUNKS_PER_THREAD * max(1, sum(client.nthreads().values()))
    pending = deque()
    for draws, m in chunks:
        # the model's own loader travels with the task (pickled by name): no import of engine.model
        # here, which imports what imports this module
        pending.append(client.submit(_evaluate_remote, type(model).from_text, text, model.file, scenario, draws, m,
                                     keep, pure=False))
        if len(pending) >= window:
            yield _outcome(pending.popleft(), model)
    while pending:
        yield _outcome(pending.popleft(), model)


def _no_data(model) -> None:
    """A worker rebuilds the model from its text: data read from files or databases here would be
    read again there, with other files, bindings and folders; refused rather than read twice."""
    from . import syntax as ast

    if any(isinstance(stmt, ast.Data) for stmt in model.module.statements):
        raise ModelError([Diagnostic("usage", "simulate --backend dask does not run a model that reads data "
                                     "statements", None, hint="use the numpy backend (the default)")])


def _outcome(future, model):
    outcome = future.result()
    if isinstance(outcome, ModelErrorReport):
        raise ModelError(outcome.diagnostics, {model.file: model.text})
    return outcome


class ModelErrorReport:
    """A worker's ModelError, sent back as data (an exception with a custom constructor does
    not survive pickling)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics


@lru_cache(maxsize=4)
def _evaluator(load, text: str, file: str, scenario: str):
    model = load(text, file)
    evaluator = model.evaluator(scenario)
    base = input_values(model.checked(scenario), {})
    return evaluator, base, summarised_cells(evaluator, model.run(scenario).env[MATRIX])


def _evaluate_remote(load, text: str, file: str, scenario: str, draws: dict, m: int, keep: list[str]):
    try:
        evaluator, base, cells = _evaluator(load, text, file, scenario)
        return evaluate_samples(evaluator, base, cells, draws, m, keep)
    except ModelError as err:
        return ModelErrorReport(err.diagnostics)
