"""The result of `unitsheet diff`: plain dataclasses (what changed in the text, what moved in
each scenario, each move's attribution), their JSON (`to_dict`, docs/cli.md "diff") and the text
a terminal or a pull-request comment shows. Numbers are in the display unit `run` shows the NEW
model's values in (engine/report.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .diff import Change
from .report import NOISE

TOP_PERIODS = 3  # periods of a moved series the text shows (the largest moves); JSON has them all


@dataclass
class Part:
    """One edit's effect on a moved row, applied alone to OLD: per moved period (None where it
    cannot be measured alone: `why` says why; the interaction holds it then)."""

    edit: str  # the Change's label
    change: list[float | None]
    why: str | None = None

    def to_dict(self) -> dict:
        return {"edit": self.edit, "change": [_num(v) for v in self.change], "why": self.why}


@dataclass
class Move:
    """A row (a quantity, or one item of a dimensioned one) whose values moved in one scenario."""

    name: str  # NEW's name
    old_name: str  # OLD's (a rename)
    unit: str  # the display unit ("" a plain number, "bool" true/false)
    periods: list  # the moved periods' labels ([None] for a single value)
    old: list[float | None]
    new: list[float | None]
    parts: list[Part] = field(default_factory=list)  # the attribution; empty when no edit can move it
    interaction: list[float | None] = field(default_factory=list)  # change - the parts' sum

    @property
    def change(self) -> list[float | None]:
        return [None if o is None or n is None else n - o for o, n in zip(self.old, self.new)]

    @property
    def relative(self) -> list[float | None]:
        """change / |old| per period (None from or to no value, or from 0)."""
        return [None if o is None or n is None or o == 0 else (n - o) / abs(o) for o, n in zip(self.old, self.new)]

    @property
    def size(self) -> float:
        """How far it moved, to rank rows of any unit: its largest relative move (inf: from 0 or a blank)."""
        return max((math.inf if r is None else abs(r) for r in self.relative), default=0.0)

    def largest(self) -> list[int]:
        """The indices of its periods by how far each moved, largest first."""
        rel = self.relative
        return sorted(range(len(self.periods)), key=lambda i: (-(math.inf if rel[i] is None else abs(rel[i])), i))

    def to_dict(self) -> dict:
        return {"name": self.name, "old_name": self.old_name, "display_unit": self.unit,
                "periods": self.periods, "old": [_num(v) for v in self.old], "new": [_num(v) for v in self.new],
                "change": [_num(v) for v in self.change], "relative": [_num(v) for v in self.relative],
                "attribution": None if not self.parts else {
                    "parts": [p.to_dict() for p in self.parts], "interaction": [_num(v) for v in self.interaction]}}


@dataclass
class Flip:
    check: str  # NEW's name
    old_passed: bool
    new_passed: bool
    message: str  # NEW's message (the values where it fails)

    def to_dict(self) -> dict:
        return {"check": self.check, "old_passed": self.old_passed, "new_passed": self.new_passed,
                "message": self.message}


@dataclass
class ScenarioDiff:
    scenario: str
    moves: list[Move] = field(default_factory=list)  # largest first
    flips: list[Flip] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)  # rows whose unit or shape changed, and why

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "moves": [m.to_dict() for m in self.moves],
                "flips": [f.to_dict() for f in self.flips], "not_compared": list(self.not_compared)}


@dataclass
class Diff:
    old_file: str
    new_file: str
    changes: list[Change]
    scenarios: list[ScenarioDiff]
    threshold: float
    only_old: list[str] = field(default_factory=list)  # scenarios only one side has (not compared)
    only_new: list[str] = field(default_factory=list)

    @property
    def moved(self) -> bool:
        """Some number moved or some check flipped (`unitsheet diff` exits 1)."""
        return any(s.moves or s.flips for s in self.scenarios)

    def to_dict(self) -> dict:
        return {"old": self.old_file, "new": self.new_file, "threshold": self.threshold, "moved": self.moved,
                "changes": [c.to_dict() for c in self.changes],
                "scenarios": [s.to_dict() for s in self.scenarios],
                "scenarios_only_in_old": list(self.only_old), "scenarios_only_in_new": list(self.only_new)}

    def __str__(self) -> str:
        return text(self)


def _num(v):
    """JSON has no inf or NaN: None (there is no value)."""
    return None if v is None or not math.isfinite(v) else v


# ------------------------------------------------------------------------- text


def text(diff: Diff) -> str:
    out = [f"unitsheet diff {diff.old_file} -> {diff.new_file}", ""]
    out += _changes(diff.changes)
    for side, names in (("OLD", diff.only_old), ("NEW", diff.only_new)):
        if names:
            out += [f"scenarios only in {side} (not compared): {', '.join(names)}", ""]
    for s in diff.scenarios:
        out += _scenario(s, diff.threshold)
    if not diff.moved:
        out.append("no number moved" + (f" (threshold {diff.threshold:g})" if diff.threshold else ""))
    return "\n".join(out).rstrip("\n") + "\n"


def _changes(changes: list[Change]) -> list[str]:
    if not changes:
        return ["the model text did not change (statements compared as parsed)", ""]
    out = [f"{len(changes)} change{'s' if len(changes) != 1 else ''} in the model text:"]
    for c in changes:
        out.append(f"  {c.action:<8} {c.kind} {c.name}" + (f" (was {c.old_name})" if c.old_name else ""))
        if c.action in ("added", "removed"):
            body = (c.new_text if c.action == "added" else c.old_text) or ""
            out += ["             " + ("+ " if c.action == "added" else "- ") + line for line in body.split("\n")]
        out += [f"             {line}" for line in c.details]
    return out + [""]


def _scenario(s: ScenarioDiff, threshold: float) -> list[str]:
    if not (s.moves or s.flips or s.not_compared):
        return [f"[{s.scenario}] no number moved", ""]
    moved = f"{len(s.moves)} row{'s' if len(s.moves) != 1 else ''} moved, largest first" if s.moves else "no row moved"
    out = [f"[{s.scenario}] {moved}" + (f" (threshold {threshold:g})" if threshold else "") + ":"]
    for m in s.moves:
        out += _move(m)
    for f in s.flips:
        out.append(f"  check {'now FAILS' if not f.new_passed else 'now passes'}: {f.check}"
                   + (f": {f.message}" if not f.new_passed and f.message else ""))
    out += [f"  not compared: {line}" for line in s.not_compared]
    return out + [""]


def _move(m: Move) -> list[str]:
    unit = "" if m.unit in ("", "bool") else f" {m.unit}"
    shown = m.largest()[:TOP_PERIODS]
    name = m.name + (f" (was {m.old_name})" if m.old_name != m.name else "")
    more = len(m.periods) - len(shown)
    out = [f"  {name}" + (f": {_periods(len(m.periods))} moved" if m.periods != [None] else "")
           + (f", the {len(shown)} largest:" if more else ":")]
    for i in shown:
        at = "" if m.periods[i] is None else f"{m.periods[i]}: "
        moved = "" if m.unit == "bool" else f"   {signed(m.change[i])}{unit} ({percent(m.relative[i])})"
        out.append(f"      {at}{number(m.old[i], m.unit)} -> {number(m.new[i], m.unit)}{unit}{moved}")
    if m.parts:
        out += _why(m, shown[0])
    return out


def _why(m: Move, i: int) -> list[str]:
    """The attribution at the period that moved most: each edit that moved it, the interaction
    unless it is float noise (JSON has it exact)."""
    at = "" if m.periods[i] is None else f" in {m.periods[i]}"
    noise = NOISE * max([abs(m.change[i] or 0)] + [abs(p.change[i]) for p in m.parts if p.change[i] is not None])
    moving = [p for p in m.parts if p.change[i] is None or abs(p.change[i]) > noise]
    rest = m.interaction[i]
    if len(moving) == 1 and moving[0].change[i] is not None and (rest is None or abs(rest) <= noise):
        return [f"      why: {moving[0].edit}, all of it"]
    out = [f"      why{at}:"]
    for p in moving:
        out.append(f"        {signed(p.change[i]):>14}  {p.edit}" + (f" ({p.why})" if p.why else ""))
    if rest is not None and abs(rest) > noise:
        out.append(f"        {signed(rest):>14}  interaction (the edits together, beyond their sum)")
    if len(moving) < len(m.parts):
        out.append(f"        {'0':>14}  the {len(m.parts) - len(moving)} other edit(s)")
    return out


def _periods(n: int) -> str:
    return f"{n} period{'s' if n != 1 else ''}"


def number(v, unit: str) -> str:
    if v is None:
        return "(no value)"
    if unit == "bool":
        return "true" if v else "false"
    return f"{v:,.6g}"


def signed(v) -> str:
    return "?" if v is None else f"{v:+,.6g}"


def percent(r) -> str:
    return "from no value or 0" if r is None else f"{r * 100:+.3g} %"
