"""Correlated sampling by a Gaussian copula: the stated rank (Spearman) correlations, each input
keeping its own distribution.

Sample i of every input is still word i of its own stream (engine/samples.py): the correlated
inputs' uniforms u are mapped to normals z = Phi^-1(u), mixed by a factor L of the normals'
correlation matrix (z' = L z, sample by sample), and mapped back, u' = Phi(z'). Each sample is
transformed on its own, so the numbers do not depend on the chunk (Iman-Conover, which reorders a
whole chunk, would). z' is standard normal, so u' is uniform and every marginal is unchanged; a
monotone map keeps ranks, so the rank correlation of the inputs is that of the normals,
(6/pi) asin(r/2) for a normal correlation r: a stated rank correlation rho asks for
r = 2 sin(pi rho / 6) (Kruskal 1958)."""

from __future__ import annotations

import math

import numpy as np

PSD_TOLERANCE = 1e-10  # the smallest eigenvalue above -this is a valid (semi-definite) matrix


def normal_correlation(rho: float) -> float:
    """The correlation of two normals whose rank correlation is rho."""
    return 2 * math.sin(math.pi * rho / 6)


def rank_correlation(r: float) -> float:
    """The rank (Spearman) correlation of two normals correlated r."""
    return 6 / math.pi * math.asin(max(-1.0, min(1.0, r / 2)))


def joint(correlations) -> tuple[list[str], np.ndarray]:
    """The inputs the `correlate` statements name (ir.Correlation), and their rank correlations
    as one matrix (a pair no statement names: 0): what the checker validates and the streams use."""
    names = list(dict.fromkeys(name for corr in correlations for name in corr.names))
    ranks = np.eye(len(names))
    for corr in correlations:
        for a, b, rho in corr.pairs():
            i, j = names.index(a), names.index(b)
            ranks[i, j] = ranks[j, i] = rho
    return names, ranks


def normal_matrix(ranks: np.ndarray) -> np.ndarray:
    """The normals' correlations that give these rank correlations, entry by entry."""
    return np.vectorize(normal_correlation)(ranks)


def smallest_eigenvalue(matrix: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(matrix)[0])


def is_valid(matrix: np.ndarray) -> bool:
    """Positive semi-definite: some set of random variables has these correlations."""
    return smallest_eigenvalue(matrix) >= -PSD_TOLERANCE


def nearest_valid(ranks: np.ndarray, i: int, j: int) -> float | None:
    """The rank correlation of the pair (i, j) nearest to the stated one that makes the matrix
    valid, the other pairs as stated; None when no value of this pair does. The smallest
    eigenvalue is concave in one symmetric pair of entries, so the valid values are one
    interval: its best point is found by golden-section search, its edge by bisection."""
    normal = normal_matrix(ranks)

    def margin(rho: float) -> float:
        m = normal.copy()
        m[i, j] = m[j, i] = normal_correlation(rho)
        return smallest_eigenvalue(m)

    lo, hi = -1.0, 1.0
    for _ in range(80):  # golden section: the rho where the smallest eigenvalue is largest
        a, b = hi - 0.618 * (hi - lo), lo + 0.618 * (hi - lo)
        lo, hi = (lo, b) if margin(a) > margin(b) else (a, hi)
    best = (lo + hi) / 2
    if margin(best) < -PSD_TOLERANCE:
        return None
    inside, outside = best, float(ranks[i, j])
    for _ in range(60):
        middle = (inside + outside) / 2
        inside, outside = (middle, outside) if margin(middle) >= 0 else (inside, middle)
    towards = math.floor if best < float(ranks[i, j]) else math.ceil
    for digits in (2, 3, 4, 6):  # a value to type: rounded towards the valid side
        typed = towards(inside * 10**digits) / 10**digits
        if margin(typed) >= 0:
            return typed
    return inside


def factor(ranks: np.ndarray) -> np.ndarray:
    """L with L L^T the normals' correlation matrix: Cholesky's (the first input keeps its own
    draws), or for a semi-definite matrix (a correlation of 1), which Cholesky refuses, from the
    eigenvectors."""
    normal = normal_matrix(ranks)
    try:
        return np.linalg.cholesky(normal)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(normal)
        return vectors * np.sqrt(np.clip(values, 0, None))


def correlate_uniforms(uniforms: list[np.ndarray], lower: np.ndarray) -> list[np.ndarray]:
    """The correlated inputs' uniforms (one array per input, the same samples) mixed by the
    factor `lower`: u' = Phi(L Phi^-1(u)), kept strictly between 0 and 1 as the streams' are."""
    from scipy import special

    z = [special.ndtri(u) for u in uniforms]
    mixed = []
    for row in lower:  # row by row in a fixed order: a matrix product's summation order depends
        x = row[0] * z[0]  # on its shape, so a sample would depend on its chunk in the last bit
        for weight, zk in zip(row[1:], z[1:]):
            x = x + weight * zk if weight else x
        mixed.append(x)
    tiny = 0.5 * 2.0**-52
    return [np.clip(special.ndtr(x), tiny, 1 - tiny) for x in mixed]

