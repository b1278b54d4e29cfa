"""No stale, mixed or half-collected result shown as current (issue 15).

Every test runs real sweeps, collects and reports in real processes, and damages real files the
way a user, a crash or a code change would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from analysis.collect import COLLECTED, collect, read_collected
from analysis.errors import AnalysisError
from analysis.load import load

ROOT = Path(__file__).resolve().parents[1]
QUICK = ("run.progress=false", "run.figure=false", "run.weeks=6", "run.summary_weeks=3")


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env, check=False
    )


def sweep(folder: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run("-m", "runner", "-m", f"hydra.sweep.dir={folder}", *QUICK, *args, cwd=folder.parent, env=env)


def summaries(folder: Path) -> dict[str, str]:
    return {p.parent.name: p.read_text() for p in folder.glob("job_*/summary.json")}


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> Path:
    """A finished four-job sweep, collected."""
    folder = tmp_path_factory.mktemp("done") / "sweep"
    result = sweep(folder, "policy.joint_indicators=0.0,1.0", "run.seed=1,2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert run("-m", "analysis.collect", str(folder), cwd=folder.parent).returncode == 0
    return folder


def copy_of(done: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "sweep"
    shutil.copytree(done, folder)
    return folder


# ---------------------------------------------------------------------------------- 1. stale code
def code_copy(tmp_path: Path) -> tuple[dict, Path]:
    """The project's packages copied, imported from the copy: its code can be changed."""
    src = tmp_path / "src"
    for name in ("sim", "runner", "analysis", "hydra_plugins", "configs", "experiments"):
        shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("HYDRA_FULL_ERROR", None)
    return env, src


def test_a_code_change_reruns_every_job_and_collect_names_one_fingerprint(tmp_path):
    env, src = code_copy(tmp_path)
    folder = tmp_path / "sweep"
    first = sweep(folder, "policy.joint_indicators=0.0,1.0", "run.seed=1,2", env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    before = summaries(folder)
    again = sweep(folder, "policy.joint_indicators=0.0,1.0", "run.seed=1,2", env=env)
    assert again.stdout.count("already complete, skipped") == 4, "unchanged code: nothing reruns"

    mechanism = sorted((src / "sim" / "mechanisms").glob("[a-z]*.py"))[0]
    mechanism.write_text(mechanism.read_text() + "\nCHANGED = 1  # a change to the model's code\n")
    for victim in sorted(folder.glob("job_*"))[:2]:
        shutil.rmtree(victim)  # half the jobs gone, as in the issue
    changed = sweep(folder, "policy.joint_indicators=0.0,1.0", "run.seed=1,2", env=env)
    assert changed.returncode == 0, changed.stderr[-2000:]
    assert "already complete, skipped" not in changed.stdout
    assert changed.stdout.count("the code or a library changed") == 2
    after = summaries(folder)
    prints = {json.loads(text)["fingerprint"] for text in after.values()}
    assert len(prints) == 1 and prints != {json.loads(t)["fingerprint"] for t in before.values()}
    collected = run("-m", "analysis.collect", str(folder), cwd=tmp_path, env=env)
    assert collected.returncode == 0, collected.stderr
    assert f"code fingerprint {prints.pop()} (4 jobs)" in collected.stdout


def test_results_of_two_code_versions_are_refused_by_the_report(done, tmp_path):
    folder = copy_of(done, tmp_path)
    job = sorted(folder.glob("job_*"))[0]
    summary = json.loads((job / "summary.json").read_text())
    summary["fingerprint"] = "0123456789abcdef"  # as if computed by other code
    (job / "summary.json").write_text(json.dumps(summary))
    collected = run("-m", "analysis.collect", str(folder), cwd=tmp_path)
    assert collected.returncode == 1 and "mixed: the runs come from 2 code fingerprints" in collected.stderr
    with pytest.raises(AnalysisError, match="2 code fingerprints"):
        load(folder)


# -------------------------------------------------------------------------------- 2. one design
def test_zero_where_the_first_run_said_zero_point_zero_resumes_the_same_jobs(done, tmp_path):
    folder = copy_of(done, tmp_path)
    again = sweep(folder, "policy.joint_indicators=0,1", "run.seed=1,2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("already complete, skipped") == 4
    assert len(list(folder.glob("job_*"))) == 4, "no job folder beside the old ones"
    assert len(collect(folder).results) == 4


def test_another_design_in_the_same_folder_stops_before_anything_runs(done, tmp_path):
    folder = copy_of(done, tmp_path)
    before = summaries(folder)
    other = sweep(folder, "policy.joint_indicators=0.0,0.5,1.0", "run.seed=1,2")
    assert other.returncode == 2
    lines = other.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds another design" in lines[0] and "2 new job(s)" in lines[0], other.stderr
    assert "hydra.sweeper.extend=true" in lines[0] and "new folder" in lines[0]
    assert summaries(folder) == before and len(list(folder.glob("job_*"))) == 4

    extended = sweep(
        folder, "policy.joint_indicators=0.0,0.5,1.0", "run.seed=1,2", "hydra.sweeper.extend=true"
    )
    assert extended.returncode == 0, extended.stderr[-2000:]
    assert extended.stdout.count("already complete, skipped") == 4
    manifest = json.loads((folder / "sweep.json").read_text())
    assert manifest["total"] == 6 and len(set(manifest["hashes"])) == 6
    assert len(collect(folder).results) == 6


def test_a_job_outside_the_design_or_a_duplicate_is_never_counted(done, tmp_path):
    folder = copy_of(done, tmp_path)
    first = sorted(folder.glob("job_*"))[0]
    # An older run's ``...=0`` beside ``...=0.0``: the same configuration and seed.
    shutil.copytree(first, folder / "job_duplicate")
    record = folder / "job_duplicate" / ".hydra" / "overrides.yaml"
    record.write_text(record.read_text().replace("joint_indicators=0.0", "joint_indicators=0"))
    collected = collect(folder)
    assert len(collected.results) == 4 and collected.results["config_hash"].is_unique
    assert [job for job, _ in collected.unused] == ["job_duplicate"]
    status = run("-m", "analysis.collect", str(folder), cwd=tmp_path)
    assert status.returncode == 1 and "not used: job_duplicate" in status.stderr
    assert "4 of 4 runs collected" in status.stdout


# ----------------------------------------------------------------------------- 4. collect, report
def test_a_pair_of_tables_from_two_collects_is_not_taken_as_current(done, tmp_path):
    folder = copy_of(done, tmp_path)
    assert read_collected(folder) is not None
    # A collect killed between its two renames: the new results beside the old weekly table.
    table = pd.read_parquet(folder / "timeseries.parquet")
    table.iloc[: len(table) // 2].to_parquet(folder / "timeseries.parquet", index=False)
    assert read_collected(folder) is None
    sweep_ = load(folder)
    assert any("not one whole collect" in note for note in sweep_.notes)
    assert sweep_.timeseries["job"].nunique() == 4 and read_collected(folder) is not None


@pytest.mark.parametrize("damage", ["truncated", "deleted", "summary []", "malformed overrides"])
def test_a_damaged_job_is_listed_never_used_and_rerun(done, tmp_path, damage):
    folder = copy_of(done, tmp_path)
    job = sorted(folder.glob("job_*"))[1]
    if damage == "truncated":
        data = (job / "timeseries.parquet").read_bytes()
        (job / "timeseries.parquet").write_bytes(data[: len(data) // 2])
    elif damage == "deleted":
        (job / "timeseries.parquet").unlink()
    elif damage == "summary []":
        (job / "summary.json").write_text("[]")
    else:
        (job / ".hydra" / "overrides.yaml").write_text("- [unclosed\n")
    status = run("-m", "analysis.collect", str(folder), cwd=tmp_path)
    assert status.returncode == 1 and "Traceback" not in status.stderr
    assert f"damaged, not used: {job.name}" in status.stderr
    assert "3 of 4 runs collected" in status.stdout
    report = run("-m", "analysis.report", str(folder), cwd=tmp_path)
    assert "Traceback" not in report.stderr, report.stderr

    again = sweep(folder, "policy.joint_indicators=0.0,1.0", "run.seed=1,2")
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr[-2000:]
    assert again.stdout.count("already complete, skipped") == (4 if damage == "malformed overrides" else 3)
    fixed = run("-m", "analysis.collect", str(folder), cwd=tmp_path)
    assert fixed.returncode == 0 and "4 of 4 runs collected" in fixed.stdout, fixed.stderr


def test_the_report_recollects_when_the_jobs_changed_since_collect(done, tmp_path):
    folder = copy_of(done, tmp_path)
    job = sorted(folder.glob("job_*"))[0]
    summary = json.loads((job / "summary.json").read_text())
    summary["outcomes"]["unmet_need"] = 0.987654  # as if the job had been recomputed
    (job / "summary.json").write_text(json.dumps(summary))
    sweep_ = load(folder)
    assert any("changed since results.parquet" in note for note in sweep_.notes)
    assert 0.987654 in sweep_.results["unmet_need"].tolist()
    assert json.loads((folder / COLLECTED).read_text())["jobs"] == sorted(
        p.name for p in folder.glob("job_*")
    )


# ---------------------------------------------------------------------------------- 5. smaller
def test_a_truncated_sweep_json_gives_one_line_everywhere(done, tmp_path):
    folder = copy_of(done, tmp_path)
    text = (folder / "sweep.json").read_text()
    (folder / "sweep.json").write_text(text[: len(text) // 2])
    status = run("-m", "analysis.collect", str(folder), cwd=tmp_path)
    assert status.returncode == 1 and "Traceback" not in status.stderr
    assert "problem: sweep.json is damaged" in status.stderr
    again = sweep(folder, "policy.joint_indicators=0.0,1.0", "run.seed=1,2")
    assert again.returncode == 2
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and "sweep.json is damaged" in lines[0] and "Traceback" not in again.stderr


# ---------------------------------------------------------------------------------- provenance
def test_each_sweep_writes_a_workflow_run_crate_a_reader_can_check(done):
    from rocrate.rocrate import ROCrate

    crate = ROCrate(done)
    ids = {e.id: e for e in crate.get_entities()}
    assert "https://w3id.org/ro/wfrun/workflow/0.5" in json.dumps(crate.root_dataset.properties())
    actions = [e for e in crate.get_entities() if e.type == "CreateAction"]
    jobs = sorted(p.name for p in done.glob("job_*"))
    assert sorted(a.id.removeprefix("#job-") for a in actions if a.id.startswith("#job-")) == jobs
    # The fingerprint the jobs recorded (the code may have changed since, as in any checkout).
    recorded = {json.loads(text)["fingerprint"] for text in summaries(done).values()}
    app = ids["#partnersim"]
    assert {app["identifier"]} == {f"fingerprint:{fp}" for fp in recorded}
    assert {e["name"] for e in app["softwareRequirements"]} >= {"numpy", "mesa", "pandas", "pyarrow"}
    one = next(a for a in actions if a.id == f"#job-{jobs[0]}")
    results = {unquote(e.id) for e in one["result"]}  # file ids are URL-encoded ('=' is %3D)
    assert {f"{jobs[0]}/summary.json", f"{jobs[0]}/timeseries.parquet"} <= results
    assert all((done / path).is_file() for path in results)
    assert any(unquote(e.id) == f"{jobs[0]}/.hydra/overrides.yaml" for e in one["object"])
    whole = ids["#sweep"]
    assert "runner -m" in whole["description"] and any(e.id == "results.parquet" for e in whole["result"])
    assert crate.mainEntity.id == "sweep.json"
