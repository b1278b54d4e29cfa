"""Dated shocks: what each kind does on its week.

- ``pool_withdrawal``: the first pool member of sector ``agency`` (in the order of the world's
  agencies, ``world.agencies``) takes ``share`` of its pooled money back (see
  :func:`sim.mechanisms.decisions.withdraw`).
- ``budget_cut``: every agency of sector ``agency`` loses ``share`` of its budget.
- ``reorganisation``: the health boundaries of ``share`` of the localities are redrawn from the
  coterminosity lever; users whose primary care trust changes are referred again for health,
  and ``share`` of the professionals lose their working relationships (trust back to neutral,
  shared understanding halved).
- ``staff_turnover``: ``share`` of the professionals leave at once.

Sources: Willis (000) on the Wiltshire PCTs' withdrawal; Arnold (001) on top-slicing;
Brereton & Clarke (002) on boundaries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import geography
from sim.config import SHOCK_KINDS, ConfigError
from sim.mechanisms import decisions, workforce
from sim.population import ASSESS, HEALTH

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def apply_due(model: PartnershipModel) -> None:
    """Apply every shock dated this week, in the order listed."""
    for shock in model.config.scenario.shocks:
        if shock.week == model.week:
            APPLY[shock.kind](model, shock)
            model.shock_weeks.append(shock.week)


def _sector_agencies(model: PartnershipModel, sector: str) -> list[int]:
    return [a.index for a in model.agency_list if a.sector == sector]


def pool_withdrawal(model: PartnershipModel, shock) -> None:
    """A pool member takes part of its pooled money back."""
    members = [a for a in _sector_agencies(model, shock.agency) if model.agency_is_pool_member[a]]
    if not members:
        raise ConfigError(
            f"scenario.shocks: pool_withdrawal agency={shock.agency!r} is not a pool member: "
            "choose pct or council"
        )
    decisions.withdraw(model, members[0], shock.share)


def budget_cut(model: PartnershipModel, shock) -> None:
    """Cut the budgets of a sector's agencies."""
    for a in _sector_agencies(model, shock.agency):
        model.agency_budget[a] *= 1.0 - shock.share
        model.log.trace_all(f"budget of {model.agency_list[a].label} cut by {shock.share:.0%}", a)


def reorganisation(model: PartnershipModel, shock) -> None:
    """Redraw part of the health boundaries and disrupt working relationships."""
    geo, rng, pop, s = model.geo, model.streams.shocks, model.pop, model.staff
    which = rng.random(geo.n_localities) < shock.share
    model.geo = geography.redraw(
        geo.rows,
        geo.cols,
        geo.n_areas,
        geo.council,
        geography.crossing_areas(geo),
        which,
        geo.health,
        model.policy.coterminosity,
        rng,
    )
    rows = pop.active_rows()
    moved = rows[which[pop.locality[rows]]]
    old = pop.health_area[moved].copy()
    pop.health_area[moved] = model.geo.health[pop.locality[moved]]
    pop.alignment[rows] = model.geo.alignment[pop.health_area[rows], pop.council[rows]]
    changed = moved[(pop.health_area[moved] != old) & (pop.hours[moved, HEALTH] > 0)]
    pop.resp[changed, HEALTH] = model.pct_of[pop.health_area[changed]]
    pop.stage[changed, HEALTH] = ASSESS
    pop.assessed_by[changed, HEALTH] = -1
    pop.panel_done[changed, HEALTH] = False
    pop.key[changed, HEALTH] = -1
    pop.funder[changed, HEALTH] = -1
    pop.wait_start[changed] = model.week
    hit = np.flatnonzero(s.in_post & (rng.random(s.n) < shock.share))
    s.trust[hit] = model.params.trust.neutral
    s.trust[hit, s.employer[hit]] = 1.0
    s.understanding[hit] *= 0.5
    s.understanding[hit, s.profession[hit]] = 1.0
    model.log.trace_all(f"reorganisation: {which.mean():.0%} of localities move health area", -1)


def staff_turnover(model: PartnershipModel, shock) -> None:
    """A share of professionals leave at once."""
    s = model.staff
    leavers = np.flatnonzero(s.in_post & (model.streams.shocks.random(s.n) < shock.share))
    workforce.leave(model, leavers)
    model.log.trace_all(f"{leavers.size} professionals leave", -1)


# The kinds are named once, in the schema; here each gets its function, in the schema's order.
APPLY = dict(zip(SHOCK_KINDS, (pool_withdrawal, budget_cut, reorganisation, staff_turnover), strict=True))
