"""Mechanism 11: involving the right people, and who is responsible for which need.

Health needs belong to the primary care trust of the user's GP; personal care to the council of
the user's locality. Practical help and social contact belong to the council, unless
``policy.community_partners`` is on: then the voluntary sector takes practical help and
community and faith groups take social contact (``practical_of`` and ``social_of``, per council
area), at ``community.cost_share`` of the statutory cost and with their own workers (their
``staff_share`` in the world's config). Their help is light-touch: it needs no formal
assessment, no panel and no coordination with the statutory agencies
(:func:`sim.mechanisms.coordination.coordinate`).

User involvement (``policy.user_involvement``) improves the fit of services to needs, at a cost
in time. A package must supply ``1 / fit`` hours for each hour of need, with ``fit = 1 -
community.misfit * (1 - user_involvement)``: a poor fit wastes professional hours and money (the
package costs more and takes more casework) rather than being defined away. Involving the user
takes time: each assessment takes ``community.involvement_hours * user_involvement`` hours more.

Sources: Willis (000) on neighbours, faith groups and voluntary organisations, and on joint
working not only concerning professional staff; Brereton & Clarke (002) on user groups knowing
better what is required.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import HEALTH, PERSONAL, PRACTICAL, SOCIAL

if TYPE_CHECKING:
    from sim.world import Caseload, Setting


def assign_responsibility(world: Caseload, rows: np.ndarray) -> None:
    """Set the agency responsible for each need of the given users.

    Args:
        world: the model's state this mechanism touches.
        rows: user rows.
    """
    pop = world.pop
    area = pop.council.take(rows)
    resp = np.empty((rows.size, 4), np.intp)
    resp[:, HEALTH] = world.pct_of.take(pop.health_area.take(rows))
    resp[:, PERSONAL] = world.council_of.take(area)
    resp[:, PRACTICAL] = world.practical_of.take(area)
    resp[:, SOCIAL] = world.social_of.take(area)
    resp[pop.hours.take(rows, axis=0) <= 0] = -1  # no need (hours are never negative): no agency
    pop.resp[rows] = resp


def fit(world: Setting) -> float:
    """Share of a package's hours that meets the need, given user involvement."""
    return 1.0 - world.params.community.misfit * (1.0 - world.policy.user_involvement)


def waste(world: Setting) -> float:
    """Package hours needed per hour of need: ``1 / fit``, the hours a poor fit wastes included."""
    return 1.0 / fit(world)


def involvement_hours(world: Setting) -> float:
    """Extra professional hours an assessment takes to involve the user in shaping the package."""
    return world.params.community.involvement_hours * world.policy.user_involvement


def weekly_cost(world: Caseload, hours: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    """Weekly cost in pounds of care packages of ``hours`` casework hours a week, by ``agencies``."""
    f = world.params.funding
    per_hour = f.care_multiplier * f.cost_per_hour
    # Voluntary and community partners provide at a fraction of the statutory cost.
    rate = np.where(world.agency_statutory, per_hour, per_hour * world.params.community.cost_share)
    return hours * rate[agencies]


def fund_established(world: Caseload, rows: np.ndarray) -> None:
    """Give an established caseload its funders.

    Self-funders pay for council care; the rest is paid by the responsible agency.
    """
    pop = world.pop
    funder = pop.resp[rows].copy()
    council_need = world.agency_sector_council[np.maximum(funder, 0)] & (funder >= 0)
    funder[council_need & pop.means[rows, None]] = world.SELF
    pop.funder[rows] = funder
