"""Mechanism 3: money, and whose budget pays.

Each agency is paid its annual budget in weekly instalments; pool members (primary care trusts
and councils) pay ``policy.pooled_budget_share`` of each instalment into the pool. Assessed needs
then need a funder:

- Community and voluntary partners fund the help they give from their own grants.
- Council care is means-tested: a user above the threshold declines with probability
  ``population.decline_if_charged`` (the need stays unmet) or pays and arranges care.
  Health care is free at the point of use.
- Every other need queues for its agency's funding panel (one decision per user and agency, in
  priority order, as far as the agency's hours for new work and ``funding.panel_share`` allow;
  see :func:`fund`).
- Under a pool, a *joint* user's need (needs held by both a primary care trust and a council) is
  in the pool's scope while the pool has money and what it funds fits in the members' weekly
  contributions (:func:`_in_scope`); the pool then removes the question of who pays, but the
  other member must sign off the user's eligibility: let the agency asking commit pooled money
  on its behalf (Brereton & Clarke's test of partnership). It does so each week with chance
  ``T_ba * (1 - d_b * (1 - L_b))``, its trust in the agency asking times its commitment to the
  partnership over its own turf, and contests it otherwise (:func:`_sign_off`): a pool dispute.
- Otherwise (no pool, or outside its scope) the two agencies negotiate who pays for the personal
  care of a joint user. Each week they agree with probability

      p_agree = funding.negotiation_base * T_ab * (1 - defensiveness * (1 - L_ab))
                * (1 - funding.over_budget_refusal * max(pressure_a, pressure_b))

  where ``T_ab`` is their mutual trust, ``L_ab`` their staff's mean loyalty, ``defensiveness``
  the larger of the two agencies' own (a deal needs both: the more defensive side holds it up)
  and ``pressure`` how far each is over budget. Negotiation is new work: each council takes up
  its disputes in priority order as far as its hours for new work allow, and each week of it
  costs both sides ``funding.negotiation_hours``. The agency under less pressure ends up paying
  (cost shifting). A dispute that lasted more than four weeks counts as a failed joint case for
  the two professionals; a quick agreement as a success.
- A single agency over budget approves new packages only with probability
  ``1 - funding.over_budget_refusal * pressure``.

Sources: Willis (000) on discussing money early and on pooled resources; Arnold (001) on free
health care vs means-tested social care; Brereton & Clarke (002) on the battles of money and turf
and on budget-fixing processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import community
from sim.population import DECLINED, FUND, PERSONAL, SERVED, SERVICE, cells

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


def commitment(defensiveness: np.ndarray, loyalty: np.ndarray) -> np.ndarray:
    """An agency's commitment to the partnership over its own turf: ``1 - d * (1 - L)``.

    Defensiveness ``d`` holds an agency back from committing money with a partner, as far as its
    staff's loyalty ``L`` to the wider partnership does not outweigh it. It scales both the chance
    of agreeing who pays (:func:`_negotiate`) and of signing off pooled spending (:func:`_sign_off`).
    """
    return 1.0 - defensiveness * (1.0 - loyalty)


def fund(world: Delivery) -> None:
    """Decide funding for the needs awaiting it, as far as each agency's panel time allows.

    Voluntary and community partners fund their own light-touch help at once, and the means test
    sorts out self-funders. The rest queue at the agency holding the need, one referral per user
    and agency, in priority order (:func:`sim.mechanisms.assessment.priority`); each agency
    decides up to ``floor(funding.panel_share * H_a / funding.decision_hours)`` of them a week
    (``H_a`` its casework hours left), each decision costing ``funding.decision_hours`` of
    casework. A need already decided and now in dispute is past the panel (the agencies go on
    negotiating). A decided
    need is then funded from the pool (within its scope, once the partner signs off), negotiated
    between the two agencies, or approved by its agency alone.
    """
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
        keep = ~charged
        users, doms, cell, agencies = users[keep], doms[keep], cell[keep], agencies[keep]
    if users.size == 0:
        return

    # The panel: each agency decides the head of its queue (one decision covers all the needs of a
    # user that the agency holds), as far as its time allows.
    f = world.params.funding
    if f.decision_hours > 0:
        # A need the panel already decided (now in a negotiation over who pays, or a contested
        # pool sign-off) is past the panel: it goes on without taking a slot.
        past = pop.panel_done.ravel()[cell]
        queued = (~past).nonzero()[0]
        decided = _panel(world, users[queued], agencies[queued])
        take = past
        take[queued[decided]] = True
        pop.panel_done.ravel()[cell[take]] = True
        users, doms, cell, agencies = users[take], doms[take], cell[take], agencies[take]
    if users.size == 0:
        return

    joint = is_joint(world, users)
    negotiate = joint & (doms == PERSONAL)
    if world.policy.pooled_budget_share > 0:
        in_scope = joint & _in_scope(world, users, cell, agencies, joint)
        signed = _sign_off(world, users, cell, agencies, in_scope)
        if np.count_nonzero(signed):
            pooled = cell[signed]
            funder[pooled] = world.POOL
            stage[pooled] = SERVICE
            pop.panel_done.ravel()[pooled] = False
            world.log.trace(users, "funded from the pooled budget", agencies, where=signed, needs=cell)
        negotiate &= ~in_scope  # outside the pool's scope, money is still negotiated
        single = (~(negotiate | in_scope)).nonzero()[0]
    else:
        single = (~negotiate).nonzero()[0]
    negotiate = negotiate.nonzero()[0]
    # A single agency over budget approves with chance 1 - over_budget_refusal * pressure.
    approve = 1.0 - f.over_budget_refusal * world.agency_pressure
    ok = single[rng.random(single.size) < approve[agencies[single]]]
    _approve(world, users[ok], cell[ok], agencies[ok])
    _negotiate(world, users[negotiate], agencies[negotiate], cell[negotiate])


def _panel(world: Delivery, users: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    """Which of the needs (of ``users``, held by ``agencies``) each agency's panel decides this week.

    One decision covers all the needs of a user that the agency holds; each agency takes its
    queue in priority order as far as ``min(funding.panel_share * H_a, N_a) //
    funding.decision_hours`` allows (``N_a`` its hours for new work, which the decisions use), and
    each decision costs a professional of the agency ``funding.decision_hours`` of casework.
    """
    f, n_ag = world.params.funding, world.n_agencies
    if users.size == 0:
        return np.zeros(0, bool)
    # One referral per (user, agency): marked in a table from the first user on, by flat index.
    first = int(users.min())
    pair = (users - first) * n_ag + agencies
    marked = np.zeros((int(users.max()) - first + 1) * n_ag, bool)
    marked[pair] = True
    pairs = marked.nonzero()[0]
    ref = pairs.searchsorted(pair)
    pairs += first * n_ag
    pair_users, pair_agencies = np.divmod(pairs, n_ag)
    panel = f.panel_share * world.workforce.casework_capacity()
    slots = np.minimum(panel, world.new_hours) // f.decision_hours
    decided = np.ones(pairs.size, bool)
    if np.count_nonzero(np.bincount(pair_agencies, minlength=n_ag) > slots):  # a queue is too long
        from sim.mechanisms import assessment

        order = np.lexsort((-assessment.priority(world, pair_agencies, pair_users), pair_agencies))
        queue = pair_agencies[order]
        place = np.arange(queue.size) - queue.searchsorted(queue)  # 0 = head of its queue
        decided[order[place >= slots[queue]]] = False
    used = np.bincount(pair_agencies[decided], minlength=n_ag) * f.decision_hours
    world.new_hours = np.maximum(world.new_hours - used, 0.0)
    world.workforce.charge_casework(world.workforce.choose(pair_agencies[decided]), f.decision_hours)
    return decided[ref]


def _other_member(world: Caseload, users: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    """The other statutory partner of each joint user: the council for a PCT's need, else the PCT."""
    pop = world.pop
    pct = world.pct_of.take(pop.health_area.take(users))
    council = world.council_of.take(pop.council.take(users))
    return np.where(agencies == pct, council, pct)


def _in_scope(
    world: Delivery, users: np.ndarray, cell: np.ndarray, agencies: np.ndarray, joint: np.ndarray
) -> np.ndarray:
    """Whether the pool's agreed scope covers each joint user's need this week.

    The partners agreed to pool joint users' statutory needs as far as the pooled contributions
    pay for them: a need is in scope while the pool has money and the weekly cost of what it
    already funds (its spending rate) plus the needs taken on this week, in the panels' order
    (agency by agency, each in priority order), stays within the members' weekly contributions.
    """
    if world.pool_balance <= 0:
        return np.zeros(users.size, bool)
    weekly_in = world.agency_budget / 52.0 * world.policy.pooled_budget_share
    weekly_in = float((weekly_in * world.agency_pool_factor * world.agency_is_pool_member).sum())
    hours = world.pop.hours.ravel().take(cell) * community.waste(world)
    cost = np.where(joint, community.weekly_cost(world, hours, agencies), 0.0)
    return world.pool_spend_rate + np.cumsum(cost) <= weekly_in


def _sign_off(
    world: Delivery, users: np.ndarray, cell: np.ndarray, agencies: np.ndarray, in_scope: np.ndarray
) -> np.ndarray:
    """Whether the other pool member signs off each in-scope need this week.

    Signing off lets the agency asking commit pooled money on the member's behalf, which it does
    with chance ``T_ba * (1 - d_b * (1 - L_b))``: its staff's trust in the agency asking, times
    its commitment to the partnership (defensiveness ``d_b`` held back by its staff's loyalty
    ``L_b``, as in a negotiation over who pays). Otherwise it contests the user's eligibility. The
    pool takes the bargaining over who pays off the table (no ``funding.negotiation_base``, no
    refusal under budget pressure), but not the trust it needs. A contested need is a pool
    dispute: it waits for the next week (past the panel), both sides spend
    ``funding.negotiation_hours`` on it each week, and when it is finally signed off that is one
    joint case between them: a success within four weeks, a failure after a longer dispute.
    """
    ask = in_scope.nonzero()[0]
    if ask.size == 0:
        return in_scope
    a = agencies[ask]
    b = _other_member(world, users[ask], a)
    d = world.agency_defensiveness.take(b)
    p = world.agency_trust[b, a] * commitment(d, world.agency_loyalty.take(b))
    agree = world.streams.funding.random(ask.size) < p
    signed = np.zeros(users.size, bool)
    signed[ask[agree]] = True
    pop = world.pop
    contested = ask[~agree]
    if contested.size:
        pop.dispute_weeks[users[contested]] += 1
        world.log.counters["pool_disputes_week"] += contested.size
        world.log.trace(
            users, "pool partner contests eligibility", agencies, where=~signed & in_scope, needs=cell
        )
    # Both sides spend time on a contested need every week it is contested; when it is finally
    # signed off, that is one joint case between them: a success within four weeks, a failure
    # after a longer dispute (as for a negotiation).
    hours = world.params.funding.negotiation_hours
    key = pop.key.ravel()[cell[ask]]
    i = world.workforce.key_workers(key, a)
    j = world.workforce.choose(b)
    was = ~agree | (pop.dispute_weeks.take(users[ask]) > 0)
    world.workforce.spend_partnership_hours(np.concatenate((i[was], j[was])), hours)
    ended = agree & (pop.dispute_weeks.take(users[ask]) > 0)
    if ended.any():
        world.log.joint_case(
            i[ended], j[ended], pop.dispute_weeks.take(users[ask][ended]) <= 4, users[ask][ended]
        )
    return signed


def _approve(world: Delivery, users: np.ndarray, cell: np.ndarray, funders: np.ndarray) -> None:
    """Fund the needs ``cell`` (of ``users``) by ``funders``: they now await service."""
    if users.size == 0:
        return
    world.pop.funder.ravel()[cell] = funders
    world.pop.stage.ravel()[cell] = SERVICE
    world.pop.panel_done.ravel()[cell] = False
    world.log.trace(users, "funding agreed", funders, needs=cell)


def _negotiate(world: Delivery, users: np.ndarray, council: np.ndarray, cell: np.ndarray) -> None:
    """Negotiate who pays for the personal care (``cell``, held by ``council``) of joint ``users``.

    Negotiation is new work: each council takes up its disputes in priority order as far as its
    hours for new work allow, and every week of negotiation costs both sides
    ``funding.negotiation_hours`` of partnership time. A dispute not taken up this week waits.
    """
    if users.size == 0:
        return
    pop, f = world.pop, world.params.funding
    if f.negotiation_hours > 0:
        from sim.mechanisms import assessment

        order = np.lexsort((-assessment.priority(world, council, users), council))
        users, council, cell = users[order], council[order], cell[order]
        place = np.arange(council.size) - council.searchsorted(council)
        head = place < world.new_hours[council] // f.negotiation_hours
        users, council, cell = users[head], council[head], cell[head]
        world.new_hours = np.maximum(
            world.new_hours - np.bincount(council, minlength=world.n_agencies) * f.negotiation_hours, 0.0
        )
        if users.size == 0:
            return
    pct = world.pct_of.take(pop.health_area[users])
    # The chance that two agencies agree, for every pair (then read for each council and PCT).
    trust, loyalty, pressure = world.agency_trust, world.agency_loyalty, world.agency_pressure
    defensive = np.maximum.outer(world.agency_defensiveness, world.agency_defensiveness)  # the larger
    p = (
        f.negotiation_base
        * (0.5 * (trust + trust.T))
        * commitment(defensive, 0.5 * (loyalty[:, None] + loyalty))
        * (1.0 - f.over_budget_refusal * np.maximum.outer(pressure, pressure))
    )
    agree = world.streams.funding.random(users.size) < p[council, pct]
    dispute = ~agree
    pop.dispute_weeks[users] += dispute  # (each user once)
    n_agree = int(np.count_nonzero(agree))
    world.log.counters["disputes_week"] += users.size - n_agree
    world.log.trace(users, "agencies dispute who pays", council, where=dispute, needs=cell)
    # Both sides spend the week's negotiation. The outcome is one joint case between them when it
    # ends: a success if they agreed within four weeks, a failure after a longer dispute.
    key = pop.key.ravel()[cell]
    i = world.workforce.key_workers(key, council)
    j = world.workforce.choose(pct)
    world.workforce.spend_partnership_hours(np.concatenate((i, j)), f.negotiation_hours)
    if n_agree == 0:
        return
    ok = agree.nonzero()[0]
    done, c, h = users[ok], council[ok], pct[ok]
    world.log.joint_case(i[ok], j[ok], pop.dispute_weeks[done] <= 4, done)
    shifted = pressure[c] > pressure[h]
    _approve(world, done, cell[ok], np.where(shifted, h, c))
