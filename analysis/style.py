"""The look of every analysis figure, in one place: palette, sizes, fonts, and how figures are saved.

Colours are Okabe & Ito's palette (:mod:`runner.palette`, shared with the overview figure and the
teaching app: distinguishable with the common forms of colour blindness, and in greyscale with the
line styles) and, for ordered values, matplotlib's *cividis*, designed for colour-blind readers.
Fonts and lines are large enough to read when projected. Figures are drawn with matplotlib's
object interface on the Agg canvas (no window, no display, no global state), written as PNG and
SVG, and shown in a notebook like any other figure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from runner.palette import GREY, PALETTE

LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P")
SEQUENTIAL = "cividis"
REFERENCE = GREY  # reference lines, shock marks, individual runs
INTERVAL_ALPHA = 0.18
RUN_ALPHA = 0.45

DPI = 150
PANEL_WIDTH = 5.0  # inches per panel column
PANEL_HEIGHT = 3.6  # inches per panel row
FORMATS = ("png", "svg")

RC = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 11,
    "figure.titlesize": 16,
    "figure.titleweight": "bold",
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.8,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "svg.fonttype": "none",  # text stays text in SVG: searchable, smaller
    "savefig.facecolor": "white",
}


@contextmanager
def styled() -> Iterator[None]:
    """Draw inside this block with the project's settings (matplotlib's defaults are untouched)."""
    with mpl.rc_context(RC):
        yield


def figure(
    nrows: int = 1, ncols: int = 1, *, width: float | None = None, height: float | None = None, **subplots
) -> tuple[Figure, object]:
    """A new figure with a grid of panels sized for reading when projected.

    Call inside :func:`styled` so that the panels get the project's fonts and colours.

    Args:
        nrows: panel rows.
        ncols: panel columns.
        width: figure width in inches (default: :data:`PANEL_WIDTH` per column).
        height: figure height in inches (default: :data:`PANEL_HEIGHT` per row).
        **subplots: passed to ``Figure.subplots`` (``squeeze`` defaults to False).

    Returns:
        The figure and its array of axes.
    """
    fig = Figure(
        figsize=(width or PANEL_WIDTH * ncols, height or PANEL_HEIGHT * nrows), layout="constrained", dpi=DPI
    )
    FigureCanvasAgg(fig)
    subplots.setdefault("squeeze", False)
    axes = fig.subplots(nrows, ncols, **subplots)
    return fig, axes


def grid_shape(panels: int, max_cols: int = 3) -> tuple[int, int]:
    """Rows and columns for ``panels`` panels, at most ``max_cols`` columns."""
    ncols = min(max(panels, 1), max_cols)
    return -(-max(panels, 1) // ncols), ncols


def sequential(n: int) -> list[tuple[float, float, float, float]]:
    """``n`` colours along cividis for ordered levels (the palest end left out: it fades on white)."""
    cmap = mpl.colormaps[SEQUENTIAL]
    if n == 1:
        return [cmap(0.0)]
    return [cmap(0.85 * i / (n - 1)) for i in range(n)]


def wrap(text: str, width: int = 34) -> str:
    """An axis label broken into lines of at most ``width`` characters, so it fits beside a panel."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def legend_entries(
    levels: Sequence[Sequence[object]],
    looks: Sequence[dict],
    names: Sequence[str],
    fmt: Callable[[object], str] = str,
) -> list[tuple[str, dict]] | None:
    """A shorter legend for the looks of :func:`condition_styles`, when it has one.

    When colour shows the first factor and line style the second, the legend needs one entry per
    level of each, not one per condition.

    Args:
        levels: for each condition, its level of each factor.
        looks: the style of each condition.
        names: the factors' names.
        fmt: how to write a level.

    Returns:
        (label, style) pairs, or None when each condition needs its own entry.
    """
    if len(names) == 2 and len(levels) > len(PALETTE):
        first, second = {}, {}
        for lv, look in zip(levels, looks, strict=True):
            first.setdefault(lv[0], look["color"])
            second.setdefault(lv[1], look["linestyle"])
        if len(set(first.values())) == len(first) and len(set(map(str, second.values()))) == len(second):
            return [(f"{names[0]} = {fmt(v)}", {"color": c, "linestyle": "-"}) for v, c in first.items()] + [
                (f"{names[1]} = {fmt(v)}", {"color": REFERENCE, "linestyle": ls}) for v, ls in second.items()
            ]
    return None


def condition_styles(levels: Sequence[Sequence[object]], numeric: Sequence[bool]) -> list[dict]:
    """A colour and line style for each condition, given the levels of its factors.

    One ordered factor with three or more levels gets cividis (the order shows as lightness);
    up to eight conditions get one Okabe–Ito colour each; two factors with a few levels of the
    second get a colour per level of the first and a line style per level of the second; more
    conditions cycle colours, then line styles.

    Args:
        levels: for each condition, its level of each factor (all of the same length).
        numeric: for each factor, whether its levels are ordered numbers.

    Returns:
        One dict per condition, with ``color``, ``linestyle`` and ``marker``.
    """
    n = len(levels)
    nfac = len(numeric)
    if nfac == 1 and numeric[0] and n >= 3:
        colours = sequential(n)
        return [{"color": colours[i], "linestyle": "-", "marker": "o"} for i in range(n)]
    if n <= len(PALETTE):
        return [
            {"color": PALETTE[i], "linestyle": "-", "marker": MARKERS[i % len(MARKERS)]} for i in range(n)
        ]
    if nfac == 2:
        first = list(dict.fromkeys(lv[0] for lv in levels))
        second = list(dict.fromkeys(lv[1] for lv in levels))
        if len(second) <= len(LINESTYLES):
            colours = (
                sequential(len(first))
                if numeric[0]
                else [PALETTE[i % len(PALETTE)] for i in range(len(first))]
            )
            return [
                {
                    "color": colours[first.index(lv[0])],
                    "linestyle": LINESTYLES[second.index(lv[1])],
                    "marker": MARKERS[second.index(lv[1]) % len(MARKERS)],
                }
                for lv in levels
            ]
    return [
        {
            "color": PALETTE[i % len(PALETTE)],
            "linestyle": LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)],
            "marker": MARKERS[i % len(MARKERS)],
        }
        for i in range(n)
    ]


def save(fig: Figure, stem: str | Path, *, formats: Sequence[str] = FORMATS, dpi: int = DPI) -> list[Path]:
    """Write the figure as ``stem.png`` and ``stem.svg`` (each written whole, then renamed into place).

    Args:
        fig: the figure.
        stem: the path without its extension.
        formats: file formats to write.
        dpi: resolution of the PNG.

    Returns:
        The paths written.
    """
    from runner.outputs import atomic_write

    stem = Path(stem)
    written = []
    with styled():
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            atomic_write(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, dpi=dpi))
            written.append(path)
    return written


def uses_style[**P, R](draw: Callable[P, R]) -> Callable[P, R]:
    """Decorate a figure function so that it draws with the project's settings."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with styled():
            return draw(*args, **kwargs)

    return wrapper
