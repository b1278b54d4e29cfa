"""Analysing a sweep from Python: the report's figures and tables, called on DataFrames.

Every figure and table of ``partnersim-report`` is a function of a DataFrame, so a notebook can use
them on any results table, filtered or combined as it likes. This file is a script in the "percent"
format: run it as ``python -m analysis.example [SWEEP_DIR]``, or open it in Jupyter (with jupytext)
or VS Code, where each ``# %%`` block is a cell. It uses the smoke run of ``joint_indicators`` (run
it first: ``partnersim -m experiment=joint_indicators_smoke``), or the sweep folder it is given,
and writes its figures into ``SWEEP_DIR/example/``.
"""

# %%
import sys
from pathlib import Path

from analysis import effects, figures, hypotheses, style
from analysis.design import attach, prepare
from analysis.load import load

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("multirun/joint_indicators_smoke")
out = folder / "example"
out.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# `load` reads `results.parquet` and `timeseries.parquet` (collecting the sweep first if needed) and the
# experiment's question, hypothesis and design. `prepare` finds the levers the sweep varies and labels
# each run's condition.

# %%
sweep = load(folder)
results, factors = prepare(sweep.results, sweep.experiment)
print(sweep.experiment.question)
print([f.name for f in factors], list(results["condition"].cat.categories))

# %% [markdown]
# Effect sizes: each condition against the reference (the lowest lever value), with Welch's 95% CI.
# `by` can be any column, e.g. a lever, on the raw results table too.

# %%
table = effects.effect_table(results, ["readmission_rate", "mean_loyalty", "unmet_need"])
print(effects.effect_markdown(table))
by_lever = effects.effect_table(sweep.results, ["mean_loyalty"], by="policy.joint_indicators")
print(by_lever[["condition", "difference", "ci_low", "ci_high"]])

# %% [markdown]
# Figures return a matplotlib `Figure` (displayed by a notebook); `style.save` writes PNG and SVG.

# %%
fig = figures.dose_response(results, "policy.joint_indicators", ["readmission_rate", "mean_loyalty"],
                            title="Joint indicators: readmissions and loyalty")  # fmt: skip
style.save(fig, out / "dose_response")

weekly = attach(sweep.timeseries, results, factors)
fig = figures.timeseries(weekly, ["mean_loyalty", "readmission_rate", "unmet_need"], title="Week by week")
style.save(fig, out / "timeseries")

# %% [markdown]
# The hypothesis, claim by claim.

# %%
for verdict in hypotheses.evaluate(sweep.experiment, results, factors, sweep.timeseries):
    print("-", verdict.sentence)
print(f"figures written to {out}")
