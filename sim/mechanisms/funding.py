"""Mechanism 3: money, and whose budget pays.

Each agency is paid its annual budget in weekly instalments; pool members (primary care trusts
and councils) pay ``policy.pooled_budget_share`` of each instalment into the pool. Assessed needs
then need a funder:

- Community and voluntary partners fund the help they give from their own grants.
- Council care is means-tested: a user above the threshold declines with probability
  ``population.decline_if_charged`` (the need stays unmet) or pays and arranges care.
  Health care is free at the point of use.
- A *joint* user (needs held by both a primary care trust and a council) is funded by the pool at
  once while the pool has money: the pool removes the negotiation for the needs it covers.
- Otherwise the two agencies negotiate who pays for the personal care of a joint user. Each week
  they agree with probability

      p_agree = funding.negotiation_base * T_ab * (1 - defensiveness * (1 - L_ab))
                * (1 - funding.over_budget_refusal * max(pressure_a, pressure_b))

  where ``T_ab`` is their mutual trust, ``L_ab`` their staff's mean loyalty and ``pressure`` how
  far each is over budget. The agency under less pressure ends up paying (cost shifting). A
  dispute that lasted more than four weeks counts as a failed joint case for the professionals
  who assessed; a quick agreement as a success.
- A single agency over budget approves new packages only with probability
  ``1 - funding.over_budget_refusal * pressure``.

Sources: Willis (000) on discussing money early and on pooled resources; Arnold (001) on free
health care vs means-tested social care; Brereton & Clarke (002) on the battles of money and turf
and on budget-fixing processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import DECLINED, FUND, HEALTH, PERSONAL, SERVED, SERVICE, any_domain, cells, needs_where

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def pay_instalments(model: PartnershipModel) -> None:
    """Pay each agency its weekly budget instalment, the pool members' share into the pool."""
    weekly = model.agency_budget / 52.0
    to_pool = weekly * model.policy.pooled_budget_share * model.agency_pool_factor
    to_pool *= model.agency_is_pool_member
    model.agency_balance += weekly - to_pool
    model.pool_balance += to_pool.sum()
    model.agency_pool_stake += to_pool
    model.money["allocated"] += weekly.sum()
    model.agency_ytd_alloc += weekly
    model.agency_ytd_spend += to_pool  # a contribution to the pool is spending committed


def is_joint(model: PartnershipModel, users: np.ndarray) -> np.ndarray:
    """Whether each user has needs held by both a primary care trust and a council."""
    resp = model.pop.resp.take(users, axis=0)
    sector = np.append(model.agency_sector_code, -1)[resp]  # a need without agency (-1) reads -1
    return any_domain(sector == model.SECTOR_CODE["pct"]) & any_domain(sector == model.SECTOR_CODE["council"])


def fund(model: PartnershipModel) -> None:
    """Decide funding for every need awaiting it."""
    pop, rng, f = model.pop, model.rng, model.params.funding
    rows = model.active
    users, doms = needs_where(rows, pop.stage.take(rows, axis=0) == FUND)
    if users.size == 0:
        return
    cell = cells(users, doms)
    agencies = pop.resp.ravel()[cell]
    stage, funder = pop.stage.ravel(), pop.funder.ravel()

    # Voluntary and community partners: own grants.
    statutory = model.agency_statutory[agencies]
    if not statutory.all():
        _approve(model, users[~statutory], cell[~statutory], agencies[~statutory])
        users, doms, cell, agencies = users[statutory], doms[statutory], cell[statutory], agencies[statutory]

    # Means test for council care.
    charged = model.agency_sector_council[agencies] & pop.means[users]
    if charged.any():
        decline = charged & (rng.random(users.size) < model.params.population.decline_if_charged)
        pays = charged & ~decline
        stage[cell[decline]] = DECLINED
        stage[cell[pays]] = SERVED
        funder[cell[pays]] = model.SELF
        model.trace(users, "declined charged care", agencies, where=decline)
        model.trace(users, "pays for own care", agencies, where=pays)
        keep = ~charged
        users, doms, cell, agencies = users[keep], doms[keep], cell[keep], agencies[keep]

    joint = is_joint(model, users)
    pooled = joint & (model.pool_balance > 0) & (model.policy.pooled_budget_share > 0)
    if pooled.any():
        funder[cell[pooled]] = model.POOL
        stage[cell[pooled]] = SERVICE
        model.trace(users, "funded from the pooled budget", agencies, where=pooled)
    negotiate = joint & ~pooled & (doms == PERSONAL)
    single = (~pooled & ~negotiate).nonzero()[0]
    pressure = model.agency_pressure[agencies[single]]
    ok = single[rng.random(single.size) < 1.0 - f.over_budget_refusal * pressure]
    _approve(model, users[ok], cell[ok], agencies[ok])
    _negotiate(model, users[negotiate])


def _approve(model: PartnershipModel, users: np.ndarray, cell: np.ndarray, funders: np.ndarray) -> None:
    """Fund the needs ``cell`` (of ``users``) by ``funders``: they now await service."""
    if users.size == 0:
        return
    model.pop.funder.ravel()[cell] = funders
    model.pop.stage.ravel()[cell] = SERVICE
    model.trace(users, "funding agreed", funders)


def _negotiate(model: PartnershipModel, users: np.ndarray) -> None:
    if users.size == 0:
        return
    pop, f = model.pop, model.params.funding
    council = pop.resp[users, PERSONAL]
    pct = model.pct_of[pop.health_area[users]]
    trust = 0.5 * (model.agency_trust[council, pct] + model.agency_trust[pct, council])
    loyalty = 0.5 * (model.agency_loyalty[council] + model.agency_loyalty[pct])
    pressure = np.maximum(model.agency_pressure[council], model.agency_pressure[pct])
    p = (
        f.negotiation_base
        * trust
        * (1.0 - model.params.defensiveness * (1.0 - loyalty))
        * (1.0 - f.over_budget_refusal * pressure)
    )
    agree = model.rng.random(users.size) < p
    pop.dispute_weeks[users[~agree]] += 1
    model.counters["disputes_week"] += users.size - int(np.count_nonzero(agree))
    model.trace(users, "agencies dispute who pays", council, where=~agree)
    if not agree.any():
        return
    done, c, h = users[agree], council[agree], pct[agree]
    shifted = model.agency_pressure[c] > model.agency_pressure[h]
    _approve(model, done, cells(done, PERSONAL), np.where(shifted, h, c))
    quick = pop.dispute_weeks[done] <= 4
    # The council's key professional for personal care, and the PCT's for health.
    doms = np.repeat((PERSONAL, HEALTH), done.size)
    both = model.staff_for(np.concatenate((done, done)), doms, np.concatenate((c, h)))
    model.record_pairs(both[: done.size], both[done.size :], quick, done)
