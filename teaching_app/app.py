"""The teaching app: partnersim in the browser, on Mesa's SolaraViz.

A teacher picks a scenario, reads its paragraph, moves the levers, presses play and watches the
people who use services: a map of the localities with their council and health boundaries and
the users waiting in each, the professionals' network shaded by trust, live plots of the outcomes
with shocks marked and, in ``mrs_smith``, Mrs Smith's journey as a timeline.

Start it with ``partnersim-app`` (or ``python -m teaching_app.app``); it serves on 127.0.0.1 and prints
its address. This module is presentation only: it builds the same model from the same presets and
schema as the command line (:func:`runner.compose.compose_config`), and draws what the model holds
(:mod:`teaching_app.views`). Each browser session (each tab) gets its own model.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import os
import socket
import sys
import threading
import typing
from pathlib import Path
from typing import Any

import solara
import solara.widgets
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from runner.compose import CONFIG_DIR, compose_config
from runner.palette import GREY
from sim.agents import SECTOR_PROFILE
from sim.config import SCENARIOS, ConfigError, PolicyConfig
from sim.model import PartnershipModel
from teaching_app import views as app_views

DEFAULT_PRESET = "baseline"
DEFAULT_PORT = 8765
PLAY_INTERVAL_MS = 200

# Show each slider's value at all times (Vuetify shows it only while the slider is dragged), as a
# small label in place of the thumb, so a class can read the levers off the projector.
CSS = """
.v-slider__thumb-label-container { display: block !important; }
.v-slider--horizontal .v-slider__thumb-label {
    transform: translate(-50%, -50%) !important; width: auto !important; min-width: 28px;
    height: 20px !important; padding: 0 5px; border-radius: 10px !important; font-size: 11px;
    bottom: auto !important; top: 50% !important; left: 50% !important; margin: 0 !important;
}
.v-slider__thumb-label > * { transform: none !important; }
.partnersim-week { font-size: 28px; font-weight: bold; }
.partnersim-table { border-collapse: collapse; font-size: 14px; }
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


def lever_input(lever: dataclasses.Field, value: Any) -> dict[str, Any]:
    """The input for one lever, as a SolaraViz parameter spec built from the schema's metadata.

    Booleans are checkboxes, fields with choices are selects and numbers are sliders over their
    range (integers in steps of 1; floats in hundredths, or in whole units over wide ranges).

    Args:
        lever: a field of :class:`sim.config.PolicyConfig`.
        value: the value the input starts at (the preset's).

    Returns:
        A dict for SolaraViz's ``model_params``.
    """
    kind = typing.get_type_hints(PolicyConfig)[lever.name]
    label = lever_label(lever.name)
    if kind is bool:
        return {"type": "Checkbox", "value": bool(value), "label": label}
    if lever.metadata.get("choices"):
        return {"type": "Select", "value": value, "values": list(lever.metadata["choices"]), "label": label}
    lo, hi = lever.metadata["range"]
    if kind is int:
        return {
            "type": "SliderInt",
            "value": int(value),
            "min": int(lo),
            "max": int(hi),
            "step": 1,
            "label": label,
        }
    step = 1.0 if hi - lo >= 10 else 0.01
    return {
        "type": "SliderFloat",
        "value": float(value),
        "min": float(lo),
        "max": float(hi),
        "step": step,
        "label": label,
    }


def model_params(model: AppModel) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the preset (fixed), the seed and every lever at the model's value.

    Args:
        model: the model the session starts with. Its preset is passed unchanged to every model
            Reset builds; its configuration gives the inputs' starting values.

    Returns:
        The dict for SolaraViz.
    """
    policy = model.config.policy
    params: dict[str, Any] = {
        "preset": model.preset,
        "lenient_seed": True,
        "seed": {"type": "InputText", "value": str(model.config.run.seed), "label": "seed"},
    }
    for lever in levers():
        params[lever.name] = lever_input(lever, getattr(policy, lever.name))
    return params


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

    SolaraViz rebuilds a model on Reset by calling its class with the inputs' values as keyword
    arguments. This class composes the preset as the command line does (``compose_config``), with
    the given levers and seed as overrides, so every value is validated by the same schema.

    Args:
        preset: the scenario preset (a file in ``configs/scenario/``).
        seed: the seed (a whole number, or its text as typed); None or blank keeps the preset's.
        lenient_seed: if the seed is not a valid seed, use the preset's and say so in ``notice``
            instead of raising (the app's setting: a typo must not stop a class).
        rng: a seed or generator that replaces ``seed`` (as for ``PartnershipModel``).
        scenario: Mesa's own ``Scenario`` object, which SolaraViz passes on Reset; not used (the
            preset is ``preset``).
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
        try:
            with _COMPOSING:
                config = compose_config(overrides + ([f"run.seed={text}"] if text else []), scenario=preset)
        except ConfigError:
            if not (text and lenient_seed):
                raise
            # Composing again without the seed raises if the fault was elsewhere.
            with _COMPOSING:
                config = compose_config(overrides, scenario=preset)
            notice = (
                f"The seed {text!r} is not a whole number from 0 to 4294967295: "
                f"seed {config.run.seed} is used."
            )
        super().__init__(config, rng=rng)
        self.preset = preset
        self.notice = notice


# ------------------------------------------------------------------------------ the page
@solara.component
def Chart(spec: dict):
    """A Vega-Lite chart: the widget behind ``solara.FigureAltair``, given a spec built already.

    The widget is made once, with the first spec, and each later spec is set on it directly. As
    the argument of an element, the spec would be walked by reacton on every render in search of
    child elements: with a week's data in them that took about 45 ms a step.
    """
    chart = solara.use_memo(
        lambda: solara.widgets.VegaLite(spec=spec, listen_to_click=False, listen_to_hover=False), []
    )

    def show() -> None:
        if chart.spec is not spec:
            chart.spec = spec

    solara.use_effect(show, None)
    solara.use_effect(lambda: chart.close, [])
    return solara.Div(children=[chart])


def html_table(header: tuple[str, ...], rows: list[tuple]) -> None:
    """A plain table (one widget, so it costs little to redraw every week)."""
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>",
        classes=["partnersim-table"],
    )


@solara.component
def ScenarioPanel(model: solara.Reactive[AppModel], preset: solara.Reactive[str]):
    """The scenario picker, the week, the scenario's paragraph and its shocks."""
    update_counter.get()
    m = model.value
    with solara.Card(margin=0, classes=["partnersim-scenario"]):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "24px"}):
            with solara.Div(style={"min-width": "260px"}):
                solara.Select(label="scenario", value=preset.value, values=presets(), on_value=preset.set)
            solara.Text(f"Week {m.week}", classes=["partnersim-week"])
            solara.Text(
                f"{m.pop.active_rows().size:,} people using services, "
                f"{int(m.pop.waiting(m.pop.active_rows()).sum()):,} of them waiting",
                style={"font-size": "16px"},
            )
        solara.Text(
            m.config.scenario.description,
            classes=["partnersim-description"],
            style={"display": "block", "font-size": "16px", "line-height": "1.5", "max-width": "1100px"},
        )
        if m.notice:
            solara.Warning(m.notice, classes=["partnersim-notice"])
        for line in shock_lines(m):
            solara.Text(
                line, style={"display": "block", "color": app_views.SHOCK_COLOUR, "font-weight": "bold"}
            )
        solara.Text(run_line(m), classes=["partnersim-run"], style={"display": "block", "color": GREY})


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
    """The values this run was built with: every lever and the seed."""
    policy = model.config.policy
    parts = [f"{lever_label(lever.name)} {_shown(getattr(policy, lever.name))}" for lever in levers()]
    return "This run: " + " · ".join(parts) + f" · seed {model.config.run.seed}"


@solara.component
def LeverGuide(model: solara.Reactive[AppModel]):
    """What each lever means, its range and its value in this run (from the schema's metadata)."""
    policy = model.value.config.policy
    rows = []
    for lever in levers():
        meta = lever.metadata
        if meta.get("choices"):
            span = " or ".join(meta["choices"])
        elif isinstance(lever.default, bool):
            span = "on/off"
        else:
            span = f"{meta['range'][0]:g} to {meta['range'][1]:g}"
        rows.append((lever_label(lever.name), _shown(getattr(policy, lever.name)), span, meta["doc"]))
    with solara.Details("What the levers mean"):
        html_table(("lever", "this run", "range", "meaning"), rows)
        solara.Text("Move the levers in the sidebar, then press Reset to run with them.")


@solara.component
def Views(model: solara.Reactive[AppModel]):
    """The map, the network, the outcome plots and, when a user is traced, her journey."""
    update_counter.get()
    m = model.value
    row = {"flex-wrap": "wrap", "gap": "12px", "align-items": "flex-start"}
    if m.config.scenario.trace_user:
        with solara.Card(margin=0, classes=["partnersim-journey"]), solara.Row(style=row):
            Chart(app_views.journey_chart(m))
            JourneyList(model)
    with solara.Row(style=row):
        with solara.Card(margin=0, classes=["partnersim-map"]):
            Chart(app_views.map_chart(m))
        with solara.Card(margin=0, classes=["partnersim-network"]):
            Chart(app_views.network_chart(m))
    with solara.Card(margin=0, classes=["partnersim-plots"]):
        Chart(app_views.outcomes_chart(m))


@solara.component
def JourneyList(model: solara.Reactive[AppModel]):
    """Mrs Smith's events in words, the latest first."""
    update_counter.get()
    spans = app_views.journey_spans(model.value.journey)
    rows = [
        (span["when"], span["event"], span["agency"], span["professional"])
        for span in reversed(spans.to_dict("records"))
    ]
    with solara.Div(style={"max-height": "280px", "overflow-y": "auto"}):
        html_table(("when", "what happened", "agency", "professional"), rows)


@solara.component
def Session(preset: solara.Reactive[str]):
    """One scenario in one browser session: its own model, Mesa's controls and the views.

    The page rebuilds this component when the scenario changes, so the inputs start again at the
    new preset's values.
    """
    first = solara.use_memo(lambda: AppModel(preset=preset.value, lenient_seed=True), [])
    model = solara.use_reactive(first)
    SolaraViz(
        model,
        components=[],
        model_params=model_params(first),
        name="partnersim",
        play_interval=PLAY_INTERVAL_MS,
    )
    with solara.Column(style={"padding": "12px", "gap": "12px"}):
        ScenarioPanel(model, preset)
        Views(model)
        LeverGuide(model)


@solara.component
def Page():
    """The app's page. Each browser session renders its own, so sessions never share a model."""
    preset = solara.use_reactive(DEFAULT_PRESET)
    solara.Title("partnersim")
    solara.Style(CSS)
    # A new key gives the session fresh state. The wrapper's class changes with it: reacton
    # (1.11) does not re-render a container whose arguments are unchanged, keys aside.
    with solara.Div(classes=[f"partnersim-{preset.value}"]):
        Session(preset).key(f"session-{preset.value}")


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


def main(argv: list[str] | None = None) -> int:
    """Serve the app (``partnersim-app [--host HOST] [--port PORT] [--open]``) until interrupted.

    Args:
        argv: the arguments (default: the command line).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog="partnersim-app",
        description="Serve partnersim's teaching app (Mesa SolaraViz) in the browser.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
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
    command = [
        sys.executable, "-m", "solara", "run", "teaching_app.app",
        "--host", args.host, "--port", str(port), "--production",
        "--open" if args.open else "--no-open", "--no-check-version",
    ]  # fmt: skip
    os.execve(sys.executable, command, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
