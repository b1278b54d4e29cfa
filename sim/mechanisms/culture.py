"""Mechanism 7: culture and shared understanding.

Each professional has a culture vector in [0, 1]^``culture.dims`` (dimension 0: medical to social
model, from the profession; dimension 1: procedural to discretionary, from the agency; further
dimensions drawn per agency). It can move at most ``culture.flexibility`` from their norm, so
culture changes, with limits. Co-working pulls the two professionals of a joint case towards
each other by ``culture.cowork_pull``; joint training pulls everyone towards the partnership's
mean culture (:mod:`sim.mechanisms.meetings`). The harm the remaining distance does to
coordination is cut by ``culture.recognition_relief`` when ``policy.culture_recognition`` is on.

Shared understanding of another profession's terms rises towards 1 by
``culture.understanding_contact`` per joint contact and ``culture.understanding_training`` per
hour of joint training: quick at first, with diminishing returns.

Sources: Hudson (003): stereotyping, "recognising and naming the cultural differences ... can in
itself overcome a lot of difficulties", "culture does change"; Willis (000): "commissioning"
and "assessment" mean different things to different professionals; Arnold (001): medical vs
social model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.config import CultureParams
    from sim.events import EventLog
    from sim.staff import Staff


def bound(s: Staff, flex: float) -> None:
    """Keep every culture within ``flex`` (``culture.flexibility``) of its norm and inside [0, 1]."""
    np.maximum(s.culture, np.maximum(s.norm - flex, 0.0), out=s.culture)
    np.minimum(s.culture, np.minimum(s.norm + flex, 1.0), out=s.culture)


def update(s: Staff, log: EventLog, c: CultureParams) -> None:
    """Apply this week's co-working to cultures and shared understanding.

    Args:
        s: the professionals' arrays.
        log: this week's events.
        c: the culture parameters.
    """
    i, j, _, _ = log.joint_cases()
    n = i.size
    if n == 0:
        return
    # Each of the pair moves towards the other's culture as it was before this week's co-working.
    # Work on flat cells, dimension by dimension (a 1-d np.add.at is much faster than a 2-d one):
    # column e < n is i[e] moving by the gap to j[e], column n + e is j[e] moving by minus it.
    culture, dims = s.culture.ravel(), s.culture.shape[1]
    ij = np.concatenate((i, j))
    cells = np.arange(dims)[:, None] + ij * dims  # [dim, event of i then of j]
    old = culture.take(cells)
    move = np.empty_like(old)
    np.subtract(old[:, n:], old[:, :n], out=move[:, :n])
    np.negative(move[:, :n], out=move[:, n:])
    move *= c.cowork_pull
    np.add.at(culture, cells.ravel(), move.ravel())  # (with 1-d indices, the fast path)
    bound(s, c.flexibility)
    # Each learns the other's profession's terms: i's understanding of j's, then j's of i's.
    understanding, n_prof, profession = s.understanding.ravel(), s.understanding.shape[1], s.profession
    for cell in (i * n_prof + profession.take(j), j * n_prof + profession.take(i)):
        np.add.at(understanding, cell, c.understanding_contact * (1.0 - understanding.take(cell)))
    np.minimum(np.maximum(s.understanding, 0.0, out=s.understanding), 1.0, out=s.understanding)


def train(s: Staff, rows: np.ndarray, hours: float, c: CultureParams) -> None:
    """Joint training: pull cultures towards the partnership mean and raise understanding.

    Args:
        s: the professionals' arrays.
        rows: professionals trained.
        hours: hours of training each.
        c: the culture parameters.
    """
    if rows.size == 0 or hours <= 0:
        return
    mean = s.culture[rows].mean(axis=0)
    s.culture[rows] += (1.0 - np.exp(-c.training_pull * hours)) * (mean - s.culture[rows])
    bound(s, c.flexibility)
    gain = 1.0 - np.exp(-c.understanding_training * hours)
    s.understanding[rows] += gain * (1.0 - s.understanding[rows])
