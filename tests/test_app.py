"""The teaching app (``partnersim-app``): its model glue, its views, and the app in a real browser.

The first tests run in process: the lever inputs built from the schema, the wrapper model that
SolaraViz rebuilds on Reset, the data behind the views and the offline web assets. The browser
tests start the app on a free port of 127.0.0.1 (``python -m teaching_app.app``, or the installed
``partnersim-app``), drive Debian's Chromium through Playwright and stop the app by its PID. They
block every request that leaves 127.0.0.1, so a page that needs the internet fails them. A
screenshot and the app's log are kept in ``tests/artifacts/``.

Without Chromium (``apt-get install chromium``; another path in ``$CHROMIUM``) or Playwright
the browser tests are skipped, unless ``PARTNERSIM_BROWSER_TESTS=require`` (as in CI), which
makes them fail instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
import typing
from pathlib import Path

import numpy as np
import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, browser_missing, free_port, wait_for_app
from runner.compose import CONFIG_DIR, compose_config
from sim.config import ConfigError, PolicyConfig, to_dict
from teaching_app import app
from teaching_app import views as app_views

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
POOL_WITHDRAWAL_OPENING = "A partnership that works until a partner pulls its money out."


# ------------------------------------------------------------------------------ levers and presets
def test_presets_are_every_scenario_file_baseline_first():
    names = app.presets()
    assert names[0] == "baseline"
    assert sorted(names) == sorted(p.stem for p in (CONFIG_DIR / "scenario").glob("*.yaml"))


@pytest.mark.parametrize("preset", ["baseline", "care_trust", "pool_withdrawal"])
def test_every_lever_has_an_input_built_from_its_metadata(preset):
    model = app.AppModel(preset=preset)
    params = app.model_params(model)
    hints = typing.get_type_hints(PolicyConfig)
    assert params["preset"] == preset
    assert params["seed"] == {"type": "InputText", "value": "42", "label": "seed"}
    for lever in dataclasses.fields(PolicyConfig):
        spec = params[lever.name]
        value = getattr(model.config.policy, lever.name)
        assert spec["value"] == value, lever.name
        assert spec["label"] == lever.name.replace("_", " ")
        if hints[lever.name] is bool:
            assert spec["type"] == "Checkbox"
        elif lever.metadata["choices"]:
            assert spec["type"] == "Select"
            assert spec["values"] == list(lever.metadata["choices"])
        else:
            lo, hi = lever.metadata["range"]
            assert spec["type"] == ("SliderInt" if hints[lever.name] is int else "SliderFloat")
            assert (spec["min"], spec["max"]) == (lo, hi)
            assert spec["min"] <= value <= spec["max"]
            steps = (value - spec["min"]) / spec["step"]
            assert abs(steps - round(steps)) < 1e-6, f"{lever.name}={value} is not on the slider's steps"


def test_app_model_is_the_preset_composed_with_levers_and_seed():
    model = app.AppModel(preset="care_trust", seed="7", coterminosity=0.3, meeting_attendance="everyone")
    expected = compose_config(
        ["policy.coterminosity=0.3", "policy.meeting_attendance=everyone", "run.seed=7"],
        scenario="care_trust",
    )
    assert to_dict(model.config) == to_dict(expected)
    assert model.preset == "care_trust" and model.notice == ""
    twin = app.AppModel(preset="care_trust", seed=7, coterminosity=0.3, meeting_attendance="everyone")
    for _ in range(5):
        model.step()
        twin.step()
    assert model.row == twin.row


def test_app_model_rejects_what_the_schema_rejects():
    with pytest.raises(ConfigError, match="coterminosity"):
        app.AppModel(coterminosity=1.5)
    with pytest.raises(ConfigError, match="no_such_lever"):
        app.AppModel(no_such_lever=1)
    with pytest.raises(ConfigError, match="seed"):
        app.AppModel(seed="abc")
    with pytest.raises(ConfigError):
        app.AppModel(preset="no_such_preset")


def test_a_bad_seed_typed_in_the_app_keeps_the_preset_seed_and_says_so():
    for typed in ("abc", "-5", str(2**40)):
        model = app.AppModel(preset="baseline", seed=typed, lenient_seed=True, shared_records=0.9)
        assert model.config.run.seed == 42
        assert model.config.policy.shared_records == 0.9
        assert repr(typed) in model.notice
    with pytest.raises(ConfigError, match="shared_records"):  # only the seed is forgiven
        app.AppModel(seed="abc", lenient_seed=True, shared_records=2.0)


def test_the_inputs_rebuild_the_model_with_their_values():
    # SolaraViz's Reset builds a new model from every input's value, passed by name.
    model = app.AppModel(preset="pool_withdrawal", lenient_seed=True)
    params = app.model_params(model)
    values = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    values.update(seed="9", joint_indicators=0.8, no_detriment=True)
    rebuilt = app.AppModel(**values)
    assert rebuilt.config.scenario.name == "pool_withdrawal"
    assert rebuilt.config.run.seed == 9
    assert rebuilt.config.policy.joint_indicators == 0.8
    assert rebuilt.config.policy.no_detriment is True
    assert rebuilt.config.policy.pooled_budget_share == 0.5  # the preset's, untouched


# ------------------------------------------------------------------------------ the views' data
@pytest.fixture(scope="module")
def stepped():
    model = app.AppModel(preset="mrs_smith")
    for _ in range(20):
        model.step()
    return model


def test_map_counts_every_user_and_everyone_waiting_in_their_locality(stepped):
    cells = app_views.locality_table(stepped)
    rows = stepped.pop.active_rows()
    assert len(cells) == stepped.geo.n_localities
    assert cells["users"].sum() == rows.size
    assert cells["waiting"].sum() == stepped.pop.waiting(rows).sum()
    assert (cells["waiting"] <= cells["users"]).all()


def _edges(model, kind):
    segments = app_views.boundary_segments(model)
    return {tuple(r) for r in segments.loc[segments["boundary"] == kind, ["x", "y", "x2", "y2"]].to_numpy()}


def test_boundaries_coincide_when_coterminous_and_cross_when_not():
    aligned = app.AppModel(coterminosity=1.0)
    assert _edges(aligned, "health") == _edges(aligned, "council")
    crossing = app.AppModel(coterminosity=0.0)
    assert _edges(crossing, "health") - _edges(crossing, "council")
    baseline = app.AppModel()
    council = _edges(baseline, "council")
    assert council  # the three council areas are bands of columns
    assert all(x == x2 for x, _y, x2, _y2 in council)


def test_network_links_professionals_in_post_across_agencies(stepped):
    s = stepped.staff
    links = app_views.counterpart_links(stepped)
    assert len(links) > 0
    assert s.in_post[links["source"]].all() and s.in_post[links["target"]].all()
    assert (s.employer[links["source"]] != s.employer[links["target"]]).all()
    assert links["trust"].between(0, 1).all()
    # each professional reaches each partner agency on their patch once at most (not while the
    # counterpart's post is vacant), and before anyone has left, every one of them
    for model in (stepped, app.AppModel(preset="mrs_smith")):
        s = model.staff
        links = app_views.counterpart_links(model)
        area = np.array([a.area for a in model.agency_list])
        for i in np.flatnonzero(s.in_post):
            partners = {
                b for b in range(model.n_agencies) if b != s.employer[i] and area[b] in (-1, s.patch[i])
            }
            reached = s.employer[links.loc[links["source"] == i, "target"]].tolist()
            assert len(reached) == len(set(reached)) and set(reached) <= partners
            if model.week == 0:
                assert set(reached) == partners


def test_shocks_are_marked_before_and_after_they_happen():
    model = app.AppModel(preset="pool_withdrawal")
    marks = app_views.shock_marks(model)
    assert marks[["week", "status"]].to_dict("records") == [{"week": 104, "status": "shock to come"}]
    assert app.shock_lines(model)[0].startswith("Shock due in week 104: pool withdrawal")
    for _ in range(105):
        model.step()
    marks = app_views.shock_marks(model)
    assert {"week": 104, "status": "shock"} in marks[["week", "status"]].to_dict("records")
    assert app.shock_lines(model)[0].startswith("Shock in week 104")


def test_journey_spans_merge_the_same_event_week_after_week():
    journey = [
        {
            "week": 0,
            "event": "admitted to hospital after a fall",
            "agency": "Acute NHS trust",
            "professional": "",
        },
        {"week": 4, "event": "agencies dispute who pays", "agency": "Council 1", "professional": ""},
        {"week": 5, "event": "agencies dispute who pays", "agency": "Council 1", "professional": ""},
        {"week": 6, "event": "agencies dispute who pays", "agency": "Council 1", "professional": ""},
        {"week": 9, "event": "agencies dispute who pays", "agency": "Council 1", "professional": ""},
        {"week": 9, "event": "service started", "agency": "Council 1", "professional": "care manager #3"},
    ]
    spans = app_views.journey_spans(journey)
    assert spans["when"].tolist() == ["week 0", "weeks 4-6", "week 9", "week 9"]
    assert spans["kind"].tolist() == ["hospital", "money", "money", "support"]
    assert app_views.event_kind("discharged home before support was in place") == "something went wrong"
    assert app_views.event_kind("discharged home with support in place") == "hospital"
    assert app_views.event_kind("funded from the pooled budget") == "money"


def test_every_view_is_a_json_spec_with_this_weeks_data(stepped):
    specs = {
        "map": app_views.map_chart(stepped),
        "network": app_views.network_chart(stepped),
        "plots": app_views.outcomes_chart(stepped),
        "journey": app_views.journey_chart(stepped),
    }
    for name, spec in specs.items():
        assert json.loads(json.dumps(spec))["$schema"].endswith("v5.json"), name
    assert len(specs["map"]["datasets"]["cells"]) == stepped.geo.n_localities
    assert len(specs["network"]["datasets"]["nodes"]) == stepped.staff.in_post.sum()
    assert len(specs["plots"]["datasets"]["weekly"]) == stepped.week
    assert len(specs["journey"]["datasets"]["spans"]) == len(app_views.journey_spans(stepped.journey))


# ------------------------------------------------------------------------------ offline web assets
def _requested_by_solara() -> set[str]:
    """The asset folders the installed solara asks its CDN for, with the Vue 2 widgets."""
    import solara

    base = Path(solara.__file__).parent
    template = (base / "server/templates/solara.html.j2").read_text()
    found = set(re.findall(r"\{\{cdn\}\}/(@widgetti/solara-vuetify-app@[^/]+)/", template))
    found |= set(re.findall(r"\{\{cdn\}\}/(requirejs@[^/]+)/", template))
    for widget in ("widgets/vue/vegalite.vue", "widgets/vue/gridlayout.vue"):
        found |= set(re.findall(r"getCdn\(\)\}/((?:@[\w-]+/)?[\w-]+@[^/]+)/", (base / widget).read_text()))
    from solara.server import settings

    found.add(settings.assets.fontawesome_path.strip("/").split("/")[0])
    return found


def test_the_install_script_installs_what_solara_asks_for():
    script = (ROOT / "scripts/install-web-assets.sh").read_text()
    listed = re.search(r'ASSETS="\n(.*?)\n"', script, re.S).group(1)
    folders = [line.split()[0] for line in listed.splitlines() if line.strip()]
    assert sorted(folders) == sorted(app.WEB_ASSETS)
    assert _requested_by_solara() <= set(app.WEB_ASSETS)


def test_web_assets_are_installed_and_the_script_then_needs_no_network():
    assert app.missing_web_assets() == [], "run scripts/install-web-assets.sh"
    env = dict(os.environ, npm_config_registry="http://127.0.0.1:9/", VIRTUAL_ENV=sys.prefix)
    t0 = time.monotonic()
    done = subprocess.run(
        ["bash", str(ROOT / "scripts/install-web-assets.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert time.monotonic() - t0 < 5


# ------------------------------------------------------------------------------ in the browser


def _app_command() -> list[str]:
    script = Path(sys.executable).with_name("partnersim-app")
    return [str(script)] if script.exists() else [sys.executable, "-m", "teaching_app.app"]


@pytest.fixture(scope="module")
def app_url():
    """The app, started on a free port by this module and stopped by its PID at the end."""
    why = browser_missing()
    if why:
        if os.environ.get("PARTNERSIM_BROWSER_TESTS") == "require":
            pytest.fail(why)
        pytest.skip(why)
    assert app.missing_web_assets() == [], (
        "the page would stay blank offline: run scripts/install-web-assets.sh"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = ARTIFACTS / "app-server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*_app_command(), "--port", str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        try:
            wait_for_app(url, process)
        except RuntimeError as err:
            pytest.fail(f"{err}: {log.read_text()[-2000:]}")
        assert f"partnersim-app: {url}" in log.read_text()  # it prints its address
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """A browser context on the app, with every request leaving 127.0.0.1 blocked and recorded."""

    def __init__(self, browser, url: str):
        self.url = url
        self.left_machine: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1600, "height": 1300})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.failure} {r.url}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.goto(url)
        self.week_is(0, timeout=60_000)

    def _route(self, route):
        if route.request.url.startswith(self.url):
            route.continue_()
        else:
            self.left_machine.append(route.request.url)
            route.abort()

    def week_is(self, week: int, timeout: float | None = None) -> None:
        self.page.locator(".partnersim-week", has_text=re.compile(rf"^Week {week}$")).wait_for(
            timeout=timeout
        )

    def step(self, times: int) -> None:
        start = int(self.page.locator(".partnersim-week").inner_text().split()[1])
        button = self.page.get_by_role("button", name="Step")
        for k in range(1, times + 1):
            button.click()
            self.week_is(start + k)

    def choose(self, scenario: str) -> None:
        self.page.locator(".partnersim-scenario .v-select").click()
        self.page.get_by_role("option", name=scenario, exact=True).click()
        self.page.locator(f".partnersim-{scenario} .partnersim-run").wait_for()
        self.week_is(0)

    def run_line(self) -> str:
        return self.page.locator(".partnersim-run").inner_text()

    def charts_drawn(self, charts: int = 3) -> None:
        self.page.wait_for_function(
            f"() => document.querySelectorAll('.vega-embed svg.marks').length >= {charts}"
        )


@pytest.fixture
def tab(browser, app_url):
    opened = Tab(browser, app_url)
    yield opened
    opened.context.close()
    assert opened.left_machine == [], "the page asked for something beyond 127.0.0.1"


def test_browser_page_loads_offline(tab):
    page = tab.page
    assert page.title() == "partnersim"
    assert page.get_by_text("partnersim", exact=True).first.is_visible()
    assert page.get_by_role("button", name="Step").is_visible()
    assert page.get_by_role("button", name="Reset").is_visible()
    assert page.get_by_role("button", name="▶").is_visible()
    assert page.get_by_role("slider", name="pooled budget share").get_attribute("aria-valuenow") == "0"
    assert page.get_by_role("checkbox", name="no detriment").count() == 1
    assert page.get_by_label("seed").input_value() == "42"
    assert page.locator(".partnersim-description").inner_text().startswith("Fragmented services")
    tab.charts_drawn()
    assert tab.left_machine == [] and tab.failed == [] and tab.errors == []


def test_browser_choosing_pool_withdrawal_shows_its_description(tab):
    tab.choose("pool_withdrawal")
    description = tab.page.locator(".partnersim-description").inner_text()
    assert description.startswith(POOL_WITHDRAWAL_OPENING)
    assert description == " ".join(app.AppModel(preset="pool_withdrawal").config.scenario.description.split())
    assert "pooled budget share 0.5" in tab.run_line()
    assert tab.page.get_by_role("slider", name="pooled budget share").get_attribute("aria-valuenow") == "0.5"
    assert tab.page.get_by_text("Shock due in week 104: pool withdrawal").is_visible()


def test_browser_ten_steps_advance_the_week_counter(tab):
    tab.step(10)
    tab.week_is(10)
    assert tab.page.get_by_text("Time: 10.0").is_visible()  # Mesa's own counter agrees


def test_browser_plots_and_map_are_drawn(tab):
    tab.step(5)
    tab.charts_drawn()
    page = tab.page
    expected = app.AppModel()  # the same preset and seed as the session: the same boundaries
    for _ in range(5):
        expected.step()
    map_ = page.locator(".partnersim-map")
    map_.locator("g.mark-rect.role-mark path").first.wait_for()
    assert map_.locator("g.mark-rect.role-mark path").count() == expected.geo.n_localities
    assert map_.locator("g.mark-rule.role-mark line").count() == len(app_views.boundary_segments(expected))
    assert map_.locator("text", has_text="Localities: users waiting").count() == 1
    # the counts drawn in the cells are this week's (the chart redraws a moment after the step)
    counts = map_.locator("g.mark-text.role-mark text")
    waiting = app_views.locality_table(expected)["waiting"].tolist()
    deadline = time.monotonic() + 10
    while [int(t) for t in counts.all_text_contents() if t.isdigit()] != waiting:
        assert time.monotonic() < deadline, "the map does not show this week's users waiting"
        time.sleep(0.1)
    network = page.locator(".partnersim-network")
    assert network.locator("g.mark-symbol.role-mark path").count() == expected.staff.in_post.sum()
    assert network.locator("g.mark-rule.role-mark line").count() == len(app_views.counterpart_links(expected))
    plots = page.locator(".partnersim-plots")
    lines = plots.locator("g.mark-line.role-mark path")
    assert lines.count() == 6
    for k in range(6):
        assert lines.nth(k).get_attribute("d").count("L") >= 3  # a line through the five weeks
    for title, *_ in app.app_views.PANELS:
        assert plots.locator("text", has_text=title).count() == 1
    for chart in (map_, network, plots):
        box = chart.locator("svg.marks").bounding_box()
        assert box["width"] > 300 and box["height"] > 250
    page.screenshot(path=ARTIFACTS / "app.png")


def test_browser_mrs_smith_journey_is_a_timeline(tab):
    assert tab.page.locator(".partnersim-journey").count() == 0  # only where a user is traced
    tab.choose("mrs_smith")
    tab.step(4)
    expected = app.AppModel(preset="mrs_smith")
    for _ in range(4):
        expected.step()
    spans = app_views.journey_spans(expected.journey)
    journey = tab.page.locator(".partnersim-journey")
    journey.locator("text", has_text="Mrs Smith's journey").wait_for()
    bars = journey.locator("g.mark-rect.role-mark path")
    deadline = time.monotonic() + 10
    while bars.count() != len(spans):
        assert time.monotonic() < deadline, "the timeline does not show this week's events"
        time.sleep(0.1)
    rows = journey.locator("table.partnersim-table tbody tr")
    assert rows.count() == len(spans)
    assert rows.last.inner_text().split("\t")[:2] == ["week 0", "admitted to hospital after a fall"]


def test_browser_changing_levers_and_reset_rebuild_the_model(tab):
    page = tab.page
    tab.step(3)
    slider = page.get_by_role("slider", name="coterminosity")
    slider.focus()
    slider.press("End")
    assert slider.get_attribute("aria-valuenow") == "1"
    page.get_by_role("checkbox", name="community partners").check(force=True)
    assert "coterminosity 0.44" in tab.run_line()  # nothing changes before Reset
    page.get_by_role("button", name="Reset").click()
    tab.week_is(0)
    page.locator(".partnersim-run", has_text="coterminosity 1 ").wait_for()
    assert "community partners yes" in tab.run_line()
    tab.charts_drawn()
    map_ = page.locator(".partnersim-map")
    map_.locator("text", has_text="measured coterminosity 1.00").wait_for()
    page.locator(".partnersim-network text", has_text="Voluntary sector").wait_for()
    tab.step(2)  # the rebuilt model runs


def test_browser_two_contexts_keep_independent_weeks(browser, app_url):
    first, second = Tab(browser, app_url), Tab(browser, app_url)
    try:
        first.step(3)
        second.step(1)
        first.week_is(3)
        second.week_is(1)
        first.choose("care_trust")
        second.step(1)
        second.week_is(2)
        assert second.page.locator(".partnersim-description").inner_text().startswith("Fragmented services")
        first.step(1)
        first.week_is(1)
        assert "pooled budget share 0.8" in first.run_line()
        assert "pooled budget share 0 " in second.run_line()
    finally:
        first.context.close()
        second.context.close()
    assert first.left_machine == [] and second.left_machine == []
