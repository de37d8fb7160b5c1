"""Unit algebra at compile time, on pint.

pint is slow per operation (microseconds), so everything here is memoised by unit, and nothing
here runs during evaluation: the checker asks for dimensions and conversion factors once, and
the evaluators multiply plain floats by those factors.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

import pint

SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
SCALE_BY_POWER = {v: k for k, v in SCALES.items()}

# pint's string parser evaluates arithmetic; unit text from a model is checked against this
# pattern first, so only names, *, / and integer powers ever reach it.
_SAFE_UNIT = re.compile(r"^(%|[A-Za-z_][A-Za-z0-9_]*(\^-?[0-9]+)?([*/][A-Za-z_][A-Za-z0-9_]*(\^-?[0-9]+)?)*)$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UnitError(Exception):
    """A unit text that does not name a unit; `hint` suggests a fix."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


# The length of a year in days, by the model's `daycount` header (docs/language.md "Day count"):
# finance counts 365 (DSO = receivables / revenue x 365 days; 8,760 hours in a year; Excel's XNPV
# and XIRR divide days by 365); pint's own year is the Julian 365.25 days. A month is a twelfth of
# the year and a quarter three months, under either.
DAYCOUNTS = {"365": 365, "365.25": 365.25}
DEFAULT_DAYCOUNT = "365"


def _base_registry_definitions(daycount: str) -> list[str]:
    # pint's `quarter` is a quarter of a hundredweight (a mass); in a financial model it is three
    # months. Unit text spells it `quarter` and is read as this unit (see _QUARTER).
    return [f"year = {DAYCOUNTS[daycount]!r} * day = a = yr = julian_year",
            "USD = [currency] = usd", "quarter_year = 3 * month"]


_QUARTER = re.compile(r"\bquarters?\b")


@lru_cache(maxsize=16)
def _registry(user_definitions: tuple[str, ...], daycount: str) -> pint.UnitRegistry:
    # on_redefinition: the year is redefined on purpose (DAYCOUNTS); a model's own `unit`
    # statements cannot redefine anything (engine/check/header.py refuses a known name first).
    registry = pint.UnitRegistry(cache_folder=":auto:", autoconvert_offset_to_baseunit=False,
                                 on_redefinition="ignore")
    for definition in _base_registry_definitions(daycount) + list(user_definitions):
        registry.define(definition)
    return registry


@lru_cache(maxsize=16)
def shared_unit_system(user_definitions: tuple[str, ...] = (), daycount: str = DEFAULT_DAYCOUNT) -> "UnitSystem":
    """One UnitSystem per set of definitions, kept: its caches (a product's simplified unit costs
    pint milliseconds) then serve every model, scenario and editor version with the same units.
    Sound because a UnitSystem never changes once made (only its caches fill)."""
    return UnitSystem(user_definitions, daycount)


class UnitSystem:
    """One model's units: pint's, plus USD and the model's own `unit` statements, with a year of
    the model's day count (365 days unless its header says `daycount 365.25`)."""

    def __init__(self, user_definitions: tuple[str, ...] = (), daycount: str = DEFAULT_DAYCOUNT):
        self.daycount = daycount
        self.year_days = DAYCOUNTS[daycount]
        self.registry = _registry(tuple(user_definitions), daycount)
        self.dimensionless = self.registry.dimensionless
        self.percent = self.registry.percent
        self.short = lru_cache(maxsize=None)(self._short_uncached)
        self._parse = lru_cache(maxsize=None)(self._parse_uncached)
        self._factor = lru_cache(maxsize=None)(self._factor_uncached)
        self._simplify = lru_cache(maxsize=None)(self._simplify_uncached)
        self._mul = lru_cache(maxsize=None)(lambda a, b: a * b)
        self._div = lru_cache(maxsize=None)(lambda a, b: a / b)
        self._same_dimension = lru_cache(maxsize=None)(lambda a, b: a.dimensionality == b.dimensionality)

    # ---------------------------------------------------------------- parsing unit text
    def parse(self, text: str) -> pint.Unit:
        return self._parse(text)

    def _parse_uncached(self, text: str) -> pint.Unit:
        text = _QUARTER.sub("quarter_year", text)
        if text.startswith("%") and len(text) > 1:  # 8 %/year
            text = "percent" + text[1:]
        if text in ("%", "percent"):
            return self.registry.percent
        if text in ("1", "dimensionless"):
            return self.dimensionless
        if not _SAFE_UNIT.match(text):
            raise UnitError(f"`{text}` is not a unit", "write units as names joined by * and /, e.g. USD/year")
        for name in _NAME.findall(text):
            if name in SCALES:
                raise UnitError(f"`{name}` is a scale word, not a unit",
                                f"put it before the unit: {name} USD")
            if not self.is_unit_name(name):
                raise UnitError(f"unknown unit `{name}`", self._suggest(name))
        try:
            return self.registry.parse_units(text.replace("^", "**"))
        except Exception as err:  # pint raises several kinds; all mean "not a unit"
            raise UnitError(f"`{text}` is not a unit ({type(err).__name__})") from None

    def is_unit_name(self, name: str) -> bool:
        if name in SCALES:
            return False
        try:
            return bool(self.registry.parse_unit_name(name))
        except Exception:
            return False

    def _suggest(self, name: str) -> str | None:
        lowered = name.lower()
        known = {"usd": "USD", "gw": "GW", "mw": "MW", "kw": "kW", "tw": "TW", "yr": "year", "years": "year",
                 "dollar": "USD", "dollars": "USD", "eur": None, "b": None, "bn": None}
        if lowered in ("b", "bn", "md", "mds"):
            return "write billions as a scale word: 13 billion USD (`B` would be a byte)"
        if lowered in known and known[lowered]:
            return f"did you mean `{known[lowered]}`?"
        if lowered in ("eur", "gbp", "jpy", "chf", "cny"):
            return f"declare the currency first: unit {name.upper()}   (a new dimension; convert with an input rate)"
        import difflib

        close = difflib.get_close_matches(name, self._unit_names(), n=1, cutoff=0.75)
        if close:
            return f"did you mean `{close[0]}`?"
        return "declare it with `unit NAME` if it is a new dimension of your own"

    @lru_cache(maxsize=1)
    def _unit_names(self) -> list[str]:
        return [n for n in self.registry._units if not n.startswith("_")] + ["USD"]

    # ---------------------------------------------------------------- algebra
    def same_dimension(self, a: pint.Unit, b: pint.Unit) -> bool:
        return a is b or self._same_dimension(a, b)

    @staticmethod
    def equal(a: pint.Unit, b: pint.Unit) -> bool:
        """a == b, without pint's comparison when both are the same (memoised) object."""
        return a is b or a == b

    def is_dimensionless(self, unit: pint.Unit) -> bool:
        return not unit.dimensionality

    def mul(self, a: pint.Unit, b: pint.Unit) -> pint.Unit:
        return self._mul(a, b)

    def div(self, a: pint.Unit, b: pint.Unit) -> pint.Unit:
        return self._div(a, b)

    def power(self, a: pint.Unit, n: int) -> pint.Unit:
        return a**n if n != 0 else self.dimensionless

    def root(self, a: pint.Unit) -> pint.Unit:
        """The square root of a unit whose powers are even (m^2 -> m; the checker refuses others)."""
        out = self.dimensionless
        for name, exponent in a._units.items():
            out = out * self.registry.Unit(name) ** int(exponent // 2)
        return out

    def factor(self, source: pint.Unit, target: pint.Unit) -> float:
        """The number to multiply a magnitude in `source` by to express it in `target`."""
        return self._factor(source, target)

    def _factor_uncached(self, source, target) -> float:
        if source == target:
            return 1.0
        return float(self.registry.Quantity(1.0, source).to(target).magnitude)

    def simplify(self, unit: pint.Unit) -> tuple[float, pint.Unit]:
        """A tidy unit for a computed product: same-dimension units merged (MW/GW -> 0.001),
        dimensionless ones folded into the factor (percent -> 0.01). Returns (factor, unit)."""
        return self._simplify(unit)

    def _simplify_uncached(self, unit):
        registry = self.registry
        if unit == registry.percent:  # 2 * 10 % stays 20 %
            return 1.0, unit
        factor, kept = self._reduce(1.0, unit)
        # A unit over another that differs from it by a time (MW over MWh) is that time: MW * USD/MWh
        # is USD/hour, a flow of money, not "MW*USD/megawatt_hour".
        while (pair := self._time_pair(kept)) is not None:
            (above, below), time = pair
            ratio = registry.Unit(above) / registry.Unit(below)
            step = float(registry.Quantity(1.0, ratio).to(time).magnitude)
            factor, kept = self._reduce(factor * step, kept / ratio * time)
        return factor, kept

    def _reduce(self, factor: float, unit):
        """Same-dimension units merged (MW/GW -> 0.001), dimensionless ones folded into the factor."""
        registry = self.registry
        q = registry.Quantity(factor, unit).to_reduced_units()
        factor, kept = float(q.magnitude), registry.Unit("")
        for name, exponent in q.units._units.items():
            part = registry.Unit(name)
            if not part.dimensionality:
                factor *= float(registry.Quantity(1.0, part).to("dimensionless").magnitude) ** exponent
            else:
                kept = kept * part**exponent
        return factor, kept

    def _time_pair(self, unit):
        """((unit above the line, unit below it), the time they make) for the first two units of
        `unit` whose ratio is a time or one over a time (MW, MWh -> 1/hour); None if none."""
        time = self.registry.parse_units("year").dimensionality
        names = list(unit._units.items())
        for above, a in names:
            for below, b in names:
                if a <= 0 or b >= 0:
                    continue
                dims = self.registry.parse_units(above).dimensionality / self.registry.parse_units(below).dimensionality
                if dims == time or dims == 1 / time:
                    return (above, below), self._nearest_time(above, below, dims == time)
        return None

    def _nearest_time(self, above: str, below: str, positive: bool):
        """The time unit that makes their ratio a round number (MW/MWh: exactly 1/hour)."""
        ratio = self.registry.Unit(above) / self.registry.Unit(below)
        candidates = [self.registry.Unit(t) for t in ("hour", "day", "year", "month", "minute", "second")]
        candidates = [c if positive else 1 / c for c in candidates]
        for c in candidates:
            step = float(self.registry.Quantity(1.0, ratio).to(c).magnitude)
            if abs(step - round(step)) < 1e-9 and round(step) >= 1:
                return c
        return candidates[0]

    def is_flow(self, unit) -> bool:
        """A rate per time, decided from the unit as simplified (one place for every function and
        rule): a time unit below the line, written (USD/year) or made by the algebra (MW *
        USD/MWh is USD/hour). GW is energy per time to pint but a capacity to a modeller: a flow
        needs a time unit below the line, not a time in its dimensions."""
        if unit is None:
            return False
        return self._is_flow(unit)

    @lru_cache(maxsize=None)
    def _is_flow(self, unit) -> bool:
        time = self.registry.parse_units("year").dimensionality
        simple = self.simplify(unit)[1]
        return any(exponent < 0 and self.registry.parse_units(name).dimensionality == time
                   for name, exponent in simple._units.items())

    def describe(self, dims) -> str:
        """Plain words for a dimension: 'money per time' for USD/year, 'power' for GW, 'money x
        time' for USD*year, 'per time' for 1/year."""
        if not dims:
            return "a plain number"
        names = self._dimension_names()
        if dims in names:
            return names[dims]
        for a, first in names.items():
            if dims == 1 / a:
                return f"per {first}"
            for b, second in names.items():
                if dims == a / b:
                    return f"{first} per {second}"
                if dims == a * b:
                    return f"{first} x {second}"
        parts = []  # the base dimensions, in words
        for base, exponent in sorted(dims.items(), key=lambda kv: -kv[1]):
            word = _BASE_WORDS.get(base, base.strip("[]"))
            power = abs(exponent)
            text = word if power == 1 else f"{word}^{power:g}"
            parts.append(("/ " if exponent < 0 else "x ") + text)
        return " ".join(parts)[2:].replace("x / ", "/ ") if parts[0].startswith("x ") else "per " + " ".join(parts)[2:]

    @lru_cache(maxsize=1)
    def _dimension_names(self) -> dict:
        r = self.registry
        table = [("USD", "money"), ("year", "time"), ("watt", "power"), ("joule", "energy"), ("meter", "length"),
                 ("kilogram", "mass"), ("meter**2", "area"), ("byte", "information")]
        found = {}
        for unit, name in table:
            dims = r.parse_units(unit).dimensionality
            if dims and dims not in found:  # pint counts a byte as a plain number: no name for that
                found[dims] = name
        return found

    # ---------------------------------------------------------------- text
    def text(self, unit: pint.Unit) -> str:
        """pint-parsable long form, as the JSON contract wants: 'USD / year', 'gigawatt'."""
        if not unit.dimensionality and unit == self.dimensionless:
            return "dimensionless"
        return str(unit).replace("quarter_year", "quarter")

    def _short_uncached(self, unit: pint.Unit) -> str:
        """Compact form for tables: 'USD/year', 'GW', '%' (as self.short, memoised)."""
        if unit == self.dimensionless:
            return ""
        if unit == self.percent:
            return "%"
        parts_num, parts_den = [], []
        for name, exponent in unit._units.items():
            sym = _SHORT.get(name, name)
            target = parts_num if exponent > 0 else parts_den
            e = abs(exponent)
            target.append(sym if e == 1 else f"{sym}^{int(e) if float(e).is_integer() else e}")
        num = "*".join(parts_num) or "1"
        return num + ("/" + "/".join(parts_den) if parts_den else "")


_BASE_WORDS = {"[currency]": "money", "[time]": "time", "[length]": "length", "[mass]": "mass",
               "[temperature]": "temperature", "[information]": "information", "[current]": "current"}

_SHORT = {"gigawatt": "GW", "megawatt": "MW", "kilowatt": "kW", "terawatt": "TW", "watt": "W",
          "gigawatt_hour": "GWh", "megawatt_hour": "MWh", "kilowatt_hour": "kWh", "terawatt_hour": "TWh",
          "watt_hour": "Wh", "percent": "%", "year": "year", "month": "month", "day": "day",
          "quarter_year": "quarter"}


def scaled(number: float, scale: str | None) -> float:
    """13 billion -> 13e9, exactly (via decimal, so 1.4 trillion is 1.4e12 and not 1399999999999.9998)."""
    if scale is None:
        return number
    return float(Decimal(repr(number)) * SCALES[scale])
