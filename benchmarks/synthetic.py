"""Synthetic unitsheet models of N quantities x T yearly periods, shaped like real workbooks:
each quantity reads its own previous period and 1-3 earlier quantities through SUM-like,
MAX, IF and + - * / operations, with units that cancel (USD/MW x GW -> USD, with a factor).

    python -m benchmarks.synthetic 1000 > /tmp/synthetic_1000.ush
"""

from __future__ import annotations

import random
import sys

FIRST_YEAR = 2001


def synthetic_model(n: int, periods: int = 40, seed: int = 7) -> str:
    rng = random.Random(seed)
    last = FIRST_YEAR + periods - 1
    lines = [f'model "synthetic {n} x {periods}"', f"timeline {FIRST_YEAR}..{last} yearly", "",
             "input growth = 2 %", "input price = 3 USD/MW", "input damping = 0.5",
             f"input capacity: GW = {{{FIRST_YEAR}..{last}: 1.5}}", ""]
    for i in range(n):
        name = f"q{i}"
        lines.append(f"{name}[{FIRST_YEAR}] = {rng.randint(1, 9)} USD")
        if i == 0:
            lines.append(f"{name}[{FIRST_YEAR + 1}..] = {name}[t-1] * (1 + growth)")
            continue
        refs = [f"q{rng.randrange(i)}" for _ in range(rng.randint(1, 3))]
        a, b = refs[0], refs[-1]
        kind = rng.randrange(5)
        if kind == 0:
            term = f"max({a}[t], {b}[t]) * growth"
        elif kind == 1:
            term = f"if({a}[t] > {b}[t], {a}[t] - {b}[t], {b}[t] - {a}[t]) * damping"
        elif kind == 2:
            term = " + ".join(f"{r}[t-1]" for r in refs) + f" * growth"
        elif kind == 3:
            term = f"price * capacity[t] * damping - {a}[t] * growth"
        else:
            term = f"{a}[t] / ({b}[t] + 1 USD) * 1 USD"
        lines.append(f"{name}[{FIRST_YEAR + 1}..] = {name}[t-1] * damping + {term}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(synthetic_model(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
