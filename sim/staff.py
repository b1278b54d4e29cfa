"""The professionals: their numeric state, one row per post, and the workforce that owns it.

Each :class:`sim.agents.Professional` owns one row. A post left vacant keeps its row with
``in_post`` False until it is filled by a new professional (a new Mesa agent) with fresh state.
:class:`Workforce` is what the mechanisms work with: the arrays, and how professionals are hired,
leave, are picked for work and spend their hours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mesa import Agent

    from sim.config import ModelParams
    from sim.streams import RandomStreams


class Staff:
    """Arrays of professionals' state.

    Attributes (per row): ``employer`` (agency index), ``profession`` (index into PROFESSIONS),
    ``frontline`` (comparable front-line job), ``patch`` (area where they meet partners), ``pay``,
    ``culture`` (``[n, dims]`` in [0, 1]), ``norm`` (their profession's and agency's culture),
    ``loyalty``, ``morale``, ``trust`` (``[n, n_agencies]``), ``understanding``
    (``[n, n_professions]``), ``in_post``, ``vacant_until``, ``contracted`` (casework hours),
    ``free`` (casework hours left this week), ``partnership`` (partnership hours left this week),
    ``caseload`` (keyed casework hours), ``problem`` (had a failed joint case since the last
    meeting), ``contact`` (met agency b this week), ``resentment`` (this week's pay resentment),
    ``successes`` (joint cases seen to succeed this week), ``together`` (protected hours spent in
    sessions with a partner this week), ``joint_ok`` and ``joint_all`` (joint cases that succeeded,
    and all joint cases, since the last appraisal).

    Posts are numbered by employer, which never changes (:meth:`set_employers`): ``employs`` is the
    ``[n_agencies, n]`` matrix with a 1 where agency a employs post i (its row sums or averages over
    an agency's staff are one matrix product), and ``own`` the flat index of each post's entry for
    its own agency in ``trust.ravel()`` (and any other ``[n, n_agencies]`` array). Agency a's posts
    are ``block[a]`` to ``block[a + 1] - 1``.
    """

    def __init__(self, n: int, n_agencies: int, n_professions: int, dims: int):
        """Allocate arrays for ``n`` posts."""
        self.n = n
        self.employer = np.zeros(n, np.intp)
        self.profession = np.zeros(n, np.intp)
        self.frontline = np.zeros(n, bool)
        self.patch = np.zeros(n, np.intp)
        self.pay = np.ones(n)
        self.culture = np.zeros((n, dims))
        self.norm = np.zeros((n, dims))
        self.loyalty = np.zeros(n)
        self.morale = np.ones(n)
        self.trust = np.zeros((n, n_agencies))
        self.understanding = np.zeros((n, n_professions))
        self.in_post = np.ones(n, bool)
        self.vacant_until = np.zeros(n, np.int32)
        self.contracted = np.zeros(n)
        self.free = np.zeros(n)
        self.partnership = np.zeros(n)
        self.caseload = np.zeros(n)
        self.problem = np.zeros(n, np.int32)
        self.contact = np.zeros((n, n_agencies), bool)
        self.resentment = np.zeros(n)
        self.successes = np.zeros(n)
        self.together = np.zeros(n)
        self.joint_ok = np.zeros(n)
        self.joint_all = np.zeros(n)
        self.sick = np.zeros(n, bool)
        self.overloaded = np.zeros(n, bool)
        self.n_agencies = n_agencies
        self.employs = np.zeros((n_agencies, n))
        self.own = np.arange(n) * n_agencies
        self.block = np.zeros(n_agencies + 1, np.int64)

    def set_employers(self, employer: np.ndarray) -> None:
        """Give each post its employer, once, when the workforce is built.

        Args:
            employer: agency index of each post, in increasing order.
        """
        if np.any(np.diff(employer) < 0):
            raise ValueError("posts must be numbered by employer")
        self.employer[:] = employer
        self.employs = (self.employer == np.arange(self.n_agencies)[:, None]).astype(float)
        self.own = np.arange(self.n) * self.n_agencies + self.employer
        self.block = np.searchsorted(self.employer, np.arange(self.n_agencies + 1))


def _unit(values: np.ndarray) -> np.ndarray:
    """``values`` clipped into [0, 1], in place (``np.clip``'s result, at half its cost for a few values)."""
    return np.minimum(np.maximum(values, 0.0, out=values), 1.0, out=values)


class Workforce:
    """The professionals at work: their arrays, who is picked for work, their hours, hiring and leaving.

    The mechanisms reach the professionals through this object only: they read and write the
    arrays of :attr:`staff`, pick professionals with :meth:`choose` and :meth:`key_workers`,
    and charge hours with :meth:`use_casework` and :meth:`spend_partnership_hours`.

    Args:
        staff: the professionals' arrays, with their employers set.
        params: the model parameters (``trust``, ``culture`` and ``loyalty`` set a newcomer's state).
        streams: the model's random streams (a newcomer's state from ``hiring``, a pick from
            ``allocation``).
        recruit: makes the Mesa agent for a post filled by a newcomer, given the post's row.

    Attributes:
        staff: the arrays (:class:`Staff`).
        partnership_hours: partnership hours (meetings, training, coordination, negotiation,
            protected time) spent this week.
        overhead: casework hours per agency taken by partnership work and reassessments since
            the agency last set aside its hours for new work (see
            :func:`sim.mechanisms.workforce.reserve_new_work`).
        professional_at: the Mesa agent in each post, None while it is vacant.
    """

    def __init__(
        self, staff: Staff, params: ModelParams, streams: RandomStreams, recruit: Callable[[int], Agent]
    ):
        self.staff = staff
        self.params = params
        self.hiring = streams.hiring
        self.allocation = streams.allocation
        self.recruit = recruit
        self.partnership_hours = 0.0
        self.overhead = np.zeros(staff.n_agencies)  # casework hours taken by other work, per agency
        self.professional_at: list[Agent | None] = [None] * staff.n
        self._choice: tuple[np.ndarray, ...] | None = None

    # ------------------------------------------------------------------ posts
    def hire(self, rows: np.ndarray) -> None:
        """Fill the posts ``rows`` with new professionals: culture near the norm, fresh relationships."""
        s, rng, k = self.staff, self.hiring, len(rows)
        if k == 0:
            return
        t, c, lp = self.params.trust, self.params.culture, self.params.loyalty
        s.culture[rows] = _unit(s.norm[rows] + rng.normal(0.0, 0.05, (k, s.culture.shape[1])))
        s.trust[rows] = _unit(rng.normal(t.initial, t.spread, (k, s.n_agencies)))
        s.trust[rows, s.employer[rows]] = 1.0
        n_prof = s.understanding.shape[1]
        s.understanding[rows] = _unit(rng.normal(c.understanding_initial, 0.05, (k, n_prof)))
        s.understanding[rows, s.profession[rows]] = 1.0
        s.loyalty[rows] = _unit(rng.normal(lp.initial, 0.05, k))
        s.morale[rows] = 0.8
        s.in_post[rows] = True
        s.problem[rows] = 0
        s.joint_ok[rows] = 0.0
        s.joint_all[rows] = 0.0
        for row in rows.tolist():
            self.professional_at[row] = self.recruit(row)
        self.changed()

    def fire(self, row: int) -> None:
        """The professional in post ``row`` leaves; the Mesa agent is removed."""
        agent = self.professional_at[row]
        if agent is not None:
            agent.remove()
        self.professional_at[row] = None
        self.staff.in_post[row] = False
        self.changed()

    def relations(self) -> tuple[np.ndarray, np.ndarray]:
        """Each agency's loyalty and its trust in each agency: means over its staff in post."""
        s = self.staff
        w = s.employs * s.in_post  # [agency, post]: 1 for its staff in post
        n = np.maximum(w.sum(axis=1), 1e-9)
        return w @ s.loyalty / n, w @ s.trust / n[:, None]

    def cultural_distance(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Cultural distance between professionals ``i`` and ``j``, scaled to [0, 1]."""
        c = self.staff.culture
        sq = c.take(i, axis=0)
        sq -= c.take(j, axis=0)
        sq *= sq
        return np.sqrt(sq.sum(axis=1) / c.shape[1])

    # ------------------------------------------------------------------ hours
    def casework_capacity(self) -> np.ndarray:
        """Casework hours left this week, per agency."""
        s = self.staff
        return np.bincount(s.employer, weights=s.free, minlength=s.n_agencies)

    def use_casework(self, hours_by_agency: np.ndarray) -> None:
        """Take ``hours_by_agency`` of casework from each agency's staff, in proportion."""
        cap = self.casework_capacity()
        frac = np.minimum(hours_by_agency / np.where(cap > 0, cap, np.inf), 1.0)
        self.staff.free *= (1.0 - frac)[self.staff.employer]

    def charge_casework(self, rows: np.ndarray, hours: float) -> None:
        """Take ``hours`` of this week's casework from each professional in ``rows`` (a row may repeat)."""
        s = self.staff
        if rows.size == 0 or hours <= 0:
            return
        req = np.bincount(rows, minlength=s.n) * hours
        self._take_casework(req)

    def _take_casework(self, req: np.ndarray) -> None:
        """Take ``req`` hours (per post) of this week's casework, counting them in :attr:`overhead`."""
        s = self.staff
        taken = np.minimum(req, s.free)
        s.free -= taken
        self.overhead += np.bincount(s.employer, weights=taken, minlength=s.n_agencies)

    def spend_partnership_hours(self, rows: np.ndarray, hours: float | np.ndarray) -> None:
        """Charge ``hours`` to each professional in ``rows``: partnership time first, then casework.

        Args:
            rows: professionals (a row may repeat: each entry is charged).
            hours: one figure for all, or one per entry of ``rows``.
        """
        s = self.staff
        if isinstance(hours, np.ndarray):
            req = np.bincount(rows, weights=hours, minlength=s.n)
        elif rows.size == 0 or hours <= 0:
            return
        else:
            req = np.bincount(rows, minlength=s.n) * hours
        from_p = np.minimum(req, s.partnership)
        s.partnership -= from_p
        self._take_casework(req - from_p)
        self.partnership_hours += float(req.sum())

    # ------------------------------------------------------------------ who is picked for work
    def changed(self) -> None:
        """Note that who is in post or available, or their caseloads, changed.

        :meth:`choose` and :meth:`key_workers` then rebuild their table before they are next used.
        """
        self._choice = None

    def available(self) -> np.ndarray:
        """Whether each post can be picked by :meth:`choose`.

        A post can be picked when its professional is in post and not off sick, or, in an agency
        with no one in post and well, any post (its work still falls to someone).
        """
        s = self.staff
        ok = s.in_post > s.sick  # in post and not sick
        nobody = np.bincount(s.employer, weights=ok, minlength=s.n_agencies) == 0
        return ok | nobody[s.employer] if nobody.any() else ok

    def spare_capacity(self, rows: np.ndarray | slice) -> np.ndarray:
        """Weight of each post in :meth:`choose`.

        Contracted casework hours less the keyed caseload, at least 0, plus 0.5.
        """
        s = self.staff
        return np.maximum(s.contracted[rows] - s.caseload[rows], 0.0) + 0.5

    def _choice_table(self) -> tuple[np.ndarray, ...]:
        """The table :meth:`choose` and :meth:`key_workers` use, built when first needed.

        It holds the cumulative weights over all posts (0 for a post that cannot be picked), the
        cumulative weight before each agency's block and the block's total, the last post that can
        be picked in each block, and each post's employer (-1 when vacant, and at the end for a
        missing key, -1).
        """
        if self._choice is None:
            s = self.staff
            weight = s.contracted - s.caseload  # spare_capacity() for every post, computed in place
            np.maximum(weight, 0.0, out=weight)
            weight += 0.5
            weight *= self.available()  # 0 for a post that cannot be picked
            cum = np.cumsum(weight)
            edge = np.concatenate(([0.0], cum))[s.block]  # cumulative weight at each block's edges
            before, total = edge[:-1], edge[1:] - edge[:-1]
            last = cum.searchsorted(edge[1:])  # the last available post of each block
            employer = np.concatenate((np.where(s.in_post, s.employer, -1), [-1]))  # -1: vacant, or no post
            self._choice = (cum, before, total, last, employer)
        return self._choice

    def choose(self, agencies: np.ndarray, hours: float = 0.0) -> np.ndarray:
        """Pick one professional of each of ``agencies``, and charge each pick ``hours``.

        Each agency's professional is picked in proportion to spare capacity (see
        :meth:`spare_capacity`), among :meth:`available` posts. Picks are independent (with
        replacement). All of them are drawn at once: posts are numbered by employer, so each
        agency's posts form one block of the cumulative weights (0 for a post that is not
        available), and a pick is a uniform draw within its agency's block.
        """
        s = self.staff
        cum, before, total, last, _ = self._choice_table()
        k = cum.searchsorted(
            before[agencies] + self.allocation.random(agencies.size) * total[agencies], "right"
        )
        chosen = np.minimum(k, last[agencies])  # (against rounding at the top of a block)
        if hours > 0 and chosen.size:
            s.free -= np.bincount(chosen, minlength=s.n) * hours
            np.maximum(s.free, 0.0, out=s.free)
        return chosen

    def key_workers(self, key: np.ndarray, agencies: np.ndarray) -> np.ndarray:
        """The professional of each of ``agencies`` who holds a need: its key worker, or a new one.

        Args:
            key: the need's key professional (``Population.key``; -1 for none), changed in place.
            agencies: the agency whose professional is wanted for each need.

        Returns:
            ``key``, where each post not held for its agency (vacant, another agency's, or none)
            is replaced by a professional chosen by :meth:`choose`.
        """
        employer = self._choice_table()[-1]  # each post's employer, -1 if vacant; key -1 reads -1
        missing = (employer[key] != agencies).nonzero()[0]
        if missing.size:
            key[missing] = self.choose(agencies[missing])
        return key
