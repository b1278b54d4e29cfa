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

  where ``T_ab`` is their mutual trust, ``L_ab`` their staff's mean loyalty, ``defensiveness``
  the larger of the two agencies' own (a deal needs both: the more defensive side holds it up)
  and ``pressure`` how far each is over budget. The agency under less pressure ends up paying
  (cost shifting). A dispute that lasted more than four weeks counts as a failed joint case for
  the professionals who assessed; a quick agreement as a success.
- A single agency over budget approves new packages only with probability
  ``1 - funding.over_budget_refusal * pressure``.

Sources: Willis (000) on discussing money early and on pooled resources; Arnold (001) on free
health care vs means-tested social care; Brereton & Clarke (002) on the battles of money and turf
and on budget-fixing processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import DECLINED, FUND, HEALTH, PERSONAL, SERVED, SERVICE, cells

if TYPE_CHECKING:
    from sim.world import Caseload, Delivery


def pay_instalments(world: Delivery) -> None:
    """Pay each agency its weekly budget instalment, the pool members' share into the pool."""
    weekly = world.agency_budget / 52.0
    to_pool = weekly * world.policy.pooled_budget_share * world.agency_pool_factor
    to_pool *= world.agency_is_pool_member
    world.agency_balance += weekly - to_pool
    world.pool_balance += to_pool.sum()
    world.agency_pool_stake += to_pool
    world.money["allocated"] += weekly.sum()
    world.agency_ytd_alloc += weekly
    world.agency_ytd_spend += to_pool  # a contribution to the pool is spending committed


def is_joint(world: Caseload, users: np.ndarray) -> np.ndarray:
    """Whether each user has needs held by both a primary care trust and a council."""
    # One byte per agency: 1 for a primary care trust, 2 for a council, and 0 for the rest and at
    # the end (read by a need without agency, -1).
    side = np.zeros(world.n_agencies + 1, np.int8)
    side[world.pct_of] = 1
    side[world.council_of] = 2
    # A user's four needs as the four bytes of one 32-bit integer.
    held = side.take(world.pop.resp.take(users, axis=0)).view(np.int32).ravel()
    return np.logical_and(held & 0x01010101, held & 0x02020202)


def fund(world: Delivery) -> None:
    """Decide funding for every need awaiting it."""
    pop, rng = world.pop, world.streams.funding
    rows = world.active
    # The needs awaiting funding, as flat indices k into [rows, 4 domains]: row k >> 2, domain k & 3.
    k = (pop.stage.take(rows, axis=0) == FUND).ravel().nonzero()[0]
    if k.size == 0:
        return
    users, doms = rows[k >> 2], k & 3
    cell = cells(users, doms)
    agencies = pop.resp.ravel()[cell]
    stage, funder = pop.stage.ravel(), pop.funder.ravel()

    # Voluntary and community partners (if any): own grants.
    if np.count_nonzero(world.agency_statutory) < world.n_agencies:
        statutory = world.agency_statutory[agencies]
        _approve(world, users[~statutory], cell[~statutory], agencies[~statutory])
        users, doms, cell, agencies = users[statutory], doms[statutory], cell[statutory], agencies[statutory]

    # Means test for council care.
    charged = world.agency_sector_council[agencies] & pop.means[users]
    if np.count_nonzero(charged):
        decline = charged & (rng.random(users.size) < world.params.population.decline_if_charged)
        pays = charged ^ decline  # (decline is within charged)
        stage[cell[decline]] = DECLINED
        paying = cell[pays]
        stage[paying] = SERVED
        funder[paying] = world.SELF
        world.log.trace(users, "declined charged care", agencies, where=decline, needs=cell)
        world.log.trace(users, "pays for own care", agencies, where=pays, needs=cell)

    # The needs not charged: the pool, a negotiation between two agencies, or one agency pays.
    joint = is_joint(world, users) & ~charged
    if world.pool_balance > 0 and world.policy.pooled_budget_share > 0:
        # The pool funds joint users' needs at once: nothing to negotiate.
        if np.count_nonzero(joint):
            pooled = cell[joint]
            funder[pooled] = world.POOL
            stage[pooled] = SERVICE
            world.log.trace(users, "funded from the pooled budget", agencies, where=joint, needs=cell)
        single = (~(joint | charged)).nonzero()[0]
        negotiate = single[:0]  # none
    else:
        negotiate = joint & (doms == PERSONAL)
        single = (~(negotiate | charged)).nonzero()[0]
        negotiate = negotiate.nonzero()[0]
    # A single agency over budget approves with chance 1 - over_budget_refusal * pressure.
    approve = 1.0 - world.params.funding.over_budget_refusal * world.agency_pressure
    ok = single[rng.random(single.size) < approve[agencies[single]]]
    _approve(world, users[ok], cell[ok], agencies[ok])
    _negotiate(world, users[negotiate], agencies[negotiate], cell[negotiate])


def _approve(world: Delivery, users: np.ndarray, cell: np.ndarray, funders: np.ndarray) -> None:
    """Fund the needs ``cell`` (of ``users``) by ``funders``: they now await service."""
    if users.size == 0:
        return
    world.pop.funder.ravel()[cell] = funders
    world.pop.stage.ravel()[cell] = SERVICE
    world.log.trace(users, "funding agreed", funders, needs=cell)


# The domains of the council's and the PCT's key professionals, for np.repeat.
_PERSONAL_HEALTH = np.array([PERSONAL, HEALTH])


def _negotiate(world: Delivery, users: np.ndarray, council: np.ndarray, cell: np.ndarray) -> None:
    """Negotiate who pays for the personal care (``cell``, held by ``council``) of joint ``users``."""
    if users.size == 0:
        return
    pop, f = world.pop, world.params.funding
    pct = world.pct_of.take(pop.health_area[users])
    # The chance that two agencies agree, for every pair (then read for each council and PCT).
    trust, loyalty, pressure = world.agency_trust, world.agency_loyalty, world.agency_pressure
    defensive = np.maximum.outer(world.agency_defensiveness, world.agency_defensiveness)  # the larger
    p = (
        f.negotiation_base
        * (0.5 * (trust + trust.T))
        * (1.0 - defensive * (1.0 - 0.5 * (loyalty[:, None] + loyalty)))
        * (1.0 - f.over_budget_refusal * np.maximum.outer(pressure, pressure))
    )
    agree = world.streams.funding.random(users.size) < p[council, pct]
    dispute = ~agree
    pop.dispute_weeks[users] += dispute  # (each user once)
    n_agree = int(np.count_nonzero(agree))
    world.log.counters["disputes_week"] += users.size - n_agree
    world.log.trace(users, "agencies dispute who pays", council, where=dispute, needs=cell)
    if n_agree == 0:
        return
    ok = agree.nonzero()[0]
    done, c, h = users[ok], council[ok], pct[ok]
    shifted = pressure[c] > pressure[h]
    _approve(world, done, cell[ok], np.where(shifted, h, c))
    quick = pop.dispute_weeks[done] <= 4
    # The council's key professional for personal care, and the PCT's for health.
    key = pop.key.ravel()[cells(np.concatenate((done, done)), _PERSONAL_HEALTH.repeat(done.size))]
    both = world.workforce.key_workers(key, np.concatenate((c, h)))
    world.log.joint_case(both[: done.size], both[done.size :], quick, done)
