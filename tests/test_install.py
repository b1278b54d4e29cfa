"""partnersim installs the ordinary ways and runs from any folder.

Each test makes a fresh virtual environment and installs the project into it, as a wheel
(``pip install .``) or editable in pip's default mode (``pip install -e .``). To stay quick and
offline-friendly the project is installed without its dependencies, which the fresh environment
borrows from the environment running the tests through a ``.pth`` line (a plain path: the test
environment's own editable install of partnersim is not loaded), with their Jupyter data files.
Everything then runs from a folder outside the repository: a scenario, a smoke sweep, collect and
report, the user's own experiment and scenario from their own config folder, and the app.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

USER_EXPERIMENT = """\
# @package _global_
# A user's own experiment, kept in their own folder.
defaults:
  - joint_indicators_smoke
  - _self_
experiment:
  name: my_question
hydra:
  sweeper:
    params:
      policy.joint_indicators: 0.0,1.0
      experiment.replicate: range(0,1)
"""

USER_SCENARIO = """\
# @package _global_
scenario:
  name: my_patch
  description: A user's own scenario.
policy:
  coterminosity: 0.9
"""


def fresh_install(tmp_path: Path, *spec: str) -> Path:
    """A new virtual environment with partnersim installed by ``pip install --no-deps *spec``."""
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()] or [sysconfig.get_paths()["purelib"]]
    (purelib / "borrowed_dependencies.pth").write_text("\n".join(ours) + "\n")
    # The dependencies' data files outside site-packages (Jupyter's widget extension settings,
    # which the app's server reads from its prefix) come with them.
    for data in ("etc/jupyter", "share/jupyter"):
        if (Path(sys.prefix) / data).is_dir():
            shutil.copytree(Path(sys.prefix) / data, env / data, symlinks=True)
    done = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", *spec],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return env / "bin"


def run(bin_dir: Path, command: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(bin_dir / command), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, f"{command} {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module", params=["wheel", "editable"])
def installed(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    spec = [str(ROOT)] if request.param == "wheel" else ["-e", str(ROOT)]
    bin_dir = fresh_install(tmp, *spec)
    if request.param == "wheel":
        location = subprocess.run(
            [bin_dir / "python", "-c", "import runner; print(runner.__file__)"],
            cwd=tmp, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert str(ROOT) not in location, "the wheel must not read the repository"
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    return bin_dir, elsewhere


def test_a_scenario_runs_from_any_folder(installed):
    bin_dir, cwd = installed
    done = run(bin_dir, "partnersim", "scenario=care_trust", "run.weeks=4", "run.progress=false", cwd=cwd)
    assert "scenario care_trust" in done.stdout
    assert len(list((cwd / "outputs" / "care_trust").glob("*/summary.json"))) == 1


def test_the_worlds_ship_with_the_package(installed):
    bin_dir, cwd = installed
    folder = cwd / "world_run"
    run(bin_dir, "partnersim", "world=two_councils_hospice", "run.weeks=2", "run.progress=false",
        "run.figure=false", f"hydra.run.dir={folder}", cwd=cwd)  # fmt: skip
    assert "City hospital" in (folder / "trust_matrix.csv").read_text()


def test_the_smoke_sweep_collects_and_reports_from_any_folder(installed):
    bin_dir, cwd = installed
    sweep = cwd / "smoke"
    run(bin_dir, "partnersim", "-m", "experiment=joint_indicators_smoke", "run.weeks=4",
        "run.summary_weeks=2", f"hydra.sweep.dir={sweep}", cwd=cwd)  # fmt: skip
    assert len(list(sweep.glob("*/summary.json"))) == 6
    run(bin_dir, "partnersim-collect", str(sweep), cwd=cwd)
    assert (sweep / "results.parquet").is_file()
    run(bin_dir, "partnersim-report", str(sweep), cwd=cwd)
    assert (sweep / "report" / "report.md").is_file()


def test_a_users_own_experiment_and_scenario_from_their_config_dir(installed):
    bin_dir, cwd = installed
    mine = cwd / "my_configs"
    (mine / "experiment").mkdir(parents=True)
    (mine / "scenario").mkdir()
    (mine / "experiment" / "my_question.yaml").write_text(USER_EXPERIMENT)
    (mine / "scenario" / "my_patch.yaml").write_text(USER_SCENARIO)
    sweep = cwd / "mine"
    run(bin_dir, "partnersim", "--config-dir", str(mine), "-m", "experiment=my_question", "scenario=my_patch",
        "run.weeks=3", "run.summary_weeks=1", f"hydra.sweep.dir={sweep}", cwd=cwd)  # fmt: skip
    summaries = sorted(sweep.glob("*/summary.json"))
    assert len(summaries) == 2
    text = summaries[0].read_text()
    assert '"my_question"' in text and '"my_patch"' in text and '"coterminosity": 0.9' in text


def test_an_unknown_user_scenario_names_the_choices(installed):
    bin_dir, cwd = installed
    done = subprocess.run(
        [str(bin_dir / "partnersim"), "scenario=nowhere", "run.weeks=2"],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "scenario=nowhere is not a known option" in done.stderr and "care_trust" in done.stderr


def test_the_app_page_renders_offline_after_the_documented_asset_step(installed):
    """``scripts/install-web-assets.sh PREFIX``, then ``partnersim-app``: the page works with no internet."""
    from browser import CHROMIUM, CHROMIUM_ARGS, browser_missing, free_port, wait_for_app

    why = browser_missing()
    if why:
        pytest.skip(why)
    bin_dir, cwd = installed
    prefix = bin_dir.parent
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-web-assets.sh"), str(prefix)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = cwd / "app.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(bin_dir / "partnersim-app"), "--port", str(port)],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    from playwright.sync_api import sync_playwright

    left_machine: list[str] = []

    def local_only(route):
        if route.request.url.startswith(url):
            route.continue_()
        else:
            left_machine.append(route.request.url)
            route.abort()

    try:
        wait_for_app(url, server)
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = chromium.new_page()
            page.route("**/*", local_only)
            page.set_default_timeout(60_000)
            page.goto(url)
            page.locator(".partnersim-week", has_text="Week 0").wait_for()
            page.get_by_role("button", name="Step").click()
            page.locator(".partnersim-week", has_text="Week 1").wait_for()
            chromium.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert left_machine == []
    assert "web assets missing" not in log.read_text()


def test_the_calibrations_ship_with_the_package(installed):
    bin_dir, cwd = installed
    done = run(bin_dir, "partnersim-calibrate", "calibration=england", "--cfg", "job", cwd=cwd)
    assert "readmission_rate" in done.stdout and "wait_over_26_share" in done.stdout
    assert list(cwd.iterdir()) == [] or all(p.name != "calibrations" for p in cwd.iterdir())
