"""The overview figure of one run: how users fared, week by week, and the trust beneath it.

Six panels from the weekly table: waiting (mean and 90th percentile), assessments per user,
unmet need, well-being, readmissions and mean trust, with the weeks of shocks marked. Drawn with
matplotlib's object interface on the Agg canvas, so it never opens a window and needs no display.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from runner.palette import BLUE, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILION
from sim.registry import outcome

DPI = 150


class Panel(NamedTuple):
    """One panel of the overview: its title and its lines.

    The axis label, the legend labels and the scale come from :mod:`sim.registry` (the unit of
    the first outcome, the outcomes' labels, and their kind: a share is shown in per cent, an
    index on 0 to 1, anything else from 0 up).
    """

    title: str
    lines: tuple[tuple[str, str, str], ...]  # (outcome, colour, line style)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The outcomes drawn in the panel."""
        return tuple(name for name, _colour, _style in self.lines)

    @property
    def ylabel(self) -> str:
        """The y-axis label: the unit of the panel's first outcome."""
        return outcome(self.lines[0][0]).unit

    @property
    def kind(self) -> str:
        """The kind of the panel's first outcome (``share``, ``index``...), which sets the y scale."""
        return outcome(self.lines[0][0]).kind


def _panel(*lines: tuple[str, str, str], title: str | None = None) -> Panel:
    """A panel titled by its only outcome's label, unless given a title."""
    return Panel(title or outcome(lines[0][0]).label, lines)


#: The overview's six panels: how users fared, week by week, and the trust beneath it.
PANELS: tuple[Panel, ...] = (
    _panel(
        ("mean_wait_weeks", BLUE, "-"),
        ("wait_p90_weeks", SKY, "--"),
        title="Waiting for assessment or service",
    ),
    _panel(("assessments_per_user", ORANGE, "-")),
    _panel(("unmet_need", VERMILION, "-")),
    _panel(("wellbeing", GREEN, "-")),
    _panel(("readmission_rate", PURPLE, "-")),
    _panel(("mean_trust", BLUE, "-")),
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
    for ax, panel in zip(axes, PANELS, strict=True):
        lines, kind = panel.lines, panel.kind
        for name, colour, style in lines:
            o = outcome(name)
            ax.plot(weeks, table[o.column], color=colour, linestyle=style, linewidth=1.6, label=o.label)
        for k, week in enumerate(shock_weeks):
            ax.axvline(week, color=GREY, linestyle="--", linewidth=1.0, label="shock" if k == 0 else None)
        ax.set_title(panel.title, fontsize=11, loc="left")
        ax.set_ylabel(panel.ylabel, fontsize=9)
        ax.set_xlabel("week")
        if len(weeks):
            ax.set_xlim(weeks.min(), max(weeks.max(), weeks.min() + 1))
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_ylim(bottom=0)
        if kind == "share":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        elif kind == "index":
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
