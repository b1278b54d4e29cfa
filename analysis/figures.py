"""The figures of a report, each a function of a DataFrame that returns a matplotlib Figure.

Every function works in a notebook as well as in :mod:`analysis.report`: pass a results table
(``results.parquet``, one row per run) or a weekly table (``timeseries.parquet``), get a
:class:`~matplotlib.figure.Figure`, and write it with :func:`analysis.style.save` (PNG and SVG).
The look (palette, fonts, sizes) comes from :mod:`analysis.style` only.

Intervals are 95% confidence intervals of the mean across seeds (Student's t with n − 1 degrees of
freedom), cut at the lowest value the outcome can take; they are left out where a condition has a
single run. Shares are shown in per cent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats

from analysis import outcomes as oc
from analysis import style
from analysis.design import fmt_level, shock_weeks
from analysis.errors import AnalysisError

CONF = 0.95


def mean_ci(values: Sequence[float] | pd.Series, conf: float = CONF) -> tuple[float, float, float, int]:
    """Mean, lower and upper bounds of its t confidence interval, and n (finite values only)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, n
    half = float(stats.t.ppf(0.5 + conf / 2, n - 1)) * float(x.std(ddof=1)) / math.sqrt(n)
    return m, m - half, m + half, n


def weekly_mean_ci(runs: pd.DataFrame, outcomes: Sequence[str], conf: float = CONF) -> pd.DataFrame:
    """Week by week, the mean of each outcome across runs and its t confidence interval.

    Returns:
        One row per week; columns ``(outcome, "mean" | "low" | "high" | "n")``.
    """
    g = runs.groupby("week")[list(outcomes)]
    mean, sd, n = g.mean(), g.std(ddof=1), g.count()
    t = pd.DataFrame(stats.t.ppf(0.5 + conf / 2, (n - 1).where(n > 1)), index=n.index, columns=n.columns)
    half = t * sd / np.sqrt(n)
    return pd.concat({"mean": mean, "low": mean - half, "high": mean + half, "n": n}, axis=1).swaplevel(
        0, 1, axis=1
    )


def _need(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise AnalysisError(f"{what}: expected a pandas DataFrame, got {type(table).__name__}")
    if table.empty:
        raise AnalysisError(f"{what}: the table is empty")
    for col in columns:
        if col not in table.columns:
            raise AnalysisError(f"{what}: missing column {col!r}")


def _levels(column: pd.Series) -> list:
    """The values of a column in order: its categories if categorical, else sorted."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [c for c in column.cat.categories if (column == c).any()]
    values = column.dropna().unique().tolist()
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _styles(levels: list, column: pd.Series, styles: Mapping | None) -> dict:
    if styles is not None:
        return dict(styles)
    return dict(
        zip(levels, style.condition_styles([(lv,) for lv in levels], [_is_numeric(column)]), strict=True)
    )


def _level_label(by: str, value: object) -> str:
    if by == "condition" or isinstance(value, str):
        return str(value)
    return f"{by.removeprefix('policy.').removeprefix('model.')} = {fmt_level(value)}"


def _hide_unused(axes: np.ndarray, used: int) -> None:
    for ax in axes.flat[used:]:
        ax.set_visible(False)


def _legend_below(fig: Figure, handles: list, labels: list, title: str | None = None) -> None:
    if not handles:
        return
    ncol = min(len(handles), 4 if max(len(lb) for lb in labels) < 30 else 2)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, title=title, frameon=False)


@style.uses_style
def timeseries(
    timeseries: pd.DataFrame,
    outcomes: Sequence[str],
    by: str | None = "condition",
    *,
    title: str | None = None,
    styles: Mapping | None = None,
    legend: Sequence[tuple[str, dict]] | None = None,
    ncols: int = 3,
) -> Figure:
    """Each outcome week by week: the mean across seeds and its 95% interval, one line per condition.

    The weeks of shocks (from the ``shocks`` column, when there is one) are marked by dashed
    vertical lines in the colour of the condition they hit.

    Args:
        timeseries: one row per run and week, with ``week``, the outcomes and ``by``.
        outcomes: the outcome columns, one panel each.
        by: the column whose values are the conditions (``None``: all runs together).
        title: the figure title.
        styles: a line style (``color``, ``linestyle``, ``marker``) for each condition.
        legend: the legend's entries as (label, style) pairs (default: one per condition).
        ncols: panels per row.

    Returns:
        The figure.
    """
    outcomes = list(outcomes)
    _need(timeseries, ["week", *outcomes, *([by] if by else [])], "weekly table")
    table = timeseries if by else timeseries.assign(_all="all runs")
    by = by or "_all"
    levels = _levels(table[by])
    looks = _styles(levels, table[by], styles)
    nrows, ncols = style.grid_shape(len(outcomes), ncols)
    fig, axes = style.figure(nrows, ncols, sharex=True)
    grouped = {lv: table[table[by] == lv] for lv in levels}
    stats_by = {lv: weekly_mean_ci(runs, outcomes) for lv, runs in grouped.items()}
    shocks = {}
    if "shocks" in table.columns:
        for lv, runs in grouped.items():
            shocks[lv] = sorted({w for v in runs["shocks"].dropna().unique() for w in shock_weeks(v)})
    for ax, name in zip(axes.flat, outcomes, strict=False):
        k = oc.scale(name)
        for lv in levels:
            s, look = stats_by[lv].xs(name, axis=1, level=0), looks[lv]
            ax.plot(
                s.index,
                s["mean"] * k,
                color=look["color"],
                linestyle=look["linestyle"],
                label=_level_label(by, lv) if by != "_all" else "mean of all runs",
            )
            if s["low"].notna().any():
                low = s["low"].clip(lower=oc.floor(name))
                ax.fill_between(
                    s.index,
                    low * k,
                    s["high"] * k,
                    color=look["color"],
                    alpha=style.INTERVAL_ALPHA
                    if len(levels) <= len(style.PALETTE)
                    else style.INTERVAL_ALPHA / 3,
                    linewidth=0,
                )
            for week in shocks.get(lv, []):
                ax.axvline(week, color=look["color"], linestyle="--", linewidth=1.3, alpha=0.9)
        ax.set_title(oc.label(name))
        ax.set_ylabel(style.wrap(oc.axis_label(name)))
    for ax in axes[-1]:
        ax.set_xlabel("week")
        ax.xaxis.set_tick_params(labelbottom=True)
    _hide_unused(axes, len(outcomes))
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if legend is not None:
        handles = [Line2D([], [], color=look["color"], linestyle=look["linestyle"]) for _, look in legend]
        labels = [label for label, _ in legend]
    if any(shocks.values()):
        handles.append(Line2D([], [], color=style.REFERENCE, linestyle="--", linewidth=1.3))
        labels.append("shock (week marked)")
    handles.append(Line2D([], [], color=style.REFERENCE, linewidth=8, alpha=style.INTERVAL_ALPHA))
    labels.append("95% CI of the mean across seeds")
    _legend_below(fig, handles, labels)
    if title:
        fig.suptitle(title)
    return fig


@style.uses_style
def dose_response(
    results: pd.DataFrame,
    lever: str,
    outcomes: Sequence[str],
    by: str | None = None,
    *,
    title: str | None = None,
    styles: Mapping | None = None,
    ncols: int = 3,
) -> Figure:
    """Each outcome against the levels of one lever: mean, 95% interval and every run.

    Args:
        results: one row per run, with ``lever``, the outcomes and ``by``.
        lever: the numeric column on the x axis (e.g. ``policy.joint_indicators``).
        outcomes: the outcome columns, one panel each.
        by: a second column, one line per value (e.g. ``policy.meeting_attendance``).
        title: the figure title.
        styles: a line style for each value of ``by``.
        ncols: panels per row.

    Returns:
        The figure.
    """
    outcomes = list(outcomes)
    _need(results, [lever, *outcomes, *([by] if by else [])], "results table")
    if not _is_numeric(results[lever]):
        raise AnalysisError(f"results table: column {lever!r} is not numeric, no dose–response to draw")
    table = results if by else results.assign(_all="all")
    group = by or "_all"
    levels = _levels(table[group])
    looks = (
        _styles(levels, table[group], styles)
        if by
        else {"all": {"color": style.PALETTE[0], "linestyle": "-", "marker": "o"}}
    )
    xs = _levels(table[lever])
    span = (max(xs) - min(xs)) or 1.0
    nrows, ncols = style.grid_shape(len(outcomes), ncols)
    fig, axes = style.figure(nrows, ncols)
    for ax, name in zip(axes.flat, outcomes, strict=False):
        k = oc.scale(name)
        for i, lv in enumerate(levels):
            rows = table[table[group] == lv]
            look = looks[lv]
            offset = (i - (len(levels) - 1) / 2) * 0.012 * span
            summary = [mean_ci(rows.loc[rows[lever] == x, name]) for x in xs]
            m = np.array([s[0] for s in summary]) * k
            lo = np.clip(np.array([s[1] for s in summary]), oc.floor(name), None) * k
            hi = np.array([s[2] for s in summary]) * k
            x = np.asarray(xs, dtype=float) + offset
            ax.scatter(
                rows[lever].to_numpy(dtype=float) + offset,
                rows[name].to_numpy(dtype=float) * k,
                s=22,
                color=look["color"],
                alpha=style.RUN_ALPHA,
                linewidths=0,
            )
            err = np.vstack([m - lo, hi - m])
            ax.errorbar(
                x,
                m,
                yerr=np.where(np.isfinite(err), err, 0),
                color=look["color"],
                linestyle=look["linestyle"],
                marker=look["marker"],
                capsize=4,
                label=_level_label(by, lv) if by else "mean",
            )
        ax.set_title(oc.label(name))
        ax.set_ylabel(style.wrap(oc.axis_label(name)))
        ax.set_xlabel(style.wrap(oc.lever_label(lever), 44))
        ax.set_xticks(xs)
    _hide_unused(axes, len(outcomes))
    handles, labels = axes.flat[0].get_legend_handles_labels()
    handles.append(
        Line2D(
            [], [], color=style.REFERENCE, marker="o", linestyle="none", markersize=4, alpha=style.RUN_ALPHA
        )
    )
    labels.append("one run (seed)")
    _legend_below(fig, handles, labels, title="mean and 95% CI across seeds")
    if title:
        fig.suptitle(title)
    return fig


def _luminance(rgba: tuple) -> float:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@style.uses_style
def heatmaps(
    results: pd.DataFrame,
    x: str,
    y: str,
    outcomes: Sequence[str],
    *,
    title: str | None = None,
    ncols: int = 3,
) -> Figure:
    """For a two-lever grid, each outcome's mean over seeds in every cell, with its spread.

    Each cell shows the mean and, beneath it, ± the standard deviation across seeds.

    Args:
        results: one row per run, with ``x``, ``y`` and the outcomes.
        x: the lever across (columns).
        y: the lever up (rows).
        outcomes: the outcome columns, one panel each.
        title: the figure title.
        ncols: panels per row.

    Returns:
        The figure.
    """
    outcomes = list(outcomes)
    _need(results, [x, y, *outcomes], "results table")
    xs, ys = _levels(results[x]), _levels(results[y])
    nrows, ncols = style.grid_shape(len(outcomes), ncols)
    fig, axes = style.figure(
        nrows, ncols, width=style.PANEL_WIDTH * 1.15 * ncols, height=style.PANEL_HEIGHT * 1.15 * nrows
    )
    small = max(len(xs), len(ys)) > 4
    for ax, name in zip(axes.flat, outcomes, strict=False):
        k = oc.scale(name)
        g = results.groupby([y, x], observed=True)[name]
        mean = g.mean().unstack().reindex(index=ys, columns=xs) * k
        sd = g.std(ddof=1).unstack().reindex(index=ys, columns=xs) * k
        image = ax.imshow(mean.to_numpy(dtype=float), origin="lower", cmap=style.SEQUENTIAL, aspect="auto")
        cmap, norm = image.get_cmap(), image.norm
        for (i, j), value in np.ndenumerate(mean.to_numpy(dtype=float)):
            if not np.isfinite(value):
                continue
            spread = sd.iat[i, j]
            text = oc.fmt_value(name, value / k).rstrip("%")
            if np.isfinite(spread):
                text += f"\n±{oc.fmt_diff(name, spread / k)}"
            colour = "black" if _luminance(cmap(norm(value))) > 0.5 else "white"
            ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=9 if small else 11)
        ax.set_xticks(range(len(xs)), [fmt_level(v) for v in xs])
        ax.set_yticks(range(len(ys)), [fmt_level(v) for v in ys])
        ax.set_xlabel(style.wrap(oc.lever_label(x), 44))
        ax.set_ylabel(style.wrap(oc.lever_label(y)))
        ax.set_title(oc.label(name))
        ax.grid(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.9)
        bar.set_label(oc.axis_label(name))
    _hide_unused(axes, len(outcomes))
    fig.text(
        0.5,
        0,
        "Cells: mean across seeds; beneath, ± the standard deviation across seeds.",
        ha="center",
        va="bottom",
        fontsize=11,
    )
    fig.get_layout_engine().set(rect=(0, 0.03, 1, 0.97))
    if title:
        fig.suptitle(title)
    return fig


@style.uses_style
def condition_plot(
    results: pd.DataFrame,
    outcomes: Sequence[str],
    by: str = "condition",
    *,
    title: str | None = None,
    ncols: int = 3,
) -> Figure:
    """Each outcome in every condition: mean and 95% interval across seeds, and every run.

    For designs with categorical levers or more than two factors. The dashed line is the
    reference condition's mean (the first condition).

    Args:
        results: one row per run, with ``by`` and the outcomes.
        outcomes: the outcome columns, one panel each.
        by: the column whose values are the conditions.
        title: the figure title.
        ncols: panels per row.

    Returns:
        The figure.
    """
    outcomes = list(outcomes)
    _need(results, [by, *outcomes], "results table")
    levels = _levels(results[by])
    labels = [str(lv) for lv in levels]
    nrows, ncols = style.grid_shape(len(outcomes), ncols)
    longest = max(len(lb) for lb in labels)
    label_width = min(0.09 * longest, 6.0)
    height = max(style.PANEL_HEIGHT, 0.45 * len(levels) + 1.4)
    fig, axes = style.figure(
        nrows, ncols, sharey=True, width=style.PANEL_WIDTH * ncols + label_width, height=height * nrows
    )
    ypos = np.arange(len(levels))[::-1]
    for ax, name in zip(axes.flat, outcomes, strict=False):
        k = oc.scale(name)
        for yv, lv in zip(ypos, levels, strict=True):
            values = results.loc[results[by] == lv, name].to_numpy(dtype=float)
            m, lo, hi, _ = mean_ci(values)
            ax.scatter(
                values * k,
                np.full(values.size, yv) + 0.18,
                s=14,
                color=style.REFERENCE,
                alpha=style.RUN_ALPHA,
                linewidths=0,
            )
            if np.isfinite(lo):
                lo = lo if oc.floor(name) is None else max(lo, oc.floor(name))
                ax.plot([lo * k, hi * k], [yv, yv], color=style.PALETTE[0], linewidth=3)
            ax.plot([m * k], [yv], marker="o", color=style.PALETTE[0], markersize=8)
            if lv == levels[0]:
                ax.axvline(m * k, color=style.REFERENCE, linestyle="--", linewidth=1.2)
        ax.set_title(oc.label(name))
        ax.set_xlabel(style.wrap(oc.axis_label(name), 44))
        ax.set_yticks(ypos, labels)
        ax.grid(axis="y", visible=False)
    _hide_unused(axes, len(outcomes))
    handles = [
        Line2D([], [], color=style.PALETTE[0], marker="o", linewidth=3),
        Line2D(
            [], [], color=style.REFERENCE, marker="o", linestyle="none", markersize=4, alpha=style.RUN_ALPHA
        ),
        Line2D([], [], color=style.REFERENCE, linestyle="--", linewidth=1.2),
    ]
    _legend_below(
        fig, handles, ["mean and 95% CI across seeds", "one run (seed)", "reference condition's mean"]
    )
    if title:
        fig.suptitle(title)
    return fig


def _bars(ax, names: list[str], series: list[tuple[str, np.ndarray, np.ndarray | None, str]]) -> None:
    """Horizontal grouped bars, first name at the top."""
    n = len(series)
    height = 0.8 / n
    y = np.arange(len(names))[::-1]
    for i, (label, values, err, colour) in enumerate(series):
        pos = y + (n - 1 - 2 * i) * height / 2
        xerr = None if err is None else np.where(np.isfinite(err), err, 0)
        ax.barh(
            pos,
            np.nan_to_num(values),
            height=height,
            color=colour,
            label=label,
            xerr=xerr,
            error_kw={"ecolor": "black", "capsize": 3, "elinewidth": 1.2},
        )
    ax.set_yticks(y, names)
    ax.grid(axis="y", visible=False)
    ax.axvline(0, color="black", linewidth=0.8)


@style.uses_style
def sobol_chart(
    indices: pd.DataFrame, outcomes: Sequence[str] | None = None, *, title: str | None = None, ncols: int = 2
) -> Figure:
    """Sobol first-order (S1) and total (ST) indices of each lever, most important first.

    Args:
        indices: the table of :func:`analysis.sensitivity.sobol_indices`.
        outcomes: the outcomes to show, one panel each (default: all in the table).
        title: the figure title.
        ncols: panels per row.

    Returns:
        The figure; error bars are the bootstrap confidence intervals.
    """
    _need(indices, ["outcome", "lever", "S1", "S1_conf", "ST", "ST_conf"], "Sobol indices")
    outcomes = list(outcomes) if outcomes is not None else list(dict.fromkeys(indices["outcome"]))
    nrows, ncols = style.grid_shape(len(outcomes), ncols)
    nlev = indices["lever"].nunique()
    fig, axes = style.figure(nrows, ncols, width=6.2 * ncols, height=max(3.6, 0.55 * nlev + 1.5) * nrows)
    for ax, name in zip(axes.flat, outcomes, strict=False):
        rows = indices[indices["outcome"] == name].sort_values("ST", ascending=False, na_position="last")
        _bars(
            ax,
            rows["lever"].tolist(),
            [
                ("first order (S1)", rows["S1"].to_numpy(), rows["S1_conf"].to_numpy(), style.PALETTE[0]),
                ("total (ST)", rows["ST"].to_numpy(), rows["ST_conf"].to_numpy(), style.PALETTE[1]),
            ],
        )
        ax.set_title(oc.label(name))
        ax.set_xlabel("share of the outcome's variance")
    _hide_unused(axes, len(outcomes))
    handles, labels = axes.flat[0].get_legend_handles_labels()
    _legend_below(fig, handles, labels, title="Sobol index with its bootstrap 95% CI; levers by total index")
    if title:
        fig.suptitle(title)
    return fig


@style.uses_style
def morris_chart(
    indices: pd.DataFrame, outcomes: Sequence[str] | None = None, *, title: str | None = None, ncols: int = 2
) -> Figure:
    """Morris μ* (mean absolute elementary effect) and σ of each lever, most important first.

    Args:
        indices: the table of :func:`analysis.sensitivity.morris_indices`.
        outcomes: the outcomes to show, one panel each (default: all in the table).
        title: the figure title.
        ncols: panels per row.

    Returns:
        The figure; the error bars on μ* are its bootstrap confidence intervals. A σ as large as
        μ* means the lever's effect depends on the others (interactions) or is not linear.
    """
    _need(indices, ["outcome", "lever", "mu_star", "mu_star_conf", "sigma"], "Morris indices")
    outcomes = list(outcomes) if outcomes is not None else list(dict.fromkeys(indices["outcome"]))
    nrows, ncols = style.grid_shape(len(outcomes), ncols)
    nlev = indices["lever"].nunique()
    fig, axes = style.figure(nrows, ncols, width=6.2 * ncols, height=max(3.6, 0.55 * nlev + 1.5) * nrows)
    for ax, name in zip(axes.flat, outcomes, strict=False):
        k = oc.scale(name)
        rows = indices[indices["outcome"] == name].sort_values("mu_star", ascending=False, na_position="last")
        _bars(
            ax,
            rows["lever"].tolist(),
            [
                (
                    "μ* (mean |effect|)",
                    rows["mu_star"].to_numpy() * k,
                    rows["mu_star_conf"].to_numpy() * k,
                    style.PALETTE[0],
                ),
                ("σ (spread of effects)", rows["sigma"].to_numpy() * k, None, style.PALETTE[1]),
            ],
        )
        unit = "percentage points" if oc.outcome(name).kind == "share" else oc.axis_label(name)
        ax.set_title(oc.label(name))
        ax.set_xlabel(f"{unit}\nper full range of the lever")
    _hide_unused(axes, len(outcomes))
    handles, labels = axes.flat[0].get_legend_handles_labels()
    _legend_below(fig, handles, labels, title="Morris elementary effects; μ* with its bootstrap 95% CI")
    if title:
        fig.suptitle(title)
    return fig
