"""What a series on a sub-annual timeline is, for its roll-up: a level (a balance, a price, a
headcount: the year shows its last period) or an amount per period (a draw, an acquisition, a
month's revenue in USD: the year sums its periods). A flow (a unit per time) rolls up by its rate
and true/false by agreement (engine/rollup.py); anything else the checker must prove, or the
formula must say (`rollup last` / `rollup sum`), because the two readings give different years.

Proofs, from the formula (engine/check/rollups.py asks):
  level   x[t] = x[t-1] + ... (a balance carried forward), a stated level (`rollup last`, ...),
          the calendar (year(), month()), a running total, a ratio or product of levels, a sum
          of levels;
  amount  a flow times the period's length (`* period_length()`, `mrr * 1 month` on months),
          Excel's per-period functions (pmt, ppmt, ...), a stated amount (`rollup sum`), a sum
          of amounts, an amount times or over a level.
Anything else is ambiguous, with the piece that makes it so: a level plus an amount, a ratio of
rates (a margin: `rollup ratio` of its parts, or say last/average), a flow times a time that is
not the period (receivables as `revenue * 60 day` are a level; `revenue * 1 quarter` on months a
run-rate or an amount?), values made only of single values and constants (`rent = 12000 USD`: a
monthly charge or a level?), a quantity grown from its own previous value without additions.
A quantity that reads an ambiguous one is not judged: its own error comes once that one is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import builtins, ir
from ..diagnostics import Span


@dataclass(frozen=True)
class Kind:
    what: str  # level | amount | neutral (constants: take the other side's kind) | unknown | blocked | flow
    reason: str = ""  # unknown: what makes it ambiguous, to finish "`x` ... : <reason>"
    span: Span | None = None  # unknown: the piece that makes it so


LEVEL, AMOUNT, NEUTRAL, BLOCKED, FLOW = (Kind(w) for w in ("level", "amount", "neutral", "blocked", "flow"))
_IN_PROGRESS = Kind("blocked")
# A quantity read from its own earlier value without adding to it (x[t] = x[t-1] * (1 + g)): a price
# rising (a level) or sales growing each month (an amount)?
_GROWS = Kind("unknown", "it grows from its own previous value without adding to it: a level (a price rising) "
                         "or an amount each period (sales growing)?")


def unknown(reason: str, node) -> Kind:
    return Kind("unknown", reason, getattr(node, "span", None))


class Classifier:
    """kind(node) for the typed IR of a model; `of` gives each quantity's kind (memoised)."""

    def __init__(self, s, stated: dict[str, str]):
        self.s, self.units, self.timeline = s, s.units, s.timeline
        self.stated = stated  # quantity -> its `rollup` rule, where it states one
        self.balances = balances(s.quantities)
        self.memo: dict[str, Kind] = {}
        self.kinds: dict[int, Kind] = {}  # id(node) -> its kind: a product's factors are asked twice
        self.judging: list[str] = []  # the quantities being judged, innermost last
        # id(node) -> (why it is an amount per period, the `* time` text to drop for a flow, or None)
        self.proofs: dict[int, tuple[str, str | None]] = {}

    def amount_reason(self, q: ir.Quantity) -> tuple[str, str | None]:
        """Why q (proven an amount) is one: the first proof in its equations, and the `* time`
        text that makes a flow an amount (None where there is none to drop)."""
        for eq in q.equations:
            for node in ir.walk(eq.expr):
                if id(node) in self.proofs:
                    return self.proofs[id(node)]
        return "it is computed from amounts per period", None

    # ------------------------------------------------------------------ quantities
    def of(self, name: str) -> Kind:
        """The kind of a quantity's values (per period)."""
        if name in self.memo:
            if self.memo[name] is _IN_PROGRESS:  # a loop back to a quantity being judged
                return _GROWS if name == self.judging[-1] else BLOCKED
            return self.memo[name]
        self.memo[name] = _IN_PROGRESS
        self.judging.append(name)
        try:
            self.memo[name] = found = self._of(name)
        finally:
            self.judging.pop()
        return found

    def _of(self, name: str) -> Kind:
        q = self.s.quantities.get(name)
        if q is None or name in self.s.broken:
            return BLOCKED
        if q.unit is None or not q.series:
            return NEUTRAL
        if self.units.is_flow(q.unit):
            return FLOW
        rule = self.stated.get(name)
        if rule is not None:
            return AMOUNT if rule == "sum" else LEVEL  # a ratio of roll-ups is a level too
        if q.kind == "input":
            return BLOCKED  # an input series without a rule is an error of its own
        if name in self.balances:
            return LEVEL
        found = self.equations(q)
        if found is NEUTRAL:
            return unknown("it is made of single values and constants only", None)
        return found

    def equations(self, q: ir.Quantity) -> Kind:
        """The kinds of a formula's equations together (an opening value beside its recurrence)."""
        return combine([self.kind(eq.expr) for eq in q.equations], "has equations that give")

    # ------------------------------------------------------------------ expressions
    def kind(self, node) -> Kind:
        found = self.kinds.get(id(node))
        if found is None:
            found = self.kinds[id(node)] = self._kind(node)
        return found

    def _kind(self, node) -> Kind:
        if node.type.unit is None or written(node):
            return NEUTRAL  # true/false (conditions take no part), and constants: `1 month`, `1 / 1 month`
        if self.units.is_flow(node.type.unit):
            return FLOW
        method = getattr(self, "_" + type(node).__name__, None)
        return method(node) if method is not None else NEUTRAL

    def _Const(self, node):
        return NEUTRAL

    def _Ref(self, node):
        q = self.s.quantities.get(node.name)
        if q is None or not q.series or not node.type.series:
            return NEUTRAL
        found = self.of(node.name)
        if found is _GROWS:
            return unknown(found.reason, node)
        if found is AMOUNT:
            self.proofs[id(node)] = (f"it reads `{node.name}`, an amount per period", None)
        return BLOCKED if found.what == "unknown" else found  # its own error comes first

    _Shift = _Ref

    def _At(self, node):
        return NEUTRAL  # one period's value: a single value

    def _Reduce(self, node):
        return NEUTRAL

    def _Period(self, node):
        return LEVEL  # the calendar (year(), month()): a fact of the period, held through it

    def _Running(self, node):
        return LEVEL  # a total to date

    def _Vintage(self, node):
        return self._Ref(node)  # each period's charge of each period's capex

    def _Unary(self, node):
        return self.kind(node.operand)

    def _Convert(self, node):
        return self.kind(node.operand)

    def _Sum(self, node):
        """Amounts plus or minus amounts (and constants) are an amount; levels added are a level
        (assets = cash + ppe); a level less a level or a constant is not proven (net debt = debt -
        cash is a level, a change nwc - nwc[t-1] or a draw min_cash - cash an amount)."""
        kinds = [self.kind(x) for x in [node.first] + [x for _, x in node.rest]]
        found = combine(kinds, "adds")
        if found is LEVEL and (any(op == "-" for op, _ in node.rest) or NEUTRAL in kinds):
            return unknown("it subtracts from a level, or adds a constant to one: a level (net debt = debt - cash) "
                           "or an amount each period (a change, x - x[t-1]; a draw, min_cash - cash)?", node)
        return found

    def _Func(self, node):
        builtin = builtins.ELEMENTWISE.get(node.name)
        if builtin is not None and builtin.per_period:  # pmt, ppmt, sln...: a payment or charge each period
            self.proofs[id(node)] = (f"{node.name}() gives an amount each period", None)
            return AMOUNT
        if builtin is not None and builtin.unit_rule in ("condition", "index"):
            return combine([self.kind(a) for a in node.args[1:]], "chooses between")
        if builtin is not None and builtin.unit_rule == "finance":
            return LEVEL  # pv, fv, nper, rate: a value at the period, not an amount in it
        if node.name in ("min", "max"):
            return combine([self.kind(a) for a in node.args], f"takes the {node.name} of")
        return self.kind(node.args[0]) if node.args else NEUTRAL

    def _Binary(self, node):
        if node.op == "^":
            return self.kind(node.left)
        if node.type.unit is not None and not self.units.is_flow(node.type.unit):
            turned = self._flow_times_time(node)  # the whole product at once: burn * 1 year / 12
            if turned is not None:
                return turned
        a, b = self.kind(node.left), self.kind(node.right)
        if FLOW not in (a, b) or node.type.unit is None or self.units.is_flow(node.type.unit):
            return product(node.op, a, b, node)
        if a is FLOW and b is FLOW:
            return unknown("a ratio of two rates (a margin, a share of revenue) is neither a level nor an amount",
                           node)
        if b is FLOW and node.op == "/":  # x over a rate: debt in years of EBITDA, a duration
            return LEVEL if a in (LEVEL, NEUTRAL) else (a if a.what in ("blocked", "unknown") else unknown(
                "an amount per period over a rate depends on the period's length", node))
        return unknown("it turns a flow into a value without a time by something that is not a time", node)

    def _flow_times_time(self, node) -> Kind | None:
        """One flow times a time (through plain factors: `mrr * 25 % * period_length()`, `burn *
        1 year / 12`): the period's length makes the period's amount; another time is a level held
        as so much of a flow (receivables as 60 days of revenue, a run-rate) or an amount, and the
        author says which. None where the product is not of that form."""
        factors = _factors(node, 1)
        flows = [(f, e) for f, e in factors if self.kind(f) is FLOW]
        if len(flows) != 1 or flows[0][1] != 1:
            return None
        registry, time = self.units.registry, registry_time(self.units)
        total = registry.Quantity(1.0, self.units.dimensionless)
        for f, e in factors:
            if f is flows[0][0] or f.type.unit is None:
                continue
            if self.kind(f) is BLOCKED:
                return BLOCKED
            dims = f.type.unit.dimensionality
            if isinstance(f, ir.Period) and f.what == "length":
                total = total * registry.Quantity(1.0, self.timeline.step_unit) ** e
            elif written(f):
                value = constant_value(f)
                if value is None:
                    return None
                total = total * registry.Quantity(value, f.type.unit) ** e
            elif dims == time or dims == 1 / time:
                return unknown(f"it {'multiplies' if e > 0 else 'divides'} a flow by a time read from a quantity: "
                               f"a level held as so much of the flow (receivables as days of revenue) or an amount "
                               f"each {self.timeline.kind}?", node)
            elif dims:
                return None  # another unit in the product: judged operand by operand
        if total.dimensionality != time:
            return None
        length = float(total.to(self.timeline.step_unit).magnitude)
        if abs(length - 1.0) < 1e-9:
            self.proofs[id(node)] = self._proof(node, flows[0][0], [(f, e) for f, e in factors if f is not flows[0][0]])
            return AMOUNT
        kind = self.timeline.kind
        return unknown(f"it multiplies a flow by {length:.4g} {kind}s, not by one {kind}: a level held as so "
                       f"much of the flow (receivables as days of revenue, a run-rate) or an amount each {kind}?",
                       node)


    def _proof(self, node, flow, others) -> tuple[str, str | None]:
        """Why a flow times the period's length is an amount, and the text that makes it one."""
        from . import common

        if any(isinstance(f, ir.Period) for f, _ in others) and len(others) == 1:
            return "it multiplies by period_length()", "* period_length()"
        flow_text = common.text(self.s, flow)
        who = f"the flow `{flow_text}`" if flow_text and len(flow_text) <= 30 else "a flow"
        if len(others) == 1:
            f, e = others[0]
            text = common.text(self.s, f)
            text = f"({text})" if isinstance(_bare(f), (ir.Binary, ir.Sum)) else text
            verb, op = ("multiplies", "*") if e > 0 else ("divides", "/")
            return f"it {verb} {who} by `{text}`", f"{op} {text}"
        return f"it multiplies {who} by one {self.timeline.kind} (`{common.text(self.s, node)}`)", None


def registry_time(units):
    return units.registry.parse_units("year").dimensionality


def _factors(node, exponent: int) -> list:
    """The factors of a product or quotient (through conversions and negation), with +1 or -1."""
    while isinstance(node, (ir.Convert, ir.Unary)):
        node = node.operand
    if isinstance(node, ir.Binary) and node.op in ("*", "/") and not written(node):
        return _factors(node.left, exponent) + _factors(node.right, exponent if node.op == "*" else -exponent)
    return [(node, exponent)]


def product(op: str, a: Kind, b: Kind, node) -> Kind:
    """The kind of a * b or a / b where neither turns a flow into a time-free value. Proven: an
    amount scaled by single values (tax = ebt_in_quarter * 21 %), a ratio of levels. A level
    times or over anything else is not: inventory value = units * price is a level, payroll =
    headcount * salary and interest = debt * rate / 12 are amounts, and they read alike."""
    for k in (a, b):
        if k.what in ("blocked", "unknown"):
            return k
    if a is NEUTRAL and b is NEUTRAL:
        return NEUTRAL
    if op == "*" and AMOUNT in (a, b) and NEUTRAL in (a, b) or op == "/" and a is AMOUNT and b is NEUTRAL:
        return AMOUNT
    if op == "/" and a is LEVEL and b is LEVEL:
        return LEVEL
    if AMOUNT in (a, b):
        return unknown("a ratio or product of an amount per period and another value: a ratio of the year's "
                       "parts (rollup ratio), or a level or an amount?" if op == "/" else
                       "a product of an amount per period and another series is neither proven a level nor an "
                       "amount", node)
    return unknown("a level times or over a value is a level (units * price) or an amount each period "
                   "(headcount * salary, debt * rate / 12): they read alike", node)


def combine(kinds: list[Kind], verb: str) -> Kind:
    """The kind of values that are one of several (a sum's operands, if's branches): one kind, or
    ambiguous where a level meets an amount; constants take the others' kind."""
    for k in kinds:
        if k.what in ("blocked", "unknown"):
            return k
    found = {k.what for k in kinds} - {"neutral", "flow"}
    if len(found) > 1:
        return Kind("unknown", f"it {verb} a level and an amount per period", None)
    if found:
        return LEVEL if found == {"level"} else AMOUNT
    return NEUTRAL


def written(node) -> bool:
    """An expression of literals only: it reads no quantity and no period."""
    return all(isinstance(n, (ir.Const, ir.Convert, ir.Unary, ir.Binary, ir.Sum, ir.Func)) for n in ir.walk(node))


def balances(quantities: dict) -> set[str]:
    """The series that carry a value forward from the previous period: `x[t] = x[t-1] + ...` (or
    a decay, `x[t-1] * (1 - churn) + new`), also through a quantity of the same loop (`cash =
    cash_before + draw` with `cash_before = cash[t-1] + flow`), and those intermediate ones."""
    formulas = {name: q for name, q in quantities.items() if q.kind == "formula" and q.series}
    found = {name for name, q in formulas.items() if any(_adds_to(eq.expr, {name}, quantities) for eq in q.equations)}
    # what a balance carries its previous value through (cash = cash_before + draw, cash_before =
    # cash[t-1] + flow): the operand it adds to, followed down; not what it adds or subtracts
    through = set()
    for b in found:
        stack = [eq.expr for eq in formulas[b].equations]
        while stack:
            node = _bare(carried(stack.pop(), {b}, quantities, set()) or ir.Const(0.0, None))
            if isinstance(node, ir.Ref) and node.offset == 0 and node.name in formulas and node.name not in through:
                through.add(node.name)
                stack.extend(eq.expr for eq in formulas[node.name].equations)
    return found | through


def _adds_to(expr, targets: set, quantities: dict) -> bool:
    """`expr` adds something to a target's previous value: x[t-1] + ..., x[t-1] * (1 - churn) +
    new (a balance); not x[t-1] * (1 + g) alone (sales growing: a level or a month's amount?)."""
    if not targets:
        return False
    node = _bare(expr)
    return isinstance(node, ir.Sum) and carried(node, targets, quantities, set()) is not None


def carried(expr, targets: set, quantities: dict, seen: set):
    """The operand of `expr` through which it adds a target's previous value (a lagged read, or a
    same-period read of a quantity that adds it), or None."""
    node = expr
    while isinstance(node, ir.Convert):
        node = node.operand
    if _lagged(node, targets):
        return node
    if isinstance(node, ir.Ref) and node.offset == 0 and node.name not in seen and node.type.series:
        q = quantities.get(node.name)
        if q is not None and q.kind == "formula":
            seen.add(node.name)
            if any(carried(eq.expr, targets, quantities, seen) is not None for eq in q.equations):
                return node
    if isinstance(node, ir.Binary) and node.op == "*":  # a decaying balance: x[t-1] * (1 - churn)
        return next((x for x in (node.left, node.right) if _lagged(_bare(x), targets)), None)
    if isinstance(node, ir.Sum):
        added = [node.first] + [x for op, x in node.rest if op == "+"]
        return next((x for x in added if carried(x, targets, quantities, seen) is not None), None)
    return None


def increments(q: ir.Quantity, quantities: dict) -> list:
    """What a balance adds each period: the operands of its equations besides the carried value."""
    out = []
    for eq in q.equations:
        node = _bare(eq.expr)
        keep = carried(node, {q.name}, quantities, set())
        if keep is None or not isinstance(node, ir.Sum):
            continue
        stack = [x for x in [node.first] + [x for _, x in node.rest] if x is not keep]
        while stack:  # (draw + fee) added as one term: each of its terms
            x = _bare(stack.pop())
            if isinstance(x, ir.Sum):
                stack.extend([x.first] + [y for _, y in x.rest])
            else:
                out.append(x)
    return out


def _bare(node):
    while isinstance(node, (ir.Convert, ir.Unary)):
        node = node.operand
    return node


def _lagged(node, names: set) -> bool:
    """A read of one of `names` in an earlier period."""
    read = node.read()
    return read is not None and read.name in names and read.earlier


def constant_value(node) -> float | None:
    """The value of an expression of literals (1 month, 1 year / 12, 30 day), or None."""
    if isinstance(node, ir.Const):
        return float(node.value)
    if isinstance(node, ir.Convert):
        inner = constant_value(node.operand)
        return None if inner is None else inner * node.factor
    if isinstance(node, ir.Unary):
        inner = constant_value(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ir.Binary) and node.op in ("*", "/"):
        a, b = constant_value(node.left), constant_value(node.right)
        if a is None or b is None or (node.op == "/" and b == 0):
            return None
        return a * b if node.op == "*" else a / b
    return None
