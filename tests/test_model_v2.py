"""Behaviour tests for model v2: partnership work competes with casework, pool governance,
loyalty moved only by events, protected time spent, community partners, reassessment and the
cohort readmission rate.

Comparisons run both arms on the same seeds. The arms share their random streams (common random
numbers, tested in test_reproducibility.py), so the spread that matters is that of the per-seed
differences: a difference must exceed three standard errors of the paired differences
(``_paired``), and a minimum size that makes it matter to a reader. Each minimum was set at about
a third to a half of the effect measured before the test was written (the measured numbers are in
the comments), so that a lever whose effect collapses fails while ordinary noise does not.

Runs are three years long (two where noted; outcomes are the means over the final year,
``run.summary_weeks``) at the default patch: the patch cannot be shrunk by scaling staff and
caseload alone, because arrivals are per locality, and a run takes well under a second anyway.
Identical runs are shared between tests (``_run`` is cached).
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache

import numpy as np
import pytest

from sim import PartnershipModel, run_model
from sim.config import CoordinationParams, LoyaltyParams, PolicyConfig, WorkforceParams
from sim.mechanisms import loyalty

SEEDS = range(1, 7)
WEEKS = 156

# The defaults: coordination.hours 0.5, 200 professionals, no community partners. Tests whose one arm
# is the default run it as {} so that the runs are shared.
BASELINE: dict = {}

# configs/partnership/on.yaml and off.yaml
BUNDLE_ON = {
    "pooled_budget_share": 0.6,
    "shared_records": 0.8,
    "joint_indicators": 0.6,
    "joint_training_hours": 4.0,
    "meeting_attendance": "everyone",
    "meeting_interval_weeks": 2,
}
BUNDLE_OFF = {
    "pooled_budget_share": 0.0,
    "shared_records": 0.1,
    "joint_indicators": 0.0,
    "joint_training_hours": 0.0,
    "meeting_attendance": "targeted",
    "meeting_interval_weeks": 8,
}
# configs/scenario/money_turf_ego.yaml
MONEY_TURF_EGO = {
    "policy": {
        "pooled_budget_share": 0.0,
        "coterminosity": 0.3,
        "shared_records": 0.1,
        "joint_indicators": 0.0,
    },
    "model": {"defensiveness": 0.9, "trust": {"initial": 0.3}},
}


@cache
def _run(overrides: str, seed: int, weeks: int) -> tuple:
    return run_model({**json.loads(overrides), "run": {"weeks": weeks, "seed": seed}})


def _runs(overrides: dict, seeds=SEEDS, weeks: int = WEEKS) -> list[tuple]:
    key = json.dumps(overrides, sort_keys=True)
    return [_run(key, seed, weeks) for seed in seeds]


def _outcome(runs, key: str) -> np.ndarray:
    return np.array([summary["outcomes"][key] for _, summary in runs])


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean per-seed difference a - b and three standard errors of it."""
    d = a - b
    return float(d.mean()), float(3.0 * d.std(ddof=1) / np.sqrt(d.size))


def assert_higher(high: np.ndarray, low: np.ndarray, min_rel: float, what: str) -> None:
    """``high`` is above ``low`` (same seeds) by more than 3 paired SE and by ``min_rel`` of ``high``."""
    diff, tol = _paired(high, low)
    assert diff > tol, f"{what}: difference {diff:.4g} within 3 paired SE ({tol:.4g})"
    assert diff > min_rel * abs(high.mean()), (
        f"{what}: difference {diff:.4g} below {min_rel:.0%} of {high.mean():.4g}"
    )


# ------------------------------------------------------------------------------ 1. coordination costs
def test_costly_coordination_raises_unmet_need_and_waits():
    """Coordination costs are real: 4 hours per professional per coordination instead of 0.5
    take casework hours, so more need goes unmet and people wait longer."""
    assert CoordinationParams().hours == 0.5
    cheap = _runs(BASELINE)
    costly = _runs({"model": {"coordination": {"hours": 4.0}}})
    # Measured (6 seeds x 156 weeks): unmet need 0.140 -> 0.500 (+0.360, paired SE 0.006); mean
    # wait 7.2 -> 21.3 weeks (+14.1, paired SE 0.37).
    assert_higher(_outcome(costly, "unmet_need"), _outcome(cheap, "unmet_need"), 0.3, "unmet need")
    assert_higher(_outcome(costly, "mean_wait_weeks"), _outcome(cheap, "mean_wait_weeks"), 0.3, "mean wait")


# ------------------------------------------------------------------------------ 2. workforce
def test_more_professionals_shorten_waits():
    """20% more professionals (240 instead of 200, same population) shorten waits."""
    assert WorkforceParams().professionals == 200
    base = _runs(BASELINE)
    more = _runs({"model": {"workforce": {"professionals": 240}}})
    # Measured (6 seeds x 156 weeks): 7.2 -> 5.8 weeks (-1.4, paired SE 0.29; every seed shorter,
    # by 0.3 to 2.3 weeks).
    assert_higher(_outcome(base, "mean_wait_weeks"), _outcome(more, "mean_wait_weeks"), 0.1, "mean wait")


# ------------------------------------------------------------------------------ 3. repeated assessment
def test_money_turf_ego_assesses_users_more_than_twice_and_again():
    """In the money_turf_ego preset users are assessed more than twice on average, and users are
    assessed again (reviews, readmissions) every week."""
    runs = _runs(MONEY_TURF_EGO)
    # Measured (6 seeds x 156 weeks): 2.60 to 2.70 assessments per user; 31 to 74 reassessments a
    # week in every week of the final year.
    per_user = _outcome(runs, "assessments_per_user")
    assert (per_user > 2.0).all(), f"assessments per user {np.round(per_user, 3)}"
    for table, summary in runs:
        last = table["reassessments"].tail(52).to_numpy()
        assert (last > 0).all(), f"seed {summary['seed']}: weeks without reassessment in the final year"
        assert summary["outcomes"]["reassessments"] > 0


# ------------------------------------------------------------------------------ 4. the partnership bundle
def _bundle(model: dict) -> tuple[list, list]:
    return _runs({"policy": BUNDLE_ON, "model": model}), _runs({"policy": BUNDLE_OFF, "model": model})


# The bundle at modest cost: the same levers, with the default meeting practice (targeted, every
# four weeks) instead of meetings with everyone every two weeks.
MODEST = {**BUNDLE_ON, "meeting_attendance": "targeted", "meeting_interval_weeks": 4}


def test_partnership_bundle_helps_users_when_trust_is_high_and_costs_modest():
    """With high trust and modest costs (default coordination hours, targeted monthly meetings),
    the partnership bundle lowers unmet need and raises users' well-being (MODEL.md, 12)."""
    on = _runs({"policy": MODEST, "model": {"trust": {"initial": 0.7}}})
    off = _runs({"policy": BUNDLE_OFF, "model": {"trust": {"initial": 0.7}}})
    # Measured (6 seeds x 156 weeks): unmet need 0.127 -> 0.102 (-0.024, paired SE 0.003);
    # well-being 0.682 -> 0.709 (+0.027, paired SE 0.003); mean wait 5.2 -> 1.4 weeks.
    # (The full bundle, with meetings with everyone every two weeks, is not a modest cost: its
    # airtime erodes trust.)
    assert_higher(_outcome(off, "unmet_need"), _outcome(on, "unmet_need"), 0.05, "unmet need")
    assert_higher(_outcome(on, "wellbeing"), _outcome(off, "wellbeing"), 0.01, "well-being")


def test_partnership_bundle_hurts_users_when_trust_is_low_and_costs_high():
    """With low trust and high costs (coordination 3 hours, meetings with everyone every two weeks),
    the full bundle (configs/partnership/on.yaml against off.yaml) makes users' outcomes worse:
    contested pool sign-offs, failed coordinations and meeting hours outweigh what it brings."""
    on, off = _bundle({"trust": {"initial": 0.2}, "coordination": {"hours": 3.0}})
    # Measured (6 seeds x 156 weeks): unmet need 0.558 -> 0.584 (+0.026, paired SE 0.003; every
    # seed worse, by 0.012 to 0.033); well-being 0.398 -> 0.389 (-0.009, paired SE 0.002); mean
    # wait 26.7 -> 29.5 weeks; about 450 contested pool sign-offs a week at trust 0.18. (The
    # minimums, set before the effect was first seen, are about 45% of these.) Until the pool
    # sign-off needed the partner's trust, the bundle helped here: unmet need 0.558 -> 0.507.
    assert_higher(_outcome(on, "unmet_need"), _outcome(off, "unmet_need"), 0.02, "unmet need")
    assert_higher(_outcome(off, "wellbeing"), _outcome(on, "wellbeing"), 0.01, "well-being")


# ------------------------------------------------------------------------------ 5. protected hours
def _step_and_check_protected(dedicated: float, seed: int, weeks: int = 60) -> list[float]:
    """Step a model; after each week no protected hour is left and all are partnership hours.

    Returns the weekly ``protected_hours`` column.
    """
    model = PartnershipModel({"policy": {"dedicated_time": dedicated}, "run": {"weeks": weeks, "seed": seed}})
    s, hours = model.staff, model.params.workforce.hours
    protected = []
    for _ in range(weeks):
        model.step()
        assert not s.partnership.any(), (
            f"week {model.week - 1}: {np.count_nonzero(s.partnership)} professionals have protected "
            "hours left"
        )
        # Everyone working this week had dedicated * hours protected; those who left at the end
        # of the week are no longer in post, so this undercounts, never overcounts.
        owed = dedicated * hours * np.count_nonzero(s.in_post & ~s.sick)
        spent = model.row["partnership_hours"]
        assert spent >= owed - 1e-6 * max(owed, 1.0), (
            f"week {model.week - 1}: partnership hours {spent:.1f} below the protected hours {owed:.1f}"
        )
        protected.append(model.row["protected_hours"])
    return protected


@pytest.mark.parametrize("seed", [1, 2])
def test_protected_hours_are_all_spent_as_partnership_work(seed):
    # Measured (seeds 1, 2; 60 weeks): partnership hours are 1.005 to 1.064 times the protected
    # hours of the staff at work (at least 7 hours above them); 600 to 1100 protected hours a week
    # are left after meetings and coordination and spent in sessions or joint casework.
    protected = _step_and_check_protected(0.2, seed)
    assert min(protected) > 0, "no protected hours left to spend after meetings and coordination"


@pytest.mark.parametrize("seed", [1, 2])
def test_no_protected_hours_without_dedicated_time(seed):
    protected = _step_and_check_protected(0.0, seed)
    assert all(h == 0 for h in protected), f"protected hours {max(protected)} with dedicated_time 0"


# ------------------------------------------------------------------------------ 6. trust and contact
@pytest.mark.parametrize(
    "policy",
    [{}, {"dedicated_time": 0.2, "meeting_attendance": "everyone"}],
    ids=["default", "protected_time_everyone_meetings"],
)
def test_trust_does_not_rise_without_contact(policy):
    """Trust in an agency never rises in a week without contact with it, and above the neutral
    level it decays as trust.update says (``T -= decay * (T - neutral)``).

    Contact (``staff.contact``, cleared when the week is planned) is set by joint cases
    (sim.mechanisms.trust.update), by meetings for every agency in the room (meetings.book, before
    meetings.hold raises trust) and by protected-time sessions (protected.spend); it still holds
    the week's contacts after the step. The second configuration exercises sessions and
    everyone-meetings. No shocks; no pool, so no withdrawal or misuse shatters trust.
    """
    falls = 0
    for seed in (1, 2, 3):
        model = PartnershipModel({"policy": policy, "run": {"weeks": 60, "seed": seed}})
        s, t = model.staff, model.params.trust
        own = np.zeros(s.trust.shape, bool)
        own[np.arange(s.n), s.employer] = True
        for _ in range(60):
            before, was_in_post = s.trust.copy(), s.in_post.copy()
            model.step()
            # In post before and after (so neither hired nor gone this week), other agencies only.
            quiet = (was_in_post & s.in_post)[:, None] & ~own & ~s.contact
            change = (s.trust - before)[quiet]
            week = model.week - 1
            assert change.max(initial=0.0) <= 1e-12, (
                f"seed {seed} week {week}: trust rose by {change.max():.3g} without contact "
                f"in {np.count_nonzero(change > 1e-12)} cells"
            )
            expected = before - t.decay * np.maximum(before - t.neutral, 0.0)
            err = np.abs(s.trust - expected)[quiet]
            assert err.max(initial=0.0) < 1e-12, f"seed {seed} week {week}: decay off by {err.max():.3g}"
            falls += np.count_nonzero(change < 0)
    # Measured: about 41,000 (default) and 32,000 (protected time) falls over the 3 x 60 weeks,
    # out of 45,000 to 50,000 cell-weeks without contact.
    assert falls > 1000, f"only {falls} cells without contact lost trust"


# ------------------------------------------------------------------------------ 7. readmission rate bounds
def _random_config(rng: np.random.Generator) -> dict:
    policy = {}
    for f in dataclasses.fields(PolicyConfig):
        if isinstance(f.default, bool):
            policy[f.name] = bool(rng.random() < 0.5)
        elif f.metadata.get("choices"):
            policy[f.name] = str(rng.choice(f.metadata["choices"]))
        elif isinstance(f.default, int):
            lo, hi = f.metadata["range"]
            policy[f.name] = int(rng.integers(lo, hi + 1))
        else:
            lo, hi = f.metadata["range"]
            policy[f.name] = float(rng.uniform(lo, hi))
    outcomes = {
        "admission_base": float(rng.uniform(0.0, 0.05)),
        "post_discharge_factor": float(rng.uniform(0.0, 30.0)),
        "readmission_window": int(rng.integers(1, 14)),
    }
    return {
        "policy": policy,
        # A quarter of the patch (3 x 3 localities instead of 6 x 6), with a quarter of the staff
        # and of the caseload.
        "model": {
            "outcomes": outcomes,
            "geography": {"rows": 3, "cols": 3},
            "workforce": {"professionals": 50},
            "population": {"initial_users": 500},
        },
        "run": {"weeks": int(rng.integers(40, 61)), "seed": int(rng.integers(0, 2**31))},
    }


def test_readmission_rate_stays_a_share_over_random_configurations():
    """Every weekly readmission rate and every summary value is in [0, 1], over 60 random valid
    configurations that push readmissions up."""
    rng = np.random.default_rng(20240613)
    highest = 0.0
    for k in range(60):
        cfg = _random_config(rng)
        table, summary = run_model(cfg)
        weekly = table["readmission_rate"].to_numpy()
        bad = ~((weekly >= 0.0) & (weekly <= 1.0))
        assert not bad.any(), f"config {k} {cfg}: weekly readmission rate {weekly[bad]}"
        rate = summary["outcomes"]["readmission_rate"]
        assert 0.0 <= rate <= 1.0, f"config {k} {cfg}: summary readmission rate {rate}"
        highest = max(highest, float(weekly.max()))
    # The draws must reach the top of the range for the bound to be tested (measured: 1.0; the
    # median summary rate was 0.77).
    assert highest >= 0.9, f"highest weekly readmission rate only {highest:.3f}"


# ------------------------------------------------------------------------------ 9. loyalty and events
def _quiet_week(seed: int = 5) -> PartnershipModel:
    """A model 12 weeks in, at an appraisal week (week % 4 == 0), with this week's events cleared:
    no joint cases logged, none since the last appraisal, no overload, no time together."""
    model = PartnershipModel({"run": {"weeks": 12, "seed": seed}})
    for _ in range(12):
        model.step()
    assert model.week % 4 == 0
    model.log.new_week(model.week)
    s = model.staff
    s.together[:] = 0.0
    s.overloaded[:] = False
    s.joint_ok[:] = 0.0
    s.joint_all[:] = 0.0
    # Loyalty has spread away from its bounds, so a multiplicative change would show.
    assert ((s.loyalty > 0.05) & (s.loyalty < 0.95)).mean() > 0.9
    return model


def test_loyalty_does_not_move_without_events():
    model = _quiet_week()
    before = model.staff.loyalty.copy()
    loyalty.update(model)
    assert np.array_equal(model.staff.loyalty, before), (
        f"loyalty moved for {np.count_nonzero(model.staff.loyalty != before)} professionals without events"
    )


def test_loyalty_moves_with_each_kind_of_event_only_for_those_involved():
    """The check above can fail: each event, alone, moves exactly the loyalty of those involved,
    by the amount sim.mechanisms.loyalty says."""
    lp, hours = LoyaltyParams(), WorkforceParams().hours

    # A successful joint case between two council workers of different areas (equal pay: no
    # resentment): the benefit of one success, then the appraisal with q = 1.
    model = _quiet_week()
    s = model.staff
    council = [np.flatnonzero(s.in_post & (s.employer == a))[0] for a in model.council_of[:2]]
    i, j = np.array([council[0]]), np.array([council[1]])
    assert s.pay[i] == s.pay[j]
    before = s.loyalty.copy()
    model.log.joint_case(i, j, np.array([True]), np.array([-1]))
    loyalty.update(model)
    jw = model.agency_joint_weight[model.council_of[0]]
    expected = before[[i[0], j[0]]] + lp.benefit * (1 - before[[i[0], j[0]]])
    expected += lp.appraisal * jw * (1 - expected)
    np.testing.assert_allclose(s.loyalty[[i[0], j[0]]], expected, rtol=1e-12)
    others = np.ones(s.n, bool)
    others[[i[0], j[0]]] = False
    assert np.array_equal(s.loyalty[others], before[others])

    # Overload: one professional loses loyalty.overload of their loyalty.
    model = _quiet_week()
    s = model.staff
    k = np.flatnonzero(s.in_post)[7]
    before = s.loyalty.copy()
    s.overloaded[k] = True
    loyalty.update(model)
    assert s.loyalty[k] == pytest.approx(before[k] * (1 - lp.overload), rel=1e-12)
    assert np.count_nonzero(s.loyalty != before) == 1

    # Protected time together: a fifth of the week spent with partners.
    model = _quiet_week()
    s = model.staff
    before = s.loyalty.copy()
    s.together[k] = 0.2 * hours
    loyalty.update(model)
    assert s.loyalty[k] == pytest.approx(before[k] + lp.dedicated * 0.2 * (1 - before[k]), rel=1e-12)
    assert np.count_nonzero(s.loyalty != before) == 1


# A world without joint cases: no health needs (so no need is held by a primary care trust and a
# council together), no hospital referrals and no admissions (so nobody is in hospital).
NO_JOINT_CASES = {
    "population": {"need_prob": [0.0, 0.6, 0.45, 0.35], "hospital_discharges": 0.0},
    "outcomes": {"admission_base": 0.0},
}


def test_joint_indicators_move_loyalty_only_through_joint_cases():
    """Joint indicators reach loyalty through the appraisal of joint cases: in the default world
    they raise loyalty a lot; in a world without joint cases they leave it where it is."""
    seeds, weeks = range(1, 5), 104
    effect = {}
    for name, model in (("default", {}), ("no joint cases", NO_JOINT_CASES)):
        joint = _runs({"policy": {"joint_indicators": 1.0}, "model": model}, seeds, weeks)
        own = _runs({"policy": {"joint_indicators": 0.0}, "model": model}, seeds, weeks)
        effect[name] = _paired(_outcome(joint, "mean_loyalty"), _outcome(own, "mean_loyalty"))
        if name == "no joint cases":
            for table, _ in joint + own:
                assert table["coordinations"].sum() == 0 and table["disputes"].sum() == 0
    # Measured (these 4 seeds x 104 weeks): +0.429 (paired SE 0.003) by default, 0.27 -> 0.70;
    # exactly 0 without joint cases.
    diff, tol = effect["default"]
    assert diff > max(tol, 0.2), f"default: joint indicators moved loyalty by {diff:.4g} (3 SE {tol:.4g})"
    quiet, _ = effect["no joint cases"]
    assert abs(quiet) < 0.05 * diff, f"without joint cases loyalty moved {quiet:.4g} (default {diff:.4g})"


# ------------------------------------------------------------------------------ 10. pool governance
def test_defensive_partners_contest_the_pool_and_lengthen_waits():
    """With a pool, defensive partners (0.9 against 0.2) contest more sign-offs, and people wait
    longer."""
    seeds, weeks = range(1, 9), 104
    pool = {"pooled_budget_share": 0.3}
    calm = _runs({"policy": pool, "model": {"defensiveness": 0.2}}, seeds, weeks)
    defensive = _runs({"policy": pool, "model": {"defensiveness": 0.9}}, seeds, weeks)
    # Measured (8 seeds x 104 weeks): pool disputes 2.5 -> 16.9 a week (+14.4, paired SE 0.67);
    # mean wait 3.10 -> 4.09 weeks (+0.99, paired SE 0.23; every seed longer, by 0.4 to 2.1).
    # Eight seeds, not six: the wait's per-seed differences vary from 0.4 to 2.1 weeks.
    assert_higher(_outcome(defensive, "pool_disputes"), _outcome(calm, "pool_disputes"), 0.5, "pool disputes")
    assert_higher(_outcome(defensive, "mean_wait_weeks"), _outcome(calm, "mean_wait_weeks"), 0.1, "mean wait")


# ------------------------------------------------------------------------------ 11. community partners
def test_community_partners_raise_wellbeing_and_meet_practical_and_social_needs():
    assert PolicyConfig().community_partners is False
    without = _runs(BASELINE)
    with_them = _runs({"policy": {"community_partners": True}})
    # Measured (6 seeds x 156 weeks): well-being 0.672 -> 0.705 (+0.034, paired SE 0.002); unmet
    # practical 0.146 -> 0 and unmet social 0.150 -> 0 (at the default world's staff shares, 0.2
    # and 0.15 of the workforce, the partners meet every practical and social need).
    assert_higher(_outcome(with_them, "wellbeing"), _outcome(without, "wellbeing"), 0.02, "well-being")
    for key in ("unmet_practical", "unmet_social"):
        assert_higher(_outcome(without, key), _outcome(with_them, key), 0.5, key)
