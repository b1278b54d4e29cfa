"""Pattern-oriented tests: the seven behaviours MODEL.md asks the model to show.

Each test compares configurations over several seeds and asserts the direction and a meaningful
size of the difference. The tolerance is the spread across seeds: a difference must exceed
three standard errors of the difference of the means (``_gap``), as well as a minimum relative
size that makes it matter to a reader. Runs are three years long and outcomes are averaged over
the final year (``run.summary_weeks``).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_model

SEEDS = range(1, 6)
WEEKS = 156


def _runs(overrides: dict, seeds=SEEDS, weeks: int = WEEKS) -> list[tuple]:
    out = []
    for seed in seeds:
        cfg = {**overrides, "run": {"weeks": weeks, "seed": seed}}
        out.append(run_model(cfg))
    return out


def _outcome(runs, key: str) -> np.ndarray:
    return np.array([summary["outcomes"][key] for _, summary in runs])


def _gap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean difference a - b and three standard errors of it."""
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float(a.mean() - b.mean()), float(3.0 * se)


def assert_lower(low: np.ndarray, high: np.ndarray, min_rel: float, what: str) -> None:
    """``low`` is below ``high`` by more than 3 SE and by at least ``min_rel`` of ``high``."""
    diff, tol = _gap(high, low)
    assert diff > tol, f"{what}: difference {diff:.4g} within 3 SE ({tol:.4g})"
    assert diff > min_rel * abs(high.mean()), (
        f"{what}: difference {diff:.4g} below {min_rel:.0%} of {high.mean():.4g}"
    )


@pytest.fixture(scope="module")
def pool_runs():
    """Pooled partnership with and without a partner withdrawing half its pooled money."""
    policy = {
        "pooled_budget_share": 0.5,
        "coterminosity": 0.7,
        "shared_records": 0.5,
        "joint_indicators": 0.4,
    }
    shock = {"week": 60, "kind": "pool_withdrawal", "share": 0.5, "agency": "pct"}
    shocked = _runs({"policy": policy, "scenario": {"shocks": [shock]}}, weeks=WEEKS)
    calm = _runs({"policy": policy}, weeks=WEEKS)
    return shocked, calm, shock["week"]


def test_1_trust_falls_fast_and_recovers_slowly(pool_runs):
    """A pool withdrawal drops mean trust sharply within a few weeks; regaining half the loss
    takes many times longer than the fall."""
    shocked, calm, week = pool_runs
    for (ts, _), (tc, _) in zip(shocked, calm, strict=True):
        trust = ts["mean_trust"].to_numpy()
        before = trust[week - 1]
        window = trust[week : week + 4]
        fall_weeks = int(np.argmin(window)) + 1
        low = window.min()
        loss = before - low
        assert loss > 0.1 * before, f"trust fell only {loss:.3f} from {before:.3f}"
        # The drop is the shock's doing: the same seed without it does not fall.
        assert tc["mean_trust"].to_numpy()[week + 3] - low > 0.5 * loss
        after = trust[week + fall_weeks - 1 :]
        regained = np.flatnonzero(after >= low + 0.5 * loss)
        regain_weeks = int(regained[0]) if regained.size else after.size  # censored: not yet
        assert regain_weeks >= 10 * fall_weeks, f"half regained in {regain_weeks} weeks, fell in {fall_weeks}"


def test_2_coterminosity_lowers_assessments_and_waiting():
    """Higher coterminosity lowers assessments per user and waiting."""
    apart = _runs({"policy": {"coterminosity": 0.0}})
    aligned = _runs({"policy": {"coterminosity": 1.0}})
    assert_lower(
        _outcome(aligned, "assessments_per_user"),
        _outcome(apart, "assessments_per_user"),
        0.02,
        "assessments",
    )
    assert_lower(_outcome(aligned, "mean_wait_weeks"), _outcome(apart, "mean_wait_weeks"), 0.15, "waiting")
    assert all(s["measured_coterminosity"] == 1.0 for _, s in aligned)
    assert all(s["measured_coterminosity"] == 0.0 for _, s in apart)


def test_3_pooled_budgets_help_when_trust_is_high():
    """Pooled budgets lower waiting and unmet need when trust is high."""
    trusting = {"trust": {"initial": 0.7}}
    # Twelve seeds: spontaneous withdrawals (in 2 of the first 8 pooled runs) and contested
    # sign-offs widen the spread of the pooled runs. Measured (3 Dec 2026, since the sign-off needs
    # the partner's trust): the pool shortens the mean wait in all 12 seeds, by 0.7 to 6.1 weeks
    # (3.9 on average, against about 10 weeks without it), and lowers unmet need in 11 of 12.
    seeds = range(1, 13)
    separate = _runs({"policy": {"pooled_budget_share": 0.0}, "model": trusting}, seeds=seeds)
    pooled = _runs({"policy": {"pooled_budget_share": 0.6}, "model": trusting}, seeds=seeds)
    assert_lower(_outcome(pooled, "mean_wait_weeks"), _outcome(separate, "mean_wait_weeks"), 0.3, "waiting")
    assert_lower(_outcome(pooled, "unmet_need"), _outcome(separate, "unmet_need"), 0.05, "unmet need")


def test_4_everyone_meetings_cost_more_without_better_outcomes():
    """`everyone` meetings cost far more professional hours than `targeted` ones, and outcomes
    are no better."""
    targeted = _runs({"policy": {"meeting_attendance": "targeted"}})
    everyone = _runs({"policy": {"meeting_attendance": "everyone"}})
    hours_t, hours_e = _outcome(targeted, "meeting_hours"), _outcome(everyone, "meeting_hours")
    assert hours_e.mean() > 3.0 * hours_t.mean()
    for key, better in (("unmet_need", -1), ("mean_wait_weeks", -1), ("wellbeing", 1)):
        diff, tol = _gap(_outcome(everyone, key), _outcome(targeted, key))
        assert better * diff < tol, f"everyone meetings improved {key} by {abs(diff):.4g} (> 3 SE {tol:.4g})"


def test_5_joint_indicators_lower_readmissions():
    """Joint indicators lower readmissions."""
    own = _runs({"policy": {"joint_indicators": 0.0}})
    joint = _runs({"policy": {"joint_indicators": 1.0}})
    assert_lower(_outcome(joint, "readmission_rate"), _outcome(own, "readmission_rate"), 0.2, "readmissions")


def test_6_joint_training_with_diminishing_returns():
    """Joint training narrows cultural distance and raises shared understanding, each extra hour
    doing less than the one before."""
    hours = (0.0, 2.0, 8.0)
    runs = [_runs({"policy": {"joint_training_hours": h}}, weeks=104) for h in hours]
    dist = [_outcome(r, "cultural_distance") for r in runs]
    und = [_outcome(r, "shared_understanding") for r in runs]
    assert_lower(dist[1], dist[0], 0.1, "cultural distance, 2 h vs none")
    assert_lower(dist[2], dist[1], 0.0, "cultural distance, 8 h vs 2 h")
    assert_lower(und[0], und[1], 0.1, "understanding, none vs 2 h")
    assert_lower(und[1], und[2], 0.0, "understanding, 2 h vs 8 h")
    per_hour_first = (dist[0].mean() - dist[1].mean()) / (hours[1] - hours[0])
    per_hour_next = (dist[1].mean() - dist[2].mean()) / (hours[2] - hours[1])
    assert per_hour_next < 0.5 * per_hour_first
    gain_first = (und[1].mean() - und[0].mean()) / (hours[1] - hours[0])
    gain_next = (und[2].mean() - und[1].mean()) / (hours[2] - hours[1])
    assert gain_next < 0.5 * gain_first


def test_7_no_detriment_keeps_loyalty_from_falling_under_a_pay_gap():
    """With a pay gap, no-detriment terms keep loyalty from falling."""
    gap = {"workforce": {"pay_gap": 0.25}}
    level = _runs({"model": {"workforce": {"pay_gap": 0.0}}})
    plain = _runs({"model": gap})
    protected = _runs({"model": gap, "policy": {"no_detriment": True}})
    l_level, l_plain, l_prot = (_outcome(r, "mean_loyalty") for r in (level, plain, protected))
    assert_lower(l_plain, l_level, 0.05, "loyalty falls under a pay gap")
    assert_lower(l_plain, l_prot, 0.03, "no detriment keeps loyalty up")
    assert l_level.mean() - l_prot.mean() < 0.5 * (l_level.mean() - l_plain.mean())
