"""Agencies and professionals: the Mesa agents of the model.

Their numeric state that every week touches (trust towards each agency, loyalty, culture, shared
understanding, morale, hours) lives in the model's arrays, one row per professional, so that a
mechanism updates all of them in one numpy operation. A professional is the Mesa agent holding
one row; the decisions that are genuinely per agent (an agency setting its budget, reviewing its
pool contribution) are methods called through ``AgentSet.shuffle_do``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.config import SECTOR_DEFAULTS, PlannedAgency, WorldConfig
from sim.mechanisms import decisions

if TYPE_CHECKING:
    from sim.model import PartnershipModel

# The sectors' roles and defaults, and the default world's professions, as plain dicts and a tuple
# (for code that reads them by name). They are defined once, in the schema (sim/config.py:
# SECTOR_DEFAULTS, WorldConfig.professions); a run's professions are ``model.professions``, from
# its configured world, and each agency's own settings are on the Agency.
SECTOR_PROFILE = {
    sector: {
        "label": profile.label,
        "statutory": profile.statutory,
        "health": profile.health,
        "budget_week": profile.budget_week,
        "info_quality": profile.info_quality,
        "professions": profile.professions,
        "org_culture": profile.culture,
    }
    for sector, profile in SECTOR_DEFAULTS.items()
}

# Norm of each profession of the default world on the medical (0) to social (1) model axis, and
# whether it is a front-line job comparable across agencies (for pay comparisons).
PROFESSION_NORM = {prof.name: (prof.norm, prof.frontline) for prof in WorldConfig().professions}
PROFESSIONS = tuple(PROFESSION_NORM)


class Agency(mesa.Agent):
    """An organisation taking part in the partnership, built from its entry in the world's config.

    An acute trust, a primary care trust, a council's social services, a voluntary sector agency
    or community and faith groups (``world.agencies``, see :class:`sim.config.AgencySpec`). A
    setting its spec leaves null takes its sector's default (:data:`sim.config.SECTOR_DEFAULTS`)
    or the model-wide setting.

    Attributes:
        index: row of the agency in the model's agency arrays.
        sector: one of :data:`sim.config.SECTORS`.
        label: its name in outputs.
        areas: the health areas (acute trust, PCT) or council areas (the others) it covers; empty
            for the whole patch.
        area: the one area it covers, or -1 when it covers several or the whole patch.
        statutory, health, pool_member: its sector's role.
        budget_week: week of the year on which it sets its budget (its own calendar).
        info_quality: quality of its information system.
        culture: its organisational culture (culture dimension 1).
        professions: the professions it employs; ``mix``: the share of its posts in each.
        staff_share: its posts as a share of ``model.workforce.professionals``, or None when sized
            from expected demand.
        pay: its staff's pay relative to council staff, or None for its sector's rule.
        defensiveness: how defensive it is of its turf and budget.
        joint_weight: the weight of joint outcomes in its performance regime.
    """

    def __init__(self, model: PartnershipModel, index: int, plan: PlannedAgency):
        """Create an agency.

        Args:
            model: the model (its ``params`` and ``policy`` fill the settings left null).
            index: row in the agency arrays.
            plan: the agency's spec, areas and label (:func:`sim.config.plan_agencies`).
        """
        super().__init__(model)
        spec, profile = plan.spec, plan.profile
        self.index = index
        self.sector = spec.sector
        self.label = plan.label
        self.areas = plan.areas
        self.area = plan.areas[0] if len(plan.areas) == 1 else -1
        self.statutory = profile.statutory
        self.health = profile.health
        self.pool_member = profile.pool_member
        self.budget_week = _or(spec.budget_week, profile.budget_week)
        self.info_quality = _or(spec.info_quality, profile.info_quality)
        self.culture = _or(spec.culture, profile.culture)
        self.professions = tuple(spec.professions) or profile.professions
        if spec.mix:
            self.mix = tuple(spec.mix)
        elif spec.professions:
            self.mix = (1.0 / len(self.professions),) * len(self.professions)
        else:
            self.mix = profile.mix
        self.staff_share = spec.staff_share
        self.pay = spec.pay
        self.defensiveness = _or(spec.defensiveness, model.params.defensiveness)
        default_weight = model.policy.joint_indicators if self.statutory else 0.5
        self.joint_weight = _or(spec.joint_weight, default_weight)

    def decide(self) -> None:
        """Take this week's decisions, if the agency's calendar says so (mechanism 10)."""
        week_of_year = self.model.week % 52
        if week_of_year == self.budget_week:
            decisions.set_budget(self.model, self.index)
        if self.pool_member and (week_of_year - self.budget_week) % 13 == 0:
            decisions.review_pool(self.model, self.index)


def _or(value, default):
    """``value``, or ``default`` when it is None."""
    return default if value is None else value


class Professional(mesa.Agent):
    """A professional employed by one agency, holding a row of the model's staff arrays.

    Attributes:
        row: the row in ``model.staff``.
    """

    def __init__(self, model: PartnershipModel, row: int):
        """Create a professional bound to a row of the staff arrays.

        Args:
            model: the model.
            row: the row this professional owns.
        """
        super().__init__(model)
        self.row = row
