"""Quantiles of many cells at once in bounded memory: a log-bucket sketch (DDSketch) whose
percentiles are within a relative ALPHA of the exact ones, the Monte Carlo summaries' fallback
when the samples do not fit in memory (engine/montecarlo.py)."""

from __future__ import annotations

import math

import numpy as np

ALPHA = 1e-4  # the sketch's relative accuracy
SKETCH_BUCKETS = 2**24  # the sketch's buckets, all cells together: 64 MB (held with up to 50 % room, in a
                        # pool up to 50 % larger: at most about 150 MB); beyond, the buckets coarsen


class LogSketch:
    """Quantiles of many cells at once in bounded memory: DDSketch (Masson, Rim and Lee, VLDB
    2019). A nonzero x falls in bucket i = ceil(log_gamma |x|) on the side of its sign, gamma =
    (1 + alpha) / (1 - alpha); bucket i stands for 2 gamma^i / (gamma + 1), within a relative
    alpha of every value in it. A percentile interpolated between the buckets of its two
    neighbouring ranks is therefore within alpha |p| of the exact percentile p (within alpha
    times the larger neighbour if they have opposite signs). Only counts: neither the order of
    the samples nor their chunks change anything.
    Each cell and side (a store) keeps a dense range of buckets, in one pool, covering its
    smallest to its largest index so far with room to grow; a store that outgrows its range
    moves to the free end of the pool, and the pool is compacted when full. If the extents
    together would pass max_buckets, every bucket merges with its neighbour (i -> ceil(i / 2):
    gamma squared, alpha about doubled; UDDSketch, Epicoco et al. 2020), and `alpha` says so.
    How often depends only on the final extents, not on the chunks."""

    def __init__(self, cells: int, alpha: float = ALPHA, max_buckets: int = SKETCH_BUCKETS):
        self.cells, self.max_buckets, self.base_alpha = cells, max_buckets, alpha
        self.log_gamma = math.log((1 + alpha) / (1 - alpha))
        self.merges = 0
        self.zeros = np.zeros(cells, dtype=np.int64)
        # store s < cells: cell s's positive values; s >= cells: cell s - cells's negative ones, by |x|
        self.first, self.last = np.full(2 * cells, _EMPTY), np.full(2 * cells, -_EMPTY)  # bucket extents
        self.lo, self.hi = self.first.copy(), self.last.copy()  # the buckets held: lo..hi
        self.start = np.zeros(2 * cells, dtype=np.int64)  # where each store's lo is in `counts`
        self.counts = np.zeros(1024, dtype=np.int32)  # the pool: at most limits.SAMPLES < 2**31 per bucket
        self.used = 0  # counts[used:] is free (zeros)

    @property
    def alpha(self) -> float:
        alpha = self.base_alpha
        for _ in range(self.merges):  # gamma squared: (gamma^2 - 1) / (gamma^2 + 1)
            alpha = 2 * alpha / (1 + alpha * alpha)
        return alpha

    def add(self, x: np.ndarray, columns: np.ndarray, weight: int = 1) -> None:
        """Count every row of x `weight` times: x (samples, len(columns)), finite, holds the
        values of the cells `columns`."""
        index = np.abs(x)
        with np.errstate(divide="ignore"):  # log 0: zeros are counted apart
            np.log(index, out=index)
        index /= self.log_gamma
        np.ceil(index, out=index)
        # each side's values (None: all of them, the usual case), and the zeros
        sides = [(0, None)] if (x > 0).all() else [(0, x > 0), (1, x < 0)]
        if len(sides) > 1:
            index[x == 0] = 0
            self.zeros[columns] += weight * np.count_nonzero(x == 0, axis=0)
        index = _ceil_shift(index.astype(np.int64), self.merges)
        first, last = np.full(2 * self.cells, _EMPTY), np.full(2 * self.cells, -_EMPTY)
        for side, where in sides:
            stores = side * self.cells + columns
            first[stores] = (index if where is None else np.where(where, index, _EMPTY)).min(axis=0)
            last[stores] = (index if where is None else np.where(where, index, -_EMPTY)).max(axis=0)
        index = _ceil_shift(index, self._cover(first, last))
        for side, where in sides:
            stores = side * self.cells + columns
            at = self.start[stores] - self.lo[stores] + index
            np.add.at(self.counts, at if where is None else at[where], np.int32(weight))

    def _cover(self, first: np.ndarray, last: np.ndarray) -> int:
        """Extend the extents to first..last, merging buckets as often as max_buckets needs, and
        the stores to hold them; returns how many merges that took."""
        self.first, self.last = np.minimum(self.first, first), np.maximum(self.last, last)
        merges = 0
        while _widths(_ceil_shift(self.first, merges), _ceil_shift(self.last, merges)).sum() > self.max_buckets:
            merges += 1
        for _ in range(merges):
            self._merge()
        short = (self.first < self.lo) | (self.last > self.hi)
        if short.any():  # room for a quarter as much again: few stores need to move twice
            room = _widths(self.first, self.last) // 4
            self._hold(np.where(short & (self.first < self.lo), self.first - room, self.lo),
                       np.where(short & (self.last > self.hi), self.last + room, self.hi))
        return merges

    def _hold(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Make the stores hold buckets lo..hi (each a superset of what it holds): a store whose
        range changes moves, with its counts, to the free end of the pool."""
        moving = np.flatnonzero((lo != self.lo) | (hi != self.hi))
        widths = _widths(lo[moving], hi[moving])
        if self.used + widths.sum() > self.counts.size:
            self._compact(room=int(widths.sum()))
        start = self.used + np.cumsum(widths) - widths
        for block in _blocks(moving.size):
            old, new = moving[block], start[block]
            held = _widths(self.lo[old], self.hi[old])
            self.counts[_ranges(new + self.lo[old] - lo[old], held)] = self.counts[_ranges(self.start[old], held)]
        self.start[moving], self.lo[moving], self.hi[moving] = start, lo[moving], hi[moving]
        self.used += int(widths.sum())

    def _compact(self, room: int = 0) -> None:
        """Lay the stores out end to end from 0 (dropping the holes moves left) in a pool with
        `room` free, and half as much again as they hold."""
        widths = _widths(self.lo, self.hi)
        held = int(widths.sum())
        pool = np.zeros(max(held + held // 2 + room, 1024), dtype=np.int32)
        start = np.cumsum(widths) - widths
        for block in _blocks(widths.size):
            pool[_ranges(start[block], widths[block])] = self.counts[_ranges(self.start[block], widths[block])]
        self.counts, self.start, self.used = pool, start, held

    def _merge(self) -> None:
        """Merge every bucket with its neighbour: buckets 2j - 1 and 2j become bucket j. Each
        store first starts at an odd bucket and holds an even number, laid out end to end, so
        that pairs never straddle two stores."""
        held = _widths(self.lo, self.hi) > 0
        self._hold(np.where(held & (self.lo % 2 == 0), self.lo - 1, self.lo),
                   np.where(held & (self.hi % 2 == 1), self.hi + 1, self.hi))
        self._compact()
        pairs = self.counts[:self.used].reshape(-1, 2).sum(axis=1, dtype=np.int32)
        self.counts = np.zeros(max(self.counts.size // 2, 1024), dtype=np.int32)
        self.counts[:pairs.size] = pairs
        self.used, self.start = pairs.size, self.start // 2
        self.lo, self.hi = _ceil_shift(self.lo, 1), _ceil_shift(self.hi, 1)
        self.first, self.last = _ceil_shift(self.first, 1), _ceil_shift(self.last, 1)
        self.merges += 1

    def percentiles(self, qs, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """(len(qs), cells): the percentiles qs (0..100) of each cell, interpolated as
        np.percentile does between the buckets of the ranks around q (n - 1) / 100; each
        bucket's value is clipped to the cell's exact minimum and maximum (low, high)."""
        log_gamma = self.log_gamma * 2**self.merges
        cells = self.cells
        # The pool's running count: a store's j-th value (0-based, by bucket) is in the first of
        # its buckets where that count passes the count before the store plus j.
        cumulative = np.concatenate([[0], np.cumsum(self.counts[:self.used], dtype=np.int64)])
        running = cumulative[1:]
        start = np.minimum(self.start, self.used)
        before = cumulative[start]
        held = cumulative[np.minimum(start + _widths(self.lo, self.hi), self.used)] - before  # values per store
        positive, negative = held[:cells], held[cells:]
        n = negative + self.zeros + positive
        some = n > 0

        def value(rank: np.ndarray) -> np.ndarray:
            """Each cell's rank-th smallest value (0-based): negatives (largest |x| first), zeros, positives."""
            out = np.zeros(cells)
            for sign, which, j in ((-1.0, some & (rank < negative), negative - 1 - rank),
                                   (1.0, some & (rank >= negative + self.zeros), rank - negative - self.zeros)):
                store = np.flatnonzero(which) + (cells if sign < 0 else 0)
                at = np.searchsorted(running, before[store] + j[which], side="right")
                bucket = self.lo[store] + (at - self.start[store])
                out[which] = sign * 2 * np.exp(bucket * log_gamma) / (np.exp(log_gamma) + 1)
            out[some] = np.clip(out[some], low[some], high[some])  # low, high: inf for a cell never added
            return out

        out = np.full((len(qs), cells), np.nan)  # NaN for a cell without counts
        for j, q in enumerate(qs):
            rank = q / 100 * (n - 1)
            k = np.floor(rank).astype(np.int64)
            below, above = value(k), value(np.minimum(k + 1, n - 1))
            out[j, some] = (below + (above - below) * (rank - k))[some]
        return out


_EMPTY = 2**62  # the lower end of an empty range (its upper end is -_EMPTY)


def _ceil_shift(i, k: int):
    """ceil(i / 2**k) in integers (bucket i after k merges of neighbours)."""
    return -((-i) >> k) if k else i


def _widths(lo, hi):
    return np.maximum(hi - lo + 1, 0)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """starts[0] .. starts[0] + lengths[0] - 1, then the same for the next, end to end."""
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))


def _blocks(n: int, size: int = 4096):
    """Slices of at most `size` stores: copies between stores go a block at a time, so that
    their index arrays stay small."""
    return [slice(i, i + size) for i in range(0, n, size)]
