"""Small line charts as inline SVG, from plain numbers: the HTML page's series (exports/html.py)
and, later, a diff's old and new lines. No library and no script: the page is one file that
opens without a network, and an SVG drawn here holds only numbers we formatted ourselves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from .html_blocks import Markup

# One colour per line, in order (a diff's old line first): dark enough on white for a thin stroke.
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#8250df")
ZERO_COLOUR = "#8c959f"


def sparkline(values: Sequence[float | None], label: str = "", width: int = 120, height: int = 24) -> Markup:
    """One series as a line: see chart()."""
    return chart([values], label, width, height)


def chart(lines: Sequence[Sequence[float | None]], label: str = "", width: int = 120, height: int = 24,
          dashed: Sequence[bool] = ()) -> Markup:
    """Lines over the same periods on one scale: a gap where a value is missing (None, NaN, inf),
    a dot on each line's last value, a grey line at zero when the values cross it. `label` is the
    chart's accessible name and tooltip (escaped here). dashed[k]: line k drawn dashed."""
    pad = 3.0
    finite = [float(v) for line in lines for v in line if _finite(v)]
    title = f"<title>{escape(label)}</title>" if label else ""
    head = (f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label, quote=True)}">{title}')
    if not finite:
        return Markup(head + f'<text x="{width / 2:g}" y="{height / 2 + 4:g}" text-anchor="middle" '
                             f'font-size="10" fill="{ZERO_COLOUR}">no values</text></svg>')
    low, high = min(finite), max(finite)
    if high == low:  # a flat line in the middle, not a division by zero (nor a zero line it does not cross)
        low, high = low - (abs(low) or 1.0), high + (abs(high) or 1.0)
    count = max(len(line) for line in lines)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (count - 1) if count > 1 else 0.5)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v - low) / (high - low)

    parts = [head]
    if low < 0 < high:
        parts.append(f'<line x1="{pad:g}" x2="{width - pad:g}" y1="{y(0):.2f}" y2="{y(0):.2f}" '
                     f'stroke="{ZERO_COLOUR}" stroke-width="0.75"/>')
    for k, line in enumerate(lines):
        colour = COLOURS[k % len(COLOURS)]
        dash = ' stroke-dasharray="3 2"' if k < len(dashed) and dashed[k] else ""
        for segment in _segments(line):
            points = " ".join(f"{x(i):.2f},{y(float(line[i])):.2f}" for i in segment)
            if len(segment) == 1:  # a lone value between gaps: a dot, a line of one point draws nothing
                parts.append(f'<circle cx="{x(segment[0]):.2f}" cy="{y(float(line[segment[0]])):.2f}" r="1.5" '
                             f'fill="{colour}"/>')
            else:
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"'
                             f'{dash} stroke-linejoin="round"/>')
        last = next((i for i in range(len(line) - 1, -1, -1) if _finite(line[i])), None)
        if last is not None:
            parts.append(f'<circle cx="{x(last):.2f}" cy="{y(float(line[last])):.2f}" r="2" fill="{colour}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _finite(v) -> bool:
    return v is not None and math.isfinite(float(v))


def _segments(line: Sequence[float | None]) -> list[list[int]]:
    """The runs of consecutive finite values (their indices)."""
    out: list[list[int]] = []
    run: list[int] = []
    for i, v in enumerate(line):
        if _finite(v):
            run.append(i)
        elif run:
            out.append(run)
            run = []
    if run:
        out.append(run)
    return out
