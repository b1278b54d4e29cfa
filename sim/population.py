"""Service users as a population of numpy arrays owned by the model (one row per user).

Users are many and simple, so they are not Mesa agents: every mechanism updates all of them at
once. One user can be traced (``Population.traced``), and the mechanisms then record her journey
as events (week, event, agency, professional).

Per-need arrays (``hours``, ``stage``, ``resp``, ``funder``, ``key``, ``met``, ...) are C-contiguous
``[users, 4]``. The helpers below are how the mechanisms work with them quickly: a need (user,
domain) is addressed by its *cell*, its flat index into ``array.ravel()`` (a view, so writes go
through); many rows are read with ``array.take(rows, axis=0)``; and totals or tests over the four
domains of each user avoid numpy's slow reductions along a short axis. With numpy 2.x each of
these is several times faster than the plain spelling it replaces (``array[users, domains]``,
``array[rows]``, ``array.sum(axis=1)``, ``mask.any(axis=1)``), and the week is made of them.
"""

from __future__ import annotations

import numpy as np

HEALTH, PERSONAL, PRACTICAL, SOCIAL = range(4)
DOMAINS = ("health", "personal_care", "practical", "social")
N_DOMAINS = len(DOMAINS)
assert N_DOMAINS == 4, "split() and any_domain() read the four needs of a user as one 32-bit word"
_ONES = np.ones(N_DOMAINS)

# Stage of one need on the user's journey.
NONE, ASSESS, FUND, SERVICE, SERVED, DECLINED = range(6)
STAGES = ("none", "awaiting assessment", "awaiting funding", "awaiting service", "served", "declined")

# How a user left (``Population.outcome``; 0 while still using services).
LEFT_WELL, LEFT_BADLY = 1, 2


def pending(stage: np.ndarray) -> np.ndarray:
    """Whether each need of a ``stage`` array awaits an assessment, funding or a service."""
    return (stage >= ASSESS) & (stage <= SERVICE)


def cells(users: np.ndarray, domains) -> np.ndarray:
    """Cells of the needs ``(users, domains)``: ``array.ravel()[cells(u, d)]`` is ``array[u, d]``."""
    return users * N_DOMAINS + domains


def split(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (users, domains) of the given cells."""
    return cell >> 2, cell & 3  # (N_DOMAINS is 4: a shift and a mask are the quickest divmod)


def needs_where(rows: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The needs where ``mask`` (``[rows.size, 4]``, read for ``rows``) is True: (users, domains).

    Needs come in order of user row (as ``rows``), then domain.
    """
    u, d = split(mask.ravel().nonzero()[0])
    return rows[u], d


def any_domain(mask: np.ndarray) -> np.ndarray:
    """For a boolean ``[n, 4]`` array, whether each row has any True (``mask.any(axis=1)``).

    A row of four bools is read as one 32-bit integer, which is non-zero when any of them is set.
    """
    return np.ascontiguousarray(mask).view(np.int32).ravel() != 0


def put_rows(array: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """``array[rows] = values`` for a bool or int8 ``[n, 4]`` array.

    Each row of four bytes is written as one 32-bit integer.
    """
    values = np.ascontiguousarray(values, dtype=array.dtype)
    array.view(np.int32).ravel()[rows] = values.view(np.int32).ravel()


def user_totals(values: np.ndarray) -> np.ndarray:
    """Sum of a ``[n, 4]`` array over the four domains, one total per row (``values.sum(axis=1)``)."""
    return values @ _ONES


class Population:
    """Arrays of service users, grown by doubling as users arrive.

    Attributes (per user): ``active``, ``locality``, ``council`` (council area), ``health_area``
    (their GP's health area), ``alignment`` (of their health and council areas), ``hours``
    (casework hours per week by need domain; 0 = no need), ``severity``, ``means`` (above the
    means-test threshold), ``wellbeing``, ``in_hospital``, ``fit`` (medically fit for discharge),
    ``stage``, ``resp`` (agency responsible per domain), ``assessed_by`` (agency whose assessment
    holds), ``funder`` (agency, pool or self per domain), ``key`` (key professional per domain),
    ``met`` (need met this week), ``assessments``, ``professionals_met``, ``weeks_waited``,
    ``readmissions``, ``wait_start``, ``arrived``, ``last_discharge``, ``outcome``,
    ``dispute_weeks``, ``panel_done`` (the need's funding panel has decided it: it is in a
    negotiation or a contested pool sign-off), ``met_streak`` (weeks with every accepted need met,
    since arrival or the last admission), ``needs_ic`` (needs a step-down place before going
    home), ``ic_until`` (week until which a step-down place is held).
    """

    def __init__(self, capacity: int = 1024):
        """Create an empty population.

        Args:
            capacity: rows to allocate at first.
        """
        self.n = 0
        self.traced = -1
        self._alloc(max(capacity, 16))
        self._rows = np.zeros(0, np.intp)  # the active rows at the last active_rows(), and n then
        self._rows_n = 0

    def _alloc(self, cap: int) -> None:
        specs = {
            "active": (bool, ()),
            "locality": (np.intp, ()),
            "council": (np.intp, ()),
            "health_area": (np.intp, ()),
            "alignment": (float, ()),
            "hours": (float, (4,)),
            "severity": (float, ()),
            "means": (bool, ()),
            "wellbeing": (float, ()),
            "in_hospital": (bool, ()),
            "fit": (bool, ()),
            "stage": (np.int8, (4,)),
            "resp": (np.intp, (4,)),
            "assessed_by": (np.intp, (4,)),
            "funder": (np.intp, (4,)),
            "key": (np.intp, (4,)),
            "met": (bool, (4,)),
            "assessments": (np.int32, ()),
            "professionals_met": (np.int32, ()),
            "weeks_waited": (np.int32, ()),
            "readmissions": (np.int32, ()),
            "wait_start": (np.int32, ()),
            "arrived": (np.int32, ()),
            "last_discharge": (np.int32, ()),
            "outcome": (np.int8, ()),
            "dispute_weeks": (np.int32, ()),
            "met_streak": (np.int32, ()),
            "panel_done": (bool, (4,)),
            "needs_ic": (bool, ()),
            "ic_until": (np.int32, ()),
        }
        for name, (dtype, shape) in specs.items():
            new = np.zeros((cap, *shape), dtype=dtype)
            if name in ("resp", "assessed_by", "funder", "key"):
                new[:] = -1
            if name == "last_discharge":
                new[:] = -10_000
            old = getattr(self, name, None)
            if old is not None:
                new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self.capacity = cap

    def add(self, k: int) -> np.ndarray:
        """Append ``k`` users with default state and return their rows (consecutive)."""
        if self.n + k > self.capacity:
            cap = self.capacity
            while self.n + k > cap:
                cap *= 2
            self._alloc(cap)
        rows = np.arange(self.n, self.n + k)
        self.active[self.n : self.n + k] = True
        self.n += k
        return rows

    def active_rows(self) -> np.ndarray:
        """Rows of users still using services, in order.

        A user who has left never becomes active again, and new users are added at the end; so
        the rows are those of the last call still active, then the active rows added since. (Much
        quicker than a scan of every row ever added, most of whom have left.) Do not modify the
        returned array in place.
        """
        rows = self._rows
        rows = rows[self.active.take(rows)]
        if self.n > self._rows_n:
            added = self.active[self._rows_n : self.n].nonzero()[0]
            added += self._rows_n
            rows = np.concatenate((rows, added))
        self._rows, self._rows_n = rows, self.n
        return rows

    def waiting(self, rows: np.ndarray) -> np.ndarray:
        """Whether each user in ``rows`` is waiting for an assessment, funding or a service."""
        return any_domain(pending(self.stage.take(rows, axis=0)))
