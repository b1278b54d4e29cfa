"""Each experiment's hypothesis as a few claims the results can support or not.

The hypothesis of an experiment (``experiment.hypothesis`` and the header of its file in
``experiments/``) is a sentence from the source articles. Here it is broken into claims a
results table can check, each a comparison with a confidence interval:

- :class:`Contrast`: an outcome is lower (or higher, or not better) at one level of a lever than
  at another, over the final year or in the weeks after a shock;
- :class:`Interaction`: switching partnership on helps less (or harms) in hostile conditions
  than in favourable ones (a difference in differences);
- :class:`Dominant`: named levers carry the largest sensitivity indices of an outcome.

A claim is *Supported* when its 95% interval lies on the side the hypothesis expects, *Not
supported* when it lies on the other side, and *Inconclusive* when it includes no difference or
the sweep cannot tell (a lever it does not vary, too few seeds). Comparisons average over the
levers a claim does not name. A smoke variant (``NAME_smoke``) is checked against the claims of
``NAME``; with two seeds and half a year, most of its verdicts are inconclusive by design.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis import outcomes as oc
from analysis.design import Experiment, Factor, base_experiment, fmt_level, shock_label, shock_weeks
from analysis.effects import stratified, welch

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "Supported", "Not supported", "Inconclusive"
SELECTORS = ("max", "min", "ref", "other")


@dataclass(frozen=True)
class Verdict:
    """The verdict on one claim.

    Attributes:
        claim: the claim, in words.
        verdict: ``Supported``, ``Not supported`` or ``Inconclusive``.
        sentence: the verdict with the evidence, in one sentence.
    """

    claim: str
    verdict: str
    sentence: str


@dataclass(frozen=True)
class Contrast:
    """An outcome differs in the expected direction between two levels of a lever.

    Attributes:
        claim: the claim, in words.
        outcome: the outcome column.
        factor: the lever (factor name or column, e.g. ``policy.joint_indicators``,
            ``scenario.shocks``, ``shock.share``).
        expect: ``lower`` or ``higher`` (at ``level`` than at ``versus``), or ``not_better``
            (no better for users at ``level``).
        level: the level compared: ``max``, ``min``, ``other`` (every level but the reference)
            or a value.
        versus: the level compared with: ``ref`` (the reference), ``min``, ``max`` or a value.
        where: restrict to runs with these levels of other levers, e.g.
            ``(("model.workforce.pay_gap", "max"),)``.
        each: compare each level of ``level`` with ``versus`` separately; the claim is supported
            when every comparison supports it.
        window: compare the mean over this many weeks from each run's shock week (weekly table),
            not the final-year mean.
    """

    claim: str
    outcome: str
    factor: str
    expect: str
    level: Any = "max"
    versus: Any = "ref"
    where: tuple[tuple[str, Any], ...] = ()
    each: bool = False
    window: int | None = None


@dataclass(frozen=True)
class Interaction:
    """Partnership does users less good, or harm, in hostile conditions than in favourable ones.

    The effect of partnership is the change when ``factor`` goes from ``off`` to ``on``; the claim
    compares it between the hostile and the favourable settings (a difference in differences).

    Attributes:
        claim: the claim, in words.
        outcome: the outcome column.
        factor: the partnership switch.
        on: its level with the levers on.
        off: its level with them off.
        hostile: the levels of other settings that make the hostile condition.
        favourable: the levels that make the favourable one.
    """

    claim: str
    outcome: str
    factor: str = "partnership"
    on: Any = "on"
    off: Any = "off"
    hostile: tuple[tuple[str, Any], ...] = (
        ("model.trust.initial", 0.2),
        ("model.coordination.culture", 5.0),
        ("model.coordination.hours", 2.0),
    )
    favourable: tuple[tuple[str, Any], ...] = (
        ("model.trust.initial", 0.6),
        ("model.coordination.culture", 1.5),
        ("model.coordination.hours", 0.5),
    )


@dataclass(frozen=True)
class Dominant:
    """The named levers have the largest sensitivity indices of an outcome (Sobol ST or Morris μ*).

    Attributes:
        claim: the claim, in words.
        outcome: the outcome.
        levers: the levers expected to matter most.
    """

    claim: str
    outcome: str
    levers: tuple[str, ...] = ("pooled_budget_share", "joint_indicators")


Claim = Contrast | Interaction | Dominant

_SHOCK = "scenario.shocks"
_SHOCK_PARTS = ("shock.share", "shock.week")
_MONEY = ("pooled_budget_share", "joint_indicators")

#: The claims of each experiment, by its name (a smoke variant uses its base experiment's).
CLAIMS: dict[str, tuple[Claim, ...]] = {
    "joint_indicators": (
        Contrast(
            "joint indicators lower readmissions", "readmission_rate", "policy.joint_indicators", "lower"
        ),
        Contrast(
            "joint indicators raise loyalty to the partnership",
            "mean_loyalty",
            "policy.joint_indicators",
            "higher",
        ),
    ),
    "pooling_x_coterminosity": (
        Contrast("pooling lowers waiting", "mean_wait_weeks", "policy.pooled_budget_share", "lower"),
        Contrast("pooling lowers unmet need", "unmet_need", "policy.pooled_budget_share", "lower"),
        Contrast("coterminosity lowers waiting", "mean_wait_weeks", "policy.coterminosity", "lower"),
        Contrast("coterminosity lowers unmet need", "unmet_need", "policy.coterminosity", "lower"),
        Contrast(
            "coterminosity lowers assessments per user",
            "assessments_per_user",
            "policy.coterminosity",
            "lower",
        ),
    ),
    "trust_shock": (
        Contrast(
            "trust falls sharply after a withdrawal",
            "mean_trust",
            _SHOCK,
            "lower",
            level="other",
            each=True,
            window=8,
        ),
        Contrast(
            "trust has not recovered by the final year",
            "mean_trust",
            _SHOCK,
            "lower",
            level="other",
            each=True,
        ),
        Contrast("bigger withdrawals do more harm to trust", "mean_trust", "shock.share", "lower"),
        Contrast(
            "outcomes for users worsen after a withdrawal",
            "unmet_need",
            _SHOCK,
            "higher",
            level="other",
            each=True,
        ),
        Contrast("bigger withdrawals do more harm to users", "unmet_need", "shock.share", "higher"),
    ),
    "meeting_practice": (
        Contrast(
            "meetings with everyone cost more hours than targeted ones",
            "meeting_hours",
            "policy.meeting_attendance",
            "higher",
            level="everyone",
            versus="targeted",
        ),
        Contrast(
            "meetings with everyone bring no less unmet need",
            "unmet_need",
            "policy.meeting_attendance",
            "not_better",
            level="everyone",
            versus="targeted",
        ),
        Contrast(
            "meetings with everyone bring no shorter waits",
            "mean_wait_weeks",
            "policy.meeting_attendance",
            "not_better",
            level="everyone",
            versus="targeted",
        ),
        Contrast(
            "meetings with everyone bring no better well-being",
            "wellbeing",
            "policy.meeting_attendance",
            "not_better",
            level="everyone",
            versus="targeted",
        ),
        Contrast(
            "more frequent meetings cost more hours",
            "meeting_hours",
            "policy.meeting_interval_weeks",
            "higher",
            level="min",
            versus="max",
        ),
    ),
    "workforce": (
        Contrast(
            "no-detriment terms keep loyalty up under a pay gap",
            "mean_loyalty",
            "policy.no_detriment",
            "higher",
            level=True,
            versus=False,
            where=(("model.workforce.pay_gap", "max"),),
        ),
        Contrast(
            "no-detriment terms keep morale up under a pay gap",
            "morale",
            "policy.no_detriment",
            "higher",
            level=True,
            versus=False,
            where=(("model.workforce.pay_gap", "max"),),
        ),
        Contrast("dedicated time raises loyalty", "mean_loyalty", "policy.dedicated_time", "higher"),
        Contrast(
            "dedicated time costs casework: longer waits",
            "mean_wait_weeks",
            "policy.dedicated_time",
            "higher",
        ),
        Contrast(
            "dedicated time costs casework: more unmet need", "unmet_need", "policy.dedicated_time", "higher"
        ),
    ),
    "when_partnership_hurts": (
        Interaction("partnership helps less or harms in hostile conditions: unmet need", "unmet_need"),
        Interaction("partnership helps less or harms in hostile conditions: waiting", "mean_wait_weeks"),
        Interaction("partnership helps less or harms in hostile conditions: well-being", "wellbeing"),
    ),
    "sensitivity": (
        Dominant(
            "pooling and joint indicators carry most of the variance in waiting", "mean_wait_weeks", _MONEY
        ),
        Dominant(
            "pooling and joint indicators carry most of the variance in readmissions",
            "readmission_rate",
            _MONEY,
        ),
    ),
}
CLAIMS["sensitivity_morris"] = CLAIMS["sensitivity"]


def claims_for(experiment: Experiment | str) -> tuple[Claim, ...]:
    """The claims of an experiment (of its base experiment, for a variant); none if unknown.

    A variant (:func:`analysis.design.base_experiment`: a smoke variant, one drawing its model
    parameters from a posterior) tests its base experiment's hypothesis.
    """
    name = experiment if isinstance(experiment, str) else experiment.name
    return CLAIMS.get(name, CLAIMS.get(base_experiment(name), ()))


# ---------------------------------------------------------------------------------------------- helpers


def _resolve(factor: str, table: pd.DataFrame, facs: Sequence[Factor]) -> tuple[str | None, Factor | None]:
    """The column of the table that holds a factor, and the factor (if it is one of the sweep's)."""
    for f in facs:
        if factor in (f.name, f.column, f.short):
            return f.column, f
    return (factor, None) if factor in table.columns else (None, None)


def _levels(column: pd.Series, fac: Factor | None) -> list:
    if fac is not None:
        return list(fac.levels)
    values = column.dropna().unique().tolist()
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _select(levels: list, selector: Any) -> list:
    if isinstance(selector, str) and selector in SELECTORS:
        if not levels:
            return []
        return {"max": levels[-1:], "min": levels[:1], "ref": levels[:1], "other": levels[1:]}[selector]
    return [lv for lv in levels if _same(lv, selector)]


def _same(a: Any, b: Any) -> bool:
    flags = (isinstance(a, bool | np.bool_), isinstance(b, bool | np.bool_))
    if any(flags):
        return all(flags) and bool(a) == bool(b)
    if isinstance(a, int | float | np.number) and isinstance(b, int | float | np.number):
        return bool(np.isclose(float(a), float(b)))
    return a == b


def _rows(table: pd.DataFrame, column: str, levels: list) -> pd.Series:
    col = table[column]
    mask = pd.Series(False, index=table.index)
    for lv in levels:
        if isinstance(lv, bool) or pd.api.types.is_bool_dtype(col):
            mask |= col.astype(object).map(lambda v, lv=lv: bool(v) == bool(lv))
        elif isinstance(lv, int | float | np.number) and pd.api.types.is_numeric_dtype(col):
            mask |= np.isclose(col.astype(float), float(lv))
        else:
            mask |= col == lv
    return mask


def _name(column: str, fac: Factor | None, value: Any) -> str:
    if fac is not None:
        return fac.label(value)
    if column == "shock.share":
        return f"a {float(value):.0%} withdrawal"
    if column == "shocks":
        return shock_label(value)
    return f"{column.removeprefix('policy.').removeprefix('model.')} = {fmt_level(value)}"


def _ci_words(outcome: str, diff: float, lo: float, hi: float) -> tuple[str, str, str]:
    """(magnitude, direction word, CI text) for a difference, the CI in the same direction."""
    word = "lower" if diff < 0 else "higher"
    sign = -1.0 if diff < 0 else 1.0
    a, b = sorted((sign * lo, sign * hi))
    unit = oc.diff_unit(outcome)
    shown = oc.fmt_diffs(outcome, abs(diff), a, b)
    mag = shown[0] + (f" {unit}" if unit else "")
    ci = f"95% CI {shown[1]} to {shown[2]}" if math.isfinite(lo) else "no interval"
    return mag, word, ci


def _judge(expect: str, outcome: str, diff: float, lo: float, hi: float) -> str:
    if not math.isfinite(diff):
        return INCONCLUSIVE
    if expect == "not_better":
        better = oc.outcome(outcome).better or "lower"
        gain = -1.0 if better == "lower" else 1.0  # sign of an improvement
        if math.isfinite(lo) and ((gain < 0 and hi < 0) or (gain > 0 and lo > 0)):
            return NOT_SUPPORTED
        return SUPPORTED if diff * gain <= 0 else INCONCLUSIVE
    if not math.isfinite(lo):
        return INCONCLUSIVE
    want = -1.0 if expect == "lower" else 1.0
    if (want < 0 and hi < 0) or (want > 0 and lo > 0):
        return SUPPORTED
    if (want < 0 and lo > 0) or (want > 0 and hi < 0):
        return NOT_SUPPORTED
    return INCONCLUSIVE


def _why(verdict: str, expect: str, lo: float) -> str:
    if verdict == SUPPORTED:
        return ""
    if verdict == NOT_SUPPORTED:
        return (
            "; the opposite of the hypothesis"
            if expect != "not_better"
            else "; better, against the hypothesis"
        )
    if not math.isfinite(lo):
        return "; too few seeds for an interval"
    return "; the interval includes no difference" if expect != "not_better" else ""


# ---------------------------------------------------------------------------------------------- contrasts


def _window_values(ts: pd.DataFrame, jobs: pd.Series, week: int, weeks: int, outcome: str) -> np.ndarray:
    rows = ts[ts["job"].isin(set(jobs)) & ts["week"].between(week, week + weeks - 1)]
    return rows.groupby("job")[outcome].mean().to_numpy(dtype=float)


def _contrast(c: Contrast, table: pd.DataFrame, facs: Sequence[Factor], ts: pd.DataFrame | None) -> Verdict:
    column, fac = _resolve(c.factor, table, facs)
    short = c.factor.removeprefix("policy.").removeprefix("model.").removeprefix("scenario.")
    if c.outcome not in table.columns:
        return Verdict(c.claim, INCONCLUSIVE, f"{INCONCLUSIVE} ({c.claim}): the results have no {c.outcome}.")
    if column is None or table[column].nunique(dropna=True) < 2:
        return Verdict(
            c.claim, INCONCLUSIVE, f"{INCONCLUSIVE} ({c.claim}): this sweep does not vary {short}."
        )
    runs = table
    conditions = []
    for other, selector in c.where:
        ocol, ofac = _resolve(other, runs, facs)
        if ocol is None:
            continue
        chosen = _select(_levels(runs[ocol], ofac), selector)
        runs = runs[_rows(runs, ocol, chosen)]
        conditions.extend(_name(ocol, ofac, v) for v in chosen)
    levels = _levels(runs[column], fac)
    base_levels = _select(levels, c.versus)
    test_levels = [lv for lv in _select(levels, c.level) if lv not in base_levels]
    if not base_levels or not test_levels:
        return Verdict(
            c.claim,
            INCONCLUSIVE,
            f"{INCONCLUSIVE} ({c.claim}): this sweep has only one level of {short} to compare.",
        )
    groups = [[lv] for lv in test_levels] if c.each else [test_levels]
    base = runs[_rows(runs, column, base_levels)]
    where_cols = {_resolve(o, runs, facs)[0] for o, _ in c.where}
    others = [f for f in facs if f.column != column and f.column not in where_cols]
    strata = [f.column for f in others]
    if column in _SHOCK_PARTS:  # a part of the shock list: compare within the other part (e.g. the same week)
        others = [f for f in others if f.column != "shocks"]
        strata = [f.column for f in others] + [p for p in _SHOCK_PARTS if p != column and p in runs.columns]
    comparisons = []
    for group in groups:
        sel = runs[_rows(runs, column, group)]
        week = None
        if c.window is not None:
            if ts is None or ts.empty or c.outcome not in ts.columns:
                return Verdict(
                    c.claim, INCONCLUSIVE, f"{INCONCLUSIVE} ({c.claim}): no weekly table to look at."
                )
            weeks = sorted({w for v in sel["shocks"] for w in shock_weeks(v)}) if "shocks" in sel else []
            if len(weeks) != 1:
                return Verdict(
                    c.claim, INCONCLUSIVE, f"{INCONCLUSIVE} ({c.claim}): no single shock week to look from."
                )
            week = weeks[0]

        def values(frame: pd.DataFrame, week: int | None = week) -> np.ndarray:
            if week is None:
                return frame[c.outcome].to_numpy(dtype=float)
            return _window_values(ts, frame["job"], week, c.window, c.outcome)

        if strata:
            pairs = []
            for key in sel[strata].drop_duplicates().itertuples(index=False, name=None):
                match_a = np.logical_and.reduce(
                    [_rows(sel, col, [k]) for col, k in zip(strata, key, strict=True)]
                )
                match_b = np.logical_and.reduce(
                    [_rows(base, col, [k]) for col, k in zip(strata, key, strict=True)]
                )
                pairs.append((values(sel[match_a]), values(base[match_b])))
            w = stratified(pairs)
        else:
            w = welch(values(sel), values(base))
        verdict = _judge(c.expect, c.outcome, w["difference"], w["ci_low"], w["ci_high"])
        label = " or ".join(_name(column, fac, v) for v in group)
        comparisons.append((verdict, label, w))
    ref_label = " or ".join(_name(column, fac, v) for v in base_levels)
    prep = "with" if column in ("shocks", "shock.share") else "at"
    if fac is not None and fac.column != "shocks":
        ref_label = ref_label.replace(f"{fac.short} = ", "")
    context = []
    if c.window is not None:
        context.append(f"over the {c.window} weeks from the shock")
    if conditions:
        context.append("with " + " and ".join(conditions))
    averaged = [f.short for f in others] + (["shock week"] if "shock.week" in strata else [])
    if averaged:
        context.append("averaged over " + " and ".join(averaged))
    where = f", {', '.join(context)}" if context else ""

    def sentence(verdict: str, label: str, w: dict) -> str:
        mag, word, ci = _ci_words(c.outcome, w["difference"], w["ci_low"], w["ci_high"])
        if w["difference"] == 0:
            mag, word = "no different", ""
        what = f"{oc.label(c.outcome).lower()} {oc.verb(c.outcome)} {mag} {word}".rstrip()
        return (
            f"{what} {prep} {label} than {prep} {ref_label}{where} ({ci}; {w['n']} vs {w['n_reference']} runs"
            f"{_why(verdict, c.expect, w['ci_low'])})"
        )

    if len(comparisons) == 1:
        verdict, label, w = comparisons[0]
        return Verdict(c.claim, verdict, f"{verdict} ({c.claim}): {sentence(verdict, label, w)}.")
    verdicts = [v for v, _, _ in comparisons]
    if all(v == SUPPORTED for v in verdicts):
        verdict = SUPPORTED
    elif NOT_SUPPORTED in verdicts:
        verdict = NOT_SUPPORTED
    else:
        verdict = INCONCLUSIVE
    shown = (
        next((x for x in comparisons if x[0] == NOT_SUPPORTED), None) if verdict == NOT_SUPPORTED else None
    )
    if shown is None:  # the weakest comparison: the one that least supports the claim
        sign = 1.0 if c.expect == "lower" else -1.0
        shown = max(comparisons, key=lambda x: sign * x[2]["difference"])
    count = sum(v == SUPPORTED for v in verdicts)
    lead = (
        f"{count} of {len(comparisons)} conditions support it; "
        if verdict != SUPPORTED
        else (f"all {len(comparisons)} conditions support it; weakest: ")
    )
    return Verdict(
        c.claim, verdict, f"{verdict} ({c.claim}): {lead}{sentence(shown[0], shown[1], shown[2])}."
    )


# ---------------------------------------------------------------------------------------------- interactions


def _subset(table: pd.DataFrame, facs: Sequence[Factor], levels: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    runs = table
    for name, value in levels:
        col, _ = _resolve(name, runs, facs)
        if col is None:
            return runs.iloc[0:0]
        runs = runs[_rows(runs, col, [value])]
    return runs


def _interaction(c: Interaction, table: pd.DataFrame, facs: Sequence[Factor]) -> Verdict:
    column, fac = _resolve(c.factor, table, facs)
    if column is None or table[column].nunique() < 2 or c.outcome not in table.columns:
        return Verdict(
            c.claim, INCONCLUSIVE, f"{INCONCLUSIVE} ({c.claim}): this sweep does not switch {c.factor}."
        )
    better = oc.outcome(c.outcome).better or "lower"
    harm = 1.0 if better == "lower" else -1.0  # the sign of a change for the worse
    label = oc.label(c.outcome).lower()

    def effect(runs: pd.DataFrame) -> dict:
        return welch(
            runs.loc[_rows(runs, column, [c.on]), c.outcome],
            runs.loc[_rows(runs, column, [c.off]), c.outcome],
        )

    hostile, favourable = _subset(table, facs, c.hostile), _subset(table, facs, c.favourable)
    if hostile.empty:
        return Verdict(
            c.claim, INCONCLUSIVE, f"{INCONCLUSIVE} ({c.claim}): this sweep has no hostile condition."
        )
    h = effect(hostile)
    hostile_words = ", ".join(f"{k.removeprefix('model.')} = {fmt_level(v)}" for k, v in c.hostile)
    mag, word, ci = _ci_words(c.outcome, h["difference"], h["ci_low"], h["ci_high"])
    switched = f"switching {c.factor} {c.on} makes {label} {mag} {word} ({ci})"
    if favourable.empty or effect(favourable)["n"] == 0:
        verdict = _judge(
            "higher" if harm > 0 else "lower", c.outcome, h["difference"], h["ci_low"], h["ci_high"]
        )
        if verdict == NOT_SUPPORTED:
            verdict = INCONCLUSIVE
            tail = "; it helps even here, and the sweep has no favourable condition to compare with"
        elif verdict == SUPPORTED:
            tail = ": it harms"
        else:
            tail = (
                "; the interval includes no difference, and the sweep has no favourable condition to "
                "compare with"
            )
        return Verdict(c.claim, verdict, f"{verdict} ({c.claim}): with {hostile_words}, {switched}{tail}.")
    f = effect(favourable)
    did = h["difference"] - f["difference"]
    se2 = h["se"] ** 2 + f["se"] ** 2
    if math.isfinite(se2) and se2 > 0:
        from scipy import stats

        df = (
            se2**2 / (h["se"] ** 4 / h["df"] + f["se"] ** 4 / f["df"])
            if h["df"] > 0 and f["df"] > 0
            else math.nan
        )
        half = float(stats.t.ppf(0.975, df)) * math.sqrt(se2) if math.isfinite(df) else math.nan
    else:
        half = 0.0 if se2 == 0 else math.nan
    lo, hi = did - half, did + half
    verdict = _judge("higher" if harm > 0 else "lower", c.outcome, did, lo, hi)
    fav_mag, fav_word, _ = _ci_words(c.outcome, f["difference"], f["ci_low"], f["ci_high"])
    dmag, dword, dci = _ci_words(c.outcome, did, lo, hi)
    text = (
        f"{verdict} ({c.claim}): in hostile conditions ({hostile_words}) {switched}, against {fav_mag} "
        f"{fav_word} in favourable ones; the difference in effect is {dmag} {dword} "
        f"({dci}{_why(verdict, 'x', lo)})."
    )
    return Verdict(c.claim, verdict, text)


# ---------------------------------------------------------------------------------------------- sensitivity


def _dominant(c: Dominant, sobol: pd.DataFrame | None, morris: pd.DataFrame | None) -> Verdict:
    if sobol is not None and not sobol.empty:
        table, value, conf, what = sobol, "ST", "ST_conf", "total Sobol indices"
    elif morris is not None and not morris.empty:
        table, value, conf, what = morris, "mu_star", "mu_star_conf", "Morris μ* values"
    else:
        return Verdict(c.claim, INCONCLUSIVE, f"{INCONCLUSIVE} ({c.claim}): no sensitivity indices.")
    rows = table[table["outcome"] == c.outcome].sort_values(value, ascending=False)
    if rows.empty or not np.isfinite(rows[value]).any():
        return Verdict(c.claim, INCONCLUSIVE, f"{INCONCLUSIVE} ({c.claim}): no indices for {c.outcome}.")
    k = oc.scale(c.outcome) if value == "mu_star" else 1.0
    top = rows["lever"].tolist()[: len(c.levers)]
    named = rows[rows["lever"].isin(c.levers)]
    rest = rows[~rows["lever"].isin(c.levers)]
    low = (named[value] - named[conf]).min()
    high_rest = (rest[value] + rest[conf]).max() if not rest.empty else -math.inf
    beaten = rest[(rest[value] - rest[conf]) > (named[value] + named[conf]).min()]
    if set(top) == set(c.levers) and low > high_rest:
        verdict = SUPPORTED
    elif not beaten.empty:
        verdict = NOT_SUPPORTED
    else:
        verdict = INCONCLUSIVE

    def show(r: pd.Series) -> str:
        return f"{r['lever']} {r[value] * k:.2f} ± {r[conf] * k:.2f}"

    ranking = "; ".join(show(r) for _, r in rows.head(len(c.levers) + 1).iterrows())
    why = {
        SUPPORTED: f"{' and '.join(c.levers)} have the largest {what} of {oc.label(c.outcome).lower()}, "
        "clear of the others",
        NOT_SUPPORTED: f"{', '.join(beaten['lever'])} clearly outrank{'s' if len(beaten) == 1 else ''} "
        f"{' or '.join(c.levers)} for {oc.label(c.outcome).lower()}",
        INCONCLUSIVE: f"the ranking of {what} of {oc.label(c.outcome).lower()} is not clear from the "
        "intervals",
    }[verdict]
    return Verdict(c.claim, verdict, f"{verdict} ({c.claim}): {why} (largest: {ranking}; 95% CIs).")


def evaluate(
    experiment: Experiment | str,
    table: pd.DataFrame,
    factors: Sequence[Factor] = (),
    timeseries: pd.DataFrame | None = None,
    sobol: pd.DataFrame | None = None,
    morris: pd.DataFrame | None = None,
    claims: Sequence[Claim] | None = None,
) -> list[Verdict]:
    """The verdict on each claim of an experiment's hypothesis.

    Args:
        experiment: the experiment (or its name), whose claims are checked.
        table: the results, prepared by :func:`analysis.design.prepare`.
        factors: the sweep's factors (from ``prepare``).
        timeseries: the weekly table (for claims about the weeks after a shock).
        sobol: Sobol indices (for sensitivity claims).
        morris: Morris indices (for sensitivity claims, when there are no Sobol indices).
        claims: claims to check instead of the experiment's own.

    Returns:
        One verdict per claim, in order.
    """
    out = []
    for c in claims if claims is not None else claims_for(experiment):
        if isinstance(c, Contrast):
            out.append(_contrast(c, table, factors, timeseries))
        elif isinstance(c, Interaction):
            out.append(_interaction(c, table, factors))
        else:
            out.append(_dominant(c, sobol, morris))
    return out
