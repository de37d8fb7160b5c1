"""unitsheet: unit-checked financial models as text.

    import unitsheet
    model = unitsheet.load("models/openai_capex.ush")
    results = model.run(scenario="bear")
    results.values["cash_balance"], results.unit("cash_balance")
"""

from .diagnostics import ModelError
from .model import Model, Results, load, loads

__all__ = ["load", "loads", "Model", "Results", "ModelError"]
