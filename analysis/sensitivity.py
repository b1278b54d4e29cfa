"""Global sensitivity: Sobol indices and Morris elementary effects of the sampled experiments.

A sampled experiment (``experiment.design`` ``sobol`` or ``morris``) runs the rows of a SALib
design, row ``k`` in the run with ``experiment.sample = k``. The outputs are put back in design
order and analysed with SALib: :func:`sobol_indices` gives first-order (S1) and total (ST)
indices with bootstrap confidence intervals, :func:`morris_indices` gives μ* (with its bootstrap
interval) and σ.

Runs can be missing (a failed or unfinished job). Saltelli's scheme (``calc_second_order=False``)
lays the design out in blocks of D + 2 rows (A, the D mixed rows, B) and Morris in trajectories
of D + 1 rows; each block or trajectory is an independent estimate, so an incomplete one is left
out and the indices come from the complete ones. Which were left out is said in the table's
``attrs["note"]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError

CONF = 0.95
RESAMPLES = 1000
SEED = 12345  # the bootstrap's seed: a report gives the same intervals every time


def problem(levers: dict[str, Sequence[float]]) -> dict:
    """The SALib problem for levers with [low, high] bounds."""
    if not levers:
        raise AnalysisError("sensitivity analysis needs the levers of the design and their bounds")
    from runner.experiment import salib_problem

    return salib_problem(levers)


def _complete(results: pd.DataFrame, size: int, expected: int | None, what: str) -> tuple[pd.DataFrame, str]:
    """The runs of complete blocks of ``size`` consecutive samples, in sample order, and a note."""
    if "sample" not in results.columns:
        raise AnalysisError("results table: missing column 'sample' (the row of the design each run took)")
    samples = pd.to_numeric(results["sample"], errors="coerce")
    if samples.isna().any() or (samples < 0).any():
        raise AnalysisError("results table: some runs are not rows of a sampled design (sample < 0)")
    table = results.assign(sample=samples.astype(int)).drop_duplicates("sample").sort_values("sample")
    present = set(table["sample"])
    blocks = (expected // size) if expected else (max(present) // size + 1)
    complete = [b for b in range(blocks) if all(b * size + i in present for i in range(size))]
    if not complete:
        raise AnalysisError(
            f"no complete {what} of {size} runs in the results ({len(present)} runs): nothing to analyse"
        )
    keep = {b * size + i for b in complete for i in range(size)}
    missing = sorted(set(range(blocks * size)) - present)
    note = ""
    if missing:
        shown = ", ".join(str(m) for m in missing[:10]) + (", ..." if len(missing) > 10 else "")
        note = (
            f"{len(missing)} of {blocks * size} design runs missing (samples {shown}): "
            f"{len(complete)} of {blocks} {what}s complete and analysed."
        )
    return table[table["sample"].isin(keep)], note


def _outputs(table: pd.DataFrame, outcomes: Sequence[str]) -> None:
    for name in outcomes:
        if name not in table.columns:
            raise AnalysisError(f"results table: missing column {name!r}")
        if not np.isfinite(pd.to_numeric(table[name], errors="coerce")).all():
            raise AnalysisError(f"results table: column {name!r} has missing or non-numeric values")


def sobol_indices(
    results: pd.DataFrame,
    outcomes: Sequence[str],
    levers: dict[str, Sequence[float]],
    n: int | None = None,
    *,
    conf: float = CONF,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> pd.DataFrame:
    """First-order and total Sobol indices of each lever for each outcome.

    Args:
        results: one row per run, with ``sample`` (the row of the Saltelli design the run took,
            generated with ``calc_second_order=False``) and the outcome columns.
        outcomes: the outcome columns to analyse.
        levers: the design's levers with their bounds, in design order.
        n: the design's base sample size (to tell which blocks are missing at the end).
        conf: the confidence level of the bootstrap intervals.
        resamples: bootstrap resamples.
        seed: the bootstrap's seed.

    Returns:
        One row per outcome and lever: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (the ``_conf``
        columns are half-widths of the interval), ``n_blocks``; ``attrs["note"]`` says which runs
        were missing.
    """
    from SALib.analyze import sobol

    prob = problem(levers)
    size = prob["num_vars"] + 2
    table, note = _complete(results, size, n * size if n else None, "block")
    _outputs(table, outcomes)
    rows = []
    for name in outcomes:
        y = table[name].to_numpy(dtype=float)
        if np.ptp(y) == 0:
            s = {
                "S1": np.full(size - 2, np.nan),
                "S1_conf": np.full(size - 2, np.nan),
                "ST": np.full(size - 2, np.nan),
                "ST_conf": np.full(size - 2, np.nan),
            }
        else:
            s = sobol.analyze(
                prob, y, calc_second_order=False, num_resamples=resamples, conf_level=conf, seed=seed
            )
        for i, lever in enumerate(prob["names"]):
            rows.append(
                {
                    "outcome": name,
                    "lever": lever,
                    "S1": float(s["S1"][i]),
                    "S1_conf": float(s["S1_conf"][i]),
                    "ST": float(s["ST"][i]),
                    "ST_conf": float(s["ST_conf"][i]),
                    "n_blocks": len(y) // size,
                }
            )
    out = pd.DataFrame(rows)
    out.attrs["note"] = note
    return out


def morris_indices(
    results: pd.DataFrame,
    outcomes: Sequence[str],
    levers: dict[str, Sequence[float]],
    X: np.ndarray | None = None,
    n: int | None = None,
    *,
    num_levels: int = 4,
    conf: float = CONF,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> pd.DataFrame:
    """Morris μ*, its bootstrap interval, μ and σ of each lever for each outcome.

    Args:
        results: one row per run, with ``sample`` (the row of the Morris design) and the outcomes.
        outcomes: the outcome columns to analyse.
        levers: the design's levers with their bounds, in design order.
        X: the whole design (one row per sample); by default the lever values are read from the
            table's columns ``policy.LEVER`` (or ``LEVER``).
        n: the number of trajectories (to tell which are missing at the end).
        num_levels: the design's number of grid levels.
        conf: the confidence level of the bootstrap interval of μ*.
        resamples: bootstrap resamples.
        seed: the bootstrap's seed.

    Returns:
        One row per outcome and lever: ``mu_star``, ``mu_star_conf`` (half-width), ``mu``,
        ``sigma``, ``n_trajectories``; ``attrs["note"]`` says which runs were missing.
    """
    from SALib.analyze import morris

    prob = problem(levers)
    size = prob["num_vars"] + 1
    table, note = _complete(results, size, n * size if n else None, "trajectory")
    _outputs(table, outcomes)
    samples = table["sample"].to_numpy()
    if X is not None:
        X = np.asarray(X, dtype=float)
        if X.shape[1] != prob["num_vars"] or samples.max() >= X.shape[0]:
            raise AnalysisError(
                f"design matrix of shape {X.shape} does not fit {prob['num_vars']} levers and the samples"
            )
        x = X[samples]
    else:
        cols = []
        for lever in prob["names"]:
            col = next((c for c in (f"policy.{lever}", lever) if c in table.columns), None)
            if col is None:
                raise AnalysisError(f"results table: missing column 'policy.{lever}' (a lever of the design)")
            cols.append(col)
        x = table[cols].to_numpy(dtype=float)
    rows = []
    for name in outcomes:
        y = table[name].to_numpy(dtype=float)
        s = morris.analyze(
            prob, x, y, num_resamples=resamples, conf_level=conf, num_levels=num_levels, seed=seed
        )
        for i, lever in enumerate(prob["names"]):
            rows.append(
                {
                    "outcome": name,
                    "lever": lever,
                    "mu_star": float(s["mu_star"][i]),
                    "mu_star_conf": float(s["mu_star_conf"][i]),
                    "mu": float(s["mu"][i]),
                    "sigma": float(s["sigma"][i]),
                    "n_trajectories": len(y) // size,
                }
            )
    out = pd.DataFrame(rows)
    out.attrs["note"] = note
    return out


def design_of(experiment, results: pd.DataFrame) -> np.ndarray:
    """The experiment's sampled design, regenerated as each job generated it, checked against the runs.

    Args:
        experiment: an :class:`analysis.design.Experiment` with ``design``, ``design_n``,
            ``levers`` and ``base_seed``.
        results: the runs, whose ``policy.*`` lever values must match their design rows (whole
            number levers were rounded by the model).

    Returns:
        The design matrix, one row per sample.
    """
    from runner.experiment import design_matrix

    X = design_matrix(experiment.design, experiment.design_n, experiment.levers, experiment.base_seed)
    samples = pd.to_numeric(results["sample"], errors="coerce").astype(int).to_numpy()
    if samples.max() >= X.shape[0]:
        raise AnalysisError(f"results have sample {samples.max()} but the design has {X.shape[0]} rows")
    for j, lever in enumerate(experiment.levers):
        col = f"policy.{lever}"
        if col in results.columns:
            ran = pd.to_numeric(results[col], errors="coerce").to_numpy(dtype=float)
            if not np.all(np.abs(ran - X[samples, j]) <= 0.5 + 1e-9):
                raise AnalysisError(
                    f"the runs' {col} values do not match the design regenerated from experiment.levers "
                    "and base_seed (a different design?)"
                )
    return X


def ranked(table: pd.DataFrame, outcome: str, by: str) -> pd.DataFrame:
    """The rows of one outcome, most important lever first (by column ``by``)."""
    return table[table["outcome"] == outcome].sort_values(by, ascending=False, na_position="last")
