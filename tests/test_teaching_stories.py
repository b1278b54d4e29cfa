"""The teaching guide's stories hold: one test per claim of docs/teaching.md, over 20 seeds.

Each claim the guide makes about what the class will see is checked at the seed the guide uses
(the preset's own, 42, or the seed in the guide's link for Mrs Smith) and over the 20 seeds
42-61, where it must hold in most of them (:data:`MOST`). The runs are those the app builds:
presets composed by :func:`runner.compose.compose_config` through ``teaching_app.app.AppModel``,
stepped week by week. :func:`test_every_claim_is_in_the_guide` keeps the claims' wording in step
with the guide, so that a claim reworded there is re-examined here.

These are slow-ish (about a minute): every run is cached and shared by the tests of this module.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from runner.compose import compose_config
from sim.registry import outcome
from teaching_app import app, runs
from teaching_app import views as app_views

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "teaching.md"

SEEDS = tuple(range(42, 62))
#: A claim holds "in most seeds" when it holds in at least this share of :data:`SEEDS`.
MOST = 0.75
#: The seed of every preset as shipped but mrs_smith.
DEFAULT_SEED = 42
#: The mrs_smith preset's own seed, chosen so that the guide's story holds at it (see the guide).
MRS_SMITH_SEED = compose_config(scenario="mrs_smith").run.seed
# The week the guide says she goes home with support in place, with the levers, at her seed.
SUPPORTED_WEEK = 7
#: The levers the guide moves for Mrs Smith.
MRS_SMITH_LEVERS = {"shared_records": 0.9, "pooled_budget_share": 0.8}

#: Each claim, as the guide words it (a fragment of docs/teaching.md).
CLAIMS = {
    "mrs_smith_baseline": "Her first discharge is *discharged home before support was in place*",
    "mrs_smith_dispute": "weeks of *agencies dispute who pays*",
    "mrs_smith_levers": "she is *funded from the pooled budget*, with no dispute over who pays",
    "mrs_smith_reassessed": "she is *assessed again at a review*",
    "mrs_smith_contested": "for five weeks the pool's other partner contests her eligibility",
    "mrs_smith_supported": f"In week {SUPPORTED_WEEK} a step-down place is found and she is *discharged "
    "home with support in place*",
    "mrs_smith_supported_often": "a first discharge with support in place comes in about one seed in "
    "two with the levers, against about one in ten without",
    "money_turf_ego_trust": "The network starts in reds and oranges (low trust",
    "money_turf_ego_climb": "Waiting and unmet need climb on the plots",
    "care_trust_boundaries": "the dashed lines sit on the black ones",
    "care_trust_better": "Waits are shorter, there are fewer repeated assessments and less unmet need "
    "than in `money_turf_ego`",
    "invite_everyone_worse": "waiting and unmet need are higher and trust lower than in the baseline",
    "pool_withdrawal_fall": "Trust drops within weeks",
    "pool_withdrawal_slow": "has not won back half of what it lost a year later",
    "pool_withdrawal_follow": "unmet need is a little higher in the year after the withdrawal than in "
    "the year before in nineteen seeds in twenty, this one among them",
    "dedicated_time_end": "Over the final year, loyalty to the partnership and trust are higher than "
    "in the baseline, and readmissions are lower",
}


@cache
def weekly(preset: str, seed: int, weeks: int, levers: tuple = ()) -> pd.DataFrame:
    """The weekly table of a preset run as the app builds it."""
    model = app.AppModel(preset=preset, seed=seed, **dict(levers))
    for _ in range(weeks):
        model.step()
    return runs.weekly_table(model)


@cache
def journey(seed: int, levers: tuple = (), weeks: int = 12) -> tuple[str, ...]:
    """Mrs Smith's events, in order, over her first ``weeks`` weeks."""
    model = app.AppModel(preset="mrs_smith", seed=seed, **dict(levers))
    for _ in range(weeks):
        model.step()
    return tuple(entry["event"] for entry in model.journey)


def first_discharge(events: tuple[str, ...]) -> str:
    """How her first discharge went: "supported", "unsupported" or "none"."""
    for event in events:
        if event == "discharged home with support in place":
            return "supported"
        if event == "discharged home before support was in place":
            return "unsupported"
    return "none"


def check(claim, default_seed: int = DEFAULT_SEED) -> None:
    """A claim holds at the guide's seed and in most of :data:`SEEDS`."""
    assert claim(default_seed), f"not at the guide's seed {default_seed}"
    held = [seed for seed in SEEDS if claim(seed)]
    assert len(held) >= MOST * len(SEEDS), f"holds in {len(held)} of {len(SEEDS)} seeds: {held}"


def year(table: pd.DataFrame, column: str, weeks: slice = slice(None)) -> float:
    """The mean of a weekly column over some weeks."""
    return float(table[column].iloc[weeks].mean())


def readmission_rate(table: pd.DataFrame) -> float:
    """The readmission rate over these weeks, as the registry's ratio outcome is summarised."""
    numerator, denominator = outcome("readmission_rate").of
    return float(table[numerator].sum() / table[denominator].sum())


LEVERS = tuple(sorted(MRS_SMITH_LEVERS.items()))


# ------------------------------------------------------------------------------ the guide
def test_every_claim_is_in_the_guide():
    text = " ".join(GUIDE.read_text().split())
    for name, words in CLAIMS.items():
        assert words in text, name
    assert f"`mrs_smith` preset starts at seed {MRS_SMITH_SEED}" in text


# ------------------------------------------------------------------------------ Mrs Smith
def test_mrs_smith_is_discharged_before_support_is_in_place():
    check(lambda seed: first_discharge(journey(seed)) == "unsupported", MRS_SMITH_SEED)


def test_mrs_smith_is_assessed_again_at_a_review():
    assert "assessed again at a review" in journey(MRS_SMITH_SEED)


def test_mrs_smith_waits_while_agencies_dispute_who_pays():
    check(lambda seed: "agencies dispute who pays" in journey(seed), MRS_SMITH_SEED)


def test_mrs_smith_with_shared_records_and_a_pool_is_funded_from_the_pool():
    def claim(seed: int) -> bool:
        events = journey(seed, LEVERS)
        return "funded from the pooled budget" in events and "agencies dispute who pays" not in events

    check(claim, MRS_SMITH_SEED)


def test_mrs_smith_with_the_levers_goes_home_with_support_in_the_week_the_guide_says():
    """At her seed, with the levers, the pool partner contests her eligibility in the first weeks,
    and in ``SUPPORTED_WEEK`` a step-down place is found and she goes home with support."""
    model = app.AppModel(preset="mrs_smith", seed=MRS_SMITH_SEED, **MRS_SMITH_LEVERS)
    for _ in range(SUPPORTED_WEEK + 1):
        model.step()
    weeks = {}
    for entry in model.journey:
        weeks.setdefault(entry["event"], []).append(entry["week"])
    assert weeks["discharged home with support in place"][0] == SUPPORTED_WEEK, weeks
    assert SUPPORTED_WEEK in weeks["step-down (intermediate care) place found"], weeks
    contested = weeks["pool partner contests eligibility"]
    assert len(set(contested)) >= 5, contested  # "for five weeks"


def test_mrs_smith_with_the_levers_is_discharged_with_support_more_often():
    # Weaker than the other claims, and the guide says so: about one seed in two with the levers
    # (11 of 20 on 3 Dec 2026, since the pool sign-off needs the partner's trust; 7 of 20 before),
    # against about one in ten without (2 of 20).
    supported = [seed for seed in SEEDS if first_discharge(journey(seed, LEVERS)) == "supported"]
    without = [seed for seed in SEEDS if first_discharge(journey(seed)) == "supported"]
    assert MRS_SMITH_SEED in supported
    assert MRS_SMITH_SEED not in without
    assert 0.4 * len(SEEDS) <= len(supported) <= 0.65 * len(SEEDS), supported  # "one in two"
    assert len(without) <= 0.15 * len(SEEDS), without  # "about one in ten"
    assert len(supported) > len(without)


# ------------------------------------------------------------------------------ money, turf and ego
def test_money_turf_ego_starts_with_low_trust():
    def claim(seed: int) -> bool:
        trust = weekly("money_turf_ego", seed, 52)["mean_trust"].iloc[0]
        return trust < 0.35 and trust < weekly("baseline", seed, 52)["mean_trust"].iloc[0]

    check(claim)


def test_money_turf_ego_waiting_and_unmet_need_climb():
    def claim(seed: int) -> bool:
        t = weekly("money_turf_ego", seed, 52)
        early, late = slice(0, 8), slice(40, 52)
        return all(year(t, c, late) > year(t, c, early) for c in ("mean_wait_weeks", "unmet_need"))

    check(claim)


# ------------------------------------------------------------------------------ care trust
def test_care_trust_boundaries_coincide():
    def claim(seed: int) -> bool:
        segments = app_views.boundary_segments(app.AppModel(preset="care_trust", seed=seed))
        edges = {
            kind: {tuple(r) for r in group[["x", "y", "x2", "y2"]].to_numpy()}
            for kind, group in segments.groupby("boundary")
        }
        return edges["health"] <= edges["council"]

    check(claim)


def test_care_trust_beats_money_turf_ego_in_its_first_year():
    def claim(seed: int) -> bool:
        ct, mte = weekly("care_trust", seed, 52), weekly("money_turf_ego", seed, 52)
        return all(
            year(ct, c) < year(mte, c) for c in ("mean_wait_weeks", "assessments_per_user", "unmet_need")
        )

    check(claim)


# ------------------------------------------------------------------------------ invite everyone
def test_invite_everyone_is_worse_than_the_baseline_in_its_first_year():
    def claim(seed: int) -> bool:
        ie, base = weekly("invite_everyone", seed, 52), weekly("baseline", seed, 52)
        return (
            year(ie, "mean_wait_weeks") > year(base, "mean_wait_weeks")
            and year(ie, "unmet_need") > year(base, "unmet_need")
            and year(ie, "mean_trust") < year(base, "mean_trust")
        )

    check(claim)


# ------------------------------------------------------------------------------ pool withdrawal
SHOCK = 104


def _trust_after_shock(seed: int) -> tuple[float, float, np.ndarray]:
    """Trust the week before the shock, its low within 4 weeks, and trust from that low on."""
    t = weekly("pool_withdrawal", seed, SHOCK + 53)
    trust = t["mean_trust"].to_numpy()
    at = int(np.flatnonzero(t["week"].to_numpy() == SHOCK)[0])
    low = at + int(np.argmin(trust[at : at + 4]))
    return float(trust[at - 1]), float(trust[low]), trust[low:]


def test_pool_withdrawal_trust_drops_within_weeks():
    def claim(seed: int) -> bool:
        before, low, _ = _trust_after_shock(seed)
        return before - low >= runs.TRUST_FALL  # a sharp fall, as the app's narrative calls it

    check(claim)
    model = app.AppModel(preset="pool_withdrawal")
    for _ in range(SHOCK + 4):
        model.step()
    assert any(e["kind"] == "trust fell" and SHOCK <= e["week"] <= SHOCK + 3 for e in runs.narrative(model))


def test_pool_withdrawal_trust_recovers_far_more_slowly_than_it_fell():
    def claim(seed: int) -> bool:
        before, low, after = _trust_after_shock(seed)
        half = low + (before - low) / 2
        # it fell in at most four weeks; half of it is not back a year later (13 times as long)
        return bool((after[:52] < half).all())

    check(claim)


def test_pool_withdrawal_unmet_need_follows():
    def claim(seed: int) -> bool:
        t = weekly("pool_withdrawal", seed, SHOCK + 53)
        before, after = slice(SHOCK - 52, SHOCK), slice(SHOCK + 1, SHOCK + 53)
        return year(t, "unmet_need", after) > year(t, "unmet_need", before)

    # "Nineteen seeds in twenty, this one among them": 19 of 20 on 3 Dec 2026 (since the pool
    # sign-off needs the partner's trust; 15 of 20 before), 42 among them. Not claimed: waiting,
    # which the guide says barely moves.
    assert claim(DEFAULT_SEED)
    held = [seed for seed in SEEDS if claim(seed)]
    assert len(held) >= 0.9 * len(SEEDS), held


# ------------------------------------------------------------------------------ dedicated time
def test_dedicated_time_builds_loyalty_and_trust_and_lowers_readmissions_by_the_final_year():
    def claim(seed: int) -> bool:
        dt = weekly("dedicated_time", seed, 260).tail(52)
        base = weekly("baseline", seed, 260).tail(52)
        return (
            year(dt, "mean_loyalty") > year(base, "mean_loyalty")
            and year(dt, "mean_trust") > year(base, "mean_trust")
            and readmission_rate(dt) < readmission_rate(base)
        )

    # Not claimed: waits and unmet need, which are better in some seeds and worse in others (waits
    # longer in 9 of 20, unmet need higher in 15 of 20 on 3 Dec 2026).
    check(claim)
