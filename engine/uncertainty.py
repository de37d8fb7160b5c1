"""Uncertain inputs: Monte Carlo over (samples, periods), and property checks with Hypothesis.

simulate (engine/montecarlo.py, imported here): draws every uncertain input (ranges are uniform;
uniform, triangular, normal and lognormal as declared, truncated ones exactly between their
bounds), evaluates the *same* compiled plan as `run` on arrays shaped (samples, periods), one
chunk at a time, and reports percentiles, means and the probability of each check, in memory
that does not grow with the number of samples.

explore (engine/explore.py, imported here): searches the declared bounds (and every scenario)
for inputs that make a check fail, in vectorised evaluations of many points at once, and
shrinks each failure to the boundary nearest the base case.
"""

from __future__ import annotations

from .explore import (STEPS, Exploration, Finding, corners, covering_array,  # noqa: F401 (re-exported)
                      describe_finding, describe_search, explore, shrink, step_value)
from .montecarlo import (MEMORY_BUDGET, Simulation, chunk_size, chunks, evaluate_chunk,  # noqa: F401 (re-exported)
                         simulate, simulation_table, uncertain_inputs)
