"""Mechanism 9: partnership meetings and joint training, on their calendars.

Every ``policy.meeting_interval_weeks`` weeks each patch (council area) holds a partnership
meeting. With ``policy.meeting_attendance = targeted`` the professionals who share the most live
cases with other agencies attend (the key professionals of users whose needs two or more
statutory agencies hold; ties broken by failed joint cases since the last meeting, then at
random), at most ``meetings.targeted_size`` per patch; with
``everyone``, all staff working in the patch attend. Each attendee spends ``meetings.hours``
(from dedicated partnership time first, then casework). The effect per attendee shrinks as the
room fills, and turns negative past ``meetings.airtime_capacity`` (airtime):

    f = 1 - n_room / meetings.airtime_capacity
    T[i, b] += meetings.trust_gain * f * (1 - T)   if f > 0,  else  += meetings.trust_gain * f * T

for every other agency b in the room, and likewise shared understanding of every profession in
the room with ``meetings.understanding_gain``.

Joint training: every four weeks each professional spends ``policy.joint_training_hours`` in
joint training (see :func:`sim.mechanisms.culture.train`).

Sources: Willis (000): "do not waste time by trying to involve everyone at once", airtime,
endless partnership meetings expensive in time and goodwill; Brereton & Clarke (002) and Hudson
(003) on integrated training.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms import culture

if TYPE_CHECKING:
    from sim.world import Meetings


def is_meeting_week(world: Meetings) -> bool:
    """Whether a partnership meeting falls in this week."""
    return world.week % world.policy.meeting_interval_weeks == 0


def is_training_week(world: Meetings) -> bool:
    """Whether joint training falls in this week (every four weeks)."""
    return world.policy.joint_training_hours > 0 and world.week % 4 == 0


def book(world: Meetings) -> None:
    """Choose this week's attendees and book their hours (called when the week is planned)."""
    s, m = world.workforce.staff, world.params.meetings
    world.meeting_rooms = []
    world.week_meeting_hours = 0.0
    if is_meeting_week(world):
        targeted = world.policy.meeting_attendance == "targeted"
        candidates = s.in_post & ~s.sick
        if targeted:
            shared = live_shared_cases(world)
            candidates &= shared > 0
        for patch in range(world.geo.n_areas):
            here = (candidates & (s.patch == patch)).nonzero()[0]
            if targeted:
                noise = world.streams.meetings.random(here.size)
                here = here[np.lexsort((noise, -s.problem.take(here), -shared.take(here)))][: m.targeted_size]
            if here.size:
                world.meeting_rooms.append(here)
                # They meet each agency there.
                s.contact[here] |= _present(s.employer.take(here), world.n_agencies)
                world.week_meeting_hours += m.hours * here.size
        if world.meeting_rooms:
            world.workforce.spend_partnership_hours(np.concatenate(world.meeting_rooms), m.hours)
    if is_training_week(world):
        rows = s.in_post.nonzero()[0]
        world.workforce.spend_partnership_hours(rows, world.policy.joint_training_hours)
        world.week_training_hours = world.policy.joint_training_hours * rows.size
    else:
        world.week_training_hours = 0.0


def live_shared_cases(world: Meetings) -> np.ndarray:
    """For each professional, the live cases they hold whose user another statutory agency also serves."""
    from sim.mechanisms.coordination import n_agencies

    pop, s = world.pop, world.workforce.staff
    rows = world.active
    resp = pop.resp.take(rows, axis=0)
    statutory = np.append(world.agency_statutory, False)
    resp = np.where(statutory.take(resp), resp, -1)
    joint = n_agencies(resp, np.zeros(rows.size, bool)) >= 2
    key = pop.key.take(rows[joint], axis=0)
    key = key[(key >= 0) & (resp[joint] >= 0)]
    return np.bincount(key, minlength=s.n)


def _present(values: np.ndarray, n: int) -> np.ndarray:
    """Mask of length ``n``: which of 0..n-1 occur in ``values`` (the agencies or professions in a room)."""
    return np.bincount(values, minlength=n) > 0


def hold(world: Meetings) -> None:
    """Apply the effects of this week's meetings and training."""
    s, m = world.workforce.staff, world.params.meetings
    for room in world.meeting_rooms:
        f = 1.0 - room.size / m.airtime_capacity
        employer, profession = s.employer.take(room), s.profession.take(room)
        # Trust in every agency in the room, and understanding of every profession in the room.
        for values, present, gain in (
            (s.trust, _present(employer, s.trust.shape[1]), m.trust_gain),
            (s.understanding, _present(profession, s.understanding.shape[1]), m.understanding_gain),
        ):
            old = values.take(room, axis=0)
            new = old + gain * f * (1.0 - old if f > 0 else old)
            np.minimum(np.maximum(new, 0.0, out=new), 1.0, out=new)  # into [0, 1]
            values[room] = np.where(present, new, old)
        s.trust[room, employer] = 1.0
        s.understanding[room, profession] = 1.0
    if world.meeting_rooms:
        s.problem[:] = 0
    if is_training_week(world):
        culture.train(s, s.in_post.nonzero()[0], world.policy.joint_training_hours, world.params.culture)
