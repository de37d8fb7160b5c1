"""Synthetic unitsheet models of N quantities x T yearly periods, shaped like real workbooks:
each quantity reads its own previous period and 1-3 earlier quantities through SUM-like,
MAX, IF and + - * / operations, with units that cancel (USD/MW x GW -> USD, with a factor).

The same rows are also computed by hand, as the limits the engine is measured against:
`python_loop` (plain Python floats) and `numpy_rows` (numpy over the periods, row by row).

    python -m benchmarks.synthetic 1000 > /tmp/synthetic_1000.ush
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass

import numpy as np

FIRST_YEAR = 2001
GROWTH, PRICE_USD_PER_MW, DAMPING, CAPACITY_GW = 0.02, 3.0, 0.5, 1.5


@dataclass(frozen=True)
class Row:
    initial: int
    kind: int  # -1: the first row (compound growth); 0..4: the shapes below
    refs: tuple[int, ...]  # earlier rows it reads


def rows(n: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        initial = rng.randint(1, 9)
        if i == 0:
            out.append(Row(initial, -1, ()))
            continue
        refs = tuple(rng.randrange(i) for _ in range(rng.randint(1, 3)))
        out.append(Row(initial, rng.randrange(5), refs))
    return out


def labels(periods: int, frequency: str) -> tuple[str, str, str]:
    """The first, second and last period labels of a timeline starting in FIRST_YEAR."""
    if frequency == "monthly":
        last_year, last_month = divmod(periods - 1, 12)
        return f"{FIRST_YEAR}-01", f"{FIRST_YEAR}-02", f"{FIRST_YEAR + last_year}-{last_month + 1:02d}"
    return str(FIRST_YEAR), str(FIRST_YEAR + 1), str(FIRST_YEAR + periods - 1)


def synthetic_model(n: int, periods: int = 40, seed: int = 7, uncertain: bool = False,
                    frequency: str = "yearly") -> str:
    """uncertain=True: growth and damping are ranges (Monte Carlo benchmarks); their base values
    are the deterministic model's. frequency="monthly": the same rows over months (growth and
    damping are per period, so the numbers are the yearly model's, period for period)."""
    first, second, last = labels(periods, frequency)
    growth, damping = ("1 % .. 3 %", "0.4 .. 0.6") if uncertain else ("2 %", "0.5")
    lines = [f'model "synthetic {n} x {periods}"', f"timeline {first}..{last} {frequency}", "",
             f"input growth = {growth}", "input price = 3 USD/MW", f"input damping = {damping}",
             f"input capacity: GW = {{{first}..{last}: 1.5}}"]
    if frequency != "yearly":  # a capacity is a level: a year shows its last month's
        lines.append("    rollup last")
    lines.append("")
    for i, row in enumerate(rows(n, seed)):
        name = f"q{i}"
        lines.append(f"{name}[{first}] = {row.initial} USD")
        if row.kind == -1:
            lines.append(f"{name}[{second}..] = {name}[t-1] * (1 + growth)")
            if frequency != "yearly":  # grown from itself alone: a level or an amount, stated
                lines.append("    rollup last")
            continue
        refs = [f"q{r}" for r in row.refs]
        a, b = refs[0], refs[-1]
        if row.kind == 0:
            term = f"max({a}[t], {b}[t]) * growth"
        elif row.kind == 1:
            term = f"if({a}[t] > {b}[t], {a}[t] - {b}[t], {b}[t] - {a}[t]) * damping"
        elif row.kind == 2:
            term = " + ".join(f"{r}[t-1]" for r in refs) + " * growth"
        elif row.kind == 3:
            term = f"price * capacity[t] * damping - {a}[t] * growth"
        else:
            term = f"{a}[t] / ({b}[t] + 1 USD) * 1 USD"
        lines.append(f"{name}[{second}..] = {name}[t-1] * damping + {term}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- the limits, by hand
# Both compute every row in full before the next (rows only read earlier rows), in USD.

def python_loop(spec: list[Row], periods: int = 40) -> list[list[float]]:
    """Plain Python floats: one tight loop over the periods per row (zip, no indexing)."""
    g, d, capacity_usd = GROWTH, DAMPING, PRICE_USD_PER_MW * CAPACITY_GW * 1000.0 * DAMPING
    values: list[list[float]] = []
    for row in spec:
        x = float(row.initial)
        out = [x]
        append = out.append
        if row.kind == -1:
            for _ in range(1, periods):
                x = x * (1 + g)
                append(x)
        else:
            a, b = values[row.refs[0]], values[row.refs[-1]]
            if row.kind == 0:
                for at, bt in zip(a[1:], b[1:]):
                    x = x * d + max(at, bt) * g
                    append(x)
            elif row.kind == 1:
                for at, bt in zip(a[1:], b[1:]):
                    x = x * d + (at - bt if at > bt else bt - at) * d
                    append(x)
            elif row.kind == 2:
                lagged = [values[r][:-1] for r in row.refs]
                if len(lagged) == 1:
                    for bt in lagged[0]:
                        x = x * d + bt * g
                        append(x)
                elif len(lagged) == 2:
                    for at, bt in zip(*lagged):
                        x = x * d + at + bt * g
                        append(x)
                else:
                    for at, ct, bt in zip(*lagged):
                        x = x * d + at + ct + bt * g
                        append(x)
            elif row.kind == 3:
                for at in a[1:]:
                    x = x * d + capacity_usd - at * g
                    append(x)
            else:
                for at, bt in zip(a[1:], b[1:]):
                    x = x * d + at / (bt + 1.0)
                    append(x)
        values.append(out)
    return values


def numpy_rows(spec: list[Row], periods: int = 40) -> np.ndarray:
    """numpy, one call per operation over a row's periods; the recurrence x[t] = x[t-1] * d + term[t]
    itself has no numpy primitive, so it runs on floats."""
    g, d = GROWTH, DAMPING
    capacity_usd = np.full(periods, PRICE_USD_PER_MW * CAPACITY_GW * 1000.0) * d
    values = np.empty((len(spec), periods))
    for i, row in enumerate(spec):
        if row.kind == -1:
            values[i] = row.initial * (1 + g) ** np.arange(periods)
            continue
        a, b = values[row.refs[0]], values[row.refs[-1]]
        if row.kind == 0:
            term = np.maximum(a, b) * g
        elif row.kind == 1:
            term = np.abs(a - b) * d
        elif row.kind == 2:
            term = np.roll(values[list(row.refs[:-1])].sum(axis=0) + b * g, 1)
        elif row.kind == 3:
            term = capacity_usd - a * g
        else:
            term = a / (b + 1.0)
        x = float(row.initial)
        out = [x]
        for offset in term[1:].tolist():
            x = x * d + offset
            out.append(x)
        values[i] = out
    return values


if __name__ == "__main__":
    sys.stdout.write(synthetic_model(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
