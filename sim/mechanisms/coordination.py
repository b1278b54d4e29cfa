"""Mechanism 4: delivery and coordination of joint cases.

Professionals have limited hours. At the start of the week each agency sets aside for new work
(assessments and new packages) the hours its ongoing packages leave free, and at least
``workforce.reserved_share`` of its casework hours. Assessments and new starts, in priority
order, use that first; ongoing packages then get the casework hours left, and when those fall
short each package is delivered this week with chance hours left / hours needed. A user whose needs
are held by two or more agencies (or who is still in hospital) is a *joint case*: starting a
package, and each week's review with probability ``coordination.review_rate``, needs a
coordination between a professional of each of two agencies, costing both
``coordination.hours``. It succeeds with probability

    logit p = coordination.intercept + coordination.trust * T_ij
              + coordination.understanding * U_ij + coordination.records * R_ab
              + coordination.alignment * alignment_u
              - coordination.culture * D_ij * (1 - culture.recognition_relief * culture_recognition)
              - coordination.extra_agency * (n_agencies - 2) + coordination.effort * E_ij

with ``R_ab`` the records shared between their agencies (``policy.shared_records`` times the
compatibility ``1 - |q_a - q_b|`` of their information systems' quality ``q``), ``T_ij`` their
mutual trust, ``U_ij`` their shared understanding of each other's profession,
``D_ij`` their cultural distance, and effort ``E_ij`` the mean of their loyalty and their
agencies' weight on joint indicators. Failure means delay (the package does not start, or a
week's service is missed), a duplicated visit (``coordination.failure_extra_hours``) and lost
well-being (``coordination.failure_wellbeing_loss``). Every attempt is recorded as an event
between the two professionals, which the relationship mechanisms consume.

Sources: Brereton & Clarke (002) on role clarity, workload and the three battles; Willis (000)
on shared understanding of terms; Glasby & Dickinson (004) on partnership as a means to an end
that can make outcomes worse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import assessment, community
from sim.population import SERVED, SERVICE

if TYPE_CHECKING:
    from sim.model import PartnershipModel


def n_agencies(model: PartnershipModel, users: np.ndarray) -> np.ndarray:
    """Number of distinct agencies on each user's case (the acute trust while in hospital)."""
    resp = np.sort(model.pop.resp[users], axis=1)
    distinct = (resp >= 0) & np.concatenate([np.ones((users.size, 1), bool), np.diff(resp, axis=1) != 0], axis=1)
    return distinct.sum(axis=1) + model.pop.in_hospital[users]


def success_probability(model: PartnershipModel, i: np.ndarray, j: np.ndarray, users: np.ndarray, n_ag: np.ndarray) -> np.ndarray:
    """Probability that professionals ``i`` and ``j`` coordinate the case of ``users``.

    Args:
        model: the model.
        i, j: professional rows of the two agencies.
        users: user rows.
        n_ag: number of agencies on each case.

    Returns:
        Success probabilities in (0, 1).
    """
    s, c, pol = model.staff, model.params.coordination, model.policy
    ai, aj = s.employer[i], s.employer[j]
    trust = 0.5 * (s.trust[i, aj] + s.trust[j, ai])
    understanding = 0.5 * (s.understanding[i, s.profession[j]] + s.understanding[j, s.profession[i]])
    distance = model.cultural_distance_between(i, j)
    harm = distance * (1.0 - model.params.culture.recognition_relief * pol.culture_recognition)
    effort = 0.5 * (0.5 * (s.loyalty[i] + s.loyalty[j]) + 0.5 * (model.agency_joint_weight[ai] + model.agency_joint_weight[aj]))
    logit = (
        c.intercept
        + c.trust * trust
        + c.understanding * understanding
        + c.records * model.records[ai, aj]
        + c.alignment * model.pop.alignment[users]
        - c.culture * harm
        - c.extra_agency * np.maximum(n_ag - 2, 0)
        + c.effort * effort
    )
    return 1.0 / (1.0 + np.exp(-logit))


def _partner(model: PartnershipModel, users: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    """Another agency on each user's case (the acute trust while in hospital), or -1."""
    resp = model.pop.resp[users]
    other = (resp >= 0) & (resp != agencies[:, None])
    score = model.rng.random(resp.shape) * other
    pick = resp[np.arange(users.size), np.argmax(score, axis=1)]
    pick = np.where(other.any(axis=1), pick, -1)
    return np.where(model.pop.in_hospital[users], model.acute.index, pick)


def coordinate(model: PartnershipModel, users: np.ndarray, doms: np.ndarray, agencies: np.ndarray) -> np.ndarray:
    """Attempt a coordination for each (user, domain) held by ``agencies``; return success.

    Users with no partner agency on the case need no coordination and succeed.
    """
    ok = np.ones(users.size, bool)
    partner = _partner(model, users, agencies)
    joint = partner >= 0
    if not joint.any():
        return ok
    u, d, a, b = users[joint], doms[joint], agencies[joint], partner[joint]
    i = model.staff_for(u, d, a)
    j = model.staff_for_agency(u, b)
    c = model.params.coordination
    model.spend_partnership_hours(np.concatenate([i, j]), c.hours)
    p = success_probability(model, i, j, u, n_agencies(model, u))
    success = model.rng.random(u.size) < p
    fail = ~success
    if fail.any():
        model.spend_partnership_hours(np.concatenate([i[fail], j[fail]]), c.failure_extra_hours)
        pop = model.pop
        np.subtract.at(pop.wellbeing, u[fail], c.failure_wellbeing_loss)
        model.counters["coordination_failures_week"] += int(fail.sum())
        model.trace(u[fail], "coordination failed", a[fail], i[fail])
    model.counters["coordinations_week"] += u.size
    model.record_pairs(i, j, success, u)
    ok[joint] = success
    return ok


def start_packages(model: PartnershipModel) -> None:
    """Start funded packages in priority order with each agency's remaining hours."""
    pop = model.pop
    rows = model.active
    u_idx, d_idx = np.nonzero(pop.stage[rows] == SERVICE)
    if u_idx.size == 0:
        return
    users, doms = rows[u_idx], d_idx
    agencies = pop.resp[users, doms]
    for a in np.unique(agencies):
        sel = agencies == a
        u, d = users[sel], doms[sel]
        order = np.argsort(-assessment.priority(model, a, u))
        u, d = u[order], d[order]
        fits = np.cumsum(pop.hours[u, d]) <= model.new_hours[a]
        u, d = u[fits], d[fits]
        if u.size == 0:
            continue
        model.new_hours[a] -= pop.hours[u, d].sum()
        ok = coordinate(model, u, d, np.full(u.size, a))
        u, d = u[ok], d[ok]
        staff = model.choose_staff(a, u.size, hours=0.0)
        pop.professionals_met[u] += pop.key[u, d] != staff
        pop.key[u, d] = staff
        pop.stage[u, d] = SERVED
        model.trace(u, "service started", np.full(u.size, a), staff)


def deliver(model: PartnershipModel) -> None:
    """Deliver this week's services: ongoing packages, new starts, reviews of joint cases, and
    their cost to each funder.
    """
    pop = model.pop
    start_packages(model)
    rows = model.active
    home = rows[~pop.in_hospital[rows]]
    served = pop.stage[home] == SERVED
    self_funded = pop.funder[home] == model.SELF
    u_idx, d_idx = np.nonzero(served & ~self_funded)
    users, doms = home[u_idx], d_idx
    agencies = pop.resp[users, doms]
    delivered = np.ones(users.size, bool)
    cap = model.casework_capacity()
    demand = np.bincount(agencies, weights=pop.hours[users, doms], minlength=model.n_agencies)
    share = np.divide(cap, demand, out=np.ones_like(cap), where=demand > 0)
    short = share < 1.0
    if short.any():
        delivered &= model.rng.random(users.size) < np.minimum(share, 1.0)[agencies]
    model.use_casework(np.minimum(demand, cap))
    model.staff.caseload[:] = np.bincount(
        np.maximum(pop.key[users, doms], 0), weights=pop.hours[users, doms] * (pop.key[users, doms] >= 0), minlength=model.staff.n
    )

    # Reviews of joint cases.
    review = delivered & (model.rng.random(users.size) < model.params.coordination.review_rate)
    first = np.zeros(users.size, bool)
    cand = np.flatnonzero(review)
    _, first_idx = np.unique(users[cand], return_index=True)
    first[cand[first_idx]] = True
    if first.any():
        ok = coordinate(model, users[first], doms[first], agencies[first])
        delivered[np.flatnonzero(first)[~ok]] = False

    pop.met[home] = False
    pop.met[users[delivered], doms[delivered]] = True
    su, sd = np.nonzero(served & self_funded)
    pop.met[home[su], sd] = True
    _pay(model, users, doms)


def _pay(model: PartnershipModel, users: np.ndarray, doms: np.ndarray) -> None:
    """Charge this week's package costs to each funder (an agency or the pool)."""
    if users.size == 0:
        return
    cost = community.weekly_cost(model, users, doms)
    funder = model.pop.funder[users, doms]
    from_pool = funder == model.POOL
    pooled = cost[from_pool].sum()
    model.pool_balance -= pooled
    model.pool_spend += pooled
    model.pool_spend_rate += 0.1 * (pooled - model.pool_spend_rate)
    by_agency = np.bincount(funder[~from_pool], weights=cost[~from_pool], minlength=model.n_agencies)
    model.agency_balance -= by_agency
    model.agency_ytd_spend += by_agency
    total = cost.sum()
    model.money["spent"] += total
    model.week_spend = total
