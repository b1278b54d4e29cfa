"""Named experiments and sweeps, run as a researcher runs them: real processes, real folders.

Every experiment composes and expands into the number of runs its header promises; every smoke
variant runs end to end through the default (partnersim's local) launcher into a results table; an
interrupted sweep resumes without recomputing or losing anything; a failing job is recorded and
the others are kept.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from analysis.collect import collect
from runner.compose import CONFIG_DIR, compose_config
from runner.experiment import derive_seed
from runner.sweep import expected_jobs

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.yaml") if not p.stem.endswith("_smoke"))
# A smoke variant that draws its model parameters from a calibration's posterior needs that
# calibration to run: tests/test_posterior_draws.py runs it on a calibration of its own.
DRAWN = sorted(
    p.stem
    for p in (ROOT / "experiments").glob("*_smoke.yaml")
    if (yaml.safe_load(p.read_text()).get("experiment") or {}).get("posterior")
)
SMOKES = sorted(p.stem for p in (ROOT / "experiments").glob("*_smoke.yaml") if p.stem not in DRAWN)
REQUIRED = {
    "pooling_x_coterminosity", "trust_shock", "meeting_practice", "joint_indicators", "workforce",
    "when_partnership_hurts", "sensitivity", "sensitivity_morris",
}  # fmt: skip


def _hydra_config(name: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=[f"experiment={name}"], return_hydra_config=True)


def cli(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    """Run ``partnersim`` as a user would, in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "runner", *args], cwd=cwd, capture_output=True, text=True, timeout=600, **kw
    )


def test_every_required_experiment_exists_with_a_smoke_variant():
    assert REQUIRED <= set(EXPERIMENTS)
    assert {f"{e}_smoke" for e in EXPERIMENTS} == set(SMOKES)
    assert all(name.removesuffix("_posterior_smoke") in EXPERIMENTS for name in DRAWN), DRAWN


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_its_header_states_question_hypothesis_design_runs(name):
    sampled = name.startswith("sensitivity")
    cfg = compose_config([f"experiment={name}"] + (["experiment.sample=0"] if sampled else []))
    assert cfg.experiment.name == name
    assert cfg.experiment.question and cfg.experiment.hypothesis
    header = (ROOT / "experiments" / f"{name}.yaml").read_text()
    for word in ("Question:", "Hypothesis:", "Design:", "Runs:"):
        assert word in header, f"{name}: header lacks {word}"
    runs_line = re.search(r"^# Runs:(.*)$", header, re.M).group(1)
    promised = int(re.findall(r"\d+", runs_line.split("(")[0])[-1])  # the total, e.g. "10 x 10 = 100"
    jobs = expected_jobs(_hydra_config(name))
    assert len(jobs) == promised
    assert len({tuple(sorted(j)) for j in jobs}) == len(jobs), "two jobs with the same overrides"
    hydra_cfg = _hydra_config(name)
    assert hydra_cfg.hydra.sweep.dir == f"multirun/{name}", "an experiment needs a fixed folder to resume"


def test_sobol_design_generates_its_runs_from_the_design():
    hydra_cfg = _hydra_config("sensitivity")
    n_levers = len(hydra_cfg.experiment.levers)
    assert hydra_cfg.experiment.design_n & (hydra_cfg.experiment.design_n - 1) == 0
    assert len(expected_jobs(hydra_cfg)) == hydra_cfg.experiment.design_n * (n_levers + 2)
    rows = [compose_config(["experiment=sensitivity", f"experiment.sample={k}"]).policy for k in (0, 1, 2)]
    assert rows[0] != rows[1] != rows[2]
    again = compose_config(["experiment=sensitivity", "experiment.sample=1"]).policy
    assert again == rows[1]


def test_seeds_derive_from_base_seed_and_replicate():
    seeds = [derive_seed(20061, r) for r in range(10)]
    assert len(set(seeds)) == 10
    assert seeds == [derive_seed(20061, r) for r in range(10)]
    assert derive_seed(1, 0) != derive_seed(2, 0)
    cfg = compose_config(["experiment=joint_indicators", "experiment.replicate=3"])
    assert cfg.run.seed == derive_seed(cfg.experiment.base_seed, 3)


@pytest.mark.parametrize("name", SMOKES)
def test_smoke_variant_runs_end_to_end_into_a_results_table(tmp_path, name):
    sweep = tmp_path / "sweep"
    done = cli("-m", f"experiment={name}", f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "jobs done" in done.stderr  # progress: k/n jobs done, about T left
    manifest = json.loads((sweep / "sweep.json").read_text())
    collected = subprocess.run(
        [sys.executable, "-m", "analysis.collect", str(sweep)], capture_output=True, text=True, timeout=120
    )
    assert collected.returncode == 0, collected.stderr
    results = pd.read_parquet(sweep / "results.parquet")
    series = pd.read_parquet(sweep / "timeseries.parquet")
    assert len(results) == manifest["total"] >= 2
    assert results["seed"].notna().all()
    weeks = int(results["weeks"].iloc[0])
    assert len(series) == len(results) * weeks
    for _, row in results.iterrows():
        summary = json.loads((sweep / row["job"] / "summary.json").read_text())
        assert summary["seed"] == derive_seed(summary["config"]["experiment"]["base_seed"], row["replicate"])
        assert row["unmet_need"] == summary["outcomes"]["unmet_need"]


def _summaries(sweep: Path) -> dict[str, tuple[float, str]]:
    return {p.parent.name: (p.stat().st_mtime_ns, p.read_text()) for p in sweep.glob("*/summary.json")}


def test_an_interrupted_sweep_resumes_without_recomputing_or_losing_anything(tmp_path):
    sweep = tmp_path / "sweep"
    args = [
        "-m", "experiment=sensitivity_smoke", f"hydra.sweep.dir={sweep}", "run.weeks=60",
        "hydra.launcher.n_jobs=1",
    ]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", *args], cwd=tmp_path, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.time() + 300
    while len(list(sweep.glob("*/summary.json"))) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _summaries(sweep)
    assert 4 <= len(before) < 20, "the sweep must be killed mid-way for this test to mean anything"
    for _, text in before.values():
        json.loads(text)  # every summary that exists is whole

    again = cli(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    after = _summaries(sweep)
    assert len(after) == 20
    for job, (mtime, text) in before.items():
        assert after[job] == (mtime, text), f"{job} was recomputed or changed"
    assert again.stdout.count("already complete, skipped") == len(before)
    assert len(collect(sweep).results) == 20


def test_a_failing_job_is_recorded_and_the_others_kept(tmp_path):
    sweep = tmp_path / "sweep"
    for seed in (1, 2):  # where these jobs must write their table: they fail as they run
        (
            sweep / f"job_model.coordination.hours=9.0,run.seed={seed},run.weeks=20" / "timeseries.parquet"
        ).mkdir(parents=True)
    done = cli(
        "-m", f"hydra.sweep.dir={sweep}", "run.weeks=20", "run.progress=false", "run.figure=false",
        "model.coordination.hours=0.5,9.0", "run.seed=1,2", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    collected = collect(sweep)
    assert len(collected.results) == 2
    assert len(collected.failed) == 2
    assert all("model.coordination.hours=9.0" in " ".join(o) for _, o, _ in collected.failed)
    assert all("IsADirectoryError" in message for _, _, message in collected.failed)
    assert not collected.missing
    status = subprocess.run(
        [sys.executable, "-m", "analysis.collect", str(sweep)], capture_output=True, text=True, timeout=120
    )
    assert status.returncode == 1 and "failed:" in status.stderr and (sweep / "results.parquet").is_file()


def test_collector_reports_missing_jobs_of_a_partial_sweep(tmp_path):
    sweep = tmp_path / "sweep"
    done = cli("-m", "experiment=joint_indicators_smoke", f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert done.returncode == 0
    victim = sorted(sweep.glob("job_*"))[0]
    (victim / "summary.json").unlink()
    collected = collect(sweep)
    assert len(collected.results) == 5 and len(collected.missing) == 1
    status = subprocess.run(
        [sys.executable, "-m", "analysis.collect", str(sweep)], capture_output=True, text=True, timeout=120
    )
    assert status.returncode == 1 and "missing:" in status.stderr


@pytest.mark.parametrize(
    ("setup", "message"),
    [("nothing", "no such sweep folder"), ("empty", "not a sweep folder")],
)
def test_collector_rejects_what_is_not_a_sweep(tmp_path, setup, message):
    target = tmp_path / "target"
    if setup == "empty":
        target.mkdir()
    status = subprocess.run(
        [sys.executable, "-m", "analysis.collect", str(target)], capture_output=True, text=True, timeout=120
    )
    assert status.returncode == 2
    assert message in status.stderr and "Traceback" not in status.stderr
    assert not (target / "results.parquet").exists()
