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

import colorsys
import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, browser_missing, free_port, wait_for_app
from runner.compose import CONFIG_DIR, compose_config
from sim.config import ConfigError, to_dict
from sim.registry import outcome
from teaching_app import app, classroom, runs
from teaching_app import views as app_views

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
POOL_WITHDRAWAL_OPENING = "A partnership that works until a partner pulls its money out."


# ------------------------------------------------------------------------------ levers and presets
def test_presets_are_every_scenario_file_baseline_first():
    names = app.presets()
    assert names[0] == "baseline"
    assert sorted(names) == sorted(p.stem for p in (CONFIG_DIR / "scenario").glob("*.yaml"))


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
    for typed in ("abc", "-5", str(2**40), "9" * 5000):
        model = app.AppModel(preset="baseline", seed=typed, lenient_seed=True, shared_records=0.9)
        assert model.config.run.seed == 42
        assert model.config.policy.shared_records == 0.9
        assert (typed if len(typed) <= 24 else typed[:20]) in model.notice
    with pytest.raises(ConfigError, match="shared_records"):  # only the seed is forgiven
        app.AppModel(seed="abc", lenient_seed=True, shared_records=2.0)


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


# ------------------------------------------------------------------------------ the lesson's logic
def test_reset_keeps_the_preset_and_the_levers_as_set_in_every_preset():
    for preset in app.presets():
        lesson = app.Lesson(preset)
        shipped = app.AppModel(preset=preset)
        lesson.levers["shared_records"] = 0.93
        lesson.seed_text = "11"
        lesson.step(3)
        assert lesson.pending
        assert lesson.reset(), lesson.message
        m = lesson.model
        assert (m.week, m.config.scenario.name, m.config.run.seed) == (0, preset, 11)
        assert m.config.scenario.description == shipped.config.scenario.description
        assert m.config.policy.shared_records == 0.93
        assert m.config.scenario.trace_user == shipped.config.scenario.trace_user
        assert not lesson.pending


def test_a_bad_seed_is_refused_in_words_and_the_run_kept():
    lesson = app.Lesson("care_trust")
    lesson.step(2)
    for typed in ("9" * 5000, "-1", "4294967296", "1e3", "٣", ""):
        lesson.seed_text = typed
        assert not lesson.reset()
        assert "is not a whole number from 0 to 4294967295" in lesson.message
        assert "Traceback" not in lesson.message
        assert lesson.model.week == 2 and lesson.model.config.scenario.name == "care_trust"
    assert runs.parse_seed("4294967295") == (4294967295, "")
    assert runs.parse_seed(" 7 ") == (7, "")


def test_a_link_opens_a_run_and_says_what_it_could_not_use():
    query = runs.parse_query(
        "scenario=care_trust&shared_records=0.9&meeting_attendance=everyone&no_detriment=yes"
        "&seed=7&class=ab12&coterminosity=3&bogus=1&meeting_interval_weeks=2.5&seed=" + "9" * 5000,
        app.presets(),
    )
    assert query.scenario == "care_trust" and query.class_code == "AB12"
    assert query.levers == {"shared_records": 0.9, "meeting_attendance": "everyone", "no_detriment": True}
    assert query.seed is None  # the second seed, too long, replaced the first and was refused
    assert len(query.problems) == 4
    assert any("coterminosity runs from 0 to 1" in p for p in query.problems)
    assert any("no lever called 'bogus'" in p for p in query.problems)
    assert any("whole number" in p for p in query.problems)
    lesson = app.Lesson(query.scenario, query.levers, 7)
    assert lesson.model.config.policy.shared_records == 0.9
    assert lesson.model.config.policy.meeting_interval_weeks == 4  # the preset's, untouched
    assert runs.parse_query(None, app.presets()) == runs.Query()
    assert runs.parse_query("teacher=1", app.presets()).teacher


def test_differences_are_in_words_with_units_and_direction_from_the_registry():
    assert runs.difference_words("mean_wait_weeks", 3.4, 5.5) == ("Mean wait 2.1 weeks shorter", "better")
    assert runs.difference_words("mean_wait_weeks", 5.5, 3.4) == ("Mean wait 2.1 weeks longer", "worse")
    assert runs.difference_words("unmet_need", 0.20, 0.25) == (
        "Unmet need 5.0 percentage points lower",
        "better",
    )
    assert runs.difference_words("wellbeing", 0.60, 0.65) == ("Well-being 0.050 lower", "worse")
    assert runs.difference_words("partnership_hours", 300, 200)[1] == "no better or worse"
    assert runs.difference_words("mean_trust", 0.5, 0.5) == ("Trust in other agencies: the same", "the same")


def test_compare_mode_runs_the_reference_at_the_same_seed_and_week():
    lesson = app.Lesson("mrs_smith")
    lesson.levers.update(shared_records=0.9, pooled_budget_share=0.8)
    lesson.reset()
    lesson.step(30)
    lesson.set_reference("mrs_smith")  # caught up to week 30
    lesson.step(30)
    ref = lesson.reference
    assert ref.week == lesson.model.week == 60 and ref.config.run.seed == lesson.model.config.run.seed
    assert ref.config.policy.shared_records == app.AppModel(preset="mrs_smith").config.policy.shared_records
    twin = app.AppModel(preset="mrs_smith")
    for _ in range(60):
        twin.step()
    assert ref.row == twin.row  # the reference is the preset as shipped, step for step
    rows = runs.differences(lesson.model, ref)
    assert [r["outcome"] for r in rows] == list(runs.COMPARED)
    mine, theirs = runs.year_outcomes(lesson.model), runs.year_outcomes(ref)
    for r in rows:
        assert r["words"] == runs.difference_words(r["outcome"], mine[r["outcome"]], theirs[r["outcome"]])[0]
        assert r["yours"] == outcome(r["outcome"]).format(mine[r["outcome"]])
    spec = app_views.outcomes_chart(lesson.model, ref)
    assert {row["run"] for row in spec["datasets"]["weekly"]} == {app_views.YOURS, app_views.REFERENCE}
    assert len(spec["datasets"]["weekly"]) == 120


def test_year_outcomes_are_the_last_52_weeks_as_in_the_summary():
    model = app.AppModel(preset="baseline")
    for _ in range(80):
        model.step()
    table = runs.weekly_table(model).tail(52)
    got = runs.year_outcomes(model)
    assert got["mean_wait_weeks"] == pytest.approx(table["mean_wait_weeks"].mean())
    # The discharge cohorts whose readmission window closed in those weeks.
    cohort = table["cohort_readmitted"].sum() / table["cohort_discharges"].sum()
    assert got["readmission_rate"] == pytest.approx(cohort)


def test_the_narrative_tells_the_shock_and_the_fall_of_trust_it_causes():
    model = app.AppModel(preset="pool_withdrawal")
    assert [e["kind"] for e in runs.narrative(model)] == ["shock to come"]
    for _ in range(110):
        model.step()
    events = runs.narrative(model)
    kinds = {(e["week"], e["kind"]) for e in events}
    assert (104, "shock") in kinds
    falls = [e for e in events if e["kind"] == "trust fell"]
    assert falls and all(104 <= e["week"] <= 108 for e in falls), events
    marks = app_views.shock_marks(model)
    assert set(marks["status"]) >= {"shock", "trust fell"}
    quiet = app.AppModel(preset="care_trust")
    for _ in range(60):
        quiet.step()
    assert not [e for e in runs.narrative(quiet) if e["kind"] == "shock"]


def test_exports_are_the_weekly_table_and_a_png():
    model = app.AppModel(preset="care_trust", seed=5)
    for _ in range(12):
        model.step()
    rows = list(csv.DictReader(io.StringIO(runs.weekly_csv(model).decode())))
    assert len(rows) == 12
    assert rows[0]["scenario"] == "care_trust" and rows[0]["seed"] == "5"
    assert float(rows[-1]["mean_trust"]) == pytest.approx(model.datacollector.model_vars["mean_trust"][-1])
    png = runs.overview_png(model)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_agency_colours_never_clash_with_the_trust_scale():
    # The trust scale (red-yellow-green) spans hues 0-160 degrees; agencies are blues, purples
    # and greys, never saturated colours in that span.
    for model in (app.AppModel(), app.AppModel(community_partners=True)):
        for label, colour in app_views.agency_colours(model).items():
            r, g, b = (int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5))
            hue, _light, saturation = colorsys.rgb_to_hls(r, g, b)
            assert saturation < 0.15 or 190 <= 360 * hue <= 300, (label, colour)
    assert app_views.TRUST_SCHEME == "redyellowgreen"


def test_every_axis_has_a_unit_and_no_chart_text_is_under_14_px(stepped):
    spec = app_views.outcomes_chart(stepped)
    assert spec["config"]["axis"] == {"labelFontSize": 14, "titleFontSize": 14}
    assert spec["config"]["legend"] == {"labelFontSize": 14, "titleFontSize": 14}
    for panel, view in zip(app_views.PANELS, spec["concat"], strict=True):
        y = view["layer"][0]["encoding"]["y"]["axis"]["title"]
        unit = outcome(panel.outcomes[0]).unit.replace("(people waiting)", "").strip()
        assert " ".join(y) == unit
        assert view["layer"][0]["encoding"]["x"]["title"] == "week"
    for view in (app_views.map_chart(stepped), app_views.journey_chart(stepped)):
        for size in re.findall(r'"fontSize": (\\d+)', json.dumps(view)):
            assert int(size) >= 14


def test_the_classroom_keeps_submissions_per_class_in_memory():
    room = classroom.Classroom()
    first, second = room.open_class(), room.open_class()
    assert first != second and len(first) == 4 and not set(first) & set("01ILO")
    lesson = app.Lesson("care_trust")
    lesson.step(10)
    assert room.submit(first.lower(), lesson.submission("  Ada  ")) == ""
    assert "no class 'ZZZZ'" in room.submit("zzzz", lesson.submission("Bob"))
    assert room.count(first) == 1 and room.count(second) == 0
    frame = classroom.table(room.submissions(first))
    assert frame.loc[0, "name"] == "Ada" and frame.loc[0, "weeks"] == 10
    assert frame.loc[0, "unmet_need"] == runs.year_outcomes(lesson.model)["unmet_need"]
    assert frame.loc[0, "pooled_budget_share"] == 0.8
    chart = app_views.class_chart(frame, "partnership_hours", "unmet_need")
    assert chart["datasets"]["runs"][0]["name"] == "Ada"
    assert (
        app_views.class_chart(classroom.table([]), "partnership_hours", "unmet_need")["datasets"]["runs"]
        == []
    )


def test_the_app_binds_to_loopback_and_says_so_when_it_does_not():
    assert app.reach_notice("127.0.0.1", 8765) == "" and app.reach_notice("localhost", 1) == ""
    line = app.reach_notice("0.0.0.0", 8765)
    assert "\n" not in line and "anyone" in line and "0.0.0.0:8765" in line


@pytest.mark.parametrize(("host", "lines"), [(None, 1), ("0.0.0.0", 2)])
def test_the_command_prints_one_line_more_only_when_host_is_given(host, lines):
    port = free_port()
    extra = ["--host", host] if host else []
    process = subprocess.Popen(
        [*_app_command(), "--port", str(port), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        out = [process.stdout.readline() for _ in range(lines)]
        wait_for_app(f"http://127.0.0.1:{port}/", process)
        assert out[0].startswith(f"partnersim-app: http://{host or '127.0.0.1'}:{port}/")
        if host:
            assert out[1].startswith(f"partnersim-app: listening on {host}:{port}: anyone")
        else:
            process.terminate()
            rest = process.communicate(timeout=15)[0]
            assert "listening on" not in rest
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=15)


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

    def __init__(self, browser, url: str, query: str = "", viewport: tuple[int, int] = (1600, 1300)):
        self.url = url
        self.left_machine: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.failure} {r.url}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.goto(url + query)
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
        start = self.week()
        button = self.page.get_by_role("button", name="Step")
        for k in range(1, times + 1):
            button.click()
            self.week_is(start + k)

    def choose(self, scenario: str) -> None:
        self.page.locator(".partnersim-scenario .v-select").click()
        self.page.get_by_role("option", name=scenario, exact=True).click()
        self.page.locator(f".partnersim-{scenario} .partnersim-run").wait_for()
        self.week_is(0)

    def week(self) -> int:
        return int(self.page.locator(".partnersim-week").inner_text().split()[1])

    def play_to(self, week: int, speed: str = "52 weeks per second") -> None:
        """Press Play at ``speed`` until the week shown is at least ``week``, then Pause."""
        page = self.page
        page.locator(".partnersim-speed .v-select").click()
        page.get_by_role("option", name=speed, exact=True).click()
        page.get_by_role("button", name="▶ Play").click()
        page.wait_for_function(
            f"() => parseInt(document.querySelector('.partnersim-week').innerText.split(' ')[1]) >= {week}",
            timeout=60_000,
        )
        page.get_by_role("button", name="❚❚ Pause").click()
        page.get_by_role("button", name="▶ Play").wait_for()

    def download(self, label: str) -> bytes:
        with self.page.expect_download() as info:
            self.page.get_by_text(label).click()
        return Path(info.value.path()).read_bytes()

    def run_line(self) -> str:
        return self.page.locator(".partnersim-run").inner_text()

    def charts_drawn(self) -> None:
        """Wait until the plots, the map and the network (a canvas) have each been drawn."""
        self.page.wait_for_function(
            "() => ['.partnersim-plots', '.partnersim-map', '.partnersim-network'].every("
            "c => document.querySelector(c + ' [data-drawn]'))"
        )


@pytest.fixture
def tab(browser, app_url):
    opened = Tab(browser, app_url)
    yield opened
    opened.context.close()
    assert opened.left_machine == [], "the page asked for something beyond 127.0.0.1"


def _description(preset: str) -> str:
    return " ".join(app.AppModel(preset=preset).config.scenario.description.split())


def _no_traceback(page) -> None:
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Error:" not in text.replace("That did not work", "")


def test_browser_page_loads_offline(tab):
    page = tab.page
    assert page.title() == "partnersim"
    for name in ("Step", "▶ Play", "Reset"):
        assert page.get_by_role("button", name=name).is_visible()
    assert page.get_by_role("slider", name="pooled budget share").get_attribute("aria-valuenow") == "0"
    assert page.get_by_role("checkbox", name="no detriment").count() == 1
    assert page.get_by_label("seed").input_value() == "42"
    assert page.locator(".partnersim-description").inner_text() == _description("baseline")
    tab.charts_drawn()
    assert tab.left_machine == [] and tab.failed == [] and tab.errors == []


def test_browser_reset_keeps_the_scenario_and_moved_levers_in_all_seven_presets(tab):
    """Item 1: in every preset, move a lever, step, press Reset: the preset's run with the lever."""
    page = tab.page
    assert len(app.presets()) == 7
    for preset in app.presets():
        if preset != "baseline":
            tab.choose(preset)
        slider = page.get_by_role("slider", name="shared records")
        slider.focus()
        slider.press("End")
        page.locator(".partnersim-pending").wait_for()
        tab.step(2)
        page.get_by_role("button", name="Reset").click()
        tab.week_is(0)
        page.locator(".partnersim-run", has_text="shared records 1 ").wait_for()
        assert tab.run_line().startswith(f"This run: {preset} ·")
        assert page.locator(".partnersim-description").inner_text() == _description(preset)
        assert page.locator(".partnersim-pending").count() == 0
        assert page.locator(".partnersim-scenario .v-select__selection").inner_text() == preset
        traced = app.AppModel(preset=preset).config.scenario.trace_user
        tab.step(1)
        if traced:
            page.locator(".partnersim-journey text", has_text="Mrs Smith's journey").wait_for()
            rows = page.locator(".partnersim-journey table.partnersim-table tbody tr")
            assert rows.last.inner_text().split("\t")[:2] == ["week 0", "admitted to hospital after a fall"]
        else:
            assert page.locator(".partnersim-journey").count() == 0
    _no_traceback(page)


def test_browser_every_input_is_checked_in_the_page(tab):
    """Item 8: a 5,000-digit seed, then Reset: a message in the page, the run kept, no traceback."""
    page = tab.page
    tab.step(2)
    seed = page.get_by_label("seed")
    seed.fill("9" * 5000)
    seed.press("Enter")
    page.get_by_text("is not a whole number from 0 to 4294967295").first.wait_for()
    page.get_by_role("button", name="Reset").click()
    page.locator(".partnersim-message", has_text="The run was not rebuilt").wait_for()
    tab.week_is(2)
    assert "seed 42" in tab.run_line()
    _no_traceback(page)
    seed.fill("7")
    seed.press("Enter")
    page.get_by_role("button", name="Reset").click()
    page.locator(".partnersim-run", has_text="seed 7").wait_for()
    assert page.locator(".partnersim-message").count() == 0
    # the class code and the links are checked too
    page.get_by_label("class code").fill("no such class!")
    page.get_by_role("button", name="Submit this run").click()
    page.locator(".partnersim-said", has_text="Type the class code").wait_for()
    _no_traceback(page)


def test_browser_a_bad_link_is_explained_in_the_page(browser, app_url):
    tab = Tab(browser, app_url, "?scenario=nowhere&coterminosity=7&seed=" + "1" * 5000)
    try:
        notices = tab.page.locator(".partnersim-notice")
        notices.first.wait_for()
        text = " ".join(notices.all_inner_texts())
        assert "no scenario called 'nowhere'" in text
        assert "coterminosity runs from 0 to 1, not 7" in text
        assert "(5,000 characters)" in text
        assert tab.run_line().startswith("This run: baseline ·")
        _no_traceback(tab.page)
    finally:
        tab.context.close()


def _inside(box: dict, width: int, height: int) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] + box["height"] <= height
    )


def test_browser_projector_page_at_1280x720(browser, app_url):
    """Item 3: controls, week and outcome plots above the fold; 14 px text; units; no Mesa internals."""
    tab = Tab(browser, app_url, "?scenario=pool_withdrawal", viewport=(1280, 720))
    page = tab.page
    try:
        tab.step(3)
        tab.charts_drawn()
        assert page.evaluate("() => window.scrollY") == 0
        for control in (
            page.get_by_role("button", name="Step"),
            page.get_by_role("button", name="▶ Play"),
            page.get_by_role("button", name="Reset"),
            page.locator(".partnersim-speed"),
            page.locator(".partnersim-scenario"),
            page.locator(".partnersim-week"),
            page.locator(".partnersim-plots svg.marks"),
        ):
            assert _inside(control.bounding_box(), 1280, 720), control
        assert page.locator(".partnersim-speed .v-select__selection").inner_text() == "4 weeks per second"
        body = page.locator("body").inner_text()
        for internal in ("Use Threads", "Play Interval", "Render Interval", "Information", "Time:"):
            assert internal not in body
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('.vega-embed svg text')]
                .filter(t => t.textContent.trim())
                .map(t => parseFloat(getComputedStyle(t).fontSize))"""
        )
        assert len(sizes) > 100 and min(sizes) >= 14, min(sizes)
        plots = page.locator(".partnersim-plots")
        titles = plots.locator("g.role-axis-title text").all_text_contents()
        assert titles.count("week") == 6
        units = [t for t in titles if t != "week"]
        assert len(units) >= 6  # every y axis has its unit (on one or more lines)
        assert any("weeks waited" in t for t in units) and any("mean trust" in t for t in units)
        for lever in app.levers():
            meaning = page.locator(".partnersim-lever", has_text=app.lever_label(lever.name)).first
            assert lever.metadata["doc"] in meaning.locator(".partnersim-meaning").inner_text()
        page.screenshot(path=ARTIFACTS / "app-1280x720.png")
        assert tab.left_machine == [] and tab.errors == []
    finally:
        tab.context.close()


def test_browser_what_happened_is_told_and_marked(tab):
    """Item 4: the shock at week 104 and the fall of trust it causes, in words and on the charts."""
    page = tab.page
    tab.choose("pool_withdrawal")
    page.locator(".partnersim-shock-to-come", has_text="Week 104").wait_for()
    tab.play_to(110)
    page.locator(".partnersim-narrative .partnersim-shock", has_text="Week 104: Shock").wait_for()
    page.locator(".partnersim-narrative .partnersim-trust-fell").first.wait_for()
    expected = app.AppModel(preset="pool_withdrawal")
    for _ in range(tab.week()):
        expected.step()
    marks = app_views.shock_marks(expected)
    texts = page.locator(".partnersim-narrative .partnersim-event").all_inner_texts()
    assert texts == [f"Week {w}: {t}" for w, t in zip(marks["week"], marks["what"], strict=True)]
    rules = page.locator(".partnersim-plots g.mark-rule.role-mark line")
    deadline = time.monotonic() + 10
    while rules.count() != 6 * len(marks):
        assert time.monotonic() < deadline, "the plots do not mark every event"
        time.sleep(0.1)
    assert page.locator(".partnersim-plots text", has_text="trust fell").count() == 1  # the legend
    page.screenshot(path=ARTIFACTS / "app-pool-withdrawal.png", full_page=True)


def test_browser_mrs_smith_timeline_shows_every_event_and_its_need(tab):
    tab.choose("mrs_smith")
    tab.step(12)
    expected = app.AppModel(preset="mrs_smith")
    for _ in range(12):
        expected.step()
    spans = app_views.journey_spans(expected.journey)
    journey = tab.page.locator(".partnersim-journey")
    bars = journey.locator("g.mark-rect.role-mark path")
    deadline = time.monotonic() + 10
    while bars.count() != len(spans):
        assert time.monotonic() < deadline, "the timeline does not show every event"
        time.sleep(0.1)
    header = journey.locator("table.partnersim-table thead th").all_inner_texts()
    assert header == ["when", "what happened", "need", "agency", "professional"]
    rows = journey.locator("table.partnersim-table tbody tr")
    assert rows.count() == len(spans)
    needs = [rows.nth(k).locator("td").nth(2).inner_text() for k in range(rows.count())]
    assert needs == list(reversed(spans["need"].tolist()))


def test_browser_a_link_opens_the_run_and_exports_it(browser, app_url):
    """Item 6: ?scenario=...&lever=...&seed=... opens that run; CSV and PNG downloads."""
    tab = Tab(browser, app_url, "?scenario=care_trust&shared_records=0.9&no_detriment=no&seed=7")
    try:
        line = tab.run_line()
        assert line.startswith("This run: care_trust ·")
        assert "shared records 0.9 " in line and "no detriment no" in line and line.endswith("seed 7")
        assert tab.page.locator(".partnersim-description").inner_text() == _description("care_trust")
        tab.step(6)
        table = list(csv.DictReader(io.StringIO(tab.download("weekly table (CSV)").decode())))
        expected = app.AppModel(preset="care_trust", seed=7, shared_records=0.9, no_detriment=False)
        for _ in range(6):
            expected.step()
        assert [int(r["week"]) for r in table] == expected.datacollector.model_vars["week"]
        assert float(table[-1]["unmet_need"]) == pytest.approx(
            expected.datacollector.model_vars["unmet_need"][-1]
        )
        assert {r["scenario"] for r in table} == {"care_trust"} and {r["seed"] for r in table} == {"7"}
        png = tab.download("charts (PNG)")
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
        assert tab.left_machine == []
    finally:
        tab.context.close()


def test_browser_compare_mode_shows_two_runs_and_the_difference_in_words(tab):
    """Item 2: the run as set against the preset as shipped, same seed, on the same charts."""
    page = tab.page
    tab.choose("mrs_smith")
    for name in ("shared records", "pooled budget share"):
        slider = page.get_by_role("slider", name=name)
        slider.focus()
        slider.press("End")
    page.get_by_role("button", name="Reset").click()
    page.locator(".partnersim-run", has_text="pooled budget share 1 ").wait_for()
    page.get_by_role("checkbox", name="compare with a reference run").check(force=True)
    page.locator(".partnersim-compare .v-select__selection", has_text="mrs_smith as shipped").wait_for()
    tab.step(8)
    yours = app.AppModel(preset="mrs_smith", shared_records=1.0, pooled_budget_share=1.0)
    reference = app.AppModel(preset="mrs_smith")
    for _ in range(8):
        yours.step()
        reference.step()
    expected = runs.differences(yours, reference)
    rows = page.locator(".partnersim-differences tbody tr")
    deadline = time.monotonic() + 10
    while (
        rows.count() != len(expected) or rows.first.locator("td").first.inner_text() != expected[0]["words"]
    ):
        assert time.monotonic() < deadline, "the differences are not this week's"
        time.sleep(0.1)
    got = [tuple(rows.nth(k).locator("td").all_inner_texts()) for k in range(rows.count())]
    assert got == [(r["words"], r["yours"], r["reference"], r["verdict"]) for r in expected]
    assert page.locator(".partnersim-plots g.mark-line.role-mark path").count() == 12
    # the reference can be another preset as shipped, caught up to this week
    page.locator(".partnersim-compare .v-select").click()
    page.get_by_role("option", name="care_trust as shipped", exact=True).click()
    page.get_by_text("against care_trust as shipped").wait_for()
    tab.week_is(8)
    page.screenshot(path=ARTIFACTS / "app-compare.png", full_page=True)


def test_browser_classroom_teacher_sees_student_runs_live(browser, app_url):
    """Item 7: a teacher's class page and two students' tabs, each a browser context of its own."""
    teacher = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = teacher.new_page()
    page.set_default_timeout(20_000)
    students = []
    try:
        page.goto(app_url + "?teacher=1")
        code = page.locator(".partnersim-class-code").inner_text().split()[1]
        assert classroom.CLASSROOM.count(code) == 0  # this process holds none: the server does
        page.get_by_text("0 runs submitted").wait_for()
        ada = Tab(browser, app_url, f"?class={code}&scenario=care_trust")
        students.append(ada)
        bob = Tab(browser, app_url)
        students.append(bob)
        ada.step(4)
        bob.step(2)
        ada.page.get_by_label("your name").fill("Ada")
        ada.page.get_by_role("button", name="Submit this run").click()
        ada.page.locator(".partnersim-said", has_text=f"Submitted to class {code}").wait_for()
        page.get_by_text("1 run submitted").wait_for()
        bob.page.get_by_label("class code").fill(code.lower())
        bob.page.get_by_label("your name").fill("Bob")
        bob.page.get_by_role("button", name="Submit this run").click()
        page.get_by_text("2 runs submitted").wait_for()
        rows = page.locator(".partnersim-class-table tbody tr")
        assert [rows.nth(k).locator("td").nth(0).inner_text() for k in range(2)] == ["Ada", "Bob"]
        assert rows.nth(0).locator("td").nth(1).inner_text() == "care_trust"
        expected = app.AppModel(preset="care_trust")
        for _ in range(4):
            expected.step()
        unmet = runs.shown("unmet_need", runs.year_outcomes(expected)["unmet_need"])
        assert unmet in rows.nth(0).inner_text()
        page.locator(".partnersim-class-scatter g.mark-symbol.role-mark path").nth(1).wait_for()
        assert page.locator(".partnersim-class-scatter g.mark-symbol.role-mark path").count() == 2
        # the students' sessions stayed their own
        ada.week_is(4)
        bob.week_is(2)
        assert bob.run_line().startswith("This run: baseline")
        # nothing on disk unless the teacher downloads the class
        with page.expect_download() as info:
            page.get_by_text("download the class (CSV)").click()
        table = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
        assert [r["name"] for r in table] == ["Ada", "Bob"] and table[0]["weeks"] == "4"
        page.screenshot(path=ARTIFACTS / "app-class.png", full_page=True)
    finally:
        for student in students:
            student.context.close()
        teacher.close()


def test_browser_map_and_network_are_redrawn_with_each_weeks_data(tab):
    page = tab.page
    tab.step(5)
    tab.charts_drawn()
    expected = app.AppModel()  # the same preset and seed as the tab: the same run
    for _ in range(5):
        expected.step()
    map_ = page.locator(".partnersim-map")
    assert map_.locator("g.mark-rect.role-mark path").count() == expected.geo.n_localities
    counts = map_.locator("g.mark-text.role-mark text")
    waiting = app_views.locality_table(expected)["waiting"].tolist()
    deadline = time.monotonic() + 10
    while [int(t) for t in counts.all_text_contents() if t.isdigit()] != waiting:
        assert time.monotonic() < deadline, "the map does not show this week's users waiting"
        time.sleep(0.1)
    network = page.locator(".partnersim-network [data-drawn]")
    before = int(network.get_attribute("data-drawn"))
    box = page.locator(".partnersim-network canvas.marks").bounding_box()
    assert box["width"] > 300 and box["height"] > 300
    tab.step(1)
    page.wait_for_function(
        f"() => +document.querySelector('.partnersim-network [data-drawn]').dataset.drawn > {before}"
    )
    assert tab.errors == []


def test_choosing_a_scenario_starts_it_as_shipped_seed_included():
    lesson = app.Lesson("mrs_smith", seed=45)
    assert lesson.model.config.run.seed == 45
    lesson.levers["coterminosity"] = 1.0
    lesson.choose("care_trust")
    shipped = app.AppModel(preset="care_trust")
    assert lesson.model.config.run.seed == shipped.config.run.seed == 42
    assert lesson.model.config.policy == shipped.config.policy
    assert lesson.seed_text == "42" and not lesson.pending


def test_mrs_smiths_timeline_names_the_need_of_every_event():
    from sim.population import DOMAINS

    # At the preset's own seed, where her story has a dispute and a discharge in its first weeks.
    model = app.AppModel(preset="mrs_smith", seed=compose_config(scenario="mrs_smith").run.seed)
    for _ in range(10):
        model.step()
    spans = app_views.journey_spans(model.journey)
    names = {d.replace("_", " ") for d in DOMAINS}
    assert app_views.NEED_NOT_RECORDED not in set(spans["need"])
    for event, need in zip(spans["event"], spans["need"], strict=True):
        if need == app_views.AS_A_WHOLE:
            continue
        assert set(need.split(", ")) <= names, (event, need)
    disputes = spans.loc[spans["event"] == "agencies dispute who pays", "need"]
    assert len(disputes) and app_views.AS_A_WHOLE not in set(disputes)  # a dispute is over a need
    hospital = spans.loc[spans["event"].str.startswith("discharged home"), "need"]
    assert set(hospital) == {app_views.AS_A_WHOLE}
