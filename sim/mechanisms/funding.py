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

from sim.population import DECLINED, FUND, HEALTH, PERSONAL, SERVED, SERVICE

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def pay_instalments(model: PartnershipModel) -> None:
    """Pay each agency its weekly budget instalment, the pool members' share into the pool."""
    weekly = model.agency_budget / 52.0
    to_pool = weekly * model.policy.pooled_budget_share * model.agency_pool_factor * model.agency_is_pool_member
    model.agency_balance += weekly - to_pool
    model.pool_balance += to_pool.sum()
    model.agency_pool_stake += to_pool
    model.money["allocated"] += weekly.sum()
    model.agency_ytd_alloc += weekly
    model.agency_ytd_spend += to_pool  # a contribution to the pool is spending committed


def is_joint(model: PartnershipModel, users: np.ndarray) -> np.ndarray:
    """Whether each user has needs held by both a primary care trust and a council."""
    resp = model.pop.resp[users]
    valid = resp >= 0
    sector = model.agency_sector_code[np.maximum(resp, 0)]
    pct = (valid & (sector == model.SECTOR_CODE["pct"])).any(axis=1)
    council = (valid & (sector == model.SECTOR_CODE["council"])).any(axis=1)
    return pct & council


def fund(model: PartnershipModel) -> None:
    """Decide funding for every need awaiting it."""
    pop, rng, f = model.pop, model.rng, model.params.funding
    rows = model.active
    u_idx, d_idx = np.nonzero(pop.stage[rows] == FUND)
    if u_idx.size == 0:
        return
    users, doms = rows[u_idx], d_idx
    agencies = pop.resp[users, doms]
    statutory = model.agency_statutory[agencies]

    # Voluntary and community partners: own grants.
    _approve(model, users[~statutory], doms[~statutory], agencies[~statutory])
    users, doms, agencies = users[statutory], doms[statutory], agencies[statutory]

    # Means test for council care.
    charged = model.agency_sector_council[agencies] & pop.means[users]
    decline = charged & (rng.random(users.size) < model.params.population.decline_if_charged)
    pop.stage[users[decline], doms[decline]] = DECLINED
    model.trace(users[decline], "declined charged care", agencies[decline])
    pays = charged & ~decline
    pop.stage[users[pays], doms[pays]] = SERVED
    pop.funder[users[pays], doms[pays]] = model.SELF
    model.trace(users[pays], "pays for own care", agencies[pays])
    keep = ~charged
    users, doms, agencies = users[keep], doms[keep], agencies[keep]

    joint = is_joint(model, users)
    pooled = joint & (model.pool_balance > 0) & (model.policy.pooled_budget_share > 0)
    if pooled.any():
        pop.funder[users[pooled], doms[pooled]] = model.POOL
        pop.stage[users[pooled], doms[pooled]] = SERVICE
        model.trace(users[pooled], "funded from the pooled budget", agencies[pooled])
    negotiate = joint & ~pooled & (doms == PERSONAL)
    single = ~pooled & ~negotiate
    pressure = model.agency_pressure[agencies[single]]
    ok = rng.random(single.sum()) < 1.0 - f.over_budget_refusal * pressure
    _approve(model, users[single][ok], doms[single][ok], agencies[single][ok])
    _negotiate(model, users[negotiate])


def _approve(model: PartnershipModel, users, doms, funders) -> None:
    if users.size == 0:
        return
    model.pop.funder[users, doms] = funders
    model.pop.stage[users, doms] = SERVICE
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
    model.counters["disputes_week"] += int((~agree).sum())
    model.trace(users[~agree], "agencies dispute who pays", council[~agree])
    if not agree.any():
        return
    done, c, h = users[agree], council[agree], pct[agree]
    shifted = model.agency_pressure[c] > model.agency_pressure[h]
    _approve(model, done, np.full(done.size, PERSONAL), np.where(shifted, h, c))
    quick = pop.dispute_weeks[done] <= 4
    i = model.staff_for(done, PERSONAL, c)
    j = model.staff_for(done, HEALTH, h)
    model.record_pairs(i, j, quick, done)
