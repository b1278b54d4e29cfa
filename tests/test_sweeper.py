"""partnersim's sweeper and local launcher, on Hydra's public plugin interfaces.

The sweeper must make the jobs Hydra's basic sweeper makes, in the same order and with the same
override strings (hand-written expectations here, and the job folders of real sweeps), check
every job before anything is written, and fail exactly when composing every job would. The
launcher must give the same outputs whatever the number of workers, keep going past a failing
job or a dead worker, and stop its workers on Ctrl+C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.utils import setup_globals
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hydra_plugins.partnersim_sweeper.launcher import worker_count
from hydra_plugins.partnersim_sweeper.sweeper import check_jobs
from runner.cli import CONFIG_DIR
from runner.compose import register_configs
from runner.plugins import register_plugins
from runner.sweep import expand_jobs, expected_jobs

ROOT = Path(__file__).resolve().parents[1]
ERRORS = (HydraException, OmegaConfBaseException)
QUICK = ("run.progress=false", "run.figure=false")


# ------------------------------------------------------------------------------------- expansion
EXPANSIONS = {
    "two keys, the last varies fastest": (
        ["a=1,2", "b=x,y"],
        [["a=1", "b=x"], ["a=1", "b=y"], ["a=2", "b=x"], ["a=2", "b=y"]],
    ),
    "plain values stay in their place": (
        ["c=3", "a=1,2", "d=four"],
        [["c=3", "a=1", "d=four"], ["c=3", "a=2", "d=four"]],
    ),
    "a repeated key keeps its first place and its last values": (
        ["a=range(0,3)", "b=1", "a=5,6"],
        [["a=5", "b=1"], ["a=6", "b=1"]],
    ),
    "range, sorted choices, quoting and lists as Hydra writes them": (
        ["r=range(0,5,2)", "s=sort(3,1,2)", "q='a b'", "+x=[1,2]", "~y=null"],
        [
            ["r=0", "s=1", "q='a b'", "+x=[1,2]", "~y=null"],
            ["r=0", "s=2", "q='a b'", "+x=[1,2]", "~y=null"],
            ["r=0", "s=3", "q='a b'", "+x=[1,2]", "~y=null"],
            ["r=2", "s=1", "q='a b'", "+x=[1,2]", "~y=null"],
            ["r=2", "s=2", "q='a b'", "+x=[1,2]", "~y=null"],
            ["r=2", "s=3", "q='a b'", "+x=[1,2]", "~y=null"],
            ["r=4", "s=1", "q='a b'", "+x=[1,2]", "~y=null"],
            ["r=4", "s=2", "q='a b'", "+x=[1,2]", "~y=null"],
            ["r=4", "s=3", "q='a b'", "+x=[1,2]", "~y=null"],
        ],
    ),
    "config groups and booleans": (
        ["hydra/launcher=partnersim,slurm", "run.figure=false"],
        [["hydra/launcher=partnersim", "run.figure=False"], ["hydra/launcher=slurm", "run.figure=False"]],
    ),
    "no overrides: one job": ([], [[]]),
}


@pytest.mark.parametrize(("arguments", "expected"), EXPANSIONS.values(), ids=EXPANSIONS.keys())
def test_jobs_come_in_hydras_basic_sweeper_order(arguments, expected):
    assert expand_jobs(arguments) == [expected]


def test_batches_split_the_same_order():
    jobs = [["a=1", "b=x"], ["a=1", "b=y"], ["a=2", "b=x"], ["a=2", "b=y"], ["a=3", "b=x"], ["a=3", "b=y"]]
    assert expand_jobs(["a=1,2,3", "b=x,y"], max_batch_size=4) == [jobs[:4], jobs[4:]]
    assert expand_jobs(["a=1,2,3", "b=x,y"], max_batch_size=-1) == [jobs]
    with pytest.raises(HydraException, match="sweep type"):
        expand_jobs(["a=interval(0,1)"])


# ---------------------------------------------------------------------------- the up-front check
@pytest.fixture(scope="module")
def loader():
    """Hydra's config loader for configs/, through Hydra's public initialize API."""
    register_configs()
    register_plugins()  # the launcher's schema
    setup_globals()  # Hydra's resolvers (${now:...}), as a real run registers them
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        yield GlobalHydra.instance().config_loader()


class Counting:
    """Hydra's config loader, counting the configurations it composes for jobs (not a mock)."""

    def __init__(self, loader):
        self.loader = loader
        self.composed = 0

    def load_sweep_config(self, master_config, sweep_overrides):
        self.composed += 1
        return self.loader.load_sweep_config(master_config, sweep_overrides)

    def __getattr__(self, name):
        return getattr(self.loader, name)


def sweep_config(loader, *overrides: str):
    return loader.load_configuration("config", overrides=list(overrides), run_mode=RunMode.MULTIRUN)


def full_check(loader, config, jobs) -> str | None:
    """What Hydra's basic sweeper does: compose every job; the first error, if any."""
    for job in jobs:
        try:
            loader.load_sweep_config(config, list(job))
        except ERRORS as err:
            return type(err).__name__
    return None


def test_plain_values_cost_one_composition_and_group_choices_one_each(loader):
    counting, config = Counting(loader), sweep_config(loader)
    check_jobs(
        counting, config, expand_jobs(["policy.coterminosity=0,0.25,0.5,0.75,1", "run.seed=1,2,3,4"])[0]
    )
    assert counting.composed == 1
    counting.composed = 0
    check_jobs(
        counting, config, expand_jobs(["scenario=baseline,care_trust,mrs_smith", "run.seed=1,2,3,4"])[0]
    )
    assert counting.composed == 3


SWEEPS = {
    "good grid": ("policy.coterminosity=0,0.5,1", "run.seed=1,2"),
    "bad value in the last job": ("run.seed=1,2", "policy.coterminosity=0.5,abc"),
    "bad type for an int": ("run.weeks=10,ten",),
    "unknown key": ("policy.nokey=1,2",),
    "unknown group option": ("scenario=baseline,nope", "run.seed=1,2"),
    "good groups and values": ("scenario=baseline,care_trust", "policy.pooled_budget_share=0.2,0.4"),
    "bad value under one group only": ("scenario=baseline,care_trust", "run.weeks=5,x"),
    "launcher choice": ("hydra/launcher=partnersim,slurm", "run.seed=1,2"),
    "bad launcher setting": ("hydra.launcher.n_jobs=1,many",),
    "deleting a typed key": ("run.seed=1,2", "~policy.coterminosity"),
    "adding a known key": ("run.seed=1,2", "+run.weeks=3"),
    "a dict value": ("run.seed=1,2", "run={weeks:3},{wekks:3}"),
}


@pytest.mark.parametrize("overrides", SWEEPS.values(), ids=SWEEPS.keys())
def test_the_check_fails_exactly_when_composing_every_job_fails(loader, overrides):
    config, jobs = sweep_config(loader), expand_jobs(list(overrides))[0]
    expected = full_check(loader, config, jobs)
    try:
        check_jobs(loader, config, jobs)
        got = None
    except ERRORS as err:
        got = type(err).__name__
    assert got == expected
    assert (got is None) == (overrides in (SWEEPS["good grid"], SWEEPS["good groups and values"],
                                           SWEEPS["launcher choice"]))  # fmt: skip


def test_the_manifest_callback_lists_the_sweepers_jobs(loader):
    config = sweep_config(loader, "experiment=joint_indicators_smoke", "run.seed=3")
    OmegaConf.resolve(config.hydra.sweeper)
    assert expected_jobs(config) == [
        [f"policy.joint_indicators={v}", f"experiment.replicate={r}", "experiment=joint_indicators_smoke",
         "run.seed=3"]
        for v in ("0.0", "0.5", "1.0") for r in (0, 1)
    ]  # fmt: skip


# ------------------------------------------------------------------------------------ real sweeps
def sweep(folder: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``partnersim -m`` as a researcher would, into ``folder``."""
    return subprocess.run(
        [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={folder}", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def jobs_by_number(folder: Path) -> dict[int, tuple[list[str], str]]:
    jobs = {}
    for job in folder.glob("job_*"):
        num = OmegaConf.load(job / ".hydra" / "hydra.yaml").hydra.job.num
        jobs[num] = (yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text()), job.name)
    return jobs


def test_job_numbers_overrides_and_folders_follow_hydras_order(tmp_path):
    done = sweep(tmp_path / "s", "hydra.launcher.n_jobs=2", "hydra.sweeper.max_batch_size=3", "run.weeks=3",
                 *QUICK, "run.seed=2,1", "policy.joint_indicators=0,1")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    expected = [
        ["hydra.launcher.n_jobs=2", "hydra.sweeper.max_batch_size=3", "run.weeks=3", "run.progress=False",
         "run.figure=False", f"run.seed={seed}", f"policy.joint_indicators={v}"]
        for seed in (2, 1) for v in (0, 1)
    ]  # fmt: skip
    jobs = jobs_by_number(tmp_path / "s")
    assert [jobs[k][0] for k in range(4)] == [job[2:] for job in expected]  # hydra.* is not the task's
    assert jobs[0][1] == "job_policy.joint_indicators=0,run.seed=2,run.weeks=3"
    assert json.loads((tmp_path / "s" / "sweep.json").read_text())["jobs"] == [job[2:] for job in expected]


@pytest.mark.parametrize("batch", ["null", "1"])
def test_a_bad_value_in_a_later_job_stops_the_sweep_before_anything_is_written(tmp_path, batch):
    done = sweep(tmp_path / "sweep", f"hydra.sweeper.max_batch_size={batch}", "run.weeks=2", "run.seed=1,2,3",
                 "policy.coterminosity=0.5,abc", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: policy.coterminosity: Value 'abc' of type 'str' could not be converted to Float"
    ]
    assert not (tmp_path / "sweep").exists(), (
        "a sweep with a bad job writes nothing, not even its first batch"
    )


def outputs(folder: Path) -> dict[str, tuple]:
    found = {}
    for job in folder.glob("job_*"):
        summary = json.loads((job / "summary.json").read_text())
        for key in ("created", "command"):
            summary.pop(key, None)
        table = pd.read_parquet(job / "timeseries.parquet")
        num = OmegaConf.load(job / ".hydra" / "hydra.yaml").hydra.job.num
        found[job.name] = (num, summary, table.to_dict("list"))
    return found


def test_one_worker_and_several_give_bit_identical_outputs(tmp_path):
    grid = (
        "hydra.sweeper.max_batch_size=3",
        "run.weeks=8",
        *QUICK,
        "run.seed=1,2",
        "policy.joint_indicators=0,1",
    )
    runs = {}
    for name, launcher in (("one", "1"), ("fork", "-1"), ("spawn", "2 hydra.launcher.start_method=spawn")):
        settings = [f"hydra.launcher.n_jobs={launcher.split()[0]}", *launcher.split()[1:]]
        done = sweep(tmp_path / name, *settings, *grid)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[name] = outputs(tmp_path / name)
    assert len(runs["one"]) == 4
    assert runs["fork"] == runs["one"], "job numbers, summaries and time series do not depend on the workers"
    assert runs["spawn"] == runs["one"]


def test_a_failing_job_does_not_stop_the_others(tmp_path):
    # A folder where two jobs must write their table: they fail as they run, after every check.
    for seed in (1, 2):
        job = f"job_policy.coterminosity=0.25,run.seed={seed},run.weeks=3"
        (tmp_path / "s" / job / "timeseries.parquet").mkdir(parents=True)
    done = sweep(tmp_path / "s", "run.weeks=3", *QUICK, "policy.coterminosity=0.5,0.75,0.25", "run.seed=1,2")
    assert done.returncode == 2
    folders = sorted((tmp_path / "s").glob("job_*"))
    failed = [f for f in folders if (f / "error.json").is_file()]
    assert len(folders) == 6 and len(failed) == 2
    assert all("coterminosity=0.25" in f.name for f in failed)
    assert all((f / "summary.json").is_file() for f in folders if f not in failed)


REFUSED = {
    "a value out of range": (["policy.coterminosity=0.1,0.5,1.5", "run.weeks=4"], "policy.coterminosity=1.5"),
    "a shock after the last week": (["scenario=pool_withdrawal", "run.weeks=200,4"], "after the last week"),
    "a bad design_n": (["experiment=sensitivity_smoke", "experiment.design_n=3"], "power of 2"),
    "a yes/no setting given 2": (["policy.no_detriment=true,2", "run.weeks=2"], "true or false"),
    "a summary longer than the run": (["run.weeks=8,4", "run.summary_weeks=6"], "run.summary_weeks=6"),
}


@pytest.mark.parametrize(("args", "says"), REFUSED.values(), ids=REFUSED.keys())
def test_every_jobs_full_validation_runs_before_anything(tmp_path, args, says):
    done = sweep(tmp_path / "sweep", *QUICK, *args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing is written, not even the good jobs"


def test_zero_and_zero_point_zero_are_one_job(loader):
    config = sweep_config(loader)
    values = [("0", 1), ("0.0", 1), ("0.5", 1), ("0", 2)]
    jobs = [[f"policy.joint_indicators={v}", f"run.seed={seed}"] for v, seed in values]
    hashes = check_jobs(loader, config, jobs)
    assert hashes[0] == hashes[1] and len(set(hashes)) == 3


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def wait_for_workers(proc: subprocess.Popen, folder: Path, n: int = 2, timeout: float = 120) -> list[int]:
    """The worker pids of a running sweep, once its first jobs have started."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = children(proc.pid)
        if len(pids) == n and len(list(folder.glob("job_*/.hydra/overrides.yaml"))) >= n:
            return pids
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the sweep's workers did not start")


pytestmark_linux = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


@pytestmark_linux
def test_a_killed_worker_loses_only_its_job(tmp_path):
    folder = tmp_path / "s"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={folder}", "hydra.launcher.n_jobs=2",
         "run.weeks=150", *QUICK, "run.seed=1,2,3,4"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    victim = wait_for_workers(proc, folder)[0]
    os.kill(victim, signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err[-2000:]
    assert "Traceback" not in err
    folders = sorted(folder.glob("job_*"))
    failed = [f for f in folders if (f / "error.json").is_file()]
    assert len(folders) == 4 and len(failed) == 1
    assert "worker process died" in json.loads((failed[0] / "error.json").read_text())["message"]
    assert sum((f / "summary.json").is_file() for f in folders) == 3, "the other jobs all ran"


@pytestmark_linux
def test_ctrl_c_stops_the_workers(tmp_path):
    folder = tmp_path / "s"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={folder}", "hydra.launcher.n_jobs=2",
         "run.weeks=200", *QUICK, "run.seed=1,2,3,4"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    workers = wait_for_workers(proc, folder)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl+C: the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "no worker outlives the command"
    assert not list(folder.glob("job_*/summary.json")), "the running jobs were stopped, not finished"


def test_worker_counts_follow_joblibs_convention():
    cores = os.cpu_count() or 1
    assert worker_count(-1) == cores
    assert worker_count(1) == 1
    assert worker_count(3) == 3
    assert worker_count(-2) == max(1, cores - 1)
    with pytest.raises(ValueError, match="n_jobs"):
        worker_count(0)
