"""Results and models in a notebook: HTML tables (the HTML page's blocks, exports/html.py),
pandas frames with the units in the column index, a chart as a matplotlib Figure.

    results.to_frame()   # one row per period, one column per series: (quantity, unit) columns
    results.singles()    # one row per single value: value, unit
    results.plot(["cash_balance"], against={"bear": model.run("bear")})
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .diagnostics import Diagnostic, ModelError

MAX_ROWS = 200  # a notebook table's rows; the frames hold them all (a model by dimension has thousands)


def results_html(results) -> str:
    from ..exports.html import results_fragment

    return str(results_fragment(results, MAX_ROWS))


def model_html(model) -> str:
    """A model shows its base case: the tables of its run, its inputs with their sources and its
    notes; an invalid model shows its errors, as `unitsheet check` prints them (escaped)."""
    from ..exports.html import model_fragment
    from ..exports.html_blocks import fragment, tag
    from .diagnostics import render_all

    try:
        return str(model_fragment(model.run(), model.scenarios, MAX_ROWS))
    except ModelError as err:
        return str(fragment(tag("pre", render_all(err), cls="fail")))


def _pandas():
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("Results.to_frame needs pandas: pip install 'unitsheet[pandas]'") from None
    return pd


def series_frame(results):
    """The series: a row per period (its label), a column per series whose index has two levels,
    `quantity` and `unit` (the engine's unit of the values, as results.unit gives it). A column's
    sum is a sum over periods; single values are in singles_frame."""
    pd = _pandas()
    names = [n for n, q in results.model.quantities.items() if q.series]
    periods = pd.Index(results.model.timeline.labels(), name="period")
    columns = pd.MultiIndex.from_tuples([(n, results.unit(n)) for n in names], names=["quantity", "unit"])
    data = np.column_stack([results.values[n] for n in names]) if names else np.empty((len(periods), 0))
    return pd.DataFrame(data, index=periods, columns=columns)


def singles_frame(results):
    """The single values: a row per quantity, its `value` and `unit` columns."""
    pd = _pandas()
    names = [n for n, q in results.model.quantities.items() if not q.series]
    frame = pd.DataFrame({"value": [float(results.values[n][0]) for n in names],
                          "unit": [results.unit(n) for n in names]}, index=pd.Index(names, name="quantity"))
    return frame


def value(results, name: str, period) -> float:
    """One value: a single value's (no period), or a series' at one period. A series without a
    period is refused: taking its first period silently was a wrong number."""
    array = results.values[name]
    q = results.model.quantities[name]
    tl = results.model.timeline
    if not q.series:
        if period is not None:
            _refuse(f"`{name}` is a single value: it has no periods", f'results.value("{name}")')
        return float(array.reshape(-1)[0])
    if period is None:
        labels = tl.labels()
        span = f"{labels[0]} to {labels[-1]}" if len(labels) > 1 else labels[0]
        _refuse(f"`{name}` is a series of {len(labels)} {tl.kind}s ({span}): name the period to read",
                f'results.value("{name}", "{labels[-1]}"), or results.values["{name}"] for them all')
    try:
        first, last = tl.parse(str(period))
    except ValueError as err:
        _refuse(str(err), f'results.value("{name}", "{tl.label(0)}")')
    if first != last:
        _refuse(f"{period} is {last - first + 1} periods of this timeline; name one of them",
                f'results.value("{name}", "{tl.label(first)}")')
    return float(array[first])


def _refuse(message: str, hint: str):
    raise ModelError([Diagnostic("usage", message, None, hint=hint)])


def figure(results, names, title: str | None = None, against: Mapping | None = None):
    """engine/plot.py's chart of `names` (quantities, items, or a dimensioned quantity's items)
    in these results, and in each of `against` ({label: Results of the same model}) drawn dashed
    beside them; a matplotlib Figure."""
    from . import plot
    from .ir import row_name

    checked = results.model
    names = [names] if isinstance(names, str) else list(names)
    rows = [r for n in names for r in (checked.dimensions.names(n) if n in checked.dimensions.of else [row_name(n)])]
    plot.check_names(checked, rows)
    runs = {checked.scenario: results}
    for label, other in (against or {}).items():
        if label in runs:
            _refuse(f"`{label}` already labels the results plotted", "label each of `against` with a name of its own")
        if getattr(other, "model", None) is None or other.model.quantities.keys() != checked.quantities.keys() \
                or len(other.model.timeline) != len(checked.timeline):
            _refuse(f"`{label}` is not results of this model", "against={'bear': model.run('bear')}")
        runs[str(label)] = other
    plot.check_count(None, checked, rows, list(runs))
    return plot.figure(checked, rows, runs, title)
