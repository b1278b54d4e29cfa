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

from sim.mechanisms import decisions

if TYPE_CHECKING:
    from sim.model import PartnershipModel

# Sector profiles. Sources: Arnold (001) on free vs means-tested care, 20+ NHS professions vs one
# social care profession, national vs local, different pay; Brereton & Clarke (002) on different
# cultures, budget-fixing processes and information systems.
SECTOR_PROFILE = {
    "acute": {
        "label": "Acute NHS trust",
        "statutory": True,
        "health": True,
        "budget_week": 0,
        "info_quality": 0.5,
        "professions": ("hospital doctor", "ward nurse", "discharge coordinator"),
        "org_culture": 0.25,
    },
    "pct": {
        "label": "Primary care trust",
        "statutory": True,
        "health": True,
        "budget_week": 4,
        "info_quality": 0.4,
        "professions": ("GP", "district nurse", "therapist"),
        "org_culture": 0.35,
    },
    "council": {
        "label": "Council social services",
        "statutory": True,
        "health": False,
        "budget_week": 48,
        "info_quality": 0.8,
        "professions": ("social worker", "care manager", "occupational therapist"),
        "org_culture": 0.75,
    },
    "voluntary": {
        "label": "Voluntary sector",
        "statutory": False,
        "health": False,
        "budget_week": 26,
        "info_quality": 0.3,
        "professions": ("voluntary sector worker",),
        "org_culture": 0.15,
    },
    "community": {
        "label": "Community and faith groups",
        "statutory": False,
        "health": False,
        "budget_week": 26,
        "info_quality": 0.2,
        "professions": ("community worker",),
        "org_culture": 0.1,
    },
}

# Norm of each profession on the medical (0) to social (1) model axis, and whether it is a
# front-line job comparable across agencies (for pay comparisons).
PROFESSION_NORM = {
    "hospital doctor": (0.05, False),
    "ward nurse": (0.35, True),
    "discharge coordinator": (0.45, True),
    "GP": (0.15, False),
    "district nurse": (0.4, True),
    "therapist": (0.5, True),
    "social worker": (0.85, True),
    "care manager": (0.7, True),
    "occupational therapist": (0.55, True),
    "voluntary sector worker": (0.8, True),
    "community worker": (0.9, True),
}
PROFESSIONS = tuple(PROFESSION_NORM)


class Agency(mesa.Agent):
    """An organisation taking part in the partnership.

    An acute trust, a primary care trust, a council's social services, the voluntary sector or
    community and faith groups.

    Attributes:
        index: row of the agency in the model's agency arrays.
        sector: one of ``SECTOR_PROFILE``.
        area: the council or health area it covers, or -1 for the whole patch.
        budget_week: week of the year on which it sets its budget (its own calendar).
        pool_member: whether it pays into the pooled budget.
    """

    def __init__(self, model: PartnershipModel, index: int, sector: str, area: int):
        """Create an agency.

        Args:
            model: the model.
            index: row in the agency arrays.
            sector: sector name.
            area: area covered, or -1 for all.
        """
        super().__init__(model)
        profile = SECTOR_PROFILE[sector]
        self.index = index
        self.sector = sector
        self.area = area
        self.label = profile["label"] + (f" {area + 1}" if area >= 0 else "")
        self.statutory = profile["statutory"]
        self.budget_week = profile["budget_week"]
        self.info_quality = profile["info_quality"]
        self.pool_member = sector in ("pct", "council")

    def decide(self) -> None:
        """Take this week's decisions, if the agency's calendar says so (mechanism 10)."""
        week_of_year = self.model.week % 52
        if week_of_year == self.budget_week:
            decisions.set_budget(self.model, self.index)
        if self.pool_member and (week_of_year - self.budget_week) % 13 == 0:
            decisions.review_pool(self.model, self.index)


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
