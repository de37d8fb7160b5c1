"""`unitsheet check` and Model.check: every check of every scenario asked (with --set values),
and with `explore` the search for inputs that make one fail (engine/explore.py). One report,
as text (what the command prints) or as data (its --format json)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckReport:
    title: str
    outcome: list[tuple[str, list[dict]]]  # (scenario, its checks: name, passed, message)
    explore: int = 0  # examples asked per scenario (0: no search)
    seed: int = 0
    exploration: object = None  # engine/explore.py's Exploration
    path: str | None = None  # the model file as the user named it (for the replay commands)
    model: object = field(default=None, repr=False)

    @property
    def failed(self) -> int:
        return sum(not c["passed"] for _, checks in self.outcome for c in checks)

    @property
    def findings(self) -> list:
        return self.exploration.findings if self.exploration is not None else []

    @property
    def passed(self) -> bool:
        return self.failed == 0 and not self.findings

    def to_dict(self) -> dict:
        data = {"model": self.title, "scenarios": {s: c for s, c in self.outcome}, "passed": self.passed}
        if self.exploration is not None:
            data["explore"] = {"examples": self.explore, "seed": self.seed, "searched": self.exploration.searched,
                               "results": self.exploration.outcomes}
        return data

    def __str__(self) -> str:
        lines = []
        for scenario, checks in self.outcome:
            lines.append(f"{scenario}: {sum(c['passed'] for c in checks)}/{len(checks)} checks pass")
            lines += [f"  FAIL {c['name']}: {c['message']}" for c in checks if not c["passed"]]
        total = sum(len(c) for _, c in self.outcome)
        lines.append(f"{'all checks pass' if self.failed == 0 else f'{self.failed} of {total} checks fail'} "
                     f"({len(self.outcome)} scenario{'s' if len(self.outcome) != 1 else ''})")
        if self.exploration is not None:
            from .explore import describe_finding, describe_search

            lines.append(f"{describe_search(self.exploration.searched)} (seed {self.seed}): "
                         + ("no counterexample" if not self.findings else f"{len(self.findings)} check(s) can fail"))
            lines += [describe_finding(self.model, finding, self.path) for finding in self.findings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # a notebook shows the report as the command prints it
        import html

        return f"<pre>{html.escape(str(self))}</pre>"


def check(model, scenarios: list[str] | None = None, overrides: dict | None = None, explore: int = 0,
          seed: int = 0, path: str | None = None, progress=None) -> CheckReport:
    """progress(done, expected): told of the search's steps (engine/explore.py, engine/progress.py)."""
    from .actuals import overridden

    model, overrides = overridden(model, overrides or {})  # --set revenue.actual_until=...: checked again
    scenarios = scenarios or model.scenarios
    outcome = [(scenario, model.run(scenario, overrides).checks) for scenario in scenarios]
    exploration = None
    if explore:
        from .explore import explore as search

        _searched_not_set(model, overrides)
        exploration = search(model, explore, seed, scenarios, overrides, progress)
    return CheckReport(model.checked().title, outcome, explore, seed, exploration, path, model)


def _searched_not_set(model, overrides: dict) -> None:
    """--explore searches each ranged input's range around its declared base: a --set of one
    would be ignored by the search, so it is refused rather than silently dropped."""
    from .diagnostics import Diagnostic, ModelError
    from .samples import uncertain_inputs

    ranged = {q.name for q in uncertain_inputs(model.checked())}
    for key in overrides:
        if key.partition("[")[0] in ranged or key in ranged:
            raise ModelError([Diagnostic("usage", f"--set {key}: `{key}` has a range that --explore searches; set it "
                                         "without --explore, or give the range you mean in the model", None)])
