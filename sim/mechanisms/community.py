"""Mechanism 11: involving the right people, and who is responsible for which need.

Health needs belong to the primary care trust of the user's GP; personal care to the council of
the user's locality. Practical help and social contact belong to the council, unless
``policy.community_partners`` is on: then the voluntary sector takes practical help and
community and faith groups take social contact (``practical_of`` and ``social_of``, per council
area), at ``community.cost_share`` of the statutory cost and with their own workers (their
``staff_share`` in the world's config). They add an agency to the case, so more coordination,
which is the price of involving them.

User involvement (``policy.user_involvement``) improves the fit of services to needs: the share
of a delivered service that actually meets the need is ``1 - community.misfit * (1 -
user_involvement)``, and packages cost ``funding.user_involvement_saving * user_involvement``
less.

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
    """Share of a delivered service that meets the need, given user involvement."""
    return 1.0 - world.params.community.misfit * (1.0 - world.policy.user_involvement)


def weekly_cost(world: Caseload, hours: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    """Weekly cost in pounds of care packages of ``hours`` casework hours a week, by ``agencies``."""
    f = world.params.funding
    per_hour = f.care_multiplier * f.cost_per_hour
    per_hour *= 1.0 - f.user_involvement_saving * world.policy.user_involvement
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
