"""Service users as a population of numpy arrays owned by the model (one row per user).

Users are many and simple, so they are not Mesa agents: every mechanism updates all of them at
once. One user can be traced (``Population.traced``), and the mechanisms then record her journey
as events (week, event, agency, professional).
"""

from __future__ import annotations

import numpy as np

HEALTH, PERSONAL, PRACTICAL, SOCIAL = range(4)
DOMAINS = ("health", "personal_care", "practical", "social")

# Stage of one need on the user's journey.
NONE, ASSESS, FUND, SERVICE, SERVED, DECLINED = range(6)
STAGES = ("none", "awaiting assessment", "awaiting funding", "awaiting service", "served", "declined")

# Who pays for a need, besides an agency index.
UNFUNDED = -1

ACTIVE, LEFT_WELL, LEFT_BADLY = 0, 1, 2


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
    ``dispute_weeks``.
    """

    def __init__(self, capacity: int = 1024):
        """Create an empty population.

        Args:
            capacity: rows to allocate at first.
        """
        self.n = 0
        self.traced = -1
        self._alloc(max(capacity, 16))

    def _alloc(self, cap: int) -> None:
        specs = {
            "active": (bool, ()), "locality": (np.int32, ()), "council": (np.int32, ()),
            "health_area": (np.int32, ()), "alignment": (float, ()), "hours": (float, (4,)),
            "severity": (float, ()), "means": (bool, ()), "wellbeing": (float, ()),
            "in_hospital": (bool, ()), "fit": (bool, ()), "stage": (np.int8, (4,)),
            "resp": (np.int32, (4,)), "assessed_by": (np.int32, (4,)), "funder": (np.int32, (4,)),
            "key": (np.int32, (4,)), "met": (bool, (4,)), "assessments": (np.int32, ()),
            "professionals_met": (np.int32, ()), "weeks_waited": (np.int32, ()),
            "readmissions": (np.int32, ()), "wait_start": (np.int32, ()), "arrived": (np.int32, ()),
            "last_discharge": (np.int32, ()), "outcome": (np.int8, ()), "dispute_weeks": (np.int32, ()),
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
        """Append ``k`` users with default state and return their rows."""
        if self.n + k > self.capacity:
            cap = self.capacity
            while self.n + k > cap:
                cap *= 2
            self._alloc(cap)
        rows = np.arange(self.n, self.n + k)
        self.n += k
        self.active[rows] = True
        return rows

    def active_rows(self) -> np.ndarray:
        """Rows of users still using services."""
        return np.flatnonzero(self.active[: self.n])

    def waiting(self, rows: np.ndarray) -> np.ndarray:
        """Whether each user in ``rows`` is waiting for an assessment, funding or a service."""
        st = self.stage[rows]
        return ((st >= ASSESS) & (st <= SERVICE)).any(axis=1)
