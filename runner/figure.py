"""The overview figure of one run: how users fared, week by week, and the trust beneath it.

Six panels from the weekly table: waiting (mean and 90th percentile), assessments per user,
unmet need, well-being, readmissions and mean trust, with the weeks of shocks marked. Drawn with
matplotlib's object interface on the Agg canvas, so it never opens a window and needs no display.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.observe import READMISSION_WINDOW

DPI = 150

# Okabe & Ito's palette: distinguishable with the common forms of colour blindness.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILION = "#D55E00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
GREY = "#555555"

# (title, [(column, legend label, colour, line style)], y-axis label, y-axis kind)
# kind: "count" starts at 0; "share" is a percentage; "unit" is an index on 0..1.
PANELS: tuple[tuple[str, list[tuple[str, str, str, str]], str, str], ...] = (
    (
        "Waiting for assessment or service",
        [
            ("mean_wait_weeks", "mean", BLUE, "-"),
            ("wait_p90_weeks", "90th percentile", SKY, "--"),
        ],
        "weeks waited so far (people still waiting)",
        "count",
    ),
    (
        "Assessments per user",
        [("assessments_per_user", "assessments", ORANGE, "-")],
        "assessments per referred user",
        "count",
    ),
    (
        "Unmet need",
        [("unmet_need", "unmet need", VERMILION, "-")],
        "share of needed care hours not met",
        "share",
    ),
    (
        "Well-being of users",
        [("wellbeing", "well-being", GREEN, "-")],
        "mean well-being (0 to 1)",
        "unit",
    ),
    (
        "Hospital readmissions",
        [("readmission_rate", "readmission rate", PURPLE, "-")],
        f"readmissions per discharge (last {READMISSION_WINDOW} weeks)",
        "share",
    ),
    (
        "Trust between agencies",
        [("mean_trust", "mean trust", BLUE, "-")],
        "mean trust in other agencies (0 to 1)",
        "unit",
    ),
)


def _shock_note(summary: Mapping[str, Any]) -> str:
    shocks = summary.get("config", {}).get("scenario", {}).get("shocks", [])
    weeks = summary.get("shock_weeks", [])
    parts = []
    for week in weeks:
        kinds = [s["kind"].replace("_", " ") for s in shocks if s.get("week") == week]
        parts.append(f"week {week}: {', '.join(kinds) or 'shock'}")
    return "Dashed grey lines mark shocks (" + "; ".join(parts) + ")." if parts else ""


def overview(table: pd.DataFrame, summary: Mapping[str, Any]) -> Figure:
    """Draw the overview figure of one run.

    Args:
        table: the weekly table returned by :func:`sim.run_model`.
        summary: its summary dict (for the scenario, the seed and the shock weeks).

    Returns:
        A matplotlib Figure on an Agg canvas.
    """
    fig = Figure(figsize=(11, 10), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, 2).ravel()
    weeks = table["week"]
    shock_weeks = list(summary.get("shock_weeks", []))
    for ax, (title, lines, ylabel, kind) in zip(axes, PANELS, strict=True):
        for column, label, colour, style in lines:
            ax.plot(weeks, table[column], color=colour, linestyle=style, linewidth=1.6, label=label)
        for k, week in enumerate(shock_weeks):
            ax.axvline(week, color=GREY, linestyle="--", linewidth=1.0, label="shock" if k == 0 else None)
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_xlabel("week")
        if len(weeks):
            ax.set_xlim(weeks.min(), max(weeks.max(), weeks.min() + 1))
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_ylim(bottom=0)
        if kind == "share":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        elif kind == "unit":
            ax.set_ylim(0, 1)
        if len(lines) > 1 or (shock_weeks and ax is axes[0]):
            ax.legend(fontsize=8, frameon=False, loc="best")
    scenario = summary.get("scenario", "")
    fig.suptitle(
        f"partnersim: scenario {scenario}, seed {summary.get('seed')}, {len(table)} weeks",
        fontsize=13,
        fontweight="bold",
    )
    note = _shock_note(summary)
    if note:
        fig.supxlabel(note, fontsize=9, color=GREY)
    return fig


def save_overview(table: pd.DataFrame, summary: Mapping[str, Any], path: str | Path) -> None:
    """Draw the overview figure and save it as a PNG at 150 dpi.

    Args:
        table: the weekly table.
        summary: the run's summary dict.
        path: where to write the PNG (the caller chooses the name; see :mod:`runner.outputs`).
    """
    fig = overview(table, summary)
    fig.savefig(path, format="png", dpi=DPI)
