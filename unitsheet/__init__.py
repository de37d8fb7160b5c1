"""unitsheet: unit-checked financial models as text.

    import unitsheet
    model = unitsheet.load("models/openai_capex.ush")
    results = model.run(scenario="bear")
    results.values["cash_balance"], results.unit("cash_balance")

The one import name the distribution installs. In the repository the code lives in engine/,
exports/ and grammar/ (this folder links to them); installed, they are unitsheet.engine,
unitsheet.exports and unitsheet.grammar, and no top-level `engine` module is left to collide with
another package of the same name in a user's environment.
"""

from .engine import Model, ModelError, Results, load, loads

__all__ = ["load", "loads", "Model", "Results", "ModelError"]
