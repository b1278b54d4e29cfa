"""partnersim-calibrate, run as a user runs it: real processes, real pyabc histories, real files.

Every calibration here is tiny (a few particles, short runs) and writes into ``tmp_path``. The
calibration of the defaults themselves (configs/calibration/england.yaml) is far too long for a
test; its folder is checked by tests/test_validation.py.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from calibration import outputs
from calibration.spec import CalibrationSpec, Prior, Target, check, mean_statistics, statistics
from commands import tree_env
from sim.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]
# A tiny calibration of the england targets: short runs, one seed, few particles.
TINY = (
    "run.weeks=40",
    "run.summary_weeks=13",
    "calibration.population=10",
    "calibration.seeds=[1]",
    "calibration.predictive_draws=3",
    "calibration.workers=2",
)


def command() -> list[str]:
    script = Path(sys.executable).with_name("partnersim-calibrate")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from calibration.cli import main; main()"]


def calibrate(cwd: Path, *overrides: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command(), *overrides], cwd=cwd, env=tree_env(), capture_output=True, text=True, timeout=timeout
    )


def generations(db: Path) -> list[tuple[int, float, int]]:
    """(t, epsilon, samples) of each complete generation in a pyabc history, read with sqlite3."""
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT t, epsilon, nr_samples FROM populations WHERE t >= 0 ORDER BY t"
        ).fetchall()
    return [(int(t), float(e), int(n)) for t, e, n in rows]


# ------------------------------------------------------------------------------ end to end
def test_tiny_calibration_writes_a_complete_folder(tmp_path):
    out = tmp_path / "cal"
    done = calibrate(tmp_path, *TINY, f"calibration.out={out}", "calibration.generations=2")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # progress is shown, generation by generation
    assert "[calibrate] t: 0" in done.stderr and "[calibrate] t: 1" in done.stderr
    assert "calibration england: 2 generations" in done.stdout

    state = json.loads((out / outputs.STATE).read_text())
    assert state["finished"] is True and state["generations_done"] == 2
    spec = state["calibration"]
    keys = [p["key"] for p in spec["parameters"]]
    post = pd.read_parquet(out / outputs.POSTERIOR)
    assert list(post.columns) == [*keys, "weight"]
    assert len(post) == 10 and post["weight"].sum() == pytest.approx(1.0)
    for p in spec["parameters"]:
        assert post[p["key"]].between(p["low"], p["high"]).all()
        assert p["low"] <= state["point"][p["key"]] <= p["high"]
    # every target has a predictive interval and a verdict; the held-out one is marked
    names = {t["name"] for t in spec["targets"]}
    assert {c["name"] for c in state["targets"]} == names
    assert any(not c["fit"] for c in state["targets"])
    pred = pd.read_parquet(out / outputs.PREDICTIVE)
    checks = {"calibrated", *(c["name"] for c in spec["contrasts"])}
    assert set(pred["check"]) == checks
    # 3 draws + the point, one seed, for the calibrated model and each contrast
    assert len(pred) == 4 * len(checks)
    report = (out / outputs.REPORT).read_text()
    for name in names:
        assert name in report
    for figure in (outputs.MARGINALS, outputs.PAIRS, outputs.CHECKS):
        assert (out / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # nothing half-written is left behind
    assert not list(out.rglob("*.tmp"))


def test_one_worker_calibration_is_bit_reproducible(tmp_path):
    """With one worker, the same configuration and ABC seed give the same posterior and the same
    posterior predictive runs (several workers race, and are not reproducible)."""
    one = [a for a in TINY if not a.startswith("calibration.workers=")] + ["calibration.workers=1"]
    tables = []
    for name in ("first", "second"):
        out = tmp_path / name
        done = calibrate(tmp_path, *one, f"calibration.out={out}", "calibration.generations=2")
        assert done.returncode == 0, done.stderr
        tables.append((pd.read_parquet(out / outputs.POSTERIOR), pd.read_parquet(out / outputs.PREDICTIVE)))
    (post_a, pred_a), (post_b, pred_b) = tables
    pd.testing.assert_frame_equal(post_a, post_b, check_exact=True)
    pd.testing.assert_frame_equal(pred_a, pred_b, check_exact=True)
    assert post_a["weight"].nunique() > 1  # importance weights: a second generation, not the prior


def test_an_interrupted_calibration_carries_on_from_its_last_generation(tmp_path):
    out = tmp_path / "cal"
    tiny = [a for a in TINY if not a.startswith("calibration.population=")]
    args = [*tiny, f"calibration.out={out}", "calibration.generations=3", "calibration.population=9"]
    proc = subprocess.Popen(
        [*command(), *args], cwd=tmp_path, env=tree_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    db = out / outputs.HISTORY
    deadline = time.time() + 300
    try:
        while time.time() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    if generations(db):
                        break
                except sqlite3.Error:
                    pass  # the database is being created
            time.sleep(0.1)
        assert proc.poll() is None, "the calibration ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGKILL)  # a crash: no chance to tidy up
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = generations(db)
    assert 1 <= len(before) < 3
    state = json.loads((out / outputs.STATE).read_text())
    assert state["finished"] is False

    done = calibrate(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert f"carrying on from generation {len(before)} of 3" in done.stderr
    after = generations(db)
    assert len(after) == 3
    assert after[: len(before)] == before  # the generations done were kept, not redone
    assert json.loads((out / outputs.STATE).read_text())["finished"] is True

    # Run again with more generations asked: it carries on again; the same number asked: none.
    again = calibrate(tmp_path, *args)
    assert again.returncode == 0, again.stderr
    assert "all 3 generations are done" in again.stderr
    assert generations(db) == after


def test_a_folder_holding_another_calibration_is_refused(tmp_path):
    out = tmp_path / "cal"
    done = calibrate(tmp_path, *TINY, f"calibration.out={out}", "calibration.generations=1")
    assert done.returncode == 0, done.stderr
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    other = calibrate(
        tmp_path, *TINY, f"calibration.out={out}", "calibration.generations=1", "calibration.abc_seed=7"
    )
    assert other.returncode == 2
    lines = other.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds another calibration" in lines[0]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "calibration.targets.0.output=waiting_time",
            "calibration.targets[0].output='waiting_time' is not an output",
        ),
        ("calibration.parameters.0.high=2.5", "is outside its allowed range 0..1"),
        ("calibration.parameters.1.key=model.funding.no_such_rate", "is not a numeric setting of the model"),
        ("calibration=wales", "calibration=wales is not a known option"),
        ("calibration.popsize=10", "calibration.popsize=10 is not a known key"),
        ("calibration.population=1", "calibration.population=1 is out of range"),
        ("calibration.population=5", "calibration.population=5 is too small"),
        ("model.outcomes.stay_weeks=0", "model.outcomes.stay_weeks=0"),
    ],
)
def test_bad_input_gets_one_line_and_writes_nothing(tmp_path, override, expected):
    out = tmp_path / "cal"
    done = calibrate(tmp_path, f"calibration.out={out}", override, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no folder, no Hydra files


def test_check_refuses_what_cannot_be_fitted():
    target = Target(name="r", output="readmission_rate", value=0.13, low=0.12, high=0.14)
    prior = Prior(key="model.outcomes.post_discharge_factor", low=3, high=16)
    check(CalibrationSpec(targets=[target], parameters=[prior]))
    wrong = Target(name="r", output="readmission_rate", value=0.2, low=0.12, high=0.14)
    with pytest.raises(ConfigError, match="must lie in its range"):
        check(CalibrationSpec(targets=[wrong], parameters=[prior]))
    held = Target(name="r", output="readmission_rate", value=0.13, low=0.1, high=0.2, fit=False)
    with pytest.raises(ConfigError, match="no target has fit=true"):
        check(CalibrationSpec(targets=[held], parameters=[prior]))
    with pytest.raises(ConfigError, match="needs low < high"):
        check(CalibrationSpec(targets=[target], parameters=[Prior(key=prior.key, low=9, high=9)]))
    with pytest.raises(ConfigError, match="only model"):
        check(CalibrationSpec(targets=[target], parameters=[Prior(key="run.weeks", low=10, high=20)]))


def test_delay_shares_are_shares_of_the_pooled_levels():
    def summary(h, c, b):
        return {"outcomes": {"delayed_discharges_health": h, "delayed_discharges_council": c,
                             "delayed_discharges_both": b}, "measured_coterminosity": 0.5}  # fmt: skip

    one = statistics(summary(1.0, 3.0, 0.0))
    assert one["delayed_share_nhs"] == pytest.approx(0.25)
    both = mean_statistics([summary(1.0, 3.0, 0.0), summary(3.0, 0.0, 1.0)])
    # pooled: 4 NHS, 3 council, 1 both of 8 (a mean of the two runs' shares would give 0.5 NHS)
    assert both["delayed_share_nhs"] == pytest.approx(4 / 8)
    assert both["delayed_share_council"] == pytest.approx(3 / 8)
    assert statistics(summary(0.0, 0.0, 0.0))["delayed_share_both"] == 0.0


# ------------------------------------------------------------------------------ recovery
SYNTHETIC_TRUTH = {"model.outcomes.post_discharge_factor": 11.0, "model.funding.negotiation_base": 0.35}
SYNTHETIC_PRIORS = {
    "model.outcomes.post_discharge_factor": (3.0, 16.0),
    "model.funding.negotiation_base": (0.1, 0.9),
}
SYNTHETIC_RUN = {"weeks": 52, "summary_weeks": 26}
SYNTHETIC_SEEDS = [5]


def test_calibration_recovers_known_parameters_of_a_synthetic_target_set(tmp_path):
    """Targets produced by the model itself at known values: the posterior must find them again.

    The statistics are those the two parameters drive (readmissions; the wait, which agreeing who
    pays sets), from the same seed the calibration runs (common random numbers), so the truth
    reproduces its targets exactly and the posterior should concentrate around it.
    """
    from calibration.fit import run_particle
    from runner.compose import compose_config

    cfg = compose_config(
        [f"run.weeks={SYNTHETIC_RUN['weeks']}", f"run.summary_weeks={SYNTHETIC_RUN['summary_weeks']}"]
    )
    truth = run_particle(cfg, SYNTHETIC_TRUTH, SYNTHETIC_SEEDS)
    outputs_ = {"readmission_rate": 0.01, "mean_wait_weeks": 0.5}
    spec = {
        "name": "synthetic",
        "description": "Targets made by the model at known parameter values.",
        "targets": [
            {
                "name": o,
                "output": o,
                "value": float(truth[o]),
                "tolerance": tol,
                "low": float(truth[o]) - 2 * tol,
                "high": float(truth[o]) + 2 * tol,
                "kind": "share",
                "source": "the model itself",
                "comparable": "same",
            }
            for o, tol in outputs_.items()
        ],  # fmt: skip
        "parameters": [
            {"key": k, "low": lo, "high": hi, "reason": "to recover"}
            for k, (lo, hi) in SYNTHETIC_PRIORS.items()
        ],
        "contrasts": [],
        "seeds": SYNTHETIC_SEEDS,
        "population": 20,
        "generations": 4,
        "predictive_draws": 4,
        "workers": 2,
    }
    confdir = tmp_path / "conf" / "calibration"
    confdir.mkdir(parents=True)
    (confdir / "synthetic.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    out = tmp_path / "cal"
    done = calibrate(
        tmp_path, "--config-dir", str(tmp_path / "conf"), "calibration=synthetic", f"calibration.out={out}",
        f"run.weeks={SYNTHETIC_RUN['weeks']}", f"run.summary_weeks={SYNTHETIC_RUN['summary_weeks']}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    state = json.loads((out / outputs.STATE).read_text())
    post = pd.read_parquet(out / outputs.POSTERIOR)
    for key, value in SYNTHETIC_TRUTH.items():
        lo, hi = SYNTHETIC_PRIORS[key]
        row = next(r for r in state["parameters"] if r["key"] == key)
        # the truth lies inside the posterior's 90% interval ...
        assert row["q05"] <= value <= row["q95"], (key, row)
        # ... which is much narrower than the prior: the data identify the parameter
        assert row["sd_ratio"] < 0.5, (key, row)
        # and the weighted median is within a fifth of the prior's width of the truth
        assert abs(row["median"] - value) < 0.2 * (hi - lo), (key, row)
    assert np.isclose(post["weight"].sum(), 1.0)
