"""Small line charts as inline SVG, from plain numbers: the HTML page's series (exports/html.py)
and a diff's old and new lines (exports/html_diff.py). No library and no script: the page is one file that
opens without a network, and an SVG drawn here holds only numbers we formatted ourselves."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

from .html_blocks import Markup

# One colour per line, in order (a diff's old line first): dark enough on white for a thin stroke.
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#8250df", "#bc4c00", "#0598bc", "#bf3989", "#6e7781")
ZERO_COLOUR = "#8c959f"


def sparkline(values: Sequence[float | None], label: str = "", width: int = 120, height: int = 24) -> Markup:
    """One series as a line: see chart()."""
    return chart([values], label, width, height)


def chart(lines: Sequence[Sequence[float | None]], label: str = "", width: int = 120, height: int = 24,
          dashed: Sequence[bool] = (), axis: tuple[str, str] | None = None) -> Markup:
    """Lines over the same periods on one scale: a gap where a value is missing (None, NaN, inf),
    a dot on each line's last value, a grey line at zero when the values cross it. `label` is the
    chart's accessible name and tooltip (escaped here). dashed[k]: line k drawn dashed. axis:
    (first period, last period): the highest and lowest values and those periods written beside it."""
    left, top, right, bottom = (50.0, 6.0, 6.0, 16.0) if axis else (3.0, 3.0, 3.0, 3.0)
    arrays = [np.array([np.nan if v is None else v for v in line], dtype=float) for line in lines]
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.empty(0)
    title = f"<title>{escape(label)}</title>" if label else ""
    head = (f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label, quote=True)}">{title}')
    if not finite.size:
        return Markup(head + f'<text x="{width / 2:g}" y="{height / 2 + 4:g}" text-anchor="middle" '
                             f'font-size="10" fill="{ZERO_COLOUR}">no values</text></svg>')
    low, high = float(finite.min()), float(finite.max())
    parts = [head] + (_axis(axis, low, high, width, height, left, top, right, bottom) if axis else [])
    if high == low:  # a flat line in the middle, not a division by zero (nor a zero line it does not cross)
        low, high = low - (abs(low) or 1.0), high + (abs(high) or 1.0)
    count = max(len(a) for a in arrays)
    span = height - top - bottom
    if low < 0 < high:
        zero = height - bottom - span * (-low / (high - low))
        parts.append(f'<line x1="{left:g}" x2="{width - right:g}" y1="{zero:.2f}" y2="{zero:.2f}" '
                     f'stroke="{ZERO_COLOUR}" stroke-width="0.75"/>')
    for k, values in enumerate(arrays):
        colour = COLOURS[k % len(COLOURS)]
        dash = ' stroke-dasharray="3 2"' if k < len(dashed) and dashed[k] else ""
        steps = np.arange(len(values)) / (count - 1) if count > 1 else np.full(len(values), 0.5)
        xs = left + (width - left - right) * steps
        ys = height - bottom - span * ((values - low) / (high - low))  # divided first: a subnormal range stays finite
        for first, last in _segments(np.isfinite(values)):
            if last == first:  # a lone value between gaps: a dot, a line of one point draws nothing
                parts.append(f'<circle cx="{xs[first]:.2f}" cy="{ys[first]:.2f}" r="1.5" fill="{colour}"/>')
                continue
            points = " ".join(map("{:.2f},{:.2f}".format, xs[first:last + 1].tolist(), ys[first:last + 1].tolist()))
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"'
                         f'{dash} stroke-linejoin="round"/>')
        shown = np.flatnonzero(np.isfinite(values))
        if shown.size:
            parts.append(f'<circle cx="{xs[shown[-1]]:.2f}" cy="{ys[shown[-1]]:.2f}" r="2" fill="{colour}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _axis(periods: tuple[str, str], low: float, high: float, width: int, height: int,
          left: float, top: float, right: float, bottom: float) -> list[str]:
    """A frame's left and bottom edges, the highest and lowest values at its left, the first and last periods under it."""
    grey = f'fill="{ZERO_COLOUR}" font-size="10"'
    return [f'<path d="M{left:g},{top:g} V{height - bottom:g} H{width - right:g}" fill="none" stroke="#d1d9e0"/>',
            f'<text x="{left - 4:g}" y="{top + 8:g}" text-anchor="end" {grey}>{escape(tick(high))}</text>',
            f'<text x="{left - 4:g}" y="{height - bottom:g}" text-anchor="end" {grey}>{escape(tick(low))}</text>',
            f'<text x="{left:g}" y="{height - 3:g}" {grey}>{escape(periods[0])}</text>',
            f'<text x="{width - right:g}" y="{height - 3:g}" text-anchor="end" {grey}>{escape(periods[1])}</text>']


def tick(value: float) -> str:
    """An axis label that fits the 46 pixels left of the frame: 5,490 and 12.6k, never 1.26e+04
    (the scale word is the row's: the numbers are already in its display unit)."""
    steps = ((1e4, "k", 1e3), (1e6, "M", 1e6), (1e9, "bn", 1e9), (1e12, "T", 1e12))
    for k in range(len(steps) - 1, -1, -1):
        if abs(value) >= steps[k][0]:
            for _, word, unit in steps[k:]:  # 999,999 is 1M, not 1e+03k
                text = f"{value / unit:.3g}"
                if "e" not in text:
                    return text + word
    text = f"{value:,.4g}"
    return f"{value / 1e3:.3g}k" if "e" in text and 1 <= abs(value) < 1e4 else text  # 9,999.6 rounds to 10.0k


def _segments(finite: np.ndarray) -> list[tuple[int, int]]:
    """The runs of consecutive finite values: (first, last) indices."""
    edges = np.diff(np.concatenate([[0], finite.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))
