"""Effect sizes: how much each condition differs from the reference condition, with its 95% CI.

The effect of a condition on an outcome is the difference between the mean final-year outcome of
its runs and that of the reference condition's runs (the lowest lever values, no shock, or
levers off: the first level of each factor, see :mod:`analysis.design`). Its confidence
interval is Welch's: the two groups may have different variances and sizes, and the degrees of
freedom are Welch–Satterthwaite's. Cohen's d (the difference over the pooled standard deviation)
is given as well. Seeds are treated as independent draws; so are the posterior draws of an
experiment whose model parameters come from a calibration (``experiment.posterior``): a
condition's runs are its draws × seeds, and the interval holds the spread between draws (the
parameters' uncertainty) as well as between seeds. With common random numbers (every draw meets
the same seeds) the runs are not fully independent; the interval is an approximation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis import outcomes as oc
from analysis.design import check_results, prepare
from analysis.errors import AnalysisError

CONF = 0.95
COLUMNS = (
    "outcome",
    "condition",
    "reference",
    "n",
    "n_reference",
    "mean",
    "mean_reference",
    "difference",
    "ci_low",
    "ci_high",
    "df",
    "p_value",
    "cohens_d",
)


def welch(a: Sequence[float], b: Sequence[float], conf: float = CONF) -> dict[str, float]:
    """The difference of means ``mean(a) - mean(b)`` with Welch's confidence interval.

    Args:
        a: the values of one group (e.g. a condition's runs).
        b: the values of the other (e.g. the reference condition's runs).
        conf: the confidence level.

    Returns:
        ``n``, ``n_reference``, ``mean``, ``mean_reference``, ``difference``, ``se``, ``df``,
        ``ci_low``, ``ci_high``, ``p_value`` and ``cohens_d``. With fewer than two runs in a group
        the interval is NaN; with no spread in either group it shrinks to the difference.
    """
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    nx, ny = x.size, y.size
    mx = float(x.mean()) if nx else math.nan
    my = float(y.mean()) if ny else math.nan
    diff = mx - my
    out = {"n": nx, "n_reference": ny, "mean": mx, "mean_reference": my, "difference": diff}
    nan = {
        "se": math.nan,
        "df": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "p_value": math.nan,
        "cohens_d": math.nan,
    }
    if nx < 2 or ny < 2:
        return out | nan
    vx, vy = float(x.var(ddof=1)), float(y.var(ddof=1))
    se2 = vx / nx + vy / ny
    pooled = math.sqrt(((nx - 1) * vx + (ny - 1) * vy) / (nx + ny - 2))
    d = diff / pooled if pooled > 0 else math.nan
    if se2 == 0:
        return out | nan | {"se": 0.0, "ci_low": diff, "ci_high": diff, "cohens_d": d}
    se = math.sqrt(se2)
    df = se2**2 / ((vx / nx) ** 2 / (nx - 1) + (vy / ny) ** 2 / (ny - 1))
    half = float(stats.t.ppf(0.5 + conf / 2, df)) * se
    p = float(2 * stats.t.sf(abs(diff) / se, df))
    return out | {
        "se": se,
        "df": df,
        "ci_low": diff - half,
        "ci_high": diff + half,
        "p_value": p,
        "cohens_d": d,
    }


def stratified(
    pairs: Sequence[tuple[Sequence[float], Sequence[float]]], conf: float = CONF
) -> dict[str, float]:
    """The mean over strata of the difference of means, with a Welch–Satterthwaite interval.

    In a factorial design, the main effect of one lever is the difference averaged over the
    levels of the others, each combination (stratum) weighted equally; the variance is the sum of
    the strata's Welch variances over the number of strata squared, so the other levers' effects
    do not widen the interval. With one stratum this is :func:`welch`.

    Args:
        pairs: for each stratum, (values of the compared group, values of the reference group).
        conf: the confidence level.

    Returns:
        As :func:`welch`, with ``n`` and ``n_reference`` summed over the strata used (those with
        runs in both groups) and ``strata``; Cohen's d is left out (NaN) for several strata.
    """
    parts = [welch(a, b, conf) for a, b in pairs]
    parts = [p for p in parts if p["n"] and p["n_reference"]]
    if len(parts) == 1:
        return parts[0] | {"strata": 1}
    k = len(parts)
    out = {
        "n": sum(p["n"] for p in parts),
        "n_reference": sum(p["n_reference"] for p in parts),
        "mean": float(np.mean([p["mean"] for p in parts])) if parts else math.nan,
        "mean_reference": float(np.mean([p["mean_reference"] for p in parts])) if parts else math.nan,
        "cohens_d": math.nan,
        "strata": k,
    }
    out["difference"] = out["mean"] - out["mean_reference"]
    ses = [p["se"] for p in parts]
    if not parts or not all(math.isfinite(se) for se in ses):
        return out | {
            "se": math.nan,
            "df": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
        }
    se2 = sum(se**2 for se in ses) / k**2
    if se2 == 0:
        return out | {
            "se": 0.0,
            "df": math.nan,
            "ci_low": out["difference"],
            "ci_high": out["difference"],
            "p_value": math.nan,
        }
    df = (k**2 * se2) ** 2 / sum(se**4 / p["df"] for se, p in zip(ses, parts, strict=True) if se > 0)
    se = math.sqrt(se2)
    half = float(stats.t.ppf(0.5 + conf / 2, df)) * se
    p = float(2 * stats.t.sf(abs(out["difference"]) / se, df))
    return out | {
        "se": se,
        "df": df,
        "ci_low": out["difference"] - half,
        "ci_high": out["difference"] + half,
        "p_value": p,
    }


def _groups(results: pd.DataFrame, by: str | None) -> tuple[pd.DataFrame, str, list]:
    """The table, the grouping column and its levels in order (reference first)."""
    if by is None:
        if "condition" not in results.columns:
            results, _ = prepare(results)
        by = "condition"
    if by not in results.columns:
        raise AnalysisError(f"results table: missing column {by!r} to compare conditions by")
    col = results[by]
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [c for c in col.cat.categories if (col == c).any()]
    else:
        values = col.dropna().unique().tolist()
        try:
            levels = sorted(values)
        except TypeError:
            levels = sorted(values, key=str)
    return results, by, levels


def effect_table(
    results: pd.DataFrame,
    outcomes: Sequence[str] | None = None,
    by: str | None = None,
    reference: object | None = None,
    conf: float = CONF,
) -> pd.DataFrame:
    """The effect of each condition on each outcome, against a reference condition.

    Args:
        results: one row per run (``results.parquet``), prepared or not.
        outcomes: outcome columns (default: the key outcomes present in the table).
        by: the column whose values are the conditions (default: the sweep's conditions, from
            :func:`analysis.design.prepare`), e.g. ``"policy.joint_indicators"``.
        reference: the reference value of ``by`` (default: its first level: the lowest number,
            false, no shock, or levers off).
        conf: the confidence level of the intervals.

    Returns:
        One row per outcome and non-reference condition, with the columns of :data:`COLUMNS`
        (differences in the outcome's own units: shares as fractions).

    Raises:
        AnalysisError: if the table is empty, lacks an outcome or the ``by`` column, or has a
            single condition.
    """
    check_results(results)
    outcomes = (
        list(outcomes) if outcomes is not None else [o for o in oc.KEY_OUTCOMES if o in results.columns]
    )
    if not outcomes:
        raise AnalysisError("results table: none of the key outcomes is in it")
    for name in outcomes:
        if name not in results.columns:
            raise AnalysisError(f"results table: missing column {name!r}")
    table, by, levels = _groups(results, by)
    if len(levels) < 2:
        raise AnalysisError(
            f"results table: one condition only ({by} = {levels[0] if levels else '–'}), nothing to compare"
        )
    ref = levels[0] if reference is None else reference
    if ref not in levels:
        raise AnalysisError(f"results table: reference {ref!r} is not a value of {by!r}")
    rows = []
    for name in outcomes:
        base = pd.to_numeric(table.loc[table[by] == ref, name], errors="coerce")
        for level in levels:
            if level == ref:
                continue
            values = pd.to_numeric(table.loc[table[by] == level, name], errors="coerce")
            stats_ = welch(values, base, conf)
            rows.append({"outcome": name, "condition": str(level), "reference": str(ref)} | stats_)
    return pd.DataFrame(rows, columns=[*COLUMNS, "se"]).drop(columns="se")


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a GitHub-flavoured Markdown table (cells as given, ``|`` escaped)."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """The effect table for reading: one row per condition, one column per outcome.

    Each cell is the difference from the reference and its 95% CI, in display units (differences in
    shares in percentage points).
    """
    rows: dict[str, dict[str, str]] = {}
    for r in table.itertuples(index=False):
        row = rows.setdefault(r.condition, {"condition": r.condition, "runs": f"{r.n} vs {r.n_reference}"})
        diff, lo, hi = oc.fmt_diffs(r.outcome, r.difference, r.ci_low, r.ci_high, sign=True)
        head = oc.label(r.outcome) + (f" ({oc.diff_unit(r.outcome)})" if oc.diff_unit(r.outcome) else "")
        row[head] = f"{diff} ({lo} to {hi})" if math.isfinite(r.ci_low) else diff
    return pd.DataFrame(list(rows.values()))


def effect_markdown(table: pd.DataFrame) -> str:
    """The effect table as Markdown, formatted for reading (see :func:`wide`)."""
    if table.empty:
        return "_No effects to show._"
    return markdown_table(wide(table))


def caption(table: pd.DataFrame, runs: str = "seeds") -> str:
    """What the effect table shows, in two sentences.

    Args:
        table: the effect table (:func:`effect_table`).
        runs: what a condition's runs are: ``seeds``, or ``posterior draws × seeds``.
    """
    ref = table["reference"].iloc[0] if not table.empty else "the reference"
    return (
        f"Each cell: the difference of the condition's mean final-year outcome from the reference "
        f"condition's ({ref}), with Welch's 95% confidence interval in brackets; runs are the {runs} in "
        "the condition and in the reference. Differences in shares are in percentage points."
    )
