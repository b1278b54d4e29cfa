"""The professionals' numeric state, one row per post, read and written by the mechanisms.

Each :class:`sim.agents.Professional` owns one row. A post left vacant keeps its row with
``in_post`` False until it is filled by a new professional (a new Mesa agent) with fresh state.
"""

from __future__ import annotations

import numpy as np


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
    ``successes`` (joint cases seen to succeed this week).

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
