"""Mechanism 10: agencies' decisions on their own calendars.

Each agency sets its budget once a year on its own budget week (NHS bodies in spring, councils
late in the year, grant-funded groups mid-year): the allocation grows by
``decisions.budget_growth`` and the year-to-date accounts restart. Pool members review the pool
every quarter from their budget week:

- the pool is reconciled: above a reserve of eight weeks of pooled spending, the member's share
  of the surplus is returned to it; a deficit is made good in the same shares;
- a member under financial pressure may withdraw (or top-slice) its pooled money, with
  probability ``decisions.withdraw_base * pressure * (1 - L_a) * (1 - T_a)`` where ``L_a`` is its
  staff's loyalty and ``T_a`` their trust in the other pool members. It takes back
  ``decisions.withdraw_share`` of what it paid in since its budget week, pays in that much less
  from then on, and shatters the trust the others had in it
  (:func:`sim.mechanisms.trust.shatter`);
- a member under financial pressure may instead use pooled money for purposes the partners did
  not agree (charging its own single-agency costs to the pool), with probability
  ``decisions.misuse_base * pressure * (1 - L_a) * (1 - T_a)``: it takes
  ``decisions.misuse_share`` of its year's contributions out of the pool for its own spending.
  The partners find out at the reconciliation, and it shatters their trust and loyalty as a
  withdrawal of that share does (a ``pool_misuse_events`` event; :func:`misuse`).

Pressure is ``clip((overspend / budget - decisions.pressure_threshold) /
decisions.pressure_threshold, 0, 1)`` on the year to date, where spending counts the agency's own
packages and its net contributions to the pool (payments in, less what reviews return to it), and
the agency's share of any pool surplus above the reserve counts as money it still has. Effort
follows the performance regime: each statutory agency's joint weight is ``policy.joint_indicators``
unless the world's config sets its own ``joint_weight`` (see assessment priorities, coordination
effort, appraisal and the acute trust's discharge pressure).

Sources: Willis (000): two PCTs withdrawing £3m; Arnold (001): top-slicing of PCT budgets,
separate performance regimes; Brereton & Clarke (002): budget-fixing processes and time-scales,
a partner who can commit money on your behalf; Hudson (003): intra-agency targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import loyalty, trust

if TYPE_CHECKING:
    from sim.world import Decisions

RESERVE_WEEKS = 8


def update_pressure(world: Decisions) -> None:
    """Recompute each agency's financial pressure from its year-to-date accounts."""
    d = world.params.decisions
    surplus = max(world.pool_balance - RESERVE_WEEKS * world.pool_spend_rate, 0.0)
    over = np.divide(
        world.agency_ytd_spend - world.agency_ytd_alloc - _stakes(world) * surplus,
        world.agency_budget,
        out=np.zeros(world.n_agencies),
        where=world.agency_budget > 0,
    )
    over -= d.pressure_threshold
    over /= max(d.pressure_threshold, 1e-9)
    world.agency_pressure = np.minimum(np.maximum(over, 0.0, out=over), 1.0, out=over)  # into [0, 1]


def set_budget(world: Decisions, a: int) -> None:
    """Set agency ``a``'s budget for the coming year and restart its year-to-date accounts."""
    world.agency_budget[a] *= 1.0 + world.params.decisions.budget_growth
    world.agency_ytd_spend[a] = 0.0
    world.agency_ytd_alloc[a] = 0.0
    world.agency_pool_stake[a] = 0.0


def _stakes(world: Decisions) -> np.ndarray:
    """Each agency's share of the pool: its budget, as far as it still pays in, over the members'."""
    weights = world.agency_budget * world.agency_pool_factor * world.agency_is_pool_member
    total = weights.sum()
    return weights / total if total > 0 else np.zeros_like(weights)


def _stake(world: Decisions, a: int) -> float:
    return float(_stakes(world)[a])


def review_pool(world: Decisions, a: int) -> None:
    """Agency ``a``'s quarterly pool review: reconcile, then perhaps withdraw under financial pressure."""
    if world.policy.pooled_budget_share <= 0:
        return
    stake = _stake(world, a)
    reserve = RESERVE_WEEKS * world.pool_spend_rate
    transfer = stake * (world.pool_balance - reserve)
    world.pool_balance -= transfer
    world.agency_balance[a] += transfer
    world.agency_ytd_spend[a] -= transfer
    pressure = world.agency_pressure[a]
    if pressure <= 0 or world.pool_balance <= 0:
        return
    members = np.flatnonzero(world.agency_is_pool_member & (np.arange(world.n_agencies) != a))
    t = float(world.agency_trust[a, members].mean()) if members.size else 0.0
    d = world.params.decisions
    unbound = pressure * (1.0 - world.agency_loyalty[a]) * (1.0 - t)
    u = world.streams.decisions.random(2)
    if u[0] < d.withdraw_base * unbound:
        withdraw(world, a, d.withdraw_share)
    elif u[1] < d.misuse_base * unbound:
        misuse(world, a, d.misuse_share)


def misuse(world: Decisions, a: int, share: float) -> float:
    """Agency ``a`` uses ``share`` of its year's pooled contributions for purposes not agreed.

    The money leaves the pool for the agency's own spending; unlike a withdrawal, it goes on paying
    in as before. Trust and loyalty fall as after a withdrawal of that share.

    Returns:
        The amount misused, in pounds.
    """
    amount = min(share * world.agency_pool_stake[a], max(world.pool_balance, 0.0))
    world.pool_balance -= amount
    world.agency_balance[a] += amount
    world.agency_ytd_spend[a] -= amount
    world.log.counters["pool_misuse"] += 1
    trust.shatter(world.staff, world.agency_is_pool_member, a, share, world.params.trust)
    loyalty.shock(world.staff, share, world.params.loyalty)
    world.log.trace_all(
        f"{world.log.agency_labels[a]} used £{amount:,.0f} of pooled money for purposes not agreed", a
    )
    return amount


def withdraw(world: Decisions, a: int, share: float) -> float:
    """Agency ``a`` takes back ``share`` of what it paid into the pool this financial year.

    It pays in that much less from now on, and trust in it shatters.

    Args:
        world: the model's state this mechanism touches.
        a: agency index (a pool member).
        share: share of its stake withdrawn, in [0, 1].

    Returns:
        The amount withdrawn, in pounds.
    """
    amount = share * world.agency_pool_stake[a]
    world.agency_pool_stake[a] -= amount
    world.pool_balance -= amount
    world.agency_balance[a] += amount
    world.agency_ytd_spend[a] -= amount
    world.agency_pool_factor[a] *= 1.0 - share
    world.log.counters["withdrawals"] += 1
    if world.policy.pooled_budget_share > 0:
        trust.shatter(world.staff, world.agency_is_pool_member, a, share, world.params.trust)
        loyalty.shock(world.staff, share, world.params.loyalty)
    world.log.trace_all(f"{world.log.agency_labels[a]} withdrew £{amount:,.0f} from the pooled budget", a)
    return amount
