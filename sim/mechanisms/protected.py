"""Protected partnership time: the hours of ``policy.dedicated_time`` are spent, not lost.

Each professional has ``policy.dedicated_time * workforce.hours`` protected hours a week for
partnership work (Hudson's "every Tuesday" for the workforce agenda). Meetings, joint training,
coordination and negotiation draw on them first. What is left once the week's coordination is
done is spent here, all of it:

- **together**: professionals with protected time left are paired at random within their patch
  with one of another agency who also has time left; the pair work a session together (a joint
  visit, a case discussion). The session is a joint case between them, succeeding with the
  coordination model's probability (:func:`sim.mechanisms.coordination.success_probability`,
  with the alignment of a patch team, 1); so it moves trust, culture, shared understanding and
  loyalty like any joint case, and a session between people who distrust each other can go badly.
  Both spend their remaining protected hours on it.
- **casework**: a professional left without a partner spends the hours on casework (they join this
  week's casework hours; the model does not tell joint cases' casework from the rest).

Every protected hour is thus accounted for as partnership work (``partnership_hours``), and the
cost of protected time is the casework it displaces (the contracted casework hours are cut by it).

Sources: Hudson (003): a protected day a week for the workforce agenda, staff working alongside
each other; Brereton & Clarke (002) on time to build relationships.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import coordination

if TYPE_CHECKING:
    from sim.world import Casework


def spend(world: Casework) -> None:
    """Spend every protected hour left this week: sessions together, or casework."""
    wf = world.workforce
    s = wf.staff
    left = s.partnership
    s.together[:] = 0.0
    rows = (left > 1e-9).nonzero()[0]
    if rows.size == 0:
        return
    # Random pairs within each patch: shuffle, sort by patch (stable), pair neighbours of
    # different agencies.
    rows = rows[world.streams.meetings.permutation(rows.size)]
    rows = rows[np.argsort(s.patch.take(rows), kind="stable")]
    patch, employer = s.patch.take(rows), s.employer.take(rows)
    first = np.arange(0, rows.size - 1, 2)
    pair = (patch[first] == patch[first + 1]) & (employer[first] != employer[first + 1])
    i, j = rows[first[pair]], rows[first[pair] + 1]
    if i.size:
        n_ag = np.full(i.size, 2)
        p = coordination.success_probability(world, i, j, np.ones(i.size), n_ag)
        ok = world.streams.meetings.random(i.size) < p
        both = np.concatenate((i, j))
        s.together[both] = left[both]
        s.contact.ravel()[both * s.n_agencies + np.concatenate((s.employer.take(j), s.employer.take(i)))] = (
            True
        )
        world.log.joint_case(i, j, ok, np.full(i.size, -1))
        world.log.counters["sessions_week"] += i.size
    # Together or not, the hours are spent: sessions, or casework.
    alone = left.copy()
    alone[s.together > 0] = 0.0
    s.free += alone
    wf.partnership_hours += float(left.sum())
    world.log.counters["protected_hours_week"] += float(left.sum())
    left[:] = 0.0
    wf.changed()
