"""Run one configuration to its end.

This is the function boundary between the model and everything that drives it (the command line,
sweeps, the sensitivity design, the app's batch mode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from sim.config import Config
from sim.model import PartnershipModel
from sim.observe import summarise


def run_model(
    config: Config | dict | None = None,
    rng: Any = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Run the model for ``config.run.weeks`` weeks.

    Args:
        config: a Config, a nested dict of overrides, or None for the defaults.
        rng: seed or numpy Generator; defaults to ``config.run.seed``.
        progress: optional callback called with the week number after each week.

    Returns:
        ``(timeseries, summary)``: one row per week, and the final-year summary dict (which also
        holds ``journey`` when a user is traced).
    """
    model = PartnershipModel(config, rng=rng)
    for week in range(model.config.run.weeks):
        model.step()
        if progress is not None:
            progress(week)
    table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    summary = summarise(model, table)
    if isinstance(rng, int):
        summary["seed"] = rng
    elif rng is not None:
        summary["seed"] = None  # a Generator was passed: its state, not a seed, defines the run
    summary["journey"] = model.journey
    return table, summary
