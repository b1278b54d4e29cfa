"""What each mechanism may touch: the model as the mechanisms see it, one Protocol per need.

The mechanisms never import :mod:`sim.model`. Those that touch one or two things take them
directly (:mod:`sim.mechanisms.trust` and :mod:`sim.mechanisms.culture` take the staff arrays,
the event log and their parameters). The others take one argument typed by a Protocol below,
which names exactly the state they read and write; :class:`sim.model.PartnershipModel` satisfies
all of them. Behaviour lives with the state: choosing professionals and charging their hours in
:class:`sim.staff.Workforce`, counting, joint cases and the traced journey in
:class:`sim.events.EventLog`, users' arrays in :class:`sim.population.Population`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from sim.config import ModelParams, PolicyConfig
    from sim.events import EventLog
    from sim.geography import Geography
    from sim.mechanisms.coordination import Coordinated, Ongoing
    from sim.population import Population
    from sim.staff import Staff, Workforce
    from sim.streams import RandomStreams


class Setting(Protocol):
    """What every mechanism may read: the week, the random streams and the parameters."""

    week: int
    streams: RandomStreams
    params: ModelParams
    policy: PolicyConfig


class Agencies(Protocol):
    """The agencies as arrays indexed by agency, and their relations (means over their staff).

    ``POOL`` and ``SELF`` are the funder codes of the pooled budget and of a self-funder, after the
    agencies' indices. ``acute_of`` and ``pct_of`` give the agency of each health area,
    ``council_of``, ``practical_of`` and ``social_of`` the agency holding personal care, practical
    help and social contact in each council area.
    """

    n_agencies: int
    POOL: int
    SELF: int
    acute_of: np.ndarray
    pct_of: np.ndarray
    council_of: np.ndarray
    practical_of: np.ndarray
    social_of: np.ndarray
    agency_statutory: np.ndarray
    agency_sector_council: np.ndarray
    agency_is_pool_member: np.ndarray
    agency_joint_weight: np.ndarray
    agency_defensiveness: np.ndarray
    records: np.ndarray
    agency_trust: np.ndarray
    agency_loyalty: np.ndarray


class Accounts(Protocol):
    """The agencies' money: budgets, balances, year-to-date accounts, pressure and the pool."""

    agency_budget: np.ndarray
    agency_balance: np.ndarray
    agency_ytd_alloc: np.ndarray
    agency_ytd_spend: np.ndarray
    agency_pressure: np.ndarray
    agency_pool_stake: np.ndarray
    agency_pool_factor: np.ndarray
    pool_balance: float
    pool_spend_rate: float
    money: dict[str, float]
    week_spend: float


class Caseload(Setting, Agencies, Protocol):
    """Users and who serves them: arrivals, responsibility, outcomes."""

    pop: Population
    geo: Geography
    active: np.ndarray
    workforce: Workforce
    log: EventLog
    week_unmet: dict[str, float]


class Casework(Caseload, Protocol):
    """Caseload with the week's split of casework hours: assessment and the workforce's week."""

    new_hours: np.ndarray
    ongoing: Ongoing | None
    coordinated: Coordinated | None


class Delivery(Casework, Accounts, Protocol):
    """Casework with the money that pays for it: funding and delivery."""


class Decisions(Setting, Agencies, Accounts, Protocol):
    """What agencies' calendar decisions touch: their accounts, their staff (a withdrawal shatters trust)."""

    staff: Staff
    log: EventLog


class Loyalty(Setting, Protocol):
    """What the loyalty mechanism reads besides the staff: the week's events and the regimes."""

    staff: Staff
    log: EventLog
    agency_joint_weight: np.ndarray


class Meetings(Setting, Protocol):
    """Partnership meetings and joint training: rooms, hours and who is invited.

    Rooms per patch, hours from the workforce, and the live cases that decide who a targeted
    meeting invites.
    """

    workforce: Workforce
    geo: Geography
    pop: Population
    active: np.ndarray
    agency_statutory: np.ndarray
    n_agencies: int
    meeting_rooms: list[np.ndarray]
    week_meeting_hours: float
    week_training_hours: float
