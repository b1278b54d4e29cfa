"""The world from configuration (config group ``world``, ``configs/world/``).

The default world is today's patch; a world of one's own (here two councils, one health area, two
acute trusts and a hospice) runs from the command line and from Python; an agency's own
defensiveness changes how often agencies dispute who pays; bad input fails with one line.
"""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from commands import tree_env
from runner.compose import CONFIG_DIR, compose_config
from sim import PartnershipModel, run_model
from sim.agents import PROFESSIONS, SECTOR_PROFILE
from sim.config import Config, ConfigError, to_config
from sim.population import SERVED

ROOT = Path(__file__).resolve().parents[1]
HOSPICE = "two_councils_hospice"
HOSPICE_LABELS = [
    "City hospital", "County hospital", "Primary care trust", "City council", "County council", "Hospice",
]  # fmt: skip


def _world(name: str) -> dict:
    """A world of configs/world/ as a nested dict (what the YAML file says)."""
    return yaml.safe_load((CONFIG_DIR / "world" / f"{name}.yaml").read_text())


def _default_world(**by_sector) -> dict:
    """The default world as a nested dict, with settings changed for the agencies of some sectors."""
    world = dataclasses.asdict(Config().world)
    for agency in world["agencies"]:
        agency.update(by_sector.get(agency["sector"], {}))
    return world


def run_cli(cwd: Path, *overrides: str) -> subprocess.CompletedProcess:
    """``python -m runner`` with this tree first on the path."""
    return subprocess.run(
        [sys.executable, "-m", "runner", *overrides],
        cwd=cwd,
        env=tree_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# ------------------------------------------------------------------------------ the default world
def test_the_default_world_is_todays_patch():
    model = PartnershipModel({"run": {"progress": False}})
    assert [a.sector for a in model.agency_list] == ["acute"] + ["pct"] * 3 + ["council"] * 3
    assert [a.label for a in model.agency_list] == [
        "Acute NHS trust",
        *(f"Primary care trust {k}" for k in (1, 2, 3)),
        *(f"Council social services {k}" for k in (1, 2, 3)),
    ]
    assert [a.area for a in model.agency_list] == [-1, 0, 1, 2, 0, 1, 2]
    assert model.acute_of.tolist() == [0, 0, 0]
    assert model.pct_of.tolist() == [1, 2, 3] and model.council_of.tolist() == [4, 5, 6]
    # Without community partners, councils keep practical help and social contact.
    assert model.practical_of.tolist() == model.social_of.tolist() == [4, 5, 6]
    assert model.professions == PROFESSIONS
    for a in model.agency_list:
        profile = SECTOR_PROFILE[a.sector]
        assert (a.budget_week, a.info_quality, a.culture) == (
            profile["budget_week"], profile["info_quality"], profile["org_culture"],
        )  # fmt: skip
        assert a.professions == profile["professions"]
    assert model.agency_defensiveness.tolist() == [model.params.defensiveness] * 7
    assert model.agency_joint_weight.tolist() == [model.policy.joint_indicators] * 7
    # The statutory workforce is sized from demand as before: 200 posts, 16 in the acute trust.
    assert model.staff.n == 200 and np.count_nonzero(model.staff.employer == 0) == 16


def test_community_partners_come_with_an_explicit_capacity():
    model = PartnershipModel({"policy": {"community_partners": True}, "run": {"progress": False}})
    assert [a.label for a in model.agency_list][7:] == ["Voluntary sector", "Community and faith groups"]
    assert model.practical_of.tolist() == [7, 7, 7] and model.social_of.tolist() == [8, 8, 8]
    posts = np.bincount(model.staff.employer)
    assert posts[7] == round(0.2 * 200) and posts[8] == round(0.15 * 200)
    assert posts[:7].sum() == 200, "on top of the statutory workforce"
    assert not model.agency_statutory[7:].any() and (model.agency_joint_weight[7:] == 0.5).all()


def test_configs_world_default_is_the_schema_default():
    assert compose_config().world == Config().world
    assert compose_config(["world=default"]).world == Config().world


def test_settings_left_null_take_the_model_wide_ones():
    everyone = {s: {"defensiveness": 0.5, "joint_weight": 0.1} for s in ("acute", "pct", "council")}
    same = {"world": _default_world(**everyone), "run": {"weeks": 30, "progress": False}}
    table, _ = run_model(same)
    default, _ = run_model({"run": {"weeks": 30, "progress": False}})
    pd.testing.assert_frame_equal(table, default)


# ------------------------------------------------------------------------------ a world of one's own
def _hospice_config(weeks: int = 26) -> dict:
    return {
        "world": _world(HOSPICE),
        "policy": {"community_partners": True},
        "run": {"weeks": weeks, "progress": False, "figure": False},
    }


def test_a_world_of_ones_own_runs_from_the_command_line(tmp_path):
    folder = tmp_path / "run"
    done = run_cli(
        tmp_path, f"world={HOSPICE}", "policy.community_partners=true", "run.weeks=26",
        "run.progress=false", "run.figure=false", f"hydra.run.dir={folder}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    trust = pd.read_csv(folder / "trust_matrix.csv", index_col=0)
    assert list(trust.index) == list(trust.columns) == HOSPICE_LABELS
    assert len(pd.read_parquet(folder / "timeseries.parquet")) == 26


def test_a_world_of_ones_own_runs_from_python():
    model = PartnershipModel(_hospice_config())
    assert [a.label for a in model.agency_list] == HOSPICE_LABELS
    city, county, pct, city_council, county_council, hospice = range(6)
    assert model.acute_of.tolist() == [city, city, county]
    assert model.pct_of.tolist() == [pct] * 3
    assert model.council_of.tolist() == [city_council, city_council, county_council]
    assert model.practical_of.tolist() == [hospice] * 3
    assert model.social_of.tolist() == model.council_of.tolist(), "no community group: councils keep it"
    assert model.agency_defensiveness[county_council] == 0.8
    assert model.agency_defensiveness[city_council] == model.params.defensiveness
    # Each acute trust admits the patients of its own health areas, and coordinates their cases.
    patients = np.zeros(model.n_agencies, int)
    coordinated = np.zeros(model.n_agencies, int)
    for _ in range(26):
        model.step()
        active = model.pop.active_rows()
        in_hospital = active[model.pop.in_hospital[active]]
        patients += np.bincount(model.acute_of[model.pop.health_area[in_hospital]], minlength=6)
        i, j, _, _ = model.log.joint_cases()
        coordinated += np.bincount(model.staff.employer[np.concatenate((i, j))], minlength=6)
    assert patients[city] > 0 and patients[county] > 0
    assert coordinated[city] > 0 and coordinated[county] > 0
    # The hospice's help is light-touch: it coordinates nothing formally, but it serves its users.
    assert coordinated[hospice] == 0
    active = model.pop.active_rows()
    served = (model.pop.stage[active] == SERVED) & (model.pop.resp[active] == hospice)
    assert served.sum() > 0
    _, summary = run_model(_hospice_config())
    assert summary["trust_matrix"]["agencies"] == HOSPICE_LABELS


# ------------------------------------------------------------------------------ an agency's defensiveness
def test_a_defensive_council_disputes_more():
    """Councils defensive of their budgets (1.0) vs not (0.0), no pool: more disputes over who pays.

    Negotiation uses the larger defensiveness of the two agencies, so councils at 0.0 negotiate at
    the PCTs' 0.5 (model.defensiveness). Over five seeds, two years, the final year's weekly
    disputes were about 80 (sd 7) against 235 (sd 19): the difference must exceed three standard
    errors and half the calmer level.
    """
    disputes = {}
    for level in (0.0, 1.0):
        world = _default_world(council={"defensiveness": level})
        weekly = []
        for seed in range(1, 6):
            table, _ = run_model({"world": world, "run": {"weeks": 104, "seed": seed, "progress": False}})
            weekly.append(table["disputes"].tail(52).mean())
        disputes[level] = np.array(weekly)
    calm, defensive = disputes[0.0], disputes[1.0]
    diff = defensive.mean() - calm.mean()
    se = np.sqrt(calm.var(ddof=1) / calm.size + defensive.var(ddof=1) / defensive.size)
    assert diff > 3 * se, (calm, defensive)
    assert diff > 0.5 * calm.mean(), (calm, defensive)


# ------------------------------------------------------------------------------ bad input
def _agencies(**first) -> dict:
    """The default world with its first agency changed."""
    world = copy.deepcopy(_default_world())
    world["agencies"][0].update(first)
    return {"world": world}


BAD_WORLDS = {
    "unknown sector": (_agencies(sector="hospital"), ["world.agencies[0].sector", "hospital", "acute, pct"]),
    "area out of range": (_agencies(areas=[3]), ["world.agencies[0].areas", "[3]", "0..2"]),
    "health area without a PCT": (
        {"world": _default_world(pct={"per_area": False, "areas": [0, 1]})},
        ["world.agencies", "health area 2", "pct"],
    ),
    "mix not summing to 1": (_agencies(mix=[0.5, 0.3, 0.1]), ["world.agencies[0].mix", "0.9", "sum to 1"]),
    "unknown profession": (
        _agencies(professions=["surgeon"], mix=[1.0]),
        ["world.agencies[0].professions", "surgeon", "GP"],
    ),
    "voluntary agency without a capacity": (
        {"world": _default_world(voluntary={"staff_share": None})},
        ["world.agencies[3].staff_share", "None", "voluntary"],
    ),
    # A council for the whole patch next to the per-area ones: area 0 has two councils.
    "a council area covered twice": (
        {"world": {"agencies": [*_default_world()["agencies"], {"sector": "council"}]}},
        ["world.agencies", "council area 0", "two council agencies", "exactly one"],
    ),
}


@pytest.mark.parametrize(("data", "mentions"), BAD_WORLDS.values(), ids=BAD_WORLDS.keys())
def test_bad_world_input_fails_with_one_line_naming_the_key(data, mentions):
    with pytest.raises(ConfigError) as err:
        to_config(data)
    message = str(err.value)
    assert "\n" not in message
    for word in mentions:
        assert word in message, (word, message)


BAD_CLI = {
    "unknown sector": (["world.agencies=[{sector:hospital}]"], ["world.agencies[0].sector", "hospital"]),
    "area out of range": (["world.agencies=[{sector:acute,areas:[7]}]"], ["world.agencies[0].areas", "0..2"]),
    "health area without a PCT": (["world=no_pct_for_area_2"], ["health area 2", "pct"]),
    "mix not summing to 1": (
        ["world.agencies=[{sector:acute,mix:[0.5,0.2,0.2]}]"],
        ["world.agencies[0].mix", "sum to 1"],
    ),
    "unknown world": (["world=nowhere"], ["world=nowhere", "default", HOSPICE]),
}


@pytest.mark.parametrize(("overrides", "mentions"), BAD_CLI.values(), ids=BAD_CLI.keys())
def test_bad_world_on_the_command_line_exits_2_with_one_line(tmp_path, overrides, mentions):
    mine = tmp_path / "mine" / "world"
    mine.mkdir(parents=True)
    agencies = ["{sector: acute}", "{sector: pct, areas: [0, 1]}", "{sector: council, per_area: true}"]
    (mine / "no_pct_for_area_2.yaml").write_text("agencies:\n" + "".join(f"  - {a}\n" for a in agencies))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = run_cli(cwd, "--config-dir", str(tmp_path / "mine"), "run.weeks=2", *overrides)
    assert done.returncode == 2, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in mentions:
        assert word in lines[0], (word, lines[0])
    assert list(cwd.iterdir()) == [], "a refused run leaves nothing behind"
