"""Experiments whose model parameters come from draws of a calibration's posterior.

Each test writes a small calibration folder of its own (``posterior.parquet`` with a few
parameter columns and the particles' weights, and ``calibration.json``), as partnersim-calibrate
writes one. The draws must be the same in every process and follow the weights; bad input must
stop with one line naming the key and the value; a real sweep from the command line must run,
record its draws, and be analysed with the draws as replications (runs of one cell: draws ×
seeds), and a sweep whose calibration folder is missing must stop before writing anything.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.design import drawn_columns, prepare
from analysis.effects import effect_table
from analysis.gallery import missing_calibration
from commands import tree_env
from runner.compose import compose_config
from runner.experiment import apply, derive_seed, draw_particles, posterior_keys, read_posterior
from runner.sweep import config_hash
from sim.config import ConfigError, to_config, to_dict

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "pooling_x_coterminosity_posterior_smoke"
BASE_SEED = 20061  # experiment.base_seed's default, which the example keeps

# Three parameters: a real one, a real one with a small range, and a whole number (rounded).
PLACES, WAIT, MET = (
    "model.outcomes.intermediate_care_places",
    "model.assessment.wait_weight",
    "model.outcomes.met_weeks_to_leave",
)
PARTICLES = {PLACES: [10.0, 99.0, 14.0, 20.0], WAIT: [0.2, 9.9, 0.4, 0.6], MET: [10.4, 50.0, 12.6, 15.0]}
WEIGHTS = [0.4, 0.0, 0.35, 0.25]  # particle 1 (values no other particle has) must never be drawn


def write_calibration(
    folder: Path,
    particles: dict[str, list] | None = None,
    weights: list[float] | None = None,
    *,
    finished: bool = True,
) -> Path:
    """Write a calibration folder as partnersim-calibrate does: posterior.parquet and calibration.json."""
    particles = PARTICLES if particles is None else particles
    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({**particles, "weight": WEIGHTS if weights is None else weights})
    table.to_parquet(folder / "posterior.parquet", index=False)
    keys = [k for k in particles if k in posterior_keys()]
    info = {
        "name": "test",
        "finished": finished,
        "parameters": {k: {"low": 0.0, "high": 100.0, "reason": "a test"} for k in keys},
        "point": {k: particles[k][0] for k in keys},  # (any particle: the runs never read it)
    }
    (folder / "calibration.json").write_text(json.dumps(info))
    return folder


def drawn(posterior: Path | str, draw: int, draws: int = 4, **experiment) -> object:
    """The resolved config of an experiment's run taking ``draw`` of ``draws`` from ``posterior``."""
    settings = {"name": "test", "posterior": str(posterior), "posterior_draws": draws, "draw": draw}
    return apply(to_config({"experiment": {**settings, **experiment}, "run": {"weeks": 8}}))


def cli(*args: str, cwd: Path, module: str = "runner") -> subprocess.CompletedProcess:
    """Run ``partnersim`` (or another module's command) as a user would, in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=tree_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# ------------------------------------------------------------------------------------ the draws
def test_the_same_draw_gives_the_same_config_in_two_processes(tmp_path):
    cal = write_calibration(tmp_path / "cal")
    overrides = [
        f"experiment={EXAMPLE}",
        f"experiment.posterior={cal}",
        "experiment.draw=2",
        "experiment.replicate=1",
    ]
    here = compose_config(overrides)
    again = compose_config(overrides)
    script = (
        "import json, sys\n"
        "from runner.compose import compose_config\n"
        "from sim.config import to_dict\n"
        "print(json.dumps(to_dict(compose_config(sys.argv[1:]))))\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script, *overrides],
        cwd=tmp_path,
        env=tree_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert to_dict(here) == to_dict(again) == json.loads(other.stdout)
    assert config_hash(to_dict(here)) == config_hash(json.loads(other.stdout))
    particle = int(draw_particles(np.array(WEIGHTS), 4, BASE_SEED)[2])
    assert here.model.outcomes.intermediate_care_places == PARTICLES[PLACES][particle]
    assert here.model.assessment.wait_weight == PARTICLES[WAIT][particle]
    # The seed comes from the base seed and the replication alone: draws and seeds are crossed.
    assert here.run.seed == derive_seed(BASE_SEED, 1)
    assert (
        compose_config([*overrides[:2], "experiment.draw=0", "experiment.replicate=1"]).run.seed
        == here.run.seed
    )


def test_a_relative_folder_is_read_from_the_current_directory(tmp_path, monkeypatch):
    write_calibration(tmp_path / "calibrations" / "england")
    monkeypatch.chdir(tmp_path)
    cfg = compose_config([f"experiment={EXAMPLE}", "experiment.draw=0"])
    assert cfg.experiment.posterior == "calibrations/england"
    assert read_posterior("calibrations/england").folder == (tmp_path / "calibrations" / "england").resolve()


def test_draws_take_the_particles_values_and_follow_the_weights(tmp_path):
    cal = write_calibration(tmp_path / "cal")
    draws = 40
    particles = draw_particles(np.array(WEIGHTS), draws, BASE_SEED)
    configs = [drawn(cal, k, draws) for k in range(draws)]
    for k, (particle, cfg) in enumerate(zip(particles, configs, strict=True)):
        assert cfg.model.outcomes.intermediate_care_places == PARTICLES[PLACES][particle], k
        assert cfg.model.assessment.wait_weight == PARTICLES[WAIT][particle], k
        # A whole-number parameter is rounded (10.4 -> 10, 12.6 -> 13), and stays an int.
        met = cfg.model.outcomes.met_weeks_to_leave
        assert isinstance(met, int) and met == round(PARTICLES[MET][particle]), k
    places = [c.model.outcomes.intermediate_care_places for c in configs]
    assert len(set(places)) == 3, "different draws take different particles"
    assert 99.0 not in places, "a particle of weight 0 is never drawn"
    # Draws are fixed by the weights, the number of draws and the base seed: the first k of a
    # longer list are the list of k, and another base seed gives another list.
    assert list(draw_particles(np.array(WEIGHTS), 8, BASE_SEED)) == list(particles[:8])
    assert list(draw_particles(np.array(WEIGHTS), draws, BASE_SEED + 1)) != list(particles)


@pytest.mark.parametrize("base_seed", [BASE_SEED, 1, 2**32 - 1])
def test_with_many_draws_the_frequencies_follow_the_weights(base_seed):
    weights = np.array([0.5, 0.0, 0.3, 0.15, 0.05])
    n = 20_000
    counts = np.bincount(draw_particles(weights, n, base_seed), minlength=weights.size)
    assert counts[1] == 0, "weight 0: never drawn"
    # Each count is binomial(n, w): its share has standard deviation sqrt(w(1 - w)/n), at most
    # 0.0035 here. A tolerance of 5 standard deviations fails by chance less than once in a
    # million per particle, so a failure means the resample does not follow the weights.
    tolerance = 5 * np.sqrt(weights * (1 - weights) / n)
    assert np.all(np.abs(counts / n - weights) <= tolerance), (counts / n, weights)


def test_weights_need_not_sum_exactly_to_one(tmp_path):
    scaled = write_calibration(tmp_path / "scaled", weights=[w * 3 for w in WEIGHTS])
    exact = write_calibration(tmp_path / "exact")
    assert np.allclose(read_posterior(str(scaled)).weights, WEIGHTS)
    assert [drawn(scaled, k).model == drawn(exact, k).model for k in range(4)] == [True] * 4


def test_a_changed_posterior_changes_the_jobs_identity(tmp_path):
    cal = write_calibration(tmp_path / "cal")
    before = [config_hash(to_dict(drawn(cal, k))) for k in range(4)]
    assert len(set(before)) == 4, "every draw is its own job (as every replication is)"
    changed = {**PARTICLES, WAIT: [0.25, 9.9, 0.45, 0.65]}
    write_calibration(tmp_path / "cal", changed)  # read again: the cache follows the file
    after = [config_hash(to_dict(drawn(cal, k))) for k in range(4)]
    assert not set(before) & set(after)
    write_calibration(tmp_path / "cal")
    assert [config_hash(to_dict(drawn(cal, k))) for k in range(4)] == before


# ------------------------------------------------------------------------------------ bad input
def _bad_folder(tmp_path: Path, case: str) -> Path:
    folder = tmp_path / "cal"
    if case == "missing folder":
        return folder
    if case == "unfinished":
        return write_calibration(folder, finished=False)
    if case == "no posterior.parquet":
        write_calibration(folder)
        (folder / "posterior.parquet").unlink()
        return folder
    if case == "no calibration.json":
        write_calibration(folder)
        (folder / "calibration.json").unlink()
        return folder
    if case == "unknown column":
        return write_calibration(folder, {**PARTICLES, "model.outcomes.magic": [1.0] * 4})
    if case == "a yes/no setting":
        return write_calibration(folder, {**PARTICLES, "policy.no_detriment": [1.0] * 4})
    if case == "a column of words":
        return write_calibration(folder, {**PARTICLES, PLACES: ["a", "b", "c", "d"]})
    if case == "no weight":
        write_calibration(folder)
        pd.DataFrame(PARTICLES).to_parquet(folder / "posterior.parquet")
        return folder
    if case == "negative weight":
        return write_calibration(folder, weights=[0.6, -0.2, 0.35, 0.25])
    if case == "missing value":
        return write_calibration(folder, {**PARTICLES, WAIT: [0.2, 9.9, float("nan"), 0.6]})
    raise AssertionError(case)


BAD_FOLDERS = {
    "missing folder": ["is not a folder", "allowed a calibration folder"],
    "unfinished": ["has not finished", "finished=false", "allowed a finished one"],
    "no posterior.parquet": ["holds no posterior.parquet", "allowed"],
    "no calibration.json": ["holds no calibration.json", "allowed"],
    "unknown column": ["'model.outcomes.magic' is not a numeric config key", "allowed"],
    "a yes/no setting": ["'policy.no_detriment' is not a numeric config key", "allowed"],
    "a column of words": [f"column '{PLACES}' holds ", "string: allowed numbers"],
    "no weight": ["no 'weight' column", "allowed"],
    "negative weight": ["'weight' has -0.2 in row 1", "allowed weights >= 0"],
    "missing value": [f"'{WAIT}' has nan in row 2", "allowed finite numbers"],
}


@pytest.mark.parametrize(("case", "says"), BAD_FOLDERS.items(), ids=BAD_FOLDERS.keys())
def test_a_bad_calibration_folder_is_one_line_naming_key_and_value(tmp_path, case, says):
    folder = _bad_folder(tmp_path, case)
    with pytest.raises(ConfigError) as err:
        drawn(folder, 0)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"experiment.posterior={str(folder)!r}"), message
    for words in says:
        assert words in message, (words, message)


BAD_SETTINGS = {
    "a draw past the last": (
        {"draw": 4},
        "experiment.draw=4 is outside the posterior's draws: allowed 0..3 for experiment.posterior_draws=4",
    ),
    "no draw": ({"draw": -1}, "experiment.draw=-1 is outside the posterior's draws: allowed 0..3"),
    "a posterior with no draws": (
        {"posterior_draws": 0, "draw": 0},
        "experiment.posterior_draws=0 must be at least 1 with experiment.posterior=",
    ),
    "draws of no posterior": (
        {"posterior": "", "draw": 1},
        "experiment.draw=1 needs a posterior to draw from: set experiment.posterior",
    ),
    "a number of draws without a posterior": (
        {"posterior": "", "draw": -1},
        "experiment.posterior_draws=4 needs a posterior to draw from",
    ),
}


@pytest.mark.parametrize(("settings", "says"), BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_draw_settings_that_do_not_go_together_are_one_line(tmp_path, settings, says):
    cal = write_calibration(tmp_path / "cal")
    with pytest.raises(ConfigError) as err:
        drawn(**{"posterior": cal, "draw": 0, **settings})
    assert "\n" not in str(err.value) and says in str(err.value), str(err.value)


def test_a_parameter_the_posterior_sets_cannot_be_overridden_nor_varied_by_a_design(tmp_path):
    cal = write_calibration(tmp_path / "cal")
    with pytest.raises(ConfigError, match=rf"^{WAIT}=1.5 is set by each draw of experiment.posterior="):
        compose_config(
            [f"experiment={EXAMPLE}", f"experiment.posterior={cal}", "experiment.draw=0", f"{WAIT}=1.5"]
        )
    lever = write_calibration(tmp_path / "lever", {"policy.coterminosity": [0.1, 0.2, 0.3, 0.4]})
    with pytest.raises(ConfigError, match="sets policy.coterminosity, which the morris design varies"):
        drawn(lever, 0, design="morris", design_n=2, sample=0, levers={"coterminosity": [0.0, 1.0]})


def test_a_drawn_value_out_of_its_range_names_the_draw(tmp_path):
    cal = write_calibration(tmp_path / "cal", {**PARTICLES, WAIT: [0.2, 9.9, 11.0, 0.6]})
    bad = next(k for k, p in enumerate(draw_particles(np.array(WEIGHTS), 4, BASE_SEED)) if p == 2)
    with pytest.raises(ConfigError) as err:
        drawn(cal, bad)
    assert str(err.value).startswith(
        f"{WAIT}=11.0 is out of range: allowed 0..10 (drawn from experiment.posterior="
    )
    assert f"draw {bad}, particle 2)" in str(err.value)


# ------------------------------------------------------------------------------ the command line
def test_a_sweep_of_draws_runs_records_them_and_is_analysed_with_draws_as_replications(tmp_path):
    cal = write_calibration(tmp_path / "cal")
    first_two = draw_particles(np.array(WEIGHTS), 4, BASE_SEED)[:2]
    assert first_two[0] != first_two[1], "the test needs two draws of different particles"
    sweep = tmp_path / "sweep"
    command = (
        "-m", f"experiment={EXAMPLE}", f"hydra.sweep.dir={sweep}", f"experiment.posterior={cal}",
        "experiment.draw=0,1", "policy.pooled_budget_share=0.0", "policy.coterminosity=0.0",
        "run.weeks=8", "run.summary_weeks=4", "hydra.launcher.n_jobs=1",
    )  # fmt: skip
    done = cli(*command, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "4 of 4 jobs done" in done.stdout + done.stderr
    # One folder per job, named after its draw and replication; not after the calibration's
    # path, whose slashes would nest the folders.
    jobs = sorted(p.name for p in sweep.glob("job_*"))
    assert len(jobs) == 4 and all("experiment.draw=" in j and "posterior" not in j for j in jobs), jobs
    collected = cli(str(sweep), cwd=tmp_path, module="analysis.collect")
    assert collected.returncode == 0, collected.stderr
    results = pd.read_parquet(sweep / "results.parquet")
    assert len(results) == 4
    assert sorted(zip(results["draw"], results["replicate"], strict=True)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert set(results["posterior"]) == {str(cal)}
    # Crossed: each replication's seed is the same in both draws; each draw's values in both seeds.
    assert results.groupby("replicate")["seed"].nunique().eq(1).all()
    assert results.groupby("draw")[WAIT].nunique().eq(1).all()
    for _, row in results.iterrows():
        particle = int(first_two[row["draw"]])
        assert row[WAIT] == PARTICLES[WAIT][particle]
        summary = json.loads((sweep / row["job"] / "summary.json").read_text())
        record = summary["posterior"]
        assert record["folder"] == str(cal) and record["name"] == "test" and record["draw"] == row["draw"]
        assert record["particle"] == particle and record["draws"] == 4 and len(record["sha256"]) == 64
        assert record["values"][MET] == round(PARTICLES[MET][particle])
    series = pd.read_parquet(sweep / "timeseries.parquet")
    assert set(series["draw"]) == {0, 1} and len(series) == 4 * 8
    # One cell, whose four runs are draws x seeds: neither the draw nor the parameters it sets is a
    # factor, whether the factors are read from the overrides or from the columns.
    assert sorted(drawn_columns(results)) == sorted([PLACES, WAIT, MET])
    for table in (results, results.drop(columns="overrides")):
        prepared, factors = prepare(table)
        assert factors == []
        assert prepared["condition"].value_counts().to_dict() == {"all runs": 4}
    crate = json.loads((sweep / "ro-crate-metadata.json").read_text())
    assert sum(e["@id"].endswith("-posterior") for e in crate["@graph"]) == 4
    # Another posterior is another design: the same command into the same folder stops at once.
    write_calibration(cal, {**PARTICLES, WAIT: [0.25, 9.9, 0.45, 0.65]})
    again = cli(*command, cwd=tmp_path)
    assert again.returncode == 2 and "holds another design" in again.stderr, again.stderr


def test_the_analysis_counts_draws_times_seeds_in_each_condition():
    # The layout of the example: 2 x 2 conditions x 4 draws x 2 seeds, each draw's parameter the
    # same in every condition and seed.
    rows = []
    for pool in (0.0, 1.0):
        for cot in (0.0, 1.0):
            for draw in range(4):
                for rep in range(2):
                    overrides = (
                        f"policy.pooled_budget_share={pool} policy.coterminosity={cot} "
                        f"experiment.draw={draw} experiment.replicate={rep}"
                    )
                    rows.append({
                        "job": f"job_{pool}_{cot}_{draw}_{rep}", "seed": 100 + rep, "replicate": rep,
                        "draw": draw, "policy.pooled_budget_share": pool, "policy.coterminosity": cot,
                        WAIT: 0.1 * (draw + 1), "overrides": overrides,
                        "unmet_need": 0.1 + 0.05 * cot + 0.01 * draw + 0.001 * rep,
                    })  # fmt: skip
    results = pd.DataFrame(rows)
    for table in (results, results.drop(columns="overrides")):
        prepared, factors = prepare(table)
        assert [f.name for f in factors] == ["policy.pooled_budget_share", "policy.coterminosity"]
        assert set(prepared["condition"].value_counts()) == {8}
    effects = effect_table(prepared, ["unmet_need"])
    assert set(effects["n"]) == {8} and set(effects["n_reference"]) == {8}
    # The spread between draws is in the interval: with one draw only, it is narrower.
    one_draw, _ = prepare(results[results["draw"] == 0])
    narrow = effect_table(one_draw, ["unmet_need"])
    assert (effects["ci_high"] - effects["ci_low"] > narrow["ci_high"] - narrow["ci_low"]).all()


def test_a_sweep_without_its_calibration_folder_stops_with_one_line_and_writes_nothing(tmp_path):
    done = cli("-m", f"experiment={EXAMPLE}", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: experiment.posterior='calibrations/england' is not a folder"), lines[0]
    assert "allowed a calibration folder" in lines[0] and "in job #0" in lines[0]
    assert list(tmp_path.iterdir()) == [], "no sweep folder, no multirun/, nothing"


def test_a_sweep_draws_from_one_calibration_only(tmp_path):
    one, two = write_calibration(tmp_path / "one"), write_calibration(tmp_path / "two")
    done = cli(
        "-m", f"experiment={EXAMPLE}", f"hydra.sweep.dir={tmp_path / 'sweep'}",
        f"experiment.posterior={one},{two}", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"experiment.posterior={str(two)!r} differs from {str(one)!r}" in lines[0]
    assert "allowed one calibration folder per sweep" in lines[0]
    assert not (tmp_path / "sweep").exists()


def test_a_sweep_of_an_unfinished_calibration_stops_with_one_line_and_writes_nothing(tmp_path):
    write_calibration(tmp_path / "calibrations" / "england", finished=False)
    done = cli("-m", f"experiment={EXAMPLE}", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "has not finished" in lines[0], done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibrations"]


def test_the_gallery_leaves_out_an_experiment_until_its_calibration_is_there(tmp_path):
    (tmp_path / "experiments").mkdir()
    shutil.copy(ROOT / "experiments" / f"{EXAMPLE}.yaml", tmp_path / "experiments")
    shutil.copy(ROOT / "experiments" / "joint_indicators_smoke.yaml", tmp_path / "experiments")
    assert missing_calibration(EXAMPLE, tmp_path) == "calibrations/england"
    assert missing_calibration("joint_indicators_smoke", tmp_path) is None
    write_calibration(tmp_path / "calibrations" / "england")
    assert missing_calibration(EXAMPLE, tmp_path) is None
