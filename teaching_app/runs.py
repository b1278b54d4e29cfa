"""What the app does with runs, apart from drawing them: settings, comparison, narrative, export.

Everything here is plain Python on a running :class:`sim.model.PartnershipModel`, so that it is
tested without a browser and the page (:mod:`teaching_app.app`) stays a thin layer of widgets:

- :func:`parse_seed`, :func:`parse_lever` and :func:`parse_query` check what a teacher types or
  puts in a link, and say what is wrong in words (never an exception on the page).
- :func:`year_outcomes` and :func:`differences`: the outcomes over the last year run, and the
  difference between two runs in words and numbers, with names, units and the better direction
  from the outcome registry (:mod:`sim.registry`).
- :func:`narrative`: what happened in a run (shocks, partners taking money back from the pool,
  sharp falls of trust), week by week.
- :func:`weekly_csv` and :func:`overview_png`: the run's weekly table and its charts as files.
"""

from __future__ import annotations

import dataclasses
import io
import typing
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import numpy as np
import pandas as pd

from sim.agents import SECTOR_PROFILE
from sim.config import PolicyConfig
from sim.registry import outcome

if TYPE_CHECKING:
    from sim.model import PartnershipModel

SEED_MAX = 2**32 - 1

#: The outcomes compared between two runs and submitted to a class, in the order shown.
COMPARED = (
    "mean_wait_weeks",
    "assessments_per_user",
    "unmet_need",
    "wellbeing",
    "readmission_rate",
    "mean_trust",
    "partnership_hours",
)

#: Weeks over which a run's outcomes are summarised (its final year, or what has run of it).
YEAR = 52

#: A fall of mean trust by at least this much within :data:`TRUST_FALL_WEEKS` weeks is "sharp".
TRUST_FALL = 0.03
TRUST_FALL_WEEKS = 4


# ------------------------------------------------------------------------------ what is typed
def lever_fields() -> dict[str, dataclasses.Field]:
    """The policy levers by name: the fields of :class:`sim.config.PolicyConfig`, in schema order."""
    return {f.name: f for f in dataclasses.fields(PolicyConfig)}


def parse_seed(text: Any) -> tuple[int | None, str]:
    """A seed as typed, checked before anything converts it.

    The length is checked first: Python refuses to convert a string of more than 4,300 digits to
    an integer, and a pasted 5,000-digit seed must give a message, not a traceback.

    Args:
        text: what was typed (or an int).

    Returns:
        ``(seed, "")``, or ``(None, message)`` saying what is wrong.
    """
    typed = str(text).strip()
    shown = typed if len(typed) <= 24 else typed[:20] + f"... ({len(typed):,} characters)"
    problem = f"The seed {shown!r} is not a whole number from 0 to {SEED_MAX}."
    if not typed or len(typed) > len(str(SEED_MAX)) or not typed.isascii() or not typed.isdigit():
        return None, problem
    seed = int(typed)
    return (seed, "") if seed <= SEED_MAX else (None, problem)


def parse_lever(name: str, text: Any) -> tuple[Any, str]:
    """A lever's value as typed (in a link, say), checked against the schema's type and range.

    Args:
        name: the lever's name (a field of :class:`sim.config.PolicyConfig`).
        text: the value, as text or already typed.

    Returns:
        ``(value, "")``, or ``(None, message)`` saying what is wrong.
    """
    field = lever_fields().get(name)
    if field is None:
        return None, f"There is no lever called {name!r}."
    kind = typing.get_type_hints(PolicyConfig)[name]
    typed = str(text).strip()
    if len(typed) > 32:
        return None, f"The value given for {name} is too long ({len(typed):,} characters)."
    meta = field.metadata
    if kind is bool:
        words = {"true": True, "yes": True, "1": True, "on": True, "false": False, "no": False, "0": False}
        if typed.lower() not in words:
            return None, f"{name} is yes or no, not {typed!r}."
        return words[typed.lower()], ""
    if meta.get("choices"):
        if typed not in meta["choices"]:
            return None, f"{name} is one of {', '.join(meta['choices'])}, not {typed!r}."
        return typed, ""
    try:
        value = float(typed)
    except ValueError:
        return None, f"{name} is a number, not {typed!r}."
    lo, hi = meta["range"]
    if not (np.isfinite(value) and lo <= value <= hi):
        return None, f"{name} runs from {lo:g} to {hi:g}, not {typed}."
    if kind is int:
        if value != int(value):
            return None, f"{name} is a whole number, not {typed}."
        return int(value), ""
    return value, ""


@dataclasses.dataclass
class Query:
    """What a link to the app asks for: ``?scenario=NAME&lever=value&seed=N&class=CODE``.

    Attributes:
        scenario: the preset asked for, or None.
        levers: lever values asked for, checked.
        seed: the seed asked for, or None.
        class_code: the class to submit runs to, or "".
        teacher: whether the link opens the teacher's class page (``?teacher=1``).
        problems: what was not used, in words.
    """

    scenario: str | None = None
    levers: dict[str, Any] = dataclasses.field(default_factory=dict)
    seed: int | None = None
    class_code: str = ""
    teacher: bool = False
    problems: list[str] = dataclasses.field(default_factory=list)


def parse_query(search: str | None, presets: list[str]) -> Query:
    """Read a link's query string; whatever is wrong is listed in ``problems`` and left out.

    Args:
        search: the query string, without the ``?`` (None for none).
        presets: the scenario presets there are.

    Returns:
        The :class:`Query`.
    """
    query = Query()
    for key, value in parse_qsl(search or "", keep_blank_values=True)[:64]:
        if key == "scenario":
            if value in presets:
                query.scenario = value
            else:
                query.problems.append(f"There is no scenario called {value[:40]!r}.")
        elif key == "seed":
            seed, problem = parse_seed(value)
            query.seed = seed
            if problem:
                query.problems.append(problem)
        elif key == "class":
            code = value.strip().upper()
            if code.isalnum() and len(code) <= 12:
                query.class_code = code
            else:
                query.problems.append(f"{value[:40]!r} is not a class code.")
        elif key == "teacher":
            query.teacher = value.lower() not in ("0", "no", "false")
        else:
            lever, problem = parse_lever(key, value)
            if problem:
                query.problems.append(problem)
            else:
                query.levers[key] = lever
    return query


# ------------------------------------------------------------------------------ outcomes
def weekly_table(model: PartnershipModel) -> pd.DataFrame:
    """The run's weekly table so far (every column the model collects)."""
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)


def year_outcomes(model: PartnershipModel, names: tuple[str, ...] = COMPARED) -> dict[str, float]:
    """Each outcome over the last year run (the last :data:`YEAR` weeks, or all weeks if fewer).

    A ratio outcome (the readmission rate) is its numerator's sum over its denominator's, as in
    ``summary.json``; the others are the mean of their weekly column.

    Args:
        model: the running model.
        names: outcomes of the registry.

    Returns:
        Outcome name to value (NaN before the first week).
    """
    data = model.datacollector.model_vars
    out = {}
    for name in names:
        o = outcome(name)
        if o.of is not None:
            top = np.asarray(data.get(o.of[0], []), float)[-YEAR:]
            bottom = np.asarray(data.get(o.of[1], []), float)[-YEAR:]
            out[name] = float(top.sum() / bottom.sum()) if bottom.sum() > 0 else float("nan")
        else:
            column = np.asarray(data.get(o.column, []), float)[-YEAR:]
            out[name] = float(column.mean()) if column.size else float("nan")
    return out


def shown(name: str, value: float) -> str:
    """A value of outcome ``name`` with its unit, as the page shows it (registry's format)."""
    if not np.isfinite(value):
        return "no data yet"
    return outcome(name).format(value)


# How a difference reads, by the registry's kind of outcome: the size's format and scale, the
# smallest difference worth words, and the words for more and for less (None: any other kind).
_DIFFERENCE: dict[str | None, tuple[str, float, float, str, str]] = {
    "weeks": ("{:.1f} weeks", 1.0, 0.05, "longer", "shorter"),
    "share": ("{:.1f} percentage points", 100.0, 0.0005, "higher", "lower"),
    "index": ("{:.3f}", 1.0, 0.0005, "higher", "lower"),
    "pounds": ("£{:,.0f}", 1.0, 0.5, "more", "less"),
    "hours": ("{:.1f} hours a week", 1.0, 0.05, "more", "fewer"),
    None: ("{:.2f}", 1.0, 0.005, "higher", "lower"),
}


def difference_words(name: str, yours: float, reference: float) -> tuple[str, str]:
    """The difference between two values of an outcome in words, and whether it is better.

    Args:
        name: the outcome (its label, unit, kind and better direction come from the registry).
        yours: the value of the run as set.
        reference: the value of the reference run.

    Returns:
        ``(words, verdict)``: for example ``("Mean wait 2.1 weeks shorter", "better")``; the
        verdict is ``better``, ``worse``, ``no better or worse`` (an outcome with no better
        direction) or ``the same``.
    """
    o = outcome(name)
    if not (np.isfinite(yours) and np.isfinite(reference)):
        return f"{o.label}: no data yet", "the same"
    d = yours - reference
    fmt, scale, small, more, less = _DIFFERENCE.get(o.kind, _DIFFERENCE[None])
    size, way = fmt.format(scale * abs(d)), more if d > 0 else less
    if abs(d) < small:
        return f"{o.label}: the same", "the same"
    if o.better is None:
        verdict = "no better or worse"
    else:
        verdict = "better" if (o.better == "higher") == (d > 0) else "worse"
    return f"{o.label} {size} {way}", verdict


def differences(model: PartnershipModel, reference: PartnershipModel) -> list[dict[str, Any]]:
    """Each compared outcome of two runs over their last year run, and the difference in words.

    Args:
        model: the run as set ("your change").
        reference: the reference run, stepped as far.

    Returns:
        One dict per outcome of :data:`COMPARED`: ``outcome, label, yours, reference`` (values
        with units), ``words`` and ``verdict`` (see :func:`difference_words`).
    """
    mine, theirs = year_outcomes(model), year_outcomes(reference)
    rows = []
    for name in COMPARED:
        words, verdict = difference_words(name, mine[name], theirs[name])
        rows.append(
            {
                "outcome": name,
                "label": outcome(name).label,
                "yours": shown(name, mine[name]),
                "reference": shown(name, theirs[name]),
                "words": words,
                "verdict": verdict,
            }
        )
    return rows


# ------------------------------------------------------------------------------ what happened
def _who(agency: str) -> str:
    return SECTOR_PROFILE[agency]["label"].lower() if agency in SECTOR_PROFILE else agency


def narrative(model: PartnershipModel) -> list[dict[str, Any]]:
    """What happened in the run so far, in words: the events the charts mark.

    Shocks of the scenario (done, or due), partners taking money back from the pool on their
    own, partners using pooled money for purposes not agreed, and sharp falls of mean trust (by
    :data:`TRUST_FALL` or more within :data:`TRUST_FALL_WEEKS` weeks; one entry per fall, at the
    week it started).

    Args:
        model: the running model.

    Returns:
        One dict per event, in order of week: ``week``, ``kind`` ("shock", "shock to come",
        "partner withdrew", "pool misused" or "trust fell") and ``text``.
    """
    events: list[dict[str, Any]] = []
    for shock in model.config.scenario.shocks:
        done = shock.week in model.shock_weeks
        what = shock.kind.replace("_", " ")
        if shock.kind == "pool_withdrawal":
            what = f"the {_who(shock.agency)} takes {shock.share:.0%} of its pooled money back"
        else:
            what = f"{what}, {_who(shock.agency)}, {shock.share:.0%}"
        events.append(
            {
                "week": int(shock.week),
                "kind": "shock" if done else "shock to come",
                "text": f"Shock: {what}" + ("" if done else " (to come)"),
            }
        )
    data = model.datacollector.model_vars
    weeks = list(data.get("week", []))
    for column, kind, text in (
        ("withdrawals", "partner withdrew", "A partner took money back from the pooled budget on its own"),
        ("pool_misuse_events", "pool misused", "A partner used pooled money for purposes not agreed"),
    ):
        previous = 0
        for week, total in zip(weeks, data.get(column, []), strict=False):
            if total > previous and (kind != "partner withdrew" or week not in model.shock_weeks):
                events.append({"week": int(week), "kind": kind, "text": text})
            previous = total
    trust = np.asarray(data.get("mean_trust", []), float)
    floor, k = 0, 1
    while k < trust.size:
        start = max(floor, k - TRUST_FALL_WEEKS)
        if trust[start : k + 1].max() - trust[k] >= TRUST_FALL:
            # The fall runs over the weeks in which trust went down by more than a tenth of a
            # sharp fall, back from this week and on from it.
            step = TRUST_FALL / 10
            top = k
            while top > start and trust[top - 1] - trust[top] > step:
                top -= 1
            end = k
            while end + 1 < trust.size and trust[end] - trust[end + 1] > step:
                end += 1
            weeks_falling = end - top
            events.append(
                {
                    "week": int(weeks[top + 1]),
                    "kind": "trust fell",
                    "text": f"Trust fell sharply, from {trust[top]:.2f} to {trust[end]:.2f} in "
                    f"{weeks_falling} week{'s' if weeks_falling != 1 else ''}",
                }
            )
            floor = k = end + 1
        else:
            k += 1
    events.sort(key=lambda e: (e["week"], e["kind"] != "shock"))
    return events


# ------------------------------------------------------------------------------ export
def weekly_csv(model: PartnershipModel) -> bytes:
    """The run's weekly table as CSV, with the scenario and seed in the first columns."""
    table = weekly_table(model)
    table.insert(0, "seed", model.config.run.seed)
    table.insert(0, "scenario", model.config.scenario.name)
    return table.to_csv(index=False).encode()


def overview_png(model: PartnershipModel) -> bytes:
    """The run's charts as a PNG: the overview figure of a run folder, for the weeks run so far."""
    from runner.figure import overview

    table = weekly_table(model)
    summary = {
        "scenario": model.config.scenario.name,
        "seed": model.config.run.seed,
        "shock_weeks": list(model.shock_weeks),
        "config": {"scenario": {"shocks": [dataclasses.asdict(s) for s in model.config.scenario.shocks]}},
    }
    buffer = io.BytesIO()
    overview(table, summary).savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
