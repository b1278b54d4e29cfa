"""The committed calibration, the calibrated defaults and docs/validation.md agree.

The calibration of the defaults (``partnersim-calibrate calibration=england``) takes most of an
hour and is not rerun here; its folder is committed. These tests check that what the project
shows is that folder's: the defaults in ``sim/config.py`` are its posterior medians, the tables of
docs/validation.md are its numbers, and experiments can draw from its posterior.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from calibration import outputs
from calibration.spec import CalibrationSpec
from runner.compose import compose_config
from sim.config import Config

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "calibrations" / "england"


@pytest.fixture(scope="module")
def state() -> dict:
    return json.loads((FOLDER / outputs.STATE).read_text())


def _default(cfg: Config, key: str):
    node = cfg
    for part in key.split("."):
        node = getattr(node, part)
    return node


def test_the_committed_calibration_is_finished_and_complete(state):
    assert state["finished"] is True
    for name in (outputs.POSTERIOR, outputs.PREDICTIVE, outputs.REPORT, outputs.MARGINALS, outputs.PAIRS,
                 outputs.CHECKS, outputs.HISTORY):  # fmt: skip
        assert (FOLDER / name).is_file(), name
    post = pd.read_parquet(FOLDER / outputs.POSTERIOR)
    assert post["weight"].sum() == pytest.approx(1.0)
    assert len(post) == state["calibration"]["population"]


def test_it_calibrated_todays_targets_and_priors(state):
    """The folder is a calibration of configs/calibration/england.yaml as it is now."""
    import yaml

    spec = yaml.safe_load((ROOT / "configs" / "calibration" / "england.yaml").read_text())
    done = state["calibration"]
    for key in ("targets", "parameters", "seeds", "population", "abc_seed"):
        assert json.loads(json.dumps(done[key])) == _with_defaults(key, spec[key]), key


def _with_defaults(key: str, value):
    """The YAML's entries with the schema's defaults filled in, as the calibration recorded them."""
    import dataclasses

    from calibration.spec import Prior, Target

    kind = {"targets": Target, "parameters": Prior}.get(key)
    if kind is None:
        return value
    return [json.loads(json.dumps(dataclasses.asdict(kind(**item)))) for item in value]


def test_the_defaults_are_the_calibrated_point(state):
    """Each free parameter's default is its weighted posterior median (to three significant digits)."""
    defaults = Config()
    for row in state["parameters"]:
        value = _default(defaults, row["key"])
        assert value == pytest.approx(row["median"], rel=5e-3, abs=1e-9), row["key"]
    # and the baseline is the model the calibration ran, but for the free parameters
    assert state["model_config"]["scenario"]["name"] == "baseline"
    assert state["model_config"]["run"]["weeks"] == defaults.run.weeks


def test_the_validation_page_shows_the_calibrations_numbers(state):
    doc = (ROOT / "docs" / "validation.md").read_text()
    assert outputs.replace_tables(doc, "calibrations/england", state) == doc, (
        "docs/validation.md's tables differ from calibrations/england: run scripts/validation_tables.py"
    )


def test_an_experiment_draws_its_parameters_from_the_posterior(state):
    keys = [row["key"] for row in state["parameters"]]
    post = pd.read_parquet(FOLDER / outputs.POSTERIOR)
    seen = set()
    for draw in range(3):
        cfg = compose_config(
            ["experiment=pooling_x_coterminosity_posterior_smoke", f"experiment.draw={draw}"]
        )
        values = tuple(_default(cfg, k) for k in keys)
        seen.add(values)
        # the values are one particle's (whole-number fields rounded)
        match = (post[keys] - list(values)).abs().max(axis=1)
        assert match.min() < 0.5, values
    assert len(seen) >= 2


def test_the_spec_of_the_committed_calibration_still_loads(state):
    """The recorded calibration is one the current schema accepts (nothing renamed under it)."""
    from omegaconf import OmegaConf

    spec = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(CalibrationSpec), state["calibration"]))
    assert isinstance(spec, CalibrationSpec) and spec.name == "england"


def test_the_calibration_command_would_carry_on_the_committed_calibration(state):
    """With the calibrated point now the defaults, the same command still names the same calibration.

    (Its identity leaves out the free parameters' values, which every particle sets, so rerunning
    ``partnersim-calibrate calibration=england`` carries on from the committed history instead of
    refusing the folder.)
    """
    from omegaconf import OmegaConf

    from calibration.spec import identity
    from sim.config import to_dict

    spec = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(CalibrationSpec), state["calibration"]))
    assert identity(spec, to_dict(compose_config([]))) == state["identity"]
