"""The views of the teaching app, as Vega-Lite charts built from a running model.

Each function reads a :class:`sim.model.PartnershipModel` (its boundaries, users, staff, weekly
table and the traced user's journey) and returns a Vega-Lite spec (a dict, built with Altair) or
the table behind it; nothing here changes the model. :mod:`teaching_app.app` lays the views out in the
browser.

- :func:`map_chart`: the localities, with council and health boundaries and users waiting.
- :func:`network_chart`: the professionals, coloured by agency, linked to counterparts in partner
  agencies by lines shaded by their mutual trust.
- :func:`outcomes_chart`: the weekly outcomes, with shocks, withdrawals and misuse of the pool marked.
- :func:`journey_chart` and :func:`journey_spans`: the traced user's journey (Mrs Smith).
"""

from __future__ import annotations

import math
import textwrap
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import pandas as pd

from runner.figure import PANELS
from runner.palette import BLUE, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILION
from sim.registry import outcome
from teaching_app.runs import narrative

if TYPE_CHECKING:
    from sim.model import PartnershipModel

COUNCIL_LINE = "#222222"
HEALTH_LINE = SKY
SHOCK_COLOUR = VERMILION
WITHDRAWAL_COLOUR = ORANGE
FONT = "Roboto, Helvetica, Arial, sans-serif"
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

# Health agencies in blues, councils in purples, the community sector in greys, so that the two
# sides of the partnership read apart at a glance. None of them is a red, orange, yellow or green:
# those are the trust scale's, on the links between them (TRUST_SCHEME).
SECTOR_COLOURS = {
    "acute": ["#08306b", "#08519c"],
    "pct": ["#2171b5", "#6baed6", "#9ecae1", "#4292c6", "#c6dbef"],
    "council": ["#54278f", "#9e9ac8", "#756bb1", "#cbc9e2", "#3f007d"],
    "voluntary": ["#525252", "#737373"],
    "community": ["#969696", "#bdbdbd"],
}
TRUST_SCHEME = "redyellowgreen"

#: Smallest text on any chart, pixels (readable from the back of a classroom on a projector).
TEXT_PX = 14

# The outcome plots: the run as set, and the reference run it is compared with.
YOURS = "your change"

#: What the journey shows for the need of an event that concerns her as a whole (the model's
#: journey names no need for those: a hospital admission, a discharge, a shock).
AS_A_WHOLE = "her as a whole"
#: ... and for an entry of a journey that records no need at all (a journey.csv written before the
#: model recorded needs).
NEED_NOT_RECORDED = "not recorded"
REFERENCE = "reference"

# (words in an event, kind of event) for the journey's colours; the first match wins.
EVENT_KINDS = (
    ("before support", "something went wrong"),
    ("failed", "something went wrong"),
    ("left badly", "something went wrong"),
    ("declined", "something went wrong"),
    ("withdrew", "money"),
    ("budget", "money"),
    ("dispute", "money"),
    ("fund", "money"),
    ("pays", "money"),
    ("readmit", "hospital"),
    ("hospital", "hospital"),
    ("discharg", "hospital"),
    ("assess", "assessment"),
    ("service", "support"),
    ("needs met", "support"),
)
EVENT_COLOURS = {
    "hospital": PURPLE,
    "assessment": BLUE,
    "money": ORANGE,
    "support": GREEN,
    "something went wrong": VERMILION,
    "other": GREY,
}


def _spec(chart: alt.TopLevelMixin, renderer: str = "svg") -> dict:
    """The Vega-Lite spec of a chart whose data are named datasets, filled in by :func:`_with_data`.

    The spec declares Vega-Lite 5, the version Solara's chart widget runs in the browser (the
    charts use nothing newer). ``renderer`` is "svg" (every mark an element of the page, crisp
    on a projector) or "canvas" (for a chart of a thousand marks redrawn every week).
    """
    spec = (
        chart.configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=TEXT_PX, titleFontSize=TEXT_PX)
        .configure_legend(labelFontSize=TEXT_PX, titleFontSize=TEXT_PX)
        .configure_title(fontSize=TEXT_PX + 2, subtitleFontSize=TEXT_PX)
        .to_dict(validate=False)
    )
    spec["$schema"] = VEGA_LITE_SCHEMA
    # The chart's menu offers saving it as an image, not opening it in the online Vega editor.
    spec["usermeta"] = {
        "embedOptions": {
            "renderer": renderer,
            "actions": {"export": True, "source": False, "compiled": False, "editor": False},
        }
    }
    return spec


def _with_data(template: dict, **datasets: pd.DataFrame) -> dict:
    """A copy of a cached spec with this week's data in its named datasets.

    Building a spec with Altair takes tens of milliseconds and filling in its data one or two, so
    each view's spec is built once for each shape it can take (:func:`functools.lru_cache`) and
    only its data change from week to week.
    """
    spec = dict(template)
    spec["datasets"] = {name: frame.to_dict("records") for name, frame in datasets.items()}
    return spec


def _round_up(value: float, step: int) -> int:
    return int(step * math.ceil(max(value, 1) / step))


# ------------------------------------------------------------------------------------------ map
def locality_table(model: PartnershipModel) -> pd.DataFrame:
    """One row per locality: grid cell, council and health area, users and users waiting.

    Args:
        model: the running model.

    Returns:
        Columns ``locality, row, col, council, health, users, waiting``.
    """
    geo, pop = model.geo, model.pop
    rows = pop.active_rows()
    where = pop.locality[rows]
    n = geo.n_localities
    waiting = np.bincount(where[pop.waiting(rows)], minlength=n)
    r, c = np.divmod(np.arange(n), geo.cols)
    return pd.DataFrame(
        {
            "locality": np.arange(n) + 1,
            "row": r,
            "col": c,
            "council": geo.council + 1,
            "health": geo.health + 1,
            "users": np.bincount(where, minlength=n),
            "waiting": waiting,
        }
    )


def boundary_segments(model: PartnershipModel) -> pd.DataFrame:
    """The edges between neighbouring localities that lie on a council or a health boundary.

    Args:
        model: the running model.

    Returns:
        Columns ``x, y, x2, y2`` (grid units, row 0 at the top) and ``boundary`` ("council" or
        "health"), council edges first so that health edges are drawn over them.
    """
    geo = model.geo
    out = []
    for kind, area in (("council", geo.council), ("health", geo.health)):
        grid = area.reshape(geo.rows, geo.cols)
        rr, cc = np.nonzero(grid[:, 1:] != grid[:, :-1])  # between columns cc and cc + 1
        out += [(c + 1, r, c + 1, r + 1, kind) for r, c in zip(rr.tolist(), cc.tolist(), strict=True)]
        rr, cc = np.nonzero(grid[1:, :] != grid[:-1, :])  # between rows rr and rr + 1
        out += [(c, r + 1, c + 1, r + 1, kind) for r, c in zip(rr.tolist(), cc.tolist(), strict=True)]
    return pd.DataFrame(out, columns=["x", "y", "x2", "y2", "boundary"])


def map_chart(model: PartnershipModel, size: int = 330) -> dict:
    """The localities coloured by users waiting, with council and health boundaries drawn over them.

    Council boundaries are thick dark lines, health (primary care trust) boundaries dashed blue
    ones: where the two coincide the dashes lie on the dark line, so coterminous boundaries read
    as one line and cross-cutting ones as a second pattern.

    Args:
        model: the running model.
        size: width of the grid, pixels.

    Returns:
        The Vega-Lite spec.
    """
    geo = model.geo
    cells = locality_table(model)
    high = _round_up(max(20, int(cells["waiting"].max())), 10)
    cells["ink"] = np.where(cells["waiting"] > 0.6 * high, "white", "#222222")
    cells["areas"] = "C" + cells["council"].astype(str) + " H" + cells["health"].astype(str)
    template = _map_template(geo.rows, geo.cols, high, round(geo.measured_coterminosity, 2), size)
    return _with_data(template, cells=cells, boundaries=boundary_segments(model))


@lru_cache(maxsize=32)
def _map_template(rows: int, cols: int, high: int, coterminosity: float, size: int) -> dict:
    cells = alt.Chart(alt.NamedData("cells")).transform_calculate(
        x2="datum.col + 1",
        y2="datum.row + 1",
        mid="datum.col + 0.5",
        count_y="datum.row + 0.45",
        areas_y="datum.row + 0.82",
    )
    tooltip = [
        alt.Tooltip("locality:Q"),
        alt.Tooltip("council:Q", title="council area"),
        alt.Tooltip("health:Q", title="health (PCT) area"),
        alt.Tooltip("users:Q", title="users"),
        alt.Tooltip("waiting:Q", title="users waiting"),
    ]
    x = alt.X("col:Q", scale=alt.Scale(domain=[0, cols], nice=False, zero=False), axis=None)
    y = alt.Y("row:Q", scale=alt.Scale(domain=[rows, 0], nice=False, zero=False), axis=None)
    fill = cells.mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=x,
        x2="x2:Q",
        y=y,
        y2="y2:Q",
        color=alt.Color(
            "waiting:Q",
            title="users waiting",
            scale=alt.Scale(scheme="orangered", domain=[0, high]),
            legend=alt.Legend(orient="bottom", gradientLength=size * 0.5),
        ),
        tooltip=tooltip,
    )
    count = cells.mark_text(fontSize=TEXT_PX + 2, fontWeight="bold").encode(
        x=alt.X("mid:Q"),
        y=alt.Y("count_y:Q"),
        text="waiting:Q",
        color=alt.Color("ink:N", scale=None),
        tooltip=tooltip,
    )
    areas = cells.mark_text(fontSize=TEXT_PX, opacity=0.8).encode(
        x=alt.X("mid:Q"),
        y=alt.Y("areas_y:Q"),
        text="areas:N",
        color=alt.Color("ink:N", scale=None),
    )
    kinds = ["council", "health"]
    lines = (
        alt.Chart(alt.NamedData("boundaries"))
        .mark_rule()
        .encode(
            x=alt.X("x:Q"),
            y=alt.Y("y:Q"),
            x2="x2:Q",
            y2="y2:Q",
            color=alt.Color(
                "boundary:N",
                title="boundaries",
                scale=alt.Scale(domain=kinds, range=[COUNCIL_LINE, HEALTH_LINE]),
                legend=alt.Legend(
                    orient="bottom", labelExpr="datum.label == 'health' ? 'health (PCT)' : datum.label"
                ),
            ),
            strokeWidth=alt.StrokeWidth(
                "boundary:O", scale=alt.Scale(domain=kinds, range=[6, 3]), legend=None
            ),
            strokeDash=alt.StrokeDash(
                "boundary:N", scale=alt.Scale(domain=kinds, range=[[1, 0], [7, 4]]), legend=None
            ),
        )
    )
    chart = (
        alt.layer(fill, count, areas, lines)
        .properties(
            width=size,
            height=round(size * rows / cols),
            title=alt.Title(
                "Localities: users waiting",
                subtitle=f"measured coterminosity {coterminosity:.2f}; C council area, H health area",
                anchor="start",
            ),
            description="map of localities",
        )
        .resolve_scale(color="independent")
    )
    return _spec(chart)


# ------------------------------------------------------------------------------------------ network
def agency_colours(model: PartnershipModel) -> dict[str, str]:
    """A colour for each agency's label: blues for health, purples for councils, greys otherwise."""
    seen: dict[str, int] = {}
    out = {}
    for agency in model.agency_list:
        palette = SECTOR_COLOURS[agency.sector]
        k = seen.get(agency.sector, 0)
        seen[agency.sector] = k + 1
        out[agency.label] = palette[k % len(palette)]
    return out


def _agency_order(model: PartnershipModel) -> list[int]:
    """Agencies round the circle: the acute trusts, then each PCT beside the council it pairs with."""
    by_area: dict[int, list[int]] = {}
    rest = []
    for agency in model.agency_list:
        if agency.sector in ("pct", "council"):
            by_area.setdefault(agency.area, []).append(agency.index)
        elif agency.sector != "acute":
            rest.append(agency.index)
    order = [a.index for a in model.agency_list if a.sector == "acute"]
    for area in sorted(by_area):
        order += by_area[area]
    return order + rest


def staff_layout(model: PartnershipModel) -> np.ndarray:
    """Positions of the posts: each agency's posts in a disc round its place on a circle.

    Args:
        model: the running model.

    Returns:
        ``[n_posts, 2]`` coordinates in about [-1.3, 1.3].
    """
    staff = model.staff
    order = _agency_order(model)
    xy = np.zeros((staff.n, 2))
    golden = math.pi * (3.0 - math.sqrt(5.0))
    for place, a in enumerate(order):
        angle = math.pi / 2 - 2 * math.pi * place / len(order)
        centre = np.array([math.cos(angle), math.sin(angle)])
        rows = np.arange(staff.block[a], staff.block[a + 1])
        k = np.arange(rows.size)
        radius = 0.045 * np.sqrt(k + 0.5)
        xy[rows] = centre + np.column_stack((radius * np.cos(k * golden), radius * np.sin(k * golden)))
    return xy


def counterpart_links(model: PartnershipModel) -> pd.DataFrame:
    """Each professional in post linked to one counterpart in every partner agency on their patch.

    The partner agencies of a patch are those covering its area or the whole patch. The
    counterpart is a fixed post of that agency (so the picture does not jump from week to week),
    skipped while it is vacant. A link is shaded by the pair's mutual trust: the mean of each
    one's trust in the other's agency.

    Args:
        model: the running model.

    Returns:
        Columns ``source, target, trust``.
    """
    s = model.staff
    area = np.array([a.area for a in model.agency_list])
    sources, targets = [], []
    posts = np.flatnonzero(s.in_post)
    for b in range(model.n_agencies):
        size = int(s.block[b + 1] - s.block[b])
        if size == 0:
            continue
        mine = posts[(s.employer[posts] != b) & ((area[b] < 0) | (s.patch[posts] == area[b]))]
        partner = s.block[b] + (mine * 7919 + b) % size
        keep = s.in_post[partner]
        sources.append(mine[keep])
        targets.append(partner[keep])
    src = np.concatenate(sources) if sources else np.zeros(0, int)
    dst = np.concatenate(targets) if targets else np.zeros(0, int)
    trust = 0.5 * (s.trust[src, s.employer[dst]] + s.trust[dst, s.employer[src]])
    return pd.DataFrame({"source": src, "target": dst, "trust": trust})


def network_chart(model: PartnershipModel, size: int = 360) -> dict:
    """The professionals, coloured by agency, and their links to partners shaded by trust.

    Args:
        model: the running model.
        size: width and height, pixels.

    Returns:
        The Vega-Lite spec.
    """
    s = model.staff
    xy = staff_layout(model).round(4)
    labels = [a.label for a in model.agency_list]
    links = counterpart_links(model)
    edges = pd.DataFrame(
        {
            "x": xy[links["source"], 0],
            "y": xy[links["source"], 1],
            "x2": xy[links["target"], 0],
            "y2": xy[links["target"], 1],
            "trust": links["trust"].round(3),
        }
    )
    rows = np.flatnonzero(s.in_post)
    nodes = pd.DataFrame(
        {
            "x": xy[rows, 0],
            "y": xy[rows, 1],
            "agency": [labels[a] for a in s.employer[rows]],
            "profession": [model.professions[p] for p in s.profession[rows]],
            "loyalty": s.loyalty[rows].round(2),
            "morale": s.morale[rows].round(2),
        }
    )
    colours = agency_colours(model)
    template = _network_template(tuple(colours), tuple(colours.values()), size)
    return _with_data(template, edges=edges, nodes=nodes)


@lru_cache(maxsize=32)
def _network_template(agencies: tuple[str, ...], colours: tuple[str, ...], size: int) -> dict:
    domain = [-1.25, 1.25]
    x = alt.X("x:Q", scale=alt.Scale(domain=domain), axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=domain), axis=None)
    lines = (
        alt.Chart(alt.NamedData("edges"))
        .mark_rule(strokeWidth=1.2, opacity=0.75)
        .encode(
            x=x,
            y=y,
            x2="x2:Q",
            y2="y2:Q",
            color=alt.Color(
                "trust:Q",
                title="trust",
                scale=alt.Scale(scheme=TRUST_SCHEME, domain=[0, 1]),
                legend=alt.Legend(orient="bottom", gradientLength=size * 0.45),
            ),
            order=alt.Order("trust:Q"),
        )
    )
    dots = (
        alt.Chart(alt.NamedData("nodes"))
        .mark_circle(size=38, opacity=1, stroke="white", strokeWidth=0.6)
        .encode(
            x=x,
            y=y,
            fill=alt.Fill(
                "agency:N",
                title="agency",
                scale=alt.Scale(domain=list(agencies), range=list(colours)),
                legend=alt.Legend(orient="right", symbolStrokeWidth=0),
            ),
            tooltip=[
                "agency:N",
                "profession:N",
                alt.Tooltip("loyalty:Q", title="loyalty to the partnership"),
                "morale:Q",
            ],
        )
    )
    chart = (
        alt.layer(lines, dots)
        .properties(
            width=size,
            height=size,
            title=alt.Title(
                "Professionals: trust between partners",
                subtitle="each linked to a counterpart in every partner agency on their patch",
                anchor="start",
            ),
            description="network of professionals",
        )
        .resolve_scale(color="independent")
    )
    # About a thousand links and two hundred dots, all redrawn every week: a canvas redraws them
    # faster than as many SVG elements (the last of the three charts of a step, 200 ms a step in
    # the browser as SVG against 150 ms as a canvas on the benchmark's machine).
    return _spec(chart, renderer="canvas")


# ------------------------------------------------------------------------------------------ outcomes
MARK_KINDS = ("shock", "shock to come", "partner withdrew", "pool misused", "trust fell")
MARK_COLOURS = (SHOCK_COLOUR, "#b0b0b0", WITHDRAWAL_COLOUR, WITHDRAWAL_COLOUR, PURPLE)
MARK_DASHES = ([1, 0], [4, 3], [2, 2], [1, 3], [6, 2])


def shock_marks(model: PartnershipModel) -> pd.DataFrame:
    """The weeks to mark on the plots: the events of :func:`teaching_app.runs.narrative`.

    Args:
        model: the running model.

    Returns:
        Columns ``week``, ``what`` (the event in words) and ``status`` (one of
        :data:`MARK_KINDS`: "shock", "shock to come", "partner withdrew", "pool misused",
        "trust fell").
    """
    events = narrative(model)
    return pd.DataFrame(
        [(e["week"], e["text"], e["kind"]) for e in events], columns=["week", "what", "status"]
    )


def weekly_table(model: PartnershipModel, run: str = YOURS) -> pd.DataFrame:
    """The week and the six plotted outcomes of every week so far, labelled with the run's name."""
    data = model.datacollector.model_vars
    columns = ["week"] + [outcome(panel.outcomes[0]).column for panel in PANELS]
    frame = pd.DataFrame({name: data.get(name, []) for name in columns})
    frame["run"] = run
    return frame


def outcomes_chart(
    model: PartnershipModel,
    reference: PartnershipModel | None = None,
    width: int = 195,
    height: int = 115,
) -> dict:
    """Six plots of the weekly outcomes, with events marked; a reference run overlaid if given.

    Each y axis is titled with its outcome's unit from the outcome registry, the x axis in weeks.
    The run as set is a coloured line, the reference a dashed grey one.

    Args:
        model: the running model.
        reference: the run it is compared with, stepped as far, or None.
        width: width of one plot, pixels.
        height: height of one plot, pixels.

    Returns:
        The Vega-Lite spec.
    """
    marks = shock_marks(model)
    last_week = model.config.run.weeks if model.week <= model.config.run.weeks else _round_up(model.week, 52)
    weekly = weekly_table(model)
    if reference is not None:
        weekly = pd.concat([weekly, weekly_table(reference, REFERENCE)], ignore_index=True)
    template = _outcomes_template(last_week, len(marks) > 0, reference is not None, width, height)
    return _with_data(template, weekly=weekly.round(4), marks=marks)


@lru_cache(maxsize=32)
def _outcomes_template(last_week: int, marked: bool, compared: bool, width: int, height: int) -> dict:
    x = alt.X(
        "week:Q",
        title="week",
        scale=alt.Scale(domain=[0, last_week], nice=False),
        axis=alt.Axis(tickCount=5),
    )
    rules = (
        alt.Chart(alt.NamedData("marks"))
        .mark_rule(strokeWidth=1.5)
        .encode(
            x="week:Q",
            color=alt.Color(
                "status:N",
                title="marked",
                scale=alt.Scale(domain=list(MARK_KINDS), range=list(MARK_COLOURS)),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "status:N",
                scale=alt.Scale(domain=list(MARK_KINDS), range=list(MARK_DASHES)),
                legend=None,
            ),
            tooltip=["week:Q", alt.Tooltip("what:N", title="what happened")],
        )
    )
    panels = []
    for panel in PANELS:
        # One line a panel (the first outcome's): the plots are small, for a projector.
        title, kind = panel.title, panel.kind
        name, colour, _style = panel.lines[0]
        o = outcome(name)
        unit = o.unit.replace("(people waiting)", "").strip()
        # The unit on two or three short lines, so that it fits beside a plot 115 pixels high.
        axis = alt.Axis(
            title=textwrap.wrap(unit, 17),
            tickCount=4,
            format=".1~%" if kind == "share" else alt.Undefined,
            titleFontWeight="normal",
        )
        scale = alt.Scale(domain=[0, 1]) if kind == "index" else alt.Scale(zero=True)
        base = alt.Chart(alt.NamedData("weekly"))
        y = alt.Y(f"{o.column}:Q", axis=axis, scale=scale)
        tooltip = ["run:N", "week:Q", alt.Tooltip(f"{o.column}:Q", title=title, format=".3f")]
        layers = []
        if compared:
            layers.append(
                base.transform_filter(alt.datum.run == REFERENCE)
                .mark_line(color=GREY, strokeWidth=1.8, strokeDash=[5, 3], clip=True)
                .encode(x=x, y=y, tooltip=tooltip)
            )
        layers.append(
            base.transform_filter(alt.datum.run == YOURS)
            .mark_line(color=colour, strokeWidth=2.2, clip=True)
            .encode(x=x, y=y, tooltip=tooltip)
        )
        if marked:
            layers.append(rules)
        panels.append(
            alt.layer(*layers).properties(width=width, height=height, title=alt.Title(title, anchor="start"))
        )
    description = "outcome plots" + (" compared with a reference run" if compared else "")
    return _spec(alt.concat(*panels, columns=3, spacing=18).properties(description=description))


# ------------------------------------------------------------------------------------------ journey
def event_kind(event: str) -> str:
    """The kind of a journey event, for its colour (hospital, assessment, money, support...)."""
    text = event.lower()
    for words, kind in EVENT_KINDS:
        if words in text:
            return kind
    return "other"


def _need(entry: dict[str, Any]) -> str:
    """The need a journey entry concerns, as the timeline shows it."""
    if "need" not in entry:
        return NEED_NOT_RECORDED
    return entry["need"] or AS_A_WHOLE


def journey_spans(journey: list[dict[str, Any]]) -> pd.DataFrame:
    """The traced user's events, with the same event repeated week after week merged into a span.

    Args:
        journey: ``model.journey``.

    Returns:
        Columns ``start, end`` (weeks, inclusive), ``event``, ``agency``, ``professional``,
        ``need`` (the needs the event concerns, as the model's journey names them, or
        :data:`AS_A_WHOLE`), ``kind`` and ``when`` ("week 4" or "weeks 4-8"), in the order they
        happened.
    """
    spans: list[dict[str, Any]] = []
    for entry in journey:
        last = spans[-1] if spans else None
        if (
            last is not None
            and last["event"] == entry["event"]
            and last["agency"] == (entry["agency"] or "all agencies")
            and last["need"] == _need(entry)
            and entry["week"] - last["end"] <= 1
        ):
            last["end"] = entry["week"]
            continue
        spans.append(
            {
                "start": entry["week"],
                "end": entry["week"],
                "event": entry["event"],
                "agency": entry["agency"] or "all agencies",
                "professional": entry["professional"],
                "need": _need(entry),
            }
        )
    frame = pd.DataFrame(spans, columns=["start", "end", "event", "agency", "professional", "need"])
    frame["kind"] = [event_kind(e) for e in frame["event"]]
    frame["when"] = [
        f"week {a}" if a == b else f"weeks {a}-{b}" for a, b in zip(frame["start"], frame["end"], strict=True)
    ]
    return frame


def journey_chart(model: PartnershipModel, width: int = 560, latest: int | None = None) -> dict:
    """Mrs Smith's journey as a timeline: one row per event (or run of events), read top down.

    Args:
        model: the running model (with a traced user).
        width: width of the time axis, pixels.
        latest: most rows shown (the latest ones); None shows every event.

    Returns:
        The Vega-Lite spec.
    """
    spans = journey_spans(model.journey)
    if latest is not None:
        spans = spans.tail(latest)
    spans = spans.reset_index(drop=True)
    spans["stop"] = spans["end"] + 1
    spans["label"] = spans["when"] + ": " + spans["event"]
    twice = spans["label"].duplicated(keep=False)
    spans.loc[twice, "label"] += " (" + spans.loc[twice, "agency"] + ")"
    spans["label"] = spans["label"] + np.where(spans["label"].duplicated(), " ", "")
    last_week = _round_up(max(int(spans["stop"].max()) if len(spans) else 0, model.week, 26), 13)
    return _with_data(_journey_template(tuple(spans["label"]), last_week, width), spans=spans)


@lru_cache(maxsize=64)
def _journey_template(labels: tuple[str, ...], last_week: int, width: int) -> dict:
    kinds = list(EVENT_COLOURS)
    chart = (
        alt.Chart(alt.NamedData("spans"))
        .mark_bar(height=12, cornerRadius=2)
        .encode(
            x=alt.X("start:Q", title="week", scale=alt.Scale(domain=[0, last_week], nice=False)),
            x2="stop:Q",
            y=alt.Y("label:N", title=None, sort=list(labels), axis=alt.Axis(labelLimit=420)),
            color=alt.Color(
                "kind:N",
                title="what happened",
                scale=alt.Scale(domain=kinds, range=[EVENT_COLOURS[k] for k in kinds]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["when:N", "event:N", "agency:N", "professional:N", "need:N"],
        )
        .properties(
            width=width,
            height=max(40, 18 * len(labels)),
            title=alt.Title(
                "Mrs Smith's journey",
                subtitle="one row per event, or the same event week after week, the latest last",
                anchor="start",
            ),
            description="journey timeline",
        )
    )
    return _spec(chart)


# ------------------------------------------------------------------------------------------ class
def class_chart(frame: pd.DataFrame, x: str, y: str, width: int = 560, height: int = 360) -> dict:
    """The runs a class submitted, one dot each: outcome ``x`` across, outcome ``y`` up.

    Args:
        frame: :func:`teaching_app.classroom.table` of the submissions (may be empty).
        x: the outcome across (a column of ``frame``; its unit from the registry titles the axis).
        y: the outcome up.
        width: width, pixels.
        height: height, pixels.

    Returns:
        The Vega-Lite spec.
    """
    columns = ["name", "scenario", x, y]
    data = frame[columns] if len(frame) else pd.DataFrame(columns=columns)
    data = data.rename(columns={x: "x", y: "y"})
    return _with_data(_class_template(x, y, width, height), runs=data.astype({"x": float, "y": float}))


@lru_cache(maxsize=64)
def _class_template(x: str, y: str, width: int, height: int) -> dict:
    ox, oy = outcome(x), outcome(y)

    def axis(o) -> alt.Axis:
        form = ".0%" if o.kind == "share" else alt.Undefined
        return alt.Axis(title=f"{o.label}: {o.unit}", format=form, titleLimit=width)

    base = alt.Chart(alt.NamedData("runs")).encode(
        x=alt.X("x:Q", axis=axis(ox), scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", axis=axis(oy), scale=alt.Scale(zero=False)),
        tooltip=[
            "name:N",
            "scenario:N",
            alt.Tooltip("x:Q", title=ox.label),
            alt.Tooltip("y:Q", title=oy.label),
        ],
    )
    dots = base.mark_circle(size=140, color=BLUE, opacity=0.85)
    names = base.mark_text(align="left", dx=9, fontSize=TEXT_PX).encode(text="name:N")
    better = [f"{o.label} is better {o.better}" for o in (ox, oy) if o.better]
    chart = alt.layer(dots, names).properties(
        width=width,
        height=height,
        padding={"left": 10, "top": 10, "right": 70, "bottom": 10},  # room for a name at the right
        title=alt.Title(
            "The class's runs (last year run of each)",
            subtitle="; ".join(better) or " ",
            anchor="start",
        ),
        description="class scatter",
    )
    return _spec(chart)
