"""The configuration files: every preset composes, runs and says what it is; defaults match the schema.

Presets are composed through :func:`runner.compose.compose_config`, as the app and notebooks do.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from runner.compose import CONFIG_DIR, compose_config
from sim import run_model
from sim.config import SCENARIOS, Config, ConfigError, PolicyConfig, RunConfig, to_config, to_dict

PRESETS = sorted(path.stem for path in (CONFIG_DIR / "scenario").glob("*.yaml"))

# What each preset changes with respect to the baseline (besides its name and description).
CHANGES = {
    "baseline": {},
    "mrs_smith": {"scenario.trace_user": True, "run.seed": 46},
    "pool_withdrawal": {
        "policy.pooled_budget_share": 0.5,
        "policy.coterminosity": 0.7,
        "policy.shared_records": 0.5,
        "policy.joint_indicators": 0.4,
        "scenario.shocks": [{"week": 104, "kind": "pool_withdrawal", "share": 0.5, "agency": "pct"}],
    },
    "care_trust": {
        "policy.pooled_budget_share": 0.8,
        "policy.coterminosity": 1.0,
        "policy.shared_records": 0.9,
        "policy.joint_training_hours": 4.0,
        "policy.joint_indicators": 0.7,
        "policy.no_detriment": True,
        "policy.culture_recognition": True,
        "policy.user_involvement": 0.4,
    },
    "invite_everyone": {"policy.meeting_attendance": "everyone", "policy.meeting_interval_weeks": 2},
    "dedicated_time": {
        "policy.dedicated_time": 0.2,
        "policy.no_detriment": True,
        "policy.joint_indicators": 0.3,
    },
    "money_turf_ego": {
        "policy.coterminosity": 0.3,
        "policy.shared_records": 0.1,
        "policy.joint_indicators": 0.0,
        "model.defensiveness": 0.9,
        "model.trust.initial": 0.3,
    },
}


def flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_every_preset_is_declared_and_tested():
    assert PRESETS == sorted(SCENARIOS)
    assert PRESETS == sorted(CHANGES)


def test_the_default_config_is_the_schema_field_for_field():
    """What the command line composes with no overrides is ``sim.config.Config()``."""
    composed = compose_config()
    default = Config()
    for group in ("policy", "run", "model"):
        assert getattr(composed, group) == getattr(default, group), group
    assert dataclasses.replace(composed.scenario, description="") == default.scenario


def test_a_default_changed_in_the_schema_reaches_the_composed_config(monkeypatch):
    """No YAML file pins a default: change it in sim/config.py and the command line follows."""
    from runner import compose

    @dataclasses.dataclass
    class Policy(PolicyConfig):
        shared_records: float = 0.55

    @dataclasses.dataclass
    class Run(RunConfig):
        weeks: int = 77

    @dataclasses.dataclass
    class Schema(Config):
        policy: PolicyConfig = dataclasses.field(default_factory=Policy)
        run: RunConfig = dataclasses.field(default_factory=Run)

    monkeypatch.setattr(compose, "Config", Schema)  # the schema Hydra's ConfigStore is given
    cfg = compose_config()
    assert (cfg.policy.shared_records, cfg.run.weeks) == (0.55, 77)
    assert cfg.policy.coterminosity == PolicyConfig().coterminosity


def test_no_yaml_file_restates_the_schema_without_changing_it():
    """Every file under configs/ that sets levers, parameters or run settings changes one of them.

    The groups ``policy`` and ``run`` have no files: their defaults are the schema's alone.
    """
    assert not (CONFIG_DIR / "policy").exists() and not (CONFIG_DIR / "run").exists()
    defaults = flat(to_dict(Config()))
    checked = 0
    for path in sorted(CONFIG_DIR.glob("**/*.yaml")) + sorted(CONFIG_DIR.glob("experiment/*.yaml")):
        data = OmegaConf.to_container(OmegaConf.load(path))
        if not isinstance(data, dict):
            continue
        written = flat({k: v for k, v in data.items() if k in ("policy", "run", "model")})
        if written:
            checked += 1
            changed = [key for key, value in written.items() if defaults.get(key, object()) != value]
            assert changed, f"{path.relative_to(CONFIG_DIR)} only restates the schema's defaults"
    assert checked >= len(PRESETS), "the presets were not read"


def test_baseline_is_the_schema():
    composed = to_dict(compose_config())
    default = to_dict(Config())
    for tree in (composed, default):
        tree["scenario"].pop("description")
    assert composed == default


@pytest.mark.parametrize("name", PRESETS)
def test_preset_changes_what_it_says(name):
    baseline = flat(to_dict(compose_config(scenario="baseline")))
    preset = flat(to_dict(compose_config(scenario=name)))
    changed = {
        key: preset[key]
        for key in preset
        if preset[key] != baseline[key] and key not in ("scenario.name", "scenario.description")
    }
    assert changed == CHANGES[name]
    assert preset["scenario.name"] == name


@pytest.mark.parametrize("name", PRESETS)
def test_preset_has_a_description_for_teachers(name):
    text = compose_config(scenario=name).scenario.description
    assert len(text.split()) >= 60, "a paragraph, not a label"
    assert "\n" not in text, "one paragraph"


@pytest.mark.parametrize("name", PRESETS)
def test_preset_runs_to_finite_values(name):
    cfg = compose_config(scenario=name)
    shock_weeks = [shock.week for shock in cfg.scenario.shocks]
    cfg.run.weeks = max([30, *(week + 6 for week in shock_weeks)])
    cfg.run.summary_weeks = 10
    cfg = to_config(cfg)
    table, summary = run_model(cfg)
    assert len(table) == cfg.run.weeks
    numbers = table.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(numbers).all(), "NaN or infinity in the weekly table"
    assert all(math.isfinite(v) for v in summary["outcomes"].values())
    assert summary["scenario"] == name
    assert summary["shock_weeks"] == shock_weeks
    assert bool(summary["journey"]) == cfg.scenario.trace_user


def test_overrides_compose_over_a_preset():
    cfg = compose_config(
        ["policy.pooled_budget_share=0.6", "run.weeks=104", "run.seed=7"], scenario="care_trust"
    )
    assert cfg.policy.pooled_budget_share == 0.6
    assert cfg.policy.coterminosity == 1.0
    assert (cfg.run.weeks, cfg.run.seed) == (104, 7)


@pytest.mark.parametrize(
    ("overrides", "scenario", "mentions"),
    [
        (["policy.coterminosity=1.5"], None, "policy.coterminosity=1.5"),
        ([], "nope", "scenario=nope"),
        (["policy.unknown=1"], None, "policy.unknown=1"),
        (["run.weeks=52"], "pool_withdrawal", "scenario.shocks[0].week=104"),
        (["policy.meeting_attendance=some"], None, "targeted, everyone"),
    ],
)
def test_compose_config_names_the_bad_value(overrides, scenario, mentions):
    with pytest.raises(ConfigError) as caught:
        compose_config(overrides, scenario=scenario)
    assert mentions in str(caught.value)
    assert "\n" not in str(caught.value)


def test_config_dir_is_the_repository_configs():
    assert CONFIG_DIR == Path(__file__).resolve().parents[1] / "configs"
    assert (CONFIG_DIR / "config.yaml").is_file()
