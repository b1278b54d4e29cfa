"""Mechanism 8: loyalty, between own organisation (0) and the partnership (1).

It moves only through events:

Towards the partnership:
- visible benefit for users: ``L += (1 - L) * (1 - (1 - loyalty.benefit) ** k)`` after ``k``
  joint cases this week that succeeded;
- protected time spent together with partners (:mod:`sim.mechanisms.protected`):
  ``L += loyalty.dedicated * (h / workforce.hours) * (1 - L)`` after ``h`` hours of sessions;
- an appraisal that rewards joint outcomes actually achieved: every four weeks, a professional
  who handled joint cases since the last appraisal, a share ``q`` of them successful, gains
  ``loyalty.appraisal * w_a * q * (1 - L)``, where ``w_a`` is the weight of joint outcomes in the
  employer's performance regime.

Back towards the organisation:
- the same appraisal under own indicators marks down joint work that failed:
  ``L -= loyalty.appraisal * (1 - w_a) * (1 - q) * L`` (no joint cases: no change either way);
- pay resentment: in a week with a joint contact with a better-paid partner in a comparable
  front-line job, resentment ``r`` is the largest pay gap met;
  ``L -= loyalty.resentment * r * (1 - loyalty.no_detriment_relief * no_detriment) * L``;
- overload: ``L -= loyalty.overload * L`` while overloaded (keyed caseload above 1.1 times the
  contracted casework hours, as found at the end of the previous week);
- trust shocks: ``L -= loyalty.shock * share * L`` when pooled money is withdrawn or misused.

Loyalty sets effort in joint cases, the willingness to accept a partner's assessment and to
commit money (negotiation, pool withdrawal).

Sources: Brereton & Clarke (002): loyalty to the wider vision, appraisal objectives, staff
resentful that their opposite number is paid more; Hudson (003): "no detriment", dedicated time
(every Tuesday); Willis (000): staff join in wholeheartedly only if they see gains for users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.config import LoyaltyParams
    from sim.staff import Staff
    from sim.world import Loyalty


def update(world: Loyalty) -> None:
    """Apply this week's events to loyalty, and record pay resentment for morale."""
    s, lp, pol = world.staff, world.params.loyalty, world.policy
    i, j, ok, _ = world.log.joint_cases()
    s.resentment[:] = 0.0
    if i.size:
        ij, ji = np.concatenate((i, j)), np.concatenate((j, i))
        s.successes[:] = np.bincount(ij, weights=np.concatenate((ok, ok)), minlength=s.n)
        # Each of the pair resents the other's higher pay, if both have comparable front-line jobs
        # (resentment starts at 0, so a negative gap leaves it there).
        gap = s.pay.take(ji) - s.pay.take(ij)
        gap *= s.frontline.take(ij) & s.frontline.take(ji)
        np.maximum.at(s.resentment, ij, gap)
    else:
        s.successes[:] = 0.0
    relief = 1.0 - lp.no_detriment_relief * pol.no_detriment
    L = s.loyalty
    L += (1.0 - L) * (1.0 - (1.0 - lp.benefit) ** s.successes)
    if lp.dedicated and s.together.any():
        L += lp.dedicated * (s.together / world.params.workforce.hours) * (1.0 - L)
    L -= np.minimum(lp.resentment * s.resentment * relief, 1.0) * L
    L -= lp.overload * s.overloaded * L
    if i.size:
        s.joint_ok += s.successes
        s.joint_all += np.bincount(np.concatenate((i, j)), minlength=s.n)
    if world.week % 4 == 0:
        had = s.joint_all > 0
        q = np.divide(s.joint_ok, s.joint_all, out=np.zeros(s.n), where=had)
        jw = world.agency_joint_weight.take(s.employer)
        L += had * lp.appraisal * jw * q * (1.0 - L)
        L -= had * lp.appraisal * (1.0 - jw) * (1.0 - q) * L
        s.joint_ok[:] = 0.0
        s.joint_all[:] = 0.0
    np.minimum(np.maximum(L, 0.0, out=L), 1.0, out=L)  # into [0, 1]


def shock(s: Staff, share: float, lp: LoyaltyParams) -> None:
    """Everyone's loyalty to the partnership falls when pooled money is withdrawn.

    Args:
        s: the professionals' arrays.
        share: the share of pooled money withdrawn.
        lp: the loyalty parameters.
    """
    s.loyalty -= lp.shock * share * s.loyalty
