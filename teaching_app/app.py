"""The teaching app: partnersim in the browser, built with Solara.

A teacher picks a scenario, reads its paragraph, moves the levers, presses play and watches the
people who use services: live plots of the outcomes with shocks, withdrawals, misuse of the pool
and sharp falls of trust marked and told in words, a map of the localities with their council and
health boundaries and the users waiting in each, the professionals' network shaded by trust and,
in ``mrs_smith``, Mrs Smith's journey as a timeline. Compare mode runs a reference beside the run
as set, at the same seed; the class page (``?teacher=1``) collects the runs that students submit.

Start it with ``partnersim-app`` (or ``python -m teaching_app.app``); it serves on 127.0.0.1 and
prints its address. This module is presentation only: it builds the same model from the same
presets and schema as the command line (:func:`runner.compose.compose_config`), and draws what
the model holds (:mod:`teaching_app.views`, :mod:`teaching_app.runs`). Each browser session
(each tab) gets its own model. The controls are the app's own rather than Mesa's SolaraViz: they
speak the teacher's language (play speed in weeks per second), keep the scenario on Reset and fit
a projector's 1280x720.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import os
import socket
import sys
import threading
import time
import traceback
import typing
from pathlib import Path
from typing import Any

import solara

from runner.compose import CONFIG_DIR, compose_config
from sim.agents import SECTOR_PROFILE
from sim.config import SCENARIOS, ConfigError, PolicyConfig
from sim.model import PartnershipModel
from sim.registry import outcome
from teaching_app import runs
from teaching_app import views as app_views
from teaching_app.classroom import CLASSROOM, Submission
from teaching_app.classroom import table as class_table
from teaching_app.livechart import LiveChart

DEFAULT_PRESET = "baseline"
DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"

#: Play speeds offered, in weeks per second, and the one a tab starts at.
SPEEDS = (1, 2, 4, 8, 13, 26, 52)
DEFAULT_SPEED = 4
#: At most this many redraws a second while playing: faster speeds run more weeks a frame.
FRAMES_PER_SECOND = 4
AS_SHIPPED = " as shipped"

# Sized for a projector at 1280x720 and 100% zoom: the controls on one line, the levers in a
# column that scrolls on its own, the outcome plots beside them above the fold. Slider values
# are always shown (Vuetify shows them only while dragged) so a class can read them.
CSS = """
.partnersim-page { font-size: 14px; }
.partnersim-brand { font-size: 20px; font-weight: bold; color: #0072B2; }
.partnersim-week { font-size: 26px; font-weight: bold; min-width: 120px; }
.partnersim-counts { font-size: 15px; }
.partnersim-side { width: 330px; min-width: 330px; max-height: calc(100vh - 90px); overflow-y: auto;
    padding-right: 6px; }
.partnersim-main { flex: 1; min-width: 0; }
.partnersim-description { display: block; font-size: 14px; line-height: 1.4; }
.partnersim-run { display: block; color: #555555; font-size: 13px; }
.partnersim-shock { display: block; color: #D55E00; font-weight: bold; }
.partnersim-pending { display: block; color: #D55E00; font-weight: bold; }
.partnersim-lever { margin-top: 2px; }
.partnersim-lever .v-input { margin-top: 14px; }
.partnersim-lever .v-input__slot { margin-bottom: 0; }
.partnersim-lever .v-messages { min-height: 0; }
.partnersim-meaning { display: block; color: #444444; font-size: 14px; line-height: 1.25; margin-top: -4px; }
.partnersim-event, .partnersim-said, .partnersim-hint { display: block; font-size: 15px; }
.partnersim-class-code { font-size: 40px; font-weight: bold; }
.partnersim-class-count { font-size: 20px; }
.v-slider__thumb-label-container { display: block !important; }
.v-slider--horizontal .v-slider__thumb-label {
    transform: translate(-50%, -50%) !important; width: auto !important; min-width: 30px;
    height: 22px !important; padding: 0 5px; border-radius: 11px !important; font-size: 13px;
    bottom: auto !important; top: 50% !important; left: 50% !important; margin: 0 !important;
}
.v-slider__thumb-label > * { transform: none !important; }
.partnersim-table { border-collapse: collapse; font-size: 15px; }
.partnersim-table th { text-align: left; border-bottom: 2px solid #999; padding: 4px 10px; }
.partnersim-table td { border-bottom: 1px solid #ddd; padding: 3px 10px; vertical-align: top; }
"""

# Sessions run in threads of one server, and composing a configuration goes through Hydra's global
# state: one composition at a time.
_COMPOSING = threading.Lock()

# The folders of Solara's asset cache the page needs offline (scripts/install-web-assets.sh
# installs them; tests/test_app.py checks them against what the installed solara asks for).
WEB_ASSETS = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
)


# ------------------------------------------------------------------------------ presets and levers
def presets() -> list[str]:
    """The scenario presets, in teaching order, then any others found in ``configs/scenario/``."""
    found = sorted(path.stem for path in (CONFIG_DIR / "scenario").glob("*.yaml"))
    return [name for name in SCENARIOS if name in found] + [name for name in found if name not in SCENARIOS]


def levers() -> list[dataclasses.Field]:
    """The policy levers: the fields of :class:`sim.config.PolicyConfig`, in schema order."""
    return list(dataclasses.fields(PolicyConfig))


def lever_label(name: str) -> str:
    """How a lever is named on screen: ``pooled_budget_share`` -> ``pooled budget share``."""
    return name.replace("_", " ")


def _override(name: str, value: Any) -> str:
    """A Hydra override for a lever's value as an input gives it."""
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float):
        text = repr(round(value, 6))
    else:
        text = str(value)
    return f"policy.{name}={text}"


class AppModel(PartnershipModel):
    """The model as the app builds it: a preset, the seed and the levers' values, all by keyword.

    The page rebuilds a model on Reset by calling this class with the inputs' values as keyword
    arguments. It composes the preset as the command line does (``compose_config``), with
    the given levers and seed as overrides, so every value is validated by the same schema.

    Args:
        preset: the scenario preset (a file in ``configs/scenario/``).
        seed: the seed (a whole number, or its text as typed); None or blank keeps the preset's.
        lenient_seed: if the seed is not a valid seed, use the preset's and say so in ``notice``
            instead of raising (the app's setting: a typo must not stop a class).
        rng: a seed or generator that replaces ``seed`` (as for ``PartnershipModel``).
        scenario: Mesa's own ``Scenario`` object (as Mesa's SolaraViz would pass on Reset); not
            used (the preset is ``preset``).
        **policy: lever values by name (fields of :class:`sim.config.PolicyConfig`); None keeps
            the preset's value.

    Attributes:
        preset: the preset's name.
        notice: what was not used as given (an invalid seed), or "".

    Raises:
        ConfigError: for an unknown preset or lever, a value out of range or (unless
            ``lenient_seed``) an invalid seed.
    """

    def __init__(
        self,
        preset: str = DEFAULT_PRESET,
        seed: int | str | None = None,
        lenient_seed: bool = False,
        rng: Any = None,
        scenario: Any = None,
        **policy: Any,
    ):
        """Compose the preset with the levers and the seed, then build the model."""
        overrides = [_override(name, value) for name, value in policy.items() if value is not None]
        text = "" if seed is None else str(seed).strip()
        notice = ""
        # The seed is checked before anything converts it (a 5,000-digit seed is refused in words).
        checked, problem = runs.parse_seed(text) if text else (None, "")
        if problem and not lenient_seed:
            raise ConfigError(f"run.seed: {problem}")
        with _COMPOSING:
            config = compose_config(
                overrides + ([f"run.seed={checked}"] if checked is not None else []), scenario=preset
            )
        if problem:
            notice = f"{problem} Seed {config.run.seed} is used."
        super().__init__(config, rng=rng)
        self.preset = preset
        self.notice = notice


# ------------------------------------------------------------------------------ one lesson's state
class Lesson:
    """One browser tab's runs: the run as set, the reference it may be compared with, and the levers.

    Plain Python, so that the page's widgets only read it and call its methods. Every tab has its
    own (the page creates it in a ``use_memo``), so tabs never share a model.

    Args:
        preset: the scenario preset.
        levers: lever values that differ from the preset's (from a link), checked already.
        seed: the seed, or None for the preset's.

    Attributes:
        preset: the preset of the run on screen.
        levers: every lever's value as set in the controls (applied by :meth:`reset`).
        seed_text: the seed as typed.
        model: the run on screen.
        reference: the reference run, stepped as far as ``model``, or None when not comparing.
        reference_preset: the preset the reference runs as shipped.
        message: what went wrong at the last action, in words, or "".
    """

    def __init__(self, preset: str = DEFAULT_PRESET, levers: dict | None = None, seed: int | None = None):
        """Build the run for a preset, with the given levers and seed."""
        self.lock = threading.RLock()
        self.reference: AppModel | None = None
        self.reference_preset = preset
        self.message = ""
        self.choose(preset, levers or {}, seed)

    def choose(self, preset: str, levers: dict | None = None, seed: int | None = None) -> None:
        """Start a preset at week 0 with its own levers and seed, unless others are given."""
        shipped = AppModel(preset=preset)
        self.preset = preset
        self.levers = {name: getattr(shipped.config.policy, name) for name in runs.lever_fields()}
        self.levers.update(levers or {})
        # A scenario starts as shipped, its seed included, so that the guide's stories are the
        # ones the class sees.
        self.seed_text = str(seed if seed is not None else shipped.config.run.seed)
        self.reference_preset = preset
        self.model = shipped
        self.reset()

    def reset(self) -> bool:
        """Rebuild the run at week 0 with the preset, the levers as set and the seed as typed.

        Returns:
            Whether it was rebuilt; if not, ``message`` says why and the run on screen is kept.
        """
        seed, problem = runs.parse_seed(self.seed_text)
        if problem:
            self.message = problem + " The run was not rebuilt: correct the seed and press Reset."
            return False
        try:
            model = AppModel(preset=self.preset, seed=seed, **self.levers)
        except ConfigError as err:
            self.message = f"The run was not rebuilt: {err}"
            return False
        with self.lock:
            self.model = model
            self.message = ""
            if self.reference is not None:
                self.reference = AppModel(preset=self.reference_preset, seed=seed)
        return True

    def set_reference(self, preset: str | None) -> None:
        """Compare with ``preset`` as shipped at the same seed (caught up to this week), or stop."""
        with self.lock:
            if preset is None:
                self.reference = None
                return
            self.reference_preset = preset
            reference = AppModel(preset=preset, seed=self.model.config.run.seed)
            for _ in range(self.model.week):
                reference.step()
            self.reference = reference

    def step(self, weeks: int = 1) -> None:
        """Run both runs ``weeks`` weeks on."""
        with self.lock:
            for _ in range(weeks):
                self.model.step()
                if self.reference is not None:
                    self.reference.step()

    @property
    def finished(self) -> bool:
        """Whether the run has reached the scenario's last week."""
        return self.model.week >= self.model.config.run.weeks

    @property
    def pending(self) -> bool:
        """Whether the levers or the seed as set differ from the run on screen."""
        policy = self.model.config.policy
        moved = any(getattr(policy, name) != value for name, value in self.levers.items())
        return moved or self.seed_text.strip() != str(self.model.config.run.seed)

    def submission(self, name: str) -> Submission:
        """The run on screen as a class submission: levers, seed and the last year's outcomes."""
        m = self.model
        return Submission(
            name=name,
            scenario=self.preset,
            seed=m.config.run.seed,
            week=m.week,
            levers={lever: getattr(m.config.policy, lever) for lever in runs.lever_fields()},
            outcomes=runs.year_outcomes(m),
        )


def guarded(lesson: Lesson, action: Any) -> None:
    """Run a page action; whatever goes wrong becomes a message on the page, not a traceback."""
    try:
        action()
    except Exception as err:  # the page must survive anything; the log keeps the traceback
        traceback.print_exc()
        lesson.message = f"That did not work ({type(err).__name__}): {str(err)[:300]}"


# ------------------------------------------------------------------------------ the page's parts
@solara.component
def Chart(spec: dict, classes: list[str] | None = None):
    """A Vega-Lite chart given a spec built already (:class:`teaching_app.livechart.LiveChart`).

    The widget is made once. A spec whose shape (everything but its data) is unchanged only
    replaces the chart's datasets, which the browser redraws in place; a new shape embeds the
    chart afresh. As the argument of an element, the spec would also be walked by reacton on
    every render in search of child elements: with a week's data in it that took about 45 ms.
    """
    shape = {key: value for key, value in spec.items() if key != "datasets"}
    data = spec.get("datasets", {})
    chart = solara.use_memo(lambda: LiveChart(spec=shape, datasets=data), [])

    def show() -> None:
        # The shapes come from lru_caches, so this compares the same objects, quickly.
        if chart.spec != shape:
            with chart.hold_sync():
                chart.datasets = data
                chart.spec = shape
        elif chart.datasets is not data:
            chart.datasets = data

    solara.use_effect(show, None)
    solara.use_effect(lambda: chart.close, [])
    return solara.Div(children=[chart], classes=classes or [])


def html_table(header: tuple[str, ...], rows: list[tuple], classes: list[str] | None = None) -> None:
    """A plain table (one widget, so it costs little to redraw every week)."""
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>",
        classes=["partnersim-table"] + (classes or []),
    )


def shock_lines(model: PartnershipModel) -> list[str]:
    """One line per dated shock of the scenario: what, when, who, how much, and if it has happened."""
    out = []
    for shock in model.config.scenario.shocks:
        done = shock.week in model.shock_weeks
        who = SECTOR_PROFILE[shock.agency]["label"].lower()
        out.append(
            f"Shock {'in' if done else 'due in'} week {shock.week}: {shock.kind.replace('_', ' ')}, "
            f"{who}, {shock.share:.0%}{' (it has happened)' if done else ''}"
        )
    return out


def _shown(value: Any) -> str:
    """A lever's value as the page shows it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def run_line(model: PartnershipModel) -> str:
    """The values this run was built with: the scenario, every lever and the seed."""
    policy = model.config.policy
    parts = [f"{lever_label(lever.name)} {_shown(getattr(policy, lever.name))}" for lever in levers()]
    return (
        f"This run: {model.config.scenario.name} · " + " · ".join(parts) + f" · seed {model.config.run.seed}"
    )


def speed_label(weeks: int) -> str:
    """A play speed as the page names it."""
    return f"{weeks} week{'s' if weeks != 1 else ''} per second"


@solara.component
def LeverControl(lever: dataclasses.Field, value: Any, on_value: Any):
    """One lever's input, built from the schema's metadata, with its one-line meaning beneath."""
    kind = typing.get_type_hints(PolicyConfig)[lever.name]
    label = lever_label(lever.name)
    meta = lever.metadata
    with solara.Div(classes=["partnersim-lever"]):
        if kind is bool:
            solara.Checkbox(label=label, value=bool(value), on_value=on_value)
        elif meta.get("choices"):
            solara.Select(
                label=label, value=value, values=list(meta["choices"]), on_value=on_value, dense=True
            )
        elif kind is int:
            lo, hi = meta["range"]
            solara.SliderInt(
                label,
                value=int(value),
                min=int(lo),
                max=int(hi),
                step=1,
                on_value=on_value,
                thumb_label="always",
            )
        else:
            lo, hi = meta["range"]
            step = 1.0 if hi - lo >= 10 else 0.01
            solara.SliderFloat(
                label,
                value=float(value),
                min=float(lo),
                max=float(hi),
                step=step,
                on_value=on_value,
                thumb_label="always",
            )
        solara.Text(meta["doc"], classes=["partnersim-meaning"])


@solara.component
def Controls(
    lesson: Lesson,
    tick: solara.Reactive[int],
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    preset: solara.Reactive[str],
    edits: solara.Reactive[int],
):
    """The bar at the top: scenario, week, Step, play/pause, Reset, speed and how many wait."""
    tick.value  # noqa: B018  (read, so that the bar redraws each week)
    m = lesson.model

    def act(action: Any) -> None:
        guarded(lesson, action)
        tick.value += 1

    def choose(name: str) -> None:
        playing.value = False
        act(lambda: lesson.choose(name))
        edits.value += 1
        preset.value = lesson.preset

    def reset() -> None:
        playing.value = False
        act(lesson.reset)
        edits.value += 1

    with solara.Row(
        classes=["partnersim-controls"], style={"align-items": "center", "flex-wrap": "wrap", "gap": "10px"}
    ):
        solara.Text("partnersim", classes=["partnersim-brand"])
        with solara.Div(style={"width": "200px"}, classes=["partnersim-scenario"]):
            solara.Select(
                label="scenario", value=lesson.preset, values=presets(), on_value=choose, dense=True
            )
        solara.Text(f"Week {m.week}", classes=["partnersim-week"])
        solara.Button("Step", color="primary", on_click=lambda: act(lesson.step), disabled=playing.value)
        solara.Button(
            "❚❚ Pause" if playing.value else "▶ Play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=lesson.finished and not playing.value,
        )
        solara.Button("Reset", color="primary", on_click=reset)
        with solara.Div(style={"width": "190px"}, classes=["partnersim-speed"]):
            solara.Select(
                label="play speed",
                value=speed_label(speed.value),
                values=[speed_label(w) for w in SPEEDS],
                on_value=lambda text: speed.set(int(text.split()[0])),
                dense=True,
            )
        active = m.pop.active_rows()
        solara.Text(
            f"{active.size:,} using services, {int(m.pop.waiting(active).sum()):,} waiting",
            classes=["partnersim-counts"],
        )


@solara.component
def Levers(lesson: Lesson, edits: solara.Reactive[int]):
    """The scenario's paragraph, the seed and every lever with its meaning (applied by Reset).

    It redraws when a lever, the seed or the run's settings change, not every week: a step
    redraws only what a week changes (a step's redraw is what a class waits for).
    """
    edits.value  # noqa: B018
    m = lesson.model

    def setter(name: str) -> Any:
        def set_value(value: Any) -> None:
            lesson.levers[name] = value
            edits.value += 1

        return set_value

    def set_seed(text: str | None) -> None:
        lesson.seed_text = text or ""
        _seed, problem = runs.parse_seed(lesson.seed_text)
        lesson.message = problem
        edits.value += 1

    solara.Text(m.config.scenario.description, classes=["partnersim-description"])
    for line in shock_lines(m):
        solara.Text(line, classes=["partnersim-shock"])
    solara.Text(run_line(m), classes=["partnersim-run"])
    if lesson.pending:
        solara.Text("Levers moved: press Reset to run with them.", classes=["partnersim-pending"])
    _seed, seed_problem = runs.parse_seed(lesson.seed_text)
    solara.InputText(
        "seed", value=lesson.seed_text, on_value=set_seed, error=seed_problem or False, dense=True
    )
    for lever in levers():
        LeverControl(lever, lesson.levers[lever.name], setter(lever.name)).key(
            f"{lesson.preset}-{lever.name}"
        )


@solara.component
def Messages(lesson: Lesson, tick: solara.Reactive[int], problems: list[str]):
    """What went wrong (a bad seed, a bad link), in words, in the page."""
    tick.value  # noqa: B018
    for text in problems + ([lesson.model.notice] if lesson.model.notice else []):
        solara.Warning(text, classes=["partnersim-notice"])
    if lesson.message:
        solara.Error(lesson.message, classes=["partnersim-message"])


@solara.component
def Compare(lesson: Lesson, tick: solara.Reactive[int]):
    """Compare mode: pick a reference run; the difference per outcome in words and numbers."""
    tick.value  # noqa: B018

    def toggle(on: bool) -> None:
        guarded(lesson, lambda: lesson.set_reference(lesson.preset if on else None))
        tick.value += 1

    def pick(text: str) -> None:
        guarded(lesson, lambda: lesson.set_reference(text.removesuffix(AS_SHIPPED)))
        tick.value += 1

    with solara.Card(margin=0, classes=["partnersim-compare"]):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "16px"}):
            solara.Checkbox(
                label="compare with a reference run", value=lesson.reference is not None, on_value=toggle
            )
            if lesson.reference is not None:
                with solara.Div(style={"width": "260px"}):
                    solara.Select(
                        label="reference",
                        value=lesson.reference_preset + AS_SHIPPED,
                        values=[name + AS_SHIPPED for name in presets()],
                        on_value=pick,
                        dense=True,
                    )
        if lesson.reference is None:
            solara.Text(
                "Your run against the scenario as shipped, or another, at the same seed.",
                classes=["partnersim-hint"],
            )
            return
        m = lesson.model
        first = max(0, m.week - runs.YEAR) + 1
        solara.Text(
            f"Your change (solid lines) against {lesson.reference_preset} as shipped (dashed grey), "
            f"seed {m.config.run.seed}; weeks {first}-{m.week}:"
            if m.week
            else "Step to compare.",
            classes=["partnersim-hint"],
        )
        if m.week:
            rows = [
                (r["words"], r["yours"], r["reference"], r["verdict"])
                for r in runs.differences(m, lesson.reference)
            ]
            html_table(
                ("difference", "your change", "reference", "for users"), rows, ["partnersim-differences"]
            )


@solara.component
def Plots(lesson: Lesson, tick: solara.Reactive[int]):
    """The six outcome plots (with the reference overlaid when comparing)."""
    tick.value  # noqa: B018
    Chart(app_views.outcomes_chart(lesson.model, lesson.reference), classes=["partnersim-plots"])


@solara.component
def Story(lesson: Lesson, tick: solara.Reactive[int]):
    """What happened so far, in words: the events marked on the charts."""
    tick.value  # noqa: B018
    events = runs.narrative(lesson.model)
    with solara.Card("What happened", margin=0, classes=["partnersim-narrative"]):
        if not events:
            solara.Text("Nothing marked yet: no shock, no partner taking money back, no sharp fall of trust.")
        for e in events:
            solara.Text(
                f"Week {e['week']}: {e['text']}",
                classes=["partnersim-event", f"partnersim-{e['kind'].replace(' ', '-')}"],
            )


@solara.component
def Pictures(lesson: Lesson, tick: solara.Reactive[int]):
    """The map, the network and, when a user is traced, her journey."""
    tick.value  # noqa: B018
    m = lesson.model
    row = {"flex-wrap": "wrap", "gap": "12px", "align-items": "flex-start"}
    with solara.Row(style=row):
        Chart(app_views.map_chart(m), classes=["partnersim-map"])
        Chart(app_views.network_chart(m), classes=["partnersim-network"])
    if m.config.scenario.trace_user:
        with solara.Card(margin=0, classes=["partnersim-journey"]), solara.Row(style=row):
            Chart(app_views.journey_chart(m))
            spans = app_views.journey_spans(m.journey)
            rows = [
                (s["when"], s["event"], s["need"], s["agency"], s["professional"])
                for s in reversed(spans.to_dict("records"))
            ]
            with solara.Div(style={"max-height": "420px", "overflow-y": "auto"}):
                html_table(("when", "what happened", "need", "agency", "professional"), rows)


@solara.component
def Export(lesson: Lesson, edits: solara.Reactive[int]):
    """Download the run's weekly table (CSV) and its charts (PNG)."""
    edits.value  # noqa: B018
    m = lesson.model
    stem = f"partnersim-{m.config.scenario.name}-seed{m.config.run.seed}"
    with solara.Row(classes=["partnersim-export"], style={"flex-wrap": "wrap"}):
        solara.FileDownload(
            lambda: runs.weekly_csv(lesson.model),
            filename=stem + ".csv",
            label="weekly table (CSV)",
            mime_type="text/csv",
        )
        solara.FileDownload(
            lambda: runs.overview_png(lesson.model),
            filename=stem + ".png",
            label="charts (PNG)",
            mime_type="image/png",
        )


@solara.component
def SubmitToClass(lesson: Lesson, code: str):
    """A student's tab: submit the run on screen (levers and last year's outcomes) to a class."""
    class_code = solara.use_reactive(code)
    name = solara.use_reactive("")
    said = solara.use_reactive("")

    def submit() -> None:
        typed = (class_code.value or "").strip().upper()
        if not (typed.isalnum() and len(typed) <= 12):
            said.value = "Type the class code shown on the teacher's screen (letters and digits)."
            return
        if lesson.model.week < 1:
            said.value = "Run at least one week before submitting."
            return
        problem = CLASSROOM.submit(typed, lesson.submission(name.value or ""))
        said.value = problem or f"Submitted to class {typed}: week {lesson.model.week}, {lesson.preset}."

    with solara.Card("Submit to the class", margin=0, classes=["partnersim-submit"]):
        solara.InputText("class code", value=class_code, continuous_update=True, dense=True)
        solara.InputText("your name", value=name, continuous_update=True, dense=True)
        solara.Button("Submit this run", color="primary", on_click=submit)
        if said.value:
            solara.Text(said.value, classes=["partnersim-said"])


@solara.component
def LessonPage(query: runs.Query):
    """One tab's lesson: the controls, the levers, the plots, comparison, the story and the pictures."""

    def make() -> Lesson:
        try:
            return Lesson(query.scenario or DEFAULT_PRESET, query.levers, query.seed)
        except ConfigError as err:  # a link's levers that the schema refuses together
            query.problems.append(f"The link's settings were not used: {err}")
            return Lesson(query.scenario or DEFAULT_PRESET)

    lesson = solara.use_memo(make, [])
    tick = solara.use_reactive(0)  # a week has run: what a week changes redraws
    edits = solara.use_reactive(0)  # the run was rebuilt, or a lever or the seed moved
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    preset = solara.use_reactive(lesson.preset)  # the page's class names the scenario shown

    def play(cancel: threading.Event) -> None:
        # Frames of at most FRAMES_PER_SECOND a second, each running as many weeks as the speed asks.
        period = max(1.0 / FRAMES_PER_SECOND, 1.0 / speed.value)
        weeks = max(1, round(speed.value * period))
        while playing.value and not cancel.is_set():
            t0 = time.monotonic()
            left = lesson.model.config.run.weeks - lesson.model.week
            if left <= 0:
                playing.value = False
                break
            now = min(weeks, left)
            guarded(lesson, lambda n=now: lesson.step(n))
            tick.value += 1
            time.sleep(max(0.0, period - (time.monotonic() - t0)))

    solara.use_thread(play, dependencies=[playing.value, speed.value])

    with solara.Div(classes=["partnersim-page", f"partnersim-{preset.value}"]):
        Controls(lesson, tick, playing, speed, preset, edits)
        Messages(lesson, tick, list(query.problems))
        with solara.Row(style={"align-items": "flex-start", "gap": "12px", "flex-wrap": "nowrap"}):
            with solara.Column(classes=["partnersim-side"]):
                Levers(lesson, edits)
                Export(lesson, edits)
                SubmitToClass(lesson, query.class_code)
            with solara.Column(classes=["partnersim-main"]):
                Plots(lesson, tick)
                Compare(lesson, tick)
                Story(lesson, tick)
                Pictures(lesson, tick)


# ------------------------------------------------------------------------------ the class page
@solara.component
def ClassPage():
    """The teacher's class page: the class code, and every run students submitted, live."""
    code = solara.use_memo(CLASSROOM.open_class, [])
    count = solara.use_reactive(0)
    axes = solara.use_reactive(("partnership_hours", "unmet_need"))

    def poll(cancel: threading.Event) -> None:
        # Sessions cannot push into each other's pages: this page looks twice a second.
        while not cancel.is_set():
            n = CLASSROOM.count(code)
            if n != count.value:
                count.value = n
            time.sleep(0.5)

    solara.use_thread(poll, dependencies=[])
    frame = class_table(CLASSROOM.submissions(code))
    labels = {outcome(name).label: name for name in runs.COMPARED}
    with solara.Column(classes=["partnersim-class"], style={"padding": "12px", "gap": "12px"}):
        solara.Text(f"Class {code}", classes=["partnersim-class-code"])
        solara.Text(
            f"Students: open this app with ?class={code} at the end of its address, or type {code} under "
            "'Submit to the class', and press 'Submit this run'. Runs are kept in this app's memory only, "
            "until it stops; download them to keep them.",
            classes=["partnersim-hint"],
        )
        solara.Text(
            f"{count.value} run{'s' if count.value != 1 else ''} submitted",
            classes=["partnersim-class-count"],
        )
        with solara.Row(style={"gap": "16px"}):
            with solara.Div(style={"width": "280px"}):
                solara.Select(
                    label="across",
                    value=outcome(axes.value[0]).label,
                    values=list(labels),
                    on_value=lambda t: axes.set((labels[t], axes.value[1])),
                    dense=True,
                )
            with solara.Div(style={"width": "280px"}):
                solara.Select(
                    label="up",
                    value=outcome(axes.value[1]).label,
                    values=list(labels),
                    on_value=lambda t: axes.set((axes.value[0], labels[t])),
                    dense=True,
                )
            solara.FileDownload(
                lambda: class_table(CLASSROOM.submissions(code)).to_csv(index=False).encode(),
                filename=f"class-{code}.csv",
                label="download the class (CSV)",
                mime_type="text/csv",
            )
        Chart(app_views.class_chart(frame, *axes.value), classes=["partnersim-class-scatter"])
        shown = ["name", "scenario", "seed", "weeks"] + list(runs.COMPARED)
        rows = (
            [
                tuple(
                    r[c] if c in ("name", "scenario", "seed", "weeks") else runs.shown(c, r[c]) for c in shown
                )
                for r in frame.to_dict("records")
            ]
            if len(frame)
            else []
        )
        html_table(
            tuple(["name", "scenario", "seed", "weeks"] + [outcome(n).label for n in runs.COMPARED]),
            rows,
            ["partnersim-class-table"],
        )
        if len(frame):
            lever_rows = [
                (r["name"],) + tuple(_shown(r[lever.name]) for lever in levers())
                for r in frame.to_dict("records")
            ]
            html_table(
                ("name",) + tuple(lever_label(lever.name) for lever in levers()),
                lever_rows,
                ["partnersim-class-levers"],
            )


@solara.component
def Page():
    """The app's page: a lesson, or with ``?teacher=1`` the class page. Each tab renders its own."""
    router = solara.use_router()
    query = solara.use_memo(lambda: runs.parse_query(router.search, presets()), [])
    solara.Title("partnersim")
    solara.Style(CSS)
    if query.teacher:
        ClassPage()
    else:
        LessonPage(query)


@solara.component
def Layout(children: list = []):  # noqa: B006  (Solara's signature for a layout)
    """The page without Solara's app bar: every pixel of a projector's 720 rows is the app's."""
    return solara.Column(children=children, style={"padding": "8px 12px", "gap": "8px"})


# ------------------------------------------------------------------------------ serving
def missing_web_assets() -> list[str]:
    """The folders of :data:`WEB_ASSETS` missing from Solara's asset cache."""
    from solara.server import settings

    cache = Path(settings.assets.proxy_cache_dir)
    return [name for name in WEB_ASSETS if not (cache / name / "package.json").is_file()]


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def reach_notice(host: str, port: int) -> str:
    """The one line said when ``--host`` opens the app beyond this computer, or "" for loopback.

    Args:
        host: the address the app binds to.
        port: its port.

    Returns:
        The line (empty for a loopback address such as 127.0.0.1, ::1 or localhost).
    """
    if host in ("localhost", "::1") or host.startswith("127."):
        return ""
    who = "every network this computer is on" if host in ("0.0.0.0", "::", "") else f"the network of {host}"
    return (
        f"partnersim-app: listening on {host}:{port}: anyone on {who} who can reach this computer "
        "can open the app and run models on it (there is no password)."
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the app (``partnersim-app [--host HOST] [--port PORT] [--open]``) until interrupted.

    Args:
        argv: the arguments (default: the command line).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog="partnersim-app",
        description="Serve partnersim's teaching app in the browser.",
    )
    parser.add_argument(
        "--host",
        default=LOOPBACK,
        help=f"address to serve on (default {LOOPBACK}: this computer only; 0.0.0.0: the class's devices)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    parser.add_argument("--open", action="store_true", help="open the app in the default web browser")
    args = parser.parse_args(argv)
    port = args.port or _free_port(args.host)

    # Solara's own command, as a user would type it (``solara run``), in place of this process.
    # A classroom may be offline, and the app reports nothing anywhere; and served over http on
    # this machine, Solara's cookies fall back to SameSite=Lax, as they should: its warning about
    # that, once per browser tab, is only noise here.
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    env["PYTHONWARNINGS"] = ",".join(
        w for w in (env.get("PYTHONWARNINGS"), "ignore:Cookies with samesite=none require https") if w
    )
    missing = missing_web_assets()
    if missing:
        print(
            f"partnersim-app: web assets missing ({', '.join(missing)}): run scripts/install-web-assets.sh, "
            "or the page needs the internet to load",
            file=sys.stderr,
        )
    print(f"partnersim-app: http://{args.host}:{port}/  (Ctrl+C stops it)", flush=True)
    notice = reach_notice(args.host, port)
    if notice:
        print(notice, flush=True)
    command = [
        sys.executable, "-m", "solara", "run", "teaching_app.app",
        "--host", args.host, "--port", str(port), "--production",
        "--open" if args.open else "--no-open", "--no-check-version",
    ]  # fmt: skip
    os.execve(sys.executable, command, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
