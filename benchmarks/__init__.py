"""Benchmarks: synthetic models and measurements (not timed tests)."""

import statistics
import time


def median_time(f, repeats: int) -> float:
    """Median seconds of `repeats` calls of f()."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
