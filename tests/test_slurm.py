"""The SLURM launcher against a real single-node SLURM on localhost.

``scripts/slurm-cluster.sh start`` installs (Debian packages) and starts munge, mariadb,
slurmdbd, slurmctld and slurmd when no cluster answers, and the fixture stops only what it
started. It needs root; set ``PARTNERSIM_SKIP_SLURM=1`` to skip these tests on a machine where
that is impossible (CI does not set it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.collect import collect

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "slurm-cluster.sh"

pytestmark = pytest.mark.skipif(
    os.environ.get("PARTNERSIM_SKIP_SLURM") == "1", reason="PARTNERSIM_SKIP_SLURM=1"
)


@pytest.fixture(scope="module")
def cluster():
    """A running SLURM cluster for the module; stops only what this fixture started."""
    state = Path("/tmp/partnersim-slurm-tests")
    env = {**os.environ, "PARTNERSIM_SLURM_STATE": str(state)}
    started = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, env=env, timeout=600)
    assert started.returncode == 0, f"could not start SLURM:\n{started.stderr}"
    yield
    subprocess.run([str(SCRIPT), "stop"], capture_output=True, text=True, env=env, timeout=120)


def sweep(sweep_dir: Path, *args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a sweep of ``partnersim`` as a researcher would."""
    return subprocess.run(
        [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep_dir}", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _outcomes(sweep_dir: Path) -> pd.DataFrame:
    results = collect(sweep_dir).results.sort_values("overrides").reset_index(drop=True)
    keep = [c for c in results.columns if c not in ("job", "version")]
    return results[keep]


def test_slurm_sweep_gives_the_same_results_table_as_the_local_launcher(cluster, tmp_path):
    local = sweep(tmp_path / "local", "experiment=joint_indicators_smoke", cwd=tmp_path)
    assert local.returncode == 0, local.stderr[-2000:]
    slurm = sweep(
        tmp_path / "slurm", "experiment=joint_indicators_smoke", "hydra/launcher=slurm", cwd=tmp_path
    )
    assert slurm.returncode == 0, slurm.stderr[-2000:]
    assert list((tmp_path / "slurm" / ".submitit").iterdir()), "the jobs did not go through SLURM"
    a, b = _outcomes(tmp_path / "local"), _outcomes(tmp_path / "slurm")
    assert len(a) == len(b) == 6
    pd.testing.assert_frame_equal(a, b)


def _squeue() -> list[str]:
    out = subprocess.run(["squeue", "-h", "-o", "%i %T"], capture_output=True, text=True, timeout=30)
    return [line for line in out.stdout.splitlines() if line.strip()]


def test_a_job_killed_by_the_scheduler_is_reported_and_does_not_hang_the_sweep(cluster, tmp_path):
    folder = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={folder}", "hydra/launcher=slurm",
            "run.progress=false", "run.figure=false", "run.weeks=5200,20", "run.seed=1,2",
            # Four times the users and staff (as benchmarks/run.py's (b)): the long jobs run for
            # several seconds more, so the scheduler's kill lands while they run.
            "model.population.initial_users=8000", "model.population.community_referrals=3.4",
            "model.population.hospital_discharges=1.6", "model.workforce.professionals=800",
        ],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # Array task k runs job k of the manifest: find a long one and cancel it while it runs.
    deadline, target = time.time() + 120, None
    while target is None and time.time() < deadline:
        manifest = folder / "sweep.json"
        if manifest.is_file():
            jobs = json.loads(manifest.read_text())["jobs"]
            long_jobs = {k for k, job in enumerate(jobs) if "run.weeks=5200" in job}
            for line in _squeue():
                task, state = line.split()
                if state == "RUNNING" and "_" in task and int(task.split("_")[1]) in long_jobs:
                    target = task
                    break
        time.sleep(0.2)
    assert target is not None, "no long job was seen running"
    # submitit ignores the SIGTERM of scancel: the job dies at the SIGKILL that follows after
    # KillWait (5 s on the test cluster, scripts/slurm-cluster.sh), well before a long job ends.
    subprocess.run(["scancel", target], check=True, timeout=30)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode != 0, "a killed job must make the sweep fail\n" + err[-3000:]
    assert "Traceback" not in err
    assert "did not complete" in err
    collected = collect(folder)
    assert len(collected.failed) == 1
    assert "did not complete" in collected.failed[0][2]
    assert "run.weeks=5200" in " ".join(collected.failed[0][1])
    assert len(collected.results) == 3, "the other jobs must be kept"
    assert not collected.missing
