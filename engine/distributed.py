"""Monte Carlo chunks on a Dask cluster: when a simulation outgrows one machine.

The client draws every sample (so a seed gives the same numbers as the numpy backend) and cuts
them into the same chunks; each worker compiles the model once from its text (the text is sent,
not Python objects: a worker needs only unitsheet installed) and evaluates chunks with the same
compiled plan as `unitsheet run`. Results come back in chunk order.

    unitsheet simulate model.ush -n 1000000 --backend dask                    # a local cluster
    unitsheet simulate model.ush -n 1000000 --backend dask --scheduler tcp://10.0.0.5:8786
"""

from __future__ import annotations

from functools import lru_cache

from .diagnostics import Diagnostic, ModelError

LOCAL_WORKERS = 2
CONNECT_TIMEOUT = "10s"  # to an existing scheduler


def map_chunks(model, scenario: str, parts: list[tuple[dict, int]], keep: list[str], scheduler: str | None):
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
        where = f"the Dask scheduler {scheduler}" if scheduler else "a local Dask cluster"
        raise ModelError([Diagnostic("usage", f"cannot start or reach {where}: {err}", None,
                                     hint="start one with `dask scheduler`, or leave --scheduler out "
                                          "for a local cluster")]) from None
    try:
        text = client.scatter(model.text, broadcast=True)
        futures = [client.submit(_evaluate_remote, text, model.file, scenario, draws, m, keep, pure=False)
                   for draws, m in parts]
        for future in futures:  # in chunk order
            outcome = future.result()
            if isinstance(outcome, ModelErrorReport):
                raise ModelError(outcome.diagnostics, {model.file: model.text})
            yield outcome
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class ModelErrorReport:
    """A worker's ModelError, sent back as data (an exception with a custom constructor does
    not survive pickling)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics


@lru_cache(maxsize=4)
def _evaluator(text: str, file: str, scenario: str):
    from .model import input_values, loads

    model = loads(text, file)
    return model.evaluator(scenario), input_values(model.checked(scenario), {})


def _evaluate_remote(text: str, file: str, scenario: str, draws: dict, m: int, keep: list[str]):
    from .uncertainty import evaluate_chunk

    try:
        evaluator, base = _evaluator(text, file, scenario)
        return evaluate_chunk(evaluator, base, draws, m, keep)
    except ModelError as err:
        return ModelErrorReport(err.diagnostics)
