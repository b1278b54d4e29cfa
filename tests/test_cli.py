"""The command line, run as a user runs it: a real process, real files, Hydra's own composition.

Every run goes to its own ``tmp_path`` (``hydra.run.dir``) with a short ``run.weeks`` to stay fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from commands import tree_env
from runner.cli import SUMMARY_ROWS
from sim.registry import SUMMARY, outcome

ROOT = Path(__file__).resolve().parents[1]
WEEKS = 20

REQUIRED_COLUMNS = (
    "week", "mean_trust", "mean_loyalty", "cultural_distance", "shared_understanding",
    "pool_balance", "spend", "active_users", "mean_wait_weeks", "assessments_per_user",
    "unmet_need", "wellbeing", "readmission_rate", "meeting_hours", "coordination_failures",
)  # fmt: skip
JOURNEY_COLUMNS = ["week", "event", "need", "agency", "professional"]


def command(module: bool = False) -> list[str]:
    """``python -m runner``, or the installed ``partnersim`` script (its entry point when not installed)."""
    if module:
        return [sys.executable, "-m", "runner"]
    script = Path(sys.executable).with_name("partnersim")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from runner.cli import main; main()"]


def run_cli(cwd: Path, *overrides: str, module: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command(module), *overrides],
        cwd=cwd,
        env=tree_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_ok(cwd: Path, folder: Path, *overrides: str, module: bool = False) -> subprocess.CompletedProcess:
    done = run_cli(cwd, f"hydra.run.dir={folder}", f"run.weeks={WEEKS}", *overrides, module=module)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    cwd = tmp_path_factory.mktemp("default")
    folder = cwd / "run"
    return folder, run_ok(cwd, folder)


def test_default_run_writes_every_output(default_run):
    folder, done = default_run
    table = pd.read_parquet(folder / "timeseries.parquet")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    assert not missing, missing
    assert table["week"].tolist() == list(range(WEEKS))
    assert (folder / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (folder / "journey.csv").exists(), "baseline traces nobody"
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*.tmp")), "temporary files left"
    trust = pd.read_csv(folder / "trust_matrix.csv", index_col=0)
    assert list(trust.index) == list(trust.columns) and len(trust) >= 2
    assert trust.to_numpy().min() >= 0 and trust.to_numpy().max() <= 1
    # the summary table on stdout, the progress bar on stderr: the registry's labels, units, formats
    assert "measured coterminosity" in done.stdout
    summary = json.loads((folder / "summary.json").read_text())
    rows = done.stdout.strip().splitlines()[1 : 1 + len(SUMMARY_ROWS)]
    for name, row in zip(SUMMARY_ROWS, rows, strict=True):
        label, value = outcome(name).label, outcome(name).format(summary["outcomes"][name])
        assert row.strip().lower().startswith(label.lower()) and row.rstrip().endswith(value), row
    assert done.stdout.strip().splitlines()[-1].endswith(str(folder.name)), "the output folder comes last"
    assert f"{WEEKS}/{WEEKS}" in done.stderr


def test_the_summary_table_and_the_sweep_line_show_registry_outcomes():
    from runner.cli import LINE_OUTCOMES, format_line, format_summary

    assert set(SUMMARY_ROWS) | set(LINE_OUTCOMES) <= {o.name for o in SUMMARY}
    outcomes = {o.name: 0.25 if o.summary != "last" else 3 for o in SUMMARY}
    summary = {"outcomes": outcomes, "scenario": "baseline", "seed": 7, "weeks": 104, "summary_weeks": 52}
    summary["measured_coterminosity"] = 0.5
    table = format_summary(summary).splitlines()
    assert len(table) == 1 + len(SUMMARY_ROWS) + 2
    for name, row in zip(SUMMARY_ROWS, table[1:], strict=False):
        label = outcome(name).label
        assert row.split("  ")[1] == label[0].lower() + label[1:], row
        assert row.endswith(outcome(name).format(0.25)), row
    assert "unmet need 25.0% of care hours" in format_line(summary, Path("somewhere"))
    assert format_line(summary, Path("somewhere")).count(",") >= len(LINE_OUTCOMES) - 1


def test_summary_json_identifies_the_run(default_run):
    folder, _ = default_run
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["seed"] == 42
    assert summary["scenario"] == "baseline"
    assert isinstance(summary["version"], str) and summary["version"]
    assert 0 <= summary["measured_coterminosity"] <= 1
    assert list(summary["outcomes"]) == [o.name for o in SUMMARY]
    assert "readmission_rate" in summary["outcomes"]
    config = summary["config"]
    assert config["run"]["weeks"] == WEEKS and config["run"]["seed"] == 42
    assert config["policy"]["coterminosity"] == 0.44
    assert config["scenario"]["description"].startswith("Fragmented services")
    assert "journey" not in summary
    from runner.provenance import fingerprint

    assert summary["fingerprint"] == fingerprint() and len(summary["config_hash"]) == 16
    assert summary["git"] is None or len(summary["git"]["commit"]) == 40  # a commit when run from git
    assert "run.weeks=20" in summary["command"] and summary["overrides"]
    assert set(summary["outputs"]) >= {"timeseries.parquet", "trust_matrix.csv"}


def test_mrs_smith_writes_her_journey(tmp_path):
    folder = tmp_path / "run"
    run_ok(tmp_path, folder, "scenario=mrs_smith", "run.figure=false", "run.progress=false")
    journey = pd.read_csv(folder / "journey.csv")
    assert list(journey.columns) == JOURNEY_COLUMNS
    assert len(journey) > 0
    assert journey["week"].between(0, WEEKS - 1).all()
    assert journey["week"].is_monotonic_increasing
    assert not (folder / "overview.png").exists(), "run.figure=false draws nothing"


def test_overrides_reach_the_summary(tmp_path):
    folder = tmp_path / "run"
    run_ok(
        tmp_path, folder,
        "scenario=care_trust", "policy.pooled_budget_share=0.6", "run.seed=7", "run.progress=false",
    )  # fmt: skip
    summary = json.loads((folder / "summary.json").read_text())
    policy = summary["config"]["policy"]
    assert summary["scenario"] == "care_trust" and summary["seed"] == 7
    assert policy["pooled_budget_share"] == 0.6, "the command line beats the preset"
    assert policy["coterminosity"] == 1.0, "the preset beats the defaults"
    assert summary["config"]["run"]["seed"] == 7


def test_python_m_runner_is_the_same_app(tmp_path, default_run):
    folder = tmp_path / "run"
    done = run_ok(tmp_path, folder, "run.progress=false", "run.figure=false", module=True)
    assert f"{WEEKS}/{WEEKS}" not in done.stderr, "run.progress=false hides the bar"
    same = pd.read_parquet(default_run[0] / "timeseries.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "timeseries.parquet"), same)


def test_a_sweep_with_a_job_the_schema_refuses_runs_nothing(tmp_path):
    sweep = tmp_path / "sweep"
    done = run_cli(
        tmp_path, "-m", f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=${hydra.job.num}", "run.weeks=20",
        "run.progress=false", "run.figure=false", "scenario=baseline,pool_withdrawal",
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()
    assert len(line) == 1 and "job #1" in line[0] and "scenario.shocks[0].week=104" in line[0], done.stderr
    assert not sweep.exists(), "the good job did not run either: every job is checked first"


def test_a_sweep_keeps_good_jobs_and_records_one_that_fails_while_running(tmp_path):
    sweep = tmp_path / "sweep"
    # A folder where the job must write its table makes that job fail as it runs (a real
    # failure, after the checks): the others must carry on and be kept.
    (sweep / "1" / "timeseries.parquet").mkdir(parents=True)
    done = run_cli(
        tmp_path, "-m", f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=${hydra.job.num}", "run.weeks=20",
        "run.progress=false", "run.figure=false", "run.seed=1,2,3",
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "job #1" in done.stderr
    assert (sweep / "0" / "summary.json").exists() and (sweep / "2" / "summary.json").exists()
    error = json.loads((sweep / "1" / "error.json").read_text())
    assert error["error"] == "IsADirectoryError"
    assert not (sweep / "1" / "summary.json").exists()


BAD_INPUTS = {
    "out of range": (["policy.coterminosity=1.5"], ["policy.coterminosity", "1.5", "0..1"]),
    "unknown preset": (["scenario=nope"], ["scenario", "nope", "baseline"]),
    "unknown key": (["policy.unknown=1"], ["policy.unknown=1", "coterminosity"]),
    "negative weeks": (["run.weeks=-3"], ["run.weeks", "-3"]),
    "shock after the end": (["run.weeks=52", "scenario=pool_withdrawal"], ["shocks[0].week", "104", "52"]),
    "unknown shock kind": (
        ["scenario.shocks=[{week:10,kind:meteor,share:0.5}]"],
        ["kind", "meteor", "pool_withdrawal"],
    ),
    "shock share": (["scenario.shocks=[{week:10,kind:budget_cut,share:1.5}]"], ["share", "1.5", "0..1"]),
    "wrong type": (["policy.coterminosity=abc"], ["policy.coterminosity", "abc"]),
    "a yes/no setting given a number": (
        ["policy.no_detriment=2"],
        ["policy.no_detriment", "2", "true or false"],
    ),
    "a yes/no setting given yes": (
        ["policy.community_partners=yes"],
        ["policy.community_partners", "yes", "true"],
    ),
    "summary longer than the run": (
        ["run.weeks=4", "run.summary_weeks=10"],
        ["run.summary_weeks=10", "1..4", "run.weeks=4"],
    ),
    "the same key twice": (
        ["run.weeks=3", "run.weeks=4"],
        ["run.weeks", "twice", "run.weeks=3", "run.weeks=4"],
    ),
    "a 5,000-digit seed": ([f"run.seed={'9' * 5000}"], ["run.seed", "5000 digits", "0..4294967295"]),
    "a scenario name that is a path": (["scenario.name=../../x"], ["scenario.name", "../../x", "plain name"]),
}


@pytest.mark.parametrize(("overrides", "mentions"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_fails_clearly_and_leaves_nothing(tmp_path, overrides, mentions):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    folder = cwd / "outputs" / "run"
    done = run_cli(cwd, f"hydra.run.dir={folder}", *overrides)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert "HYDRA_FULL_ERROR" not in output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in mentions:
        assert word in lines[0], (word, lines[0])
    assert not folder.exists()
    assert list(cwd.iterdir()) == [], "a failed run leaves nothing behind"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd"], "nor anything outside its folder"


def test_a_malformed_yaml_of_ones_own_gives_one_line(tmp_path):
    mine = tmp_path / "mine" / "scenario"
    mine.mkdir(parents=True)
    (mine / "broken.yaml").write_text("name: broken\npolicy: {coterminosity: 0.5\n  bad: [\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = run_cli(cwd, "--config-dir", str(tmp_path / "mine"), "scenario=broken", "run.weeks=2")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "broken.yaml, line 3" in lines[0] and "malformed YAML" in lines[0]
    assert list(cwd.iterdir()) == []
