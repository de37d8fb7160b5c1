"""The Monte Carlo kernel: each uncertain input's random stream, exact sampling by inverse CDF,
chunks of bounded memory, and one chunk's evaluation. Both executors import it: this process
(engine/montecarlo.py) and a Dask cluster (engine/distributed.py), so a seed gives the same
numbers on either, and neither imports the other's internals."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from . import copula, ir
from .evaluate import MATRIX, Evaluator

MEMORY_BUDGET = 64 * 2**20  # bytes of value matrix (and its temporaries) per chunk of samples


def uncertain_inputs(checked: ir.CheckedModel) -> list[ir.Quantity]:
    return [q for q in checked.quantities.values() if q.kind == "input" and q.distribution is not None
            and q.high > q.low]


# ------------------------------------------------------------------------------ sampling


class Streams:
    """One random stream per uncertain input, keyed by the seed and the input's name. Sample i
    of an input is word i of its Philox stream, reached directly (Philox is counter-based); the
    stated correlations mix the correlated inputs' words sample by sample (engine/copula.py)."""

    def __init__(self, seed: int, quantities: list[ir.Quantity], correlations=()):
        self.quantities = quantities
        self.keys = [np.random.SeedSequence(seed, spawn_key=(int.from_bytes(q.name.encode("utf-8"), "big"),))
                     for q in quantities]
        # the inputs the `correlate` statements name, and the factor of their normals' correlations
        self.correlated, ranks = copula.joint(correlations)
        self.factor = copula.factor(ranks) if self.correlated else None

    def draw(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Samples start..stop-1 of every uncertain input, in the input's unit."""
        uniforms = {q.name: self.uniforms(key, start, stop - start) for q, key in zip(self.quantities, self.keys)}
        if self.correlated:
            mixed = copula.correlate_uniforms([uniforms[name] for name in self.correlated], self.factor)
            uniforms.update(zip(self.correlated, mixed))
        return {q.name: inverse_cdf(q.distribution, uniforms[q.name]) for q in self.quantities}

    @staticmethod
    def uniforms(key: np.random.SeedSequence, start: int, m: int) -> np.ndarray:
        """m uniform numbers strictly between 0 and 1 (the inverse CDF is infinite at 0 and 1):
        52 random bits of words start..start+m-1, centred in their interval."""
        bits = np.random.Philox(key)
        bits.advance(start // 4)  # one step of Philox's counter makes four 64-bit words
        words = bits.random_raw(start % 4 + m)[start % 4:]
        return ((words >> np.uint64(12)).astype(np.float64) + 0.5) * 2.0**-52


def inverse_cdf(dist: tuple, u: np.ndarray) -> np.ndarray:
    """The distribution's values at cumulative probabilities u (0 < u < 1). A truncated normal or
    lognormal is exact between its bounds: u is spread between the CDF of the bounds, wherever
    its mass is (scipy.special: numpy has no inverse normal CDF)."""
    kind = dist[0]
    if kind == "uniform":
        lo, hi = dist[1:]
        return lo + u * (hi - lo)
    if kind == "triangular":
        lo, mode, hi = dist[1:]
        if hi == lo:
            return np.full(u.shape, float(mode))
        left = (mode - lo) / (hi - lo)  # the CDF at the mode
        return np.where(u < left, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                        hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))
    if kind not in ("normal", "lognormal"):
        raise AssertionError(kind)
    centre, spread, lo, hi = dist[1:]
    if spread == 0:
        return np.full(u.shape, float(centre))
    if kind == "normal":
        a = -np.inf if lo is None else (lo - centre) / spread
        b = np.inf if lo is None else (hi - centre) / spread
        x = centre + spread * normal_between(u, a, b)
    else:  # ln x is normal(ln median, sigma): its bounds on the log scale
        a = -np.inf if lo is None or lo <= 0 else math.log(lo / centre) / spread
        b = np.inf if lo is None else math.log(hi / centre) / spread
        x = centre * np.exp(spread * normal_between(u, a, b))
    return x if lo is None else np.clip(x, lo, hi)  # only rounding can step outside


def normal_between(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """The standard normal truncated to [a, b] (either may be infinite) at cumulative
    probabilities u: Phi^-1(Phi(a) + u (Phi(b) - Phi(a))), computed where it keeps its
    precision: in logs in a tail (log Phi never underflows), and through the survival function
    above the median."""
    from scipy import special  # here: a model without a normal or lognormal does not wait for it
    if a >= 0:  # above the mean: mirrored into the lower tail, where Phi is small and precise
        return -normal_between(1 - u, -b, -a)
    if b <= 0:  # in the lower half, in logs:
        # log(Phi(a) + u (Phi(b) - Phi(a))) = log Phi(b) + log(u + (1 - u) Phi(a) / Phi(b)), a sum of two
        # positive terms (no cancellation, however small u or the ratio)
        ratio = np.exp(special.log_ndtr(a) - special.log_ndtr(b))
        return special.ndtri_exp(special.log_ndtr(b) + np.log(u + (1 - u) * ratio))
    below, above = special.ndtr(a), special.ndtr(-b)  # the mass cut off at each end
    mass = 1 - below - above
    p = below + u * mass
    return np.where(p <= 0.5, special.ndtri(p), -special.ndtri(above + (1 - u) * mass))


# ------------------------------------------------------------------------------ evaluation


def chunk_size(evaluator: Evaluator, budget: int = MEMORY_BUDGET) -> int:
    """Samples per chunk so that one chunk's values and temporaries stay within `budget`."""
    per_sample = len(evaluator.row_of) * evaluator.n * 8 * 3
    return max(1, budget // per_sample)


def chunks(samples: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, samples)) for start in range(0, samples, size)]


def chunk_inputs(base: dict, draws: dict, m: int) -> dict:
    """Every input of m samples: the drawn ones from `draws`, the others at their base value."""
    return {name: draws[name][:, None] if name in draws else np.broadcast_to(value, (m,) + value.shape)
            for name, value in base.items()}


def evaluate_chunk(evaluator: Evaluator, base: dict, draws: dict, m: int, keep) -> tuple[dict, dict, float]:
    """One chunk of m samples: (kept values {name: (m, periods)}, check passes {name: (m,)}, seconds).
    `draws` holds this chunk's draws of every uncertain input; the other inputs come from `base`.
    Raises ModelError if a sample cannot be evaluated (explore evaluates its points with it)."""
    inputs = chunk_inputs(base, draws, m)
    t0 = time.perf_counter()
    env = evaluator.run(inputs, prefix=(m,))
    passes = {check.name: np.broadcast_to(result, (m, result.shape[-1])).all(axis=-1)
              for check, result in evaluator.check_values(env)}
    seconds = time.perf_counter() - t0
    names = evaluator.model.quantities if keep is None else keep
    values = {name: np.array(np.broadcast_to(env[name], (m,) + env[name].shape[-1:])) for name in names}
    return values, passes, seconds


def summarised_cells(evaluator: Evaluator, matrix: np.ndarray) -> np.ndarray:
    """The cells (flat indices into the quantities x periods value matrix) simulate summarises:
    every period of a number (the first column of a single value) where the base case (its
    value matrix) has a value. A sample with inf or NaN in one of them fails."""
    numbers = [evaluator.row_of[name] for name, q in evaluator.model.quantities.items()
               if q.unit is not None and not q.type.boolean and name not in evaluator.blank]
    mask = np.zeros(matrix.shape, dtype=bool)
    mask[numbers] = np.isfinite(matrix[numbers])
    return np.flatnonzero(mask)


@dataclass
class Chunk:
    """What evaluating m samples gives, for the fold (sent back by a Dask worker)."""

    values: np.ndarray  # (m, cells): the summarised cells of each sample
    failed: np.ndarray  # (m,): inf or NaN in one of them
    passes: dict[str, np.ndarray]  # check -> (m,): holds in every period
    kept: dict[str, np.ndarray]  # name -> (m, periods) for the quantities asked for
    seconds: float


def evaluate_samples(evaluator: Evaluator, base: dict, cells: np.ndarray, draws: dict, m: int,
                     keep: list[str]) -> Chunk:
    """Evaluate m samples without stopping at inf or NaN: the fold decides what a failed sample means."""
    inputs = chunk_inputs(base, draws, m)
    with np.errstate(all="ignore"):  # a worker's warnings would reach the user's terminal too
        t0 = time.perf_counter()
        env = evaluator.run(inputs, prefix=(m,), verify=False)
        passes = {check.name: np.broadcast_to(result, (m, result.shape[-1])).all(axis=-1)
                  for check, result in evaluator.check_values(env)}
        seconds = time.perf_counter() - t0
        values = env[MATRIX].reshape(m, -1)[:, cells]
        failed = ~np.isfinite(values).all(axis=1)
    kept = {name: np.array(np.broadcast_to(env[name], (m,) + env[name].shape[-1:])) for name in keep}
    return Chunk(values, failed, passes, kept, seconds)


# ------------------------------------------------------------------------------ summaries
