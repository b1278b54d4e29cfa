"""Mechanism 6: trust, relational and asymmetric.

Trust is held per professional towards each agency (``staff.trust[i, b]``); an agency's trust in
another is the mean over its staff. It changes only through events between the pair:

- a joint case handled together: ``T += trust.gain * (1 - T)`` on success,
  ``T -= trust.loss * T`` on failure (both directions of the pair);
- no contact with an agency this week: trust above ``trust.neutral`` decays,
  ``T -= trust.decay * (T - trust.neutral)``; trust below it stays where it is (it is rebuilt
  only by events: joint work that succeeds, meetings, time together);
- a partner withdrawing or misusing pooled money: every other agency's staff lose
  ``trust.shatter * share`` of their trust in it at once, and ``trust.shatter * share *
  trust.spillover`` of their trust in the other pool members (:func:`shatter`);
- partnership meetings (:mod:`sim.mechanisms.meetings`).

Because failure costs more than success gains, and low trust makes failure likelier, trust falls
fast and is rebuilt slowly.

Sources: Willis (000): "Trust takes time and investment to develop but it can be shattered
overnight if jointly pooled resources are withdrawn or used for purposes which have not been
agreed"; Brereton & Clarke (002) on honest discourse and commitment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.config import TrustParams
    from sim.events import EventLog
    from sim.staff import Staff


def update(s: Staff, log: EventLog, t: TrustParams) -> None:
    """Apply this week's joint-case events and the decay of trust without contact.

    Args:
        s: the professionals' arrays.
        log: this week's events.
        t: the trust parameters.
    """
    i, j, ok, _ = log.joint_cases()
    trust, contact = s.trust.ravel(), s.contact.ravel()
    if i.size:
        n_ag, employer = s.trust.shape[1], s.employer
        # i's trust in j's agency, then j's in i's (the second reads what the first changed);
        # cells as intp, which indexing uses without a conversion
        for cell in (
            np.multiply(i, n_ag, dtype=np.intp) + employer.take(j),
            np.multiply(j, n_ag, dtype=np.intp) + employer.take(i),
        ):
            cur = trust.take(cell)
            np.add.at(trust, cell, np.where(ok, t.gain * (1.0 - cur), -t.loss * cur))
            contact[cell] = True
    drift = np.minimum(t.neutral - s.trust, 0.0)  # only downwards: no event, no rise
    drift *= t.decay
    drift *= ~s.contact  # decay only without contact
    s.trust += drift
    np.minimum(np.maximum(s.trust, 0.0, out=s.trust), 1.0, out=s.trust)  # into [0, 1]
    trust[s.own] = 1.0


def shatter(s: Staff, pool_members: np.ndarray, agency: int, share: float, t: TrustParams) -> None:
    """Pooled money withdrawn or misused by ``agency``: trust in it shatters.

    Every other agency's staff lose ``trust.shatter * share`` of their trust in ``agency``, and
    everyone loses ``trust.spillover`` of that in the other pool members too (if one partner can
    walk away with the money, so can any).

    Args:
        s: the professionals' arrays.
        pool_members: whether each agency pays into the pool.
        agency: the agency that withdrew or misused the money.
        share: how much of its pooled money, in [0, 1].
        t: the trust parameters.
    """
    members = np.flatnonzero(pool_members)
    s.trust[:, members] *= 1.0 - t.shatter * share * t.spillover
    others = s.employer != agency
    s.trust[others, agency] *= (1.0 - t.shatter * share) / (1.0 - t.shatter * share * t.spillover + 1e-12)
    s.trust.ravel()[s.own] = 1.0
