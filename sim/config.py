"""The configuration schema: every lever, model parameter and run setting.

The dataclasses below are the single source of truth for names, types, defaults, meanings and
allowed ranges. Hydra composes YAML files in ``configs/`` on top of them (they are registered in
the ConfigStore as ``base_config``), and :func:`validate` checks every range before a model is
built, so that a bad value fails with one clear line instead of a broken run.

Each numeric field carries ``metadata={"range": (lo, hi), "doc": ...}``; ``None`` means unbounded
on that side. ``docs/ODD.md`` lists the same names and defaults.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

SHOCK_KINDS = ("pool_withdrawal", "budget_cut", "reorganisation", "staff_turnover")
ATTENDANCE = ("targeted", "everyone")
SECTORS = ("acute", "pct", "council", "voluntary", "community")
SCENARIOS = (
    "baseline",
    "mrs_smith",
    "pool_withdrawal",
    "care_trust",
    "invite_everyone",
    "dedicated_time",
    "money_turf_ego",
)


class ConfigError(ValueError):
    """A configuration value is out of range, unknown or malformed.

    The message names the key, the value and what is allowed, in one line.
    """


def p(default: Any, lo: float | None = None, hi: float | None = None, doc: str = "", choices=None):
    """Declare a config field with its default, its allowed range and its meaning.

    Args:
        default: the default value.
        lo: the smallest allowed value, or None.
        hi: the largest allowed value, or None.
        doc: one line saying what the value means and its unit.
        choices: for a string field, the allowed values.

    Returns:
        A dataclass field carrying the range and the documentation as metadata.
    """
    meta = {"range": (lo, hi), "doc": doc, "choices": choices}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


# --------------------------------------------------------------------------- policy levers
@dataclass
class PolicyConfig:
    """The policy levers of MODEL.md (config group ``policy``)."""

    pooled_budget_share: float = p(0.0, 0, 1, "share of each statutory partner's budget paid into the pool")
    coterminosity: float = p(
        0.44, 0, 1, "alignment of health and council boundaries (lever; the measured value is reported)"
    )
    shared_records: float = p(0.2, 0, 1, "how far information systems share records")
    joint_training_hours: float = p(0.0, 0, 40, "joint training per professional per month, hours")
    meeting_interval_weeks: int = p(4, 1, 52, "weeks between partnership meetings")
    meeting_attendance: str = p("targeted", doc="who attends partnership meetings", choices=ATTENDANCE)
    joint_indicators: float = p(0.1, 0, 1, "weight of joint outcomes in agencies' performance regimes")
    no_detriment: bool = p(False, doc="staff keep (and improve) their terms when working in joint teams")
    dedicated_time: float = p(0.0, 0, 0.5, "share of professionals' time given to partnership work")
    community_partners: bool = p(False, doc="voluntary, community and faith groups take part")
    user_involvement: float = p(0.1, 0, 1, "how far users shape services (fit of services to needs)")
    culture_recognition: bool = p(False, doc="cultural differences are named and worked on")


# --------------------------------------------------------------------------- scenario and shocks
@dataclass
class ShockConfig:
    """One dated event.

    ``agency`` names a sector (acute, pct, council, voluntary, community), not one agency: a
    ``pool_withdrawal`` is made by the first pool member of that sector in ``world.agencies``'
    order, a ``budget_cut`` hits every agency of it.
    """

    week: int = p(104, 0, None, "week the shock happens (0 = first recorded week)")
    kind: str = p("pool_withdrawal", doc="what happens", choices=SHOCK_KINDS)
    share: float = p(0.5, 0, 1, "size: share withdrawn, cut, redrawn or replaced")
    agency: str = p(
        "pct", doc="sector of the agency that acts (pool_withdrawal, budget_cut)", choices=SECTORS
    )


@dataclass
class ScenarioConfig:
    """A named preset: its description paragraph, its shocks and whether a user is traced."""

    name: str = p("baseline", doc="preset name")
    description: str = p("", doc="one paragraph shown to teachers and in run summaries")
    shocks: list[ShockConfig] = field(default_factory=list)
    trace_user: bool = p(False, doc="trace one older person (Mrs Smith) through her journey")


# --------------------------------------------------------------------------- the world
@dataclass(frozen=True)
class SectorProfile:
    """What an agency of a sector is, and the defaults an agency spec of that sector leaves unset.

    ``statutory``, ``health`` and ``pool_member`` are properties of the sector, fixed here: the
    mechanisms give each sector its role (a primary care trust holds health needs, a council
    personal care and the means test, non-statutory partners fund help from their own grants and
    stay out of the pool). The rest are defaults that :class:`AgencySpec` may override.

    Sources: Arnold (001) on free vs means-tested care, 20+ NHS professions vs one social care
    profession, national vs local, different pay; Brereton & Clarke (002) on different cultures,
    budget-fixing processes and information systems.
    """

    label: str
    statutory: bool
    health: bool
    pool_member: bool
    budget_week: int
    info_quality: float
    culture: float
    professions: tuple[str, ...]
    mix: tuple[float, ...]


SECTOR_DEFAULTS: dict[str, SectorProfile] = {
    "acute": SectorProfile(
        "Acute NHS trust", True, True, False, 0, 0.5, 0.25,
        ("hospital doctor", "ward nurse", "discharge coordinator"), (0.25, 0.5, 0.25),
    ),
    "pct": SectorProfile(
        "Primary care trust", True, True, True, 4, 0.4, 0.35,
        ("GP", "district nurse", "therapist"), (0.3, 0.45, 0.25),
    ),
    "council": SectorProfile(
        "Council social services", True, False, True, 48, 0.8, 0.75,
        ("social worker", "care manager", "occupational therapist"), (0.45, 0.35, 0.2),
    ),
    "voluntary": SectorProfile(
        "Voluntary sector", False, False, False, 26, 0.3, 0.15, ("voluntary sector worker",), (1.0,)
    ),
    "community": SectorProfile(
        "Community and faith groups", False, False, False, 26, 0.2, 0.1, ("community worker",), (1.0,)
    ),
}  # fmt: skip
"""Each sector's role and defaults (the keys are :data:`SECTORS`, in the same order)."""

# Which areas an agency's ``areas`` count: health areas for the health sectors, council areas for
# the others.
HEALTH_AREA_SECTORS = ("acute", "pct")


@dataclass
class ProfessionSpec:
    """A profession: its place on the medical-social axis and whether its jobs are comparable."""

    name: str = p("", doc="name of the profession, as agencies' `professions` list it")
    norm: float = p(0.5, 0, 1, "norm of the profession on the medical (0) to social (1) model axis")
    frontline: bool = p(
        True, doc="a front-line job comparable across agencies (pay comparisons and resentment)"
    )


def _default_professions() -> list[ProfessionSpec]:
    return [
        ProfessionSpec("hospital doctor", 0.05, False),
        ProfessionSpec("ward nurse", 0.35, True),
        ProfessionSpec("discharge coordinator", 0.45, True),
        ProfessionSpec("GP", 0.15, False),
        ProfessionSpec("district nurse", 0.4, True),
        ProfessionSpec("therapist", 0.5, True),
        ProfessionSpec("social worker", 0.85, True),
        ProfessionSpec("care manager", 0.7, True),
        ProfessionSpec("occupational therapist", 0.55, True),
        ProfessionSpec("voluntary sector worker", 0.8, True),
        ProfessionSpec("community worker", 0.9, True),
    ]


@dataclass
class AgencySpec:
    """One agency of the world (or, with ``per_area``, one per area), as ``configs/world/`` lists it.

    A field left empty or null takes the sector's default (:data:`SECTOR_DEFAULTS`) or the
    model-wide setting it names.
    """

    sector: str = p("", doc="what the agency is", choices=SECTORS)
    name: str = p(
        "",
        doc="label shown in outputs; empty: the sector's label, followed by the areas it covers "
        "when it does not cover the whole patch (e.g. 'Primary care trust 2')",
    )
    areas: list[int] = p(
        [],
        0,
        None,
        "areas covered, numbered from 0: health areas for acute and pct, council areas for council, "
        "voluntary and community; empty: the whole patch",
    )
    per_area: bool = p(
        False, doc="one agency for each area of `areas` (every area when empty), each covering that area"
    )
    staff_share: float | None = p(
        None,
        0,
        1,
        "posts as a share of model.workforce.professionals; null: sized from expected demand "
        "(statutory sectors only; voluntary and community agencies need a share)",
    )
    budget_week: int | None = p(
        None, 0, 51, "week of the year on which it sets its budget; null: the sector's"
    )
    info_quality: float | None = p(None, 0, 1, "quality of its information system; null: the sector's")
    culture: float | None = p(
        None,
        0,
        1,
        "organisational culture (culture dimension 1, procedural 0 to discretionary 1); null: the sector's",
    )
    defensiveness: float | None = p(
        None, 0, 1, "how defensive it is of its turf and budget; null: model.defensiveness"
    )
    joint_weight: float | None = p(
        None,
        0,
        1,
        "weight of joint outcomes in its performance regime; null: policy.joint_indicators for a "
        "statutory agency, 0.5 otherwise",
    )
    professions: list[str] = p([], doc="its professions (names from world.professions); empty: the sector's")
    mix: list[float] = p(
        [],
        0,
        1,
        "share of its posts in each of `professions`, summing to 1; empty: the sector's mix, or "
        "equal shares of the professions given",
    )
    pay: float | None = p(
        None,
        0,
        5,
        "pay relative to council staff; null: 1 + model.workforce.pay_gap for health, 1 for "
        "councils, 0.85 for voluntary and community agencies",
    )


def _sector_agency(sector: str, **settings: Any) -> AgencySpec:
    """An agency of ``sector`` with its sector's defaults written out (as configs/world/default.yaml has them)."""
    profile = SECTOR_DEFAULTS[sector]
    return AgencySpec(
        sector=sector,
        budget_week=profile.budget_week,
        info_quality=profile.info_quality,
        culture=profile.culture,
        professions=list(profile.professions),
        mix=list(profile.mix),
        **settings,
    )


def _default_agencies() -> list[AgencySpec]:
    # Voluntary and community groups get an explicit capacity of their own (see
    # configs/world/default.yaml for why these shares).
    return [
        _sector_agency("acute"),
        _sector_agency("pct", per_area=True),
        _sector_agency("council", per_area=True),
        _sector_agency("voluntary", staff_share=0.2),
        _sector_agency("community", staff_share=0.15),
    ]


@dataclass
class WorldConfig:
    """The agencies and professions of the patch (config group ``world``, ``configs/world/``).

    The default is one acute trust for the whole patch, a primary care trust per health area, a
    council per council area, and a voluntary sector agency and community and faith groups, who
    take part only when ``policy.community_partners`` is on. Every health area must be covered by
    exactly one acute trust and one primary care trust, every council area by exactly one
    council, and by at most one voluntary and one community agency (an area without one leaves
    practical help or social contact to its council).
    """

    agencies: list[AgencySpec] = field(
        default_factory=_default_agencies,
        metadata={"range": (None, None), "doc": "the agencies, in the order of their index", "choices": None},
    )
    professions: list[ProfessionSpec] = field(
        default_factory=_default_professions,
        metadata={"range": (None, None), "doc": "every profession agencies may employ", "choices": None},
    )


@dataclass(frozen=True)
class PlannedAgency:
    """An agency of the world as it will be built: its spec, the areas it covers and its label."""

    spec: AgencySpec
    key: str
    areas: tuple[int, ...]
    label: str

    @property
    def profile(self) -> SectorProfile:
        """Its sector's role and defaults."""
        return SECTOR_DEFAULTS[self.spec.sector]


def plan_agencies(world: WorldConfig, n_areas: int, community_partners: bool = True) -> list[PlannedAgency]:
    """The agencies a world builds, in index order: specs with ``per_area`` expanded, labels resolved.

    Args:
        world: the world's configuration.
        n_areas: number of health areas, and of council areas (``model.geography.n_areas``).
        community_partners: whether voluntary and community agencies take part
            (``policy.community_partners``); without them they are left out.

    Returns:
        One :class:`PlannedAgency` per agency.
    """
    out = []
    for i, spec in enumerate(world.agencies):
        profile = SECTOR_DEFAULTS.get(spec.sector)
        if profile is None or (not profile.statutory and not community_partners):
            continue
        key = f"world.agencies[{i}]"
        base = spec.name or profile.label
        if spec.per_area:
            for area in spec.areas or range(n_areas):
                out.append(PlannedAgency(spec, key, (int(area),), f"{base} {area + 1}"))
            continue
        areas = tuple(sorted(int(a) for a in spec.areas))
        whole = not areas or len(set(areas)) == n_areas
        label = spec.name or (base if whole else f"{base} {', '.join(str(a + 1) for a in areas)}")
        out.append(PlannedAgency(spec, key, () if whole else areas, label))
    return out


# --------------------------------------------------------------------------- model parameters
@dataclass
class GeographyParams:
    """Localities on a grid; council areas are column bands, crossing health areas row bands."""

    rows: int = p(6, 1, 30, "rows of the locality grid")
    cols: int = p(6, 1, 30, "columns of the locality grid")
    n_areas: int = p(3, 1, 10, "number of council areas, and of health (PCT) areas")
    gp_straddle: float = p(0.15, 0, 1, "share of users registered with a GP in another health area")


@dataclass
class PopulationParams:
    """Service users: how many, how they arrive and what they need."""

    initial_users: int = p(2000, 0, 1_000_000, "users on caseloads at week 0")
    # Calibrated (calibrations/england, 2026-12-03): the weighted posterior median of ABC-SMC
    # against readmissions, long waits and the split of delays (docs/validation.md).
    community_referrals: float = p(
        1.02, 0, 1000, "new community referrals per locality per week (Poisson mean)"
    )
    hospital_discharges: float = p(0.4, 0, 1000, "new users referred from hospital per locality per week")
    need_prob: list[float] = p(
        [0.55, 0.6, 0.45, 0.35], 0, 1, "chance of a need in health, personal care, practical, social"
    )
    need_hours: list[float] = p(
        [1.0, 1.5, 0.8, 0.6], 0, 40, "casework hours a week to meet a need, by domain"
    )
    means_share: float = p(0.45, 0, 1, "share of users above the social care means-test threshold")
    decline_if_charged: float = p(0.3, 0, 1, "chance a charged user declines a means-tested service")


@dataclass
class WorkforceParams:
    """Professionals: numbers, hours, pay and morale."""

    professionals: int = p(200, 5, 100_000, "professionals across all agencies")
    hours: float = p(37.5, 1, 60, "contracted hours a week")
    pay_gap: float = p(0.12, 0, 1, "health staff's pay premium over council staff in similar jobs")
    sickness_base: float = p(0.03, 0, 1, "weekly chance of a week off sick at full morale")
    sickness_low_morale: float = p(0.08, 0, 1, "extra weekly sickness chance at zero morale")
    turnover_base: float = p(0.0015, 0, 1, "weekly chance of leaving at full morale")
    turnover_low_morale: float = p(0.01, 0, 1, "extra weekly chance of leaving at zero morale")
    vacancy_weeks: int = p(8, 0, 104, "weeks a post stays empty after a leaver")
    casework_share: float = p(
        0.75,
        0.05,
        1,
        "share of non-partnership hours available for casework (the rest is administration and travel)",
    )
    reserved_share: float = p(
        0.05,
        0,
        1,
        "share of casework hours kept for assessments and new packages when ongoing work would take them all",
    )
    morale_recovery: float = p(0.01, 0, 1, "weekly recovery of morale towards 1 (share of the gap)")
    overload_morale_loss: float = p(0.02, 0, 1, "morale lost per week of overload")
    resentment_morale_loss: float = p(0.05, 0, 1, "morale lost per unit of pay resentment")


@dataclass
class AssessmentParams:
    """Mechanism 2: assessment, and accepting a partner's assessment."""

    hours: float = p(3.0, 0, 40, "professional hours per assessment")
    trust_weight: float = p(1.0, 0, 5, "exponent on trust in the acceptance probability")
    team_sharing: float = p(
        0.6, 0, 1, "how far one joint team covering the user shares an assessment without shared records"
    )
    # Calibrated (calibrations/england, 2026-12-03): the weighted posterior median of ABC-SMC
    # against readmissions, long waits and the split of delays (docs/validation.md).
    capacity_share: float = p(0.1046, 0, 1, "share of an agency's casework hours given to assessments")
    review_reassess: float = p(
        0.25,
        0,
        1,
        "chance a review needs a fresh assessment (done again unless the partner's records are shared and trusted)",
    )
    wait_weight: float = p(
        0.3,
        0,
        10,
        "priority points per week waited in assessment, panel and service queues (severity counts 5)",
    )


@dataclass
class FundingParams:
    """Mechanism 3: budgets, the pool and negotiating who pays."""

    cost_per_hour: float = p(30.0, 0, 1000, "cost of one hour of commissioned care, pounds")
    care_multiplier: float = p(4.0, 0, 100, "commissioned care hours bought per casework hour")
    budget_headroom: float = p(1.05, 0.1, 10, "annual budget as a multiple of the initial caseload's cost")
    # Calibrated (calibrations/england, 2026-12-03): the weighted posterior median of ABC-SMC
    # against readmissions, long waits and the split of delays (docs/validation.md).
    negotiation_base: float = p(
        0.3547, 0, 1, "weekly chance of agreeing who pays, with full trust and no defensiveness"
    )
    over_budget_refusal: float = p(
        0.6, 0, 1, "how far an over-budget agency refuses new costs (cost-shifting)"
    )
    panel_share: float = p(
        0.05, 0, 1, "share of an agency's casework hours given to funding decisions (its panel)"
    )
    decision_hours: float = p(1.0, 0, 40, "professional hours per funding decision")
    negotiation_hours: float = p(
        1.0,
        0,
        40,
        "hours each side spends per week negotiating who pays, or on a pool sign-off that is contested",
    )


@dataclass
class CoordinationParams:
    """Mechanism 4: coordinating joint cases across agencies (logistic success model)."""

    intercept: float = p(-0.4, -10, 10, "log-odds of success before the terms below")
    trust: float = p(2.0, 0, 10, "weight of mutual trust")
    understanding: float = p(1.2, 0, 10, "weight of shared understanding of each other's terms")
    records: float = p(1.0, 0, 10, "weight of shared records")
    alignment: float = p(1.2, 0, 10, "weight of boundary alignment (same team covers the locality)")
    culture: float = p(3.0, 0, 20, "weight of cultural distance")
    extra_agency: float = p(0.35, 0, 5, "penalty per agency beyond two on a case")
    effort: float = p(0.8, 0, 10, "weight of effort (loyalty and joint performance regime)")
    review_rate: float = p(0.1, 0, 1, "weekly chance a served joint case needs coordinating")
    hours: float = p(0.5, 0, 20, "hours each professional spends on one coordination")
    failure_wellbeing_loss: float = p(0.03, 0, 1, "well-being lost by a user when coordination fails")
    failure_extra_hours: float = p(1.0, 0, 20, "duplicated-visit hours when coordination fails")


@dataclass
class OutcomeParams:
    """Mechanism 5: well-being, hospital admission and readmission, leaving."""

    wellbeing_gain: float = p(0.04, 0, 1, "weekly rise of well-being towards 1 when needs are met")
    wellbeing_loss: float = p(0.05, 0, 1, "weekly fall of well-being when needs are unmet")
    admission_base: float = p(
        0.003, 0, 1, "weekly hospital admission chance of a supported user at severity 1"
    )
    unsupported_factor: float = p(
        4.0, 0, 100, "admission risk multiplier for unmet health or personal care need"
    )
    # Calibrated (calibrations/england, 2026-12-03): the weighted posterior median of ABC-SMC
    # against readmissions, long waits and the split of delays (docs/validation.md).
    post_discharge_factor: float = p(
        6.967, 0, 100, "admission risk multiplier in the 4 weeks after discharge"
    )
    stay_weeks: float = p(1.5, 0.5, 52, "mean length of a hospital stay, weeks")
    leave_well: float = p(
        0.04,
        0,
        1,
        "weekly chance that a user whose needs have been met for long enough no longer needs services",
    )
    met_weeks_to_leave: int = p(
        12,
        0,
        520,
        "weeks with every accepted need met (since arrival or the last admission) before a user can leave services well",
    )
    leave_badly: float = p(0.012, 0, 1, "weekly chance of leaving badly (care home, death) at well-being 0")
    # Calibrated (calibrations/england, 2026-12-03): the weighted posterior median of ABC-SMC
    # against readmissions, long waits and the split of delays (docs/validation.md).
    intermediate_care_share: float = p(
        0.5585,
        0,
        1,
        "chance that a patient with a health need needs a step-down (intermediate care) place before going home",
    )
    # Calibrated (calibrations/england, 2026-12-03): the weighted posterior median of ABC-SMC
    # against readmissions, long waits and the split of delays (docs/validation.md).
    intermediate_care_places: float = p(
        13.4,
        0,
        1000,
        "step-down places per 1,000 users of the initial caseload, shared equally between the health areas",
    )
    intermediate_care_weeks: int = p(3, 1, 52, "weeks a patient holds a step-down place")
    readmission_window: int = p(4, 1, 52, "weeks after discharge in which an admission is a readmission")


@dataclass
class TrustParams:
    """Mechanism 6: relational trust, held per professional towards each agency."""

    initial: float = p(0.45, 0, 1, "mean trust at the start")
    spread: float = p(0.1, 0, 0.5, "standard deviation of initial trust")
    neutral: float = p(0.35, 0, 1, "level trust decays to without contact")
    gain: float = p(0.005, 0, 1, "rise towards 1 after a successful joint case")
    loss: float = p(0.015, 0, 1, "fall towards 0 after a failed joint case")
    decay: float = p(0.004, 0, 1, "weekly decay towards neutral without contact")
    shatter: float = p(
        0.7,
        0,
        1,
        "share of trust towards an agency lost when it withdraws or misuses pooled money (times the share withdrawn)",
    )
    spillover: float = p(0.5, 0, 1, "share of that loss suffered by trust in the other pool members too")


@dataclass
class CultureParams:
    """Mechanism 7: culture and shared understanding."""

    dims: int = p(2, 1, 8, "dimensions of culture (e.g. medical-social, procedural-discretionary)")
    flexibility: float = p(
        0.2, 0, 1, "how far a professional's culture can move from their profession's norm"
    )
    cowork_pull: float = p(0.001, 0, 1, "pull towards a partner's culture per joint case")
    training_pull: float = p(
        0.04,
        0,
        1,
        "rate per hour of joint training: culture moves 1 - exp(-rate * hours) of the way to the partnership mean each month",
    )
    recognition_relief: float = p(
        0.5, 0, 1, "share of cultural distance's harm removed by culture recognition"
    )
    understanding_initial: float = p(0.3, 0, 1, "initial shared understanding of other professions' terms")
    understanding_contact: float = p(0.002, 0, 1, "rise towards 1 per joint contact")
    understanding_training: float = p(
        0.025,
        0,
        1,
        "rate per hour of joint training: understanding gains (1 - U) * (1 - exp(-rate * hours)) each month",
    )


@dataclass
class LoyaltyParams:
    """Mechanism 8: loyalty between own organisation (0) and the partnership (1)."""

    initial: float = p(0.3, 0, 1, "mean loyalty to the partnership at the start")
    appraisal: float = p(
        0.08,
        0,
        1,
        "monthly appraisal: rise with joint cases achieved (times the joint weight), fall with joint cases failed (times the own weight)",
    )
    benefit: float = p(0.002, 0, 1, "rise per joint case seen to succeed for the user")
    dedicated: float = p(0.3, 0, 1, "rise per full week of protected time spent with partners")
    resentment: float = p(0.1, 0, 1, "fall per joint contact with a better-paid partner, per unit of pay gap")
    no_detriment_relief: float = p(0.85, 0, 1, "share of pay resentment removed by no-detriment terms")
    overload: float = p(0.01, 0, 1, "fall per week of overload")
    shock: float = p(
        0.3, 0, 1, "fall when the partnership's pooled money is withdrawn or misused (times the share)"
    )


@dataclass
class MeetingParams:
    """Mechanism 9: partnership meetings and airtime."""

    hours: float = p(2.0, 0, 24, "length of a meeting, hours (each attendee)")
    trust_gain: float = p(0.06, 0, 1, "trust gain per meeting in a small room")
    understanding_gain: float = p(0.04, 0, 1, "shared-understanding gain per meeting in a small room")
    airtime_capacity: float = p(25.0, 1, 1000, "room size at which a meeting's net effect turns negative")
    targeted_size: int = p(
        8,
        1,
        1000,
        "largest room of a targeted meeting (those who share the most live cases with other agencies)",
    )


@dataclass
class DecisionParams:
    """Mechanism 10: agencies' budgets, pool withdrawal and priorities."""

    pressure_threshold: float = p(
        0.05, 0, 1, "overspend, as a share of the annual budget, that counts as financial pressure"
    )
    withdraw_base: float = p(
        0.1, 0, 1, "chance that an agency under full pressure, with no trust or loyalty, withdraws"
    )
    withdraw_share: float = p(0.5, 0, 1, "share of its pooled money an agency takes back when it withdraws")
    misuse_base: float = p(
        0.1,
        0,
        1,
        "chance that an agency under full pressure, with no trust or loyalty, uses pooled money for purposes not agreed",
    )
    misuse_share: float = p(
        0.2, 0, 1, "share of its year's pooled contributions an agency uses for purposes not agreed"
    )
    budget_growth: float = p(0.02, -1, 1, "yearly budget growth")
    # Calibrated (calibrations/england, 2026-12-03): the weighted posterior median of ABC-SMC
    # against readmissions, long waits and the split of delays (docs/validation.md).
    discharge_pressure: float = p(
        0.1724,
        0,
        1,
        "weekly chance the acute trust discharges a fit patient before support is in place, under own indicators only",
    )


@dataclass
class CommunityParams:
    """Mechanism 11: community, faith and voluntary partners; user involvement.

    Their workers are set by each agency's ``staff_share`` in the world (config group ``world``).
    """

    cost_share: float = p(0.4, 0, 1, "cost of a community partner's support relative to statutory care")
    misfit: float = p(
        0.1, 0, 0.9, "share of a package's hours that miss the need when users have no say (wasted hours)"
    )
    involvement_hours: float = p(
        1.0, 0, 40, "extra hours an assessment takes to involve the user, at full user involvement"
    )


@dataclass
class ModelParams:
    """All mechanism parameters, grouped by the mechanism that uses them."""

    geography: GeographyParams = field(default_factory=GeographyParams)
    population: PopulationParams = field(default_factory=PopulationParams)
    workforce: WorkforceParams = field(default_factory=WorkforceParams)
    assessment: AssessmentParams = field(default_factory=AssessmentParams)
    funding: FundingParams = field(default_factory=FundingParams)
    coordination: CoordinationParams = field(default_factory=CoordinationParams)
    outcomes: OutcomeParams = field(default_factory=OutcomeParams)
    trust: TrustParams = field(default_factory=TrustParams)
    culture: CultureParams = field(default_factory=CultureParams)
    loyalty: LoyaltyParams = field(default_factory=LoyaltyParams)
    meetings: MeetingParams = field(default_factory=MeetingParams)
    decisions: DecisionParams = field(default_factory=DecisionParams)
    community: CommunityParams = field(default_factory=CommunityParams)
    defensiveness: float = p(
        0.5,
        0,
        1,
        "how defensive agencies are of their turf and budgets (unless the world sets an agency's own)",
    )


@dataclass
class RunConfig:
    """Run settings (config group ``run``)."""

    weeks: int = p(260, 1, 5200, "weeks to simulate (default five years)")
    seed: int = p(42, 0, 2**32 - 1, "seed of the random number generator")
    progress: bool = p(True, doc="show a progress bar")
    figure: bool = p(True, doc="write overview.png")
    summary_weeks: int = p(52, 1, 5200, "final weeks over which the summary outcomes are averaged")


DESIGNS = ("single", "grid", "sobol", "morris")
PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass
class ExperimentConfig:
    """The experiment a run belongs to (set by the files in ``experiments/``).

    A run of an experiment takes its seed from ``base_seed`` and its replication index (see
    :func:`runner.experiment.derive_seed`), and, for a sampled design (``sobol``, ``morris``), its
    lever values from row ``sample`` of the design over ``levers``. With ``posterior`` set, it also
    takes the model parameters a calibration estimated from draw ``draw`` of ``posterior_draws``
    weighted draws of that calibration's posterior (:func:`runner.experiment.apply`): draws and
    replications are crossed, and both are replications of a condition, not factors.
    """

    name: str = p("", doc="experiment name; empty for a single run outside any experiment")
    question: str = p("", doc="the research question, in one sentence")
    hypothesis: str = p("", doc="the hypothesis from the source articles, in one sentence")
    base_seed: int = p(20061, 0, 2**32 - 1, "base seed from which every run's seed is derived")
    replicate: int = p(0, 0, 100_000, "replication index of this run")
    design: str = p("single", doc="how the runs are laid out", choices=DESIGNS)
    design_n: int = p(0, 0, 1_000_000, "base sample size of a sampled design (a power of 2 for sobol)")
    sample: int = p(-1, -1, 100_000_000, "row of the sampled design this run takes its levers from")
    levers: dict[str, list[float]] = field(
        default_factory=dict,
        metadata={
            "range": (None, None),
            "doc": "levers of a sampled design, each with [low, high]",
            "choices": None,
        },
    )
    posterior: str = p(
        "",
        doc="a calibration folder (posterior.parquet and calibration.json of partnersim-calibrate), "
        "relative to the current directory or absolute, whose posterior the model parameters are drawn "
        "from; empty: none",
    )
    posterior_draws: int = p(
        0, 0, 100_000, "draws taken from the posterior (a weighted resample of its particles); 0: none"
    )
    draw: int = p(-1, -1, 100_000, "the posterior draw this run takes, 0..posterior_draws-1; -1: none")


@dataclass
class Config:
    """The whole configuration of one run."""

    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    world: WorldConfig = field(default_factory=WorldConfig)
    model: ModelParams = field(default_factory=ModelParams)
    run: RunConfig = field(default_factory=RunConfig)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)


def _check_value(key: str, value: Any, f: dataclasses.Field) -> None:
    lo, hi = f.metadata.get("range", (None, None))
    choices = f.metadata.get("choices")
    if choices is not None:
        if value not in choices:
            raise ConfigError(f"{key}={value!r} is not allowed: choose one of {', '.join(choices)}")
        return
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if v != v:  # NaN
            raise ConfigError(f"{key}={value!r} is not a number")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            allowed = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
            raise ConfigError(f"{key}={value!r} is out of range: allowed {allowed}")


def _walk(obj: Any, prefix: str) -> None:
    for f in dataclasses.fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            _walk(value, key + ".")
        elif _list_type(type(obj), f.name) is not None:
            for i, item in enumerate(value):
                _walk(item, f"{key}[{i}].")
        else:
            _check_value(key, value, f)


def validate(cfg: Config) -> Config:
    """Check every value of a configuration against its declared range and choices.

    Also checks what single fields cannot: list lengths, the grid's divisibility into areas, and
    that every shock falls inside the run.

    Args:
        cfg: a Config (as built by :func:`to_config`).

    Returns:
        The same config, if valid.

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    _walk(cfg, "")
    name = cfg.scenario.name
    # The name is a folder of outputs/ (hydra.run.dir): a path would write outside it.
    if not PLAIN_NAME.fullmatch(name) or name in (".", ".."):
        raise ConfigError(
            f"scenario.name={name!r} must be a plain name: letters, digits, '_', '-' and '.', not a path"
        )
    r = cfg.run
    # The default (52) means "the last year, or the whole run if shorter"; any other value is a
    # request that a shorter run cannot honour, so it is refused rather than clipped.
    default_summary = RunConfig.__dataclass_fields__["summary_weeks"].default
    if r.summary_weeks > r.weeks and r.summary_weeks != default_summary:
        raise ConfigError(
            f"run.summary_weeks={r.summary_weeks} is more than the run's weeks: allowed 1..{r.weeks} for run.weeks={r.weeks}"
        )
    g = cfg.model.geography
    if g.cols % g.n_areas or g.rows % g.n_areas:
        raise ConfigError(f"model.geography.n_areas={g.n_areas} must divide rows={g.rows} and cols={g.cols}")
    for name in ("need_prob", "need_hours"):
        value = getattr(cfg.model.population, name)
        if len(value) != 4:
            raise ConfigError(
                f"model.population.{name}={value} must have 4 values (health, personal care, practical, social)"
            )
    _validate_experiment(cfg)
    _validate_posterior(cfg)
    _validate_world(cfg)
    for i, shock in enumerate(cfg.scenario.shocks):
        if shock.kind == "pool_withdrawal" and cfg.policy.pooled_budget_share == 0:
            raise ConfigError(
                f"scenario.shocks[{i}].kind='pool_withdrawal' needs a pool: policy.pooled_budget_share=0 must be above 0"
            )
        if shock.kind == "pool_withdrawal" and shock.agency not in ("pct", "council"):
            raise ConfigError(
                f"scenario.shocks[{i}].agency={shock.agency!r} cannot withdraw pooled money: allowed pct, council"
            )
        if shock.week >= cfg.run.weeks:
            raise ConfigError(
                f"scenario.shocks[{i}].week={shock.week} is after the last week: allowed 0..{cfg.run.weeks - 1} for run.weeks={cfg.run.weeks}"
            )
    return cfg


def numeric_levers() -> dict[str, dataclasses.Field]:
    """The policy levers that take numbers (the ones a sampled design can vary)."""
    return {
        f.name: f
        for f in dataclasses.fields(PolicyConfig)
        if isinstance(f.default, int | float) and not isinstance(f.default, bool)
    }


def design_runs(design: str, n: int, n_levers: int) -> int:
    """Number of runs of a sampled design.

    Saltelli's N(D + 2) for first and total Sobol indices, N(D + 1) for N Morris trajectories,
    1 otherwise.
    """
    if design == "sobol":
        return n * (n_levers + 2)
    if design == "morris":
        return n * (n_levers + 1)
    return 1


def _validate_experiment(cfg: Config) -> None:
    e = cfg.experiment
    if e.design in ("single", "grid"):
        return
    if e.design_n < 1:
        raise ConfigError(f"experiment.design_n={e.design_n} must be at least 1 for a {e.design} design")
    if e.design == "sobol" and e.design_n & (e.design_n - 1):
        raise ConfigError(f"experiment.design_n={e.design_n} must be a power of 2 for a sobol design")
    if not e.levers:
        raise ConfigError(f"experiment.levers={{}} must name the levers of the {e.design} design")
    allowed = numeric_levers()
    for name, bounds in e.levers.items():
        if name not in allowed:
            raise ConfigError(
                f"experiment.levers.{name} is not a numeric lever: allowed {', '.join(allowed)}"
            )
        lo, hi = allowed[name].metadata["range"]
        if len(bounds) != 2 or not (lo <= bounds[0] < bounds[1] <= hi):
            raise ConfigError(
                f"experiment.levers.{name}={list(bounds)} must be [low, high] with {lo} <= low < high <= {hi}"
            )
    n = design_runs(e.design, e.design_n, len(e.levers))
    if not 0 <= e.sample < n:
        raise ConfigError(f"experiment.sample={e.sample} is outside the design: allowed 0..{n - 1}")


def _validate_posterior(cfg: Config) -> None:
    """Check that posterior, posterior_draws and draw go together (the folder is read by the runner)."""
    e = cfg.experiment
    if not e.posterior:
        # Draws of no posterior would be one configuration run several times over, each counted
        # as a replication of its condition.
        for key, value, off in (("draw", e.draw, -1), ("posterior_draws", e.posterior_draws, 0)):
            if value != off:
                raise ConfigError(
                    f"experiment.{key}={value} needs a posterior to draw from: set experiment.posterior "
                    f"to a calibration folder, or leave experiment.{key} at {off}"
                )
        return
    if e.posterior_draws < 1:
        raise ConfigError(
            f"experiment.posterior_draws={e.posterior_draws} must be at least 1 with "
            f"experiment.posterior={e.posterior!r}: allowed 1..100000"
        )
    if not 0 <= e.draw < e.posterior_draws:
        raise ConfigError(
            f"experiment.draw={e.draw} is outside the posterior's draws: allowed 0..{e.posterior_draws - 1} "
            f"for experiment.posterior_draws={e.posterior_draws}"
        )


MIX_TOLERANCE = 1e-6
"""How far an agency's ``mix`` may sum from 1 (rounding in a YAML file)."""


def _validate_world(cfg: Config) -> None:
    """Check the world as a whole: professions known, mixes, capacities, and who covers each area."""
    w, n = cfg.world, cfg.model.geography.n_areas
    names = [prof.name for prof in w.professions]
    for i, name in enumerate(names):
        if not name.strip() or name in names[:i]:
            raise ConfigError(f"world.professions[{i}].name={name!r} must be a name no other profession has")
    if not w.agencies:
        raise ConfigError("world.agencies=[] must list the agencies of the patch")
    for i, spec in enumerate(w.agencies):
        key, profile = f"world.agencies[{i}]", SECTOR_DEFAULTS[spec.sector]
        bad = [a for a in spec.areas if a >= n]
        if bad:
            raise ConfigError(
                f"{key}.areas={spec.areas} is out of range: allowed 0..{n - 1} for model.geography.n_areas={n}"
            )
        if len(set(spec.areas)) < len(spec.areas):
            raise ConfigError(f"{key}.areas={spec.areas} names an area twice: give each area once")
        unknown = [name for name in spec.professions if name not in names]
        if unknown:
            raise ConfigError(
                f"{key}.professions={spec.professions} names an unknown profession {unknown[0]!r}: "
                f"allowed {', '.join(names)} (or add it to world.professions)"
            )
        if len(set(spec.professions)) < len(spec.professions):
            raise ConfigError(f"{key}.professions={spec.professions} names a profession twice")
        professions = spec.professions or profile.professions
        missing = [name for name in professions if name not in names]
        if missing:
            raise ConfigError(
                f"world.professions has no {missing[0]!r}, which {key} (sector {spec.sector}) employs by "
                f"default: add it, or give {key}.professions"
            )
        if spec.mix:
            if len(spec.mix) != len(professions):
                raise ConfigError(
                    f"{key}.mix={spec.mix} must have one share per profession: {len(professions)} "
                    f"for {', '.join(professions)}"
                )
            if abs(sum(spec.mix) - 1.0) > MIX_TOLERANCE:
                raise ConfigError(f"{key}.mix={spec.mix} must sum to 1: it sums to {sum(spec.mix):g}")
        if spec.staff_share is None and not profile.statutory:
            raise ConfigError(
                f"{key}.staff_share=None is not allowed for a {spec.sector} agency: give its posts as a "
                "share of model.workforce.professionals, 0..1"
            )
    sized = [s for s in w.agencies if s.staff_share is None]
    fixed = sum(
        s.staff_share for s in w.agencies if s.staff_share is not None and SECTOR_DEFAULTS[s.sector].statutory
    )
    if sized and fixed >= 1.0:
        raise ConfigError(
            f"world.agencies: the statutory agencies' staff_share add up to {fixed:g}, leaving no posts for "
            "those sized from demand (staff_share null): allowed a total below 1"
        )
    planned = plan_agencies(w, n)
    labels: dict[str, str] = {}
    for a in planned:
        if a.label in labels:
            raise ConfigError(
                f"{a.key}.name={a.label!r} is also the name of {labels[a.label]}: give each agency its own name"
            )
        labels[a.label] = a.key
    for sector, need in (("acute", 1), ("pct", 1), ("council", 1), ("voluntary", 0), ("community", 0)):
        kind = "health" if sector in HEALTH_AREA_SECTORS else "council"
        cover: dict[int, list[str]] = {area: [] for area in range(n)}
        for a in planned:
            if a.spec.sector == sector:
                for area in a.areas or range(n):
                    cover[area].append(a.key)
        for area, keys in cover.items():
            if len(keys) < need:
                raise ConfigError(
                    f"world.agencies: {kind} area {area} has no {sector} agency "
                    f"({SECTOR_DEFAULTS[sector].label.lower()}): each {kind} area (0..{n - 1}) needs exactly one"
                )
            if len(keys) > 1:
                allowed = "exactly one" if need else "at most one"
                raise ConfigError(
                    f"world.agencies: {kind} area {area} is covered by two {sector} agencies "
                    f"({keys[0]} and {keys[1]}): allowed {allowed}"
                )


def _build(cls: type, data: Any, prefix: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}={data!r} must be a mapping")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(
            f"{prefix}{unknown[0]}={data[unknown[0]]!r} is not a known key: allowed {', '.join(sorted(names))}"
        )
    kwargs = {}
    for name, value in data.items():
        f = names[name]
        sub = _dataclass_type(cls, name)
        if sub is not None:
            kwargs[name] = _build(sub, value, f"{prefix}{name}.")
        elif (item := _list_type(cls, name)) is not None:
            if not isinstance(value, list | tuple):
                raise ConfigError(f"{prefix}{name}={value!r} must be a list of {name}")
            kwargs[name] = [_build(item, s, f"{prefix}{name}[{i}].") for i, s in enumerate(value)]
        else:
            kwargs[name] = _coerce_field(f"{prefix}{name}", value, f)
    return cls(**kwargs)


def _list_type(cls: type, name: str) -> type | None:
    """The dataclass of the items of list field ``name`` of ``cls``, if it is a list of dataclasses."""
    return {
        (ScenarioConfig, "shocks"): ShockConfig,
        (WorldConfig, "agencies"): AgencySpec,
        (WorldConfig, "professions"): ProfessionSpec,
    }.get((cls, name))


def _coerce_field(key: str, value: Any, f: dataclasses.Field) -> Any:
    """Coerce ``value`` to field ``f``'s type, read from its default or, for some, its annotation.

    A field whose default is None may be null, or else takes the type its annotation names
    (``float | None``); a list of whole numbers or of names is read from its annotation
    (``list[int]``, ``list[str]``); every other field takes the type of its default.
    """
    default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    if default is None:
        if value is None:
            return None
        kind = annotation.split("|")[0].strip()
        return _coerce(key, value, {"int": 0, "float": 0.0, "str": "", "bool": False}.get(kind, value))
    if annotation in ("list[int]", "list[str]"):
        item = int if annotation == "list[int]" else str
        ok = isinstance(value, list | tuple) and all(
            (isinstance(v, item) and not isinstance(v, bool))
            or (item is int and isinstance(v, float) and v.is_integer())
            for v in value
        )
        if not ok:
            what = "whole numbers" if item is int else "names"
            raise ConfigError(f"{key}={value!r} must be a list of {what}")
        return [item(v) for v in value]
    return _coerce(key, value, default)


def _dataclass_type(cls: type, name: str) -> type | None:
    hints = {
        Config: {
            "scenario": ScenarioConfig,
            "policy": PolicyConfig,
            "world": WorldConfig,
            "model": ModelParams,
            "run": RunConfig,
            "experiment": ExperimentConfig,
        },
        ModelParams: {
            "geography": GeographyParams,
            "population": PopulationParams,
            "workforce": WorkforceParams,
            "assessment": AssessmentParams,
            "funding": FundingParams,
            "coordination": CoordinationParams,
            "outcomes": OutcomeParams,
            "trust": TrustParams,
            "culture": CultureParams,
            "loyalty": LoyaltyParams,
            "meetings": MeetingParams,
            "decisions": DecisionParams,
            "community": CommunityParams,
        },
    }
    return hints.get(cls, {}).get(name)


def _coerce(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}={value!r} must be true or false")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"{key}={value!r} must be a whole number")
    if isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{key}={value!r} must be a number")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key}={value!r} must be text")
    if isinstance(default, list):
        if isinstance(value, list | tuple) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            return [float(v) for v in value]
        raise ConfigError(f"{key}={value!r} must be a list of numbers")
    if isinstance(default, dict):
        if isinstance(value, dict):
            return {str(k): _coerce(f"{key}.{k}", v, [0.0]) for k, v in value.items()}
        raise ConfigError(f"{key}={value!r} must be a mapping")
    return value


def to_config(data: Any = None) -> Config:
    """Build and validate a :class:`Config` from a nested mapping or a Config.

    Missing keys take their defaults; unknown keys, wrong types and out-of-range values raise.
    An experiment's settings are checked but not resolved here: deriving a run's seed and, for a
    sampled design, its levers is the runner's job (:func:`runner.experiment.apply`).

    Args:
        data: a nested dict (e.g. ``{"policy": {"coterminosity": 0.7}}``), a Config, or None
            for all defaults.

    Returns:
        A validated Config.

    Raises:
        ConfigError: for the first bad key or value found.
    """
    if isinstance(data, Config):
        return validate(data)
    return validate(_build(Config, data or {}, ""))


def to_dict(cfg: Config) -> dict:
    """Return the config as plain nested dicts and lists (for summary.json)."""
    return dataclasses.asdict(cfg)
