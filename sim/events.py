"""The run's event log: counts of what happened, the week's joint cases and the traced user's journey.

The relationship mechanisms change only through events ("events, not drift"): delivery and
funding record each joint case two professionals handled together, and whether it succeeded
(:meth:`EventLog.joint_case`); trust, culture and loyalty then read the week's cases
(:meth:`EventLog.joint_cases`). The same log keeps the counters the weekly table reports and,
when a user is traced, her journey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.population import DOMAINS, N_DOMAINS

if TYPE_CHECKING:
    from sim.population import Population
    from sim.staff import Staff

# Counters that run over the whole run; every other counter ends in "_week" and restarts each week.
_RUNNING = ("arrived", "left", "withdrawals", "pool_misuse")
_WEEKLY = (
    "assessments_week",
    "coordinations_week",
    "coordination_failures_week",
    "disputes_week",
    "admissions_week",
    "readmissions_week",
    "discharges_week",
    "unsupported_discharges_week",
    "delayed_council_week",
    "delayed_health_week",
    "delayed_both_week",
    "pool_disputes_week",
    "reassessments_week",
    "sessions_week",
    "protected_hours_week",
    "left_well_week",
    "left_badly_week",
    "leavers_week",
)


class EventLog:
    """What happened in the run, and in the week being run.

    Args:
        pop: the service users (for the traced user).
        staff: the professionals' arrays (failed joint cases are problems for their next meeting;
            the journey names professionals by profession).
        agency_labels: each agency's name, by index.
        professions: each profession's name, by index.

    Attributes:
        week: the week being run.
        counters: counts that run over the whole run (``arrived``, ``left``, ``withdrawals``) and
            this week's (names ending ``_week``).
        journey: the traced user's events, one dict each (week, event, agency, professional).
    """

    def __init__(self, pop: Population, staff: Staff, agency_labels: list[str], professions: tuple[str, ...]):
        self.pop = pop
        self.staff = staff
        self.agency_labels = agency_labels
        self.professions = professions
        self.week = 0
        self.counters: dict[str, int] = {}
        self.journey: list[dict] = []
        self._cases: list[tuple[np.ndarray, ...]] = []
        self.readmitted_by_discharge: dict[int, int] = {}
        self._case_arrays: tuple[np.ndarray, ...] | None = None
        self.new_week(0)

    def new_week(self, week: int) -> None:
        """Start week ``week``: this week's counters restart and last week's joint cases are dropped."""
        self.week = week
        keep = {k: v for k, v in self.counters.items() if not k.endswith("_week")}
        self.counters = {**dict.fromkeys(_RUNNING, 0), **keep, **dict.fromkeys(_WEEKLY, 0)}
        self._cases.clear()
        self._case_arrays = None

    def readmitted_after(self, discharge_weeks: np.ndarray) -> None:
        """Credit readmissions to the weeks of the discharges they followed (the discharge cohorts)."""
        counts = self.readmitted_by_discharge
        for week in discharge_weeks.tolist():  # (a few a week: quicker than np.unique)
            counts[week] = counts.get(week, 0) + 1

    def joint_case(self, i: np.ndarray, j: np.ndarray, ok: np.ndarray, users: np.ndarray) -> None:
        """Record joint cases handled by professionals ``i`` and ``j`` for ``users`` (success ``ok``).

        A failed case is a problem each of the two brings to the next partnership meeting.
        """
        if i.size == 0:
            return
        self._cases.append((i, j, ok, users))
        self._case_arrays = None
        fail = ~ok
        if fail.any():
            self.staff.problem += np.bincount(np.concatenate((i[fail], j[fail])), minlength=self.staff.n)

    def joint_cases(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """This week's joint cases as arrays (i, j, success, user)."""
        if self._case_arrays is None:
            if not self._cases:
                e = np.zeros(0, np.int64)
                self._case_arrays = e, e, np.zeros(0, bool), e
            else:
                self._case_arrays = tuple(np.concatenate(parts) for parts in zip(*self._cases, strict=True))
        return self._case_arrays

    def trace(
        self,
        users: np.ndarray,
        event: str,
        agencies,
        professionals=None,
        where: np.ndarray | None = None,
        needs: np.ndarray | None = None,
    ) -> None:
        """Record a journey event for each entry of ``users`` that is the traced user.

        Args:
            users: user rows.
            event: what happened.
            agencies: the agency of each entry, or one agency for all (-1 for none).
            professionals: the professional of each entry, if any.
            where: optional mask of the entries the event applies to.
            needs: for an event about one need, the flat ``[user, domain]`` cell of each entry
                (:func:`sim.population.cells`): every entry of the traced user is recorded, with
                its need. Without it, an entry concerns the needs its agency holds for the user
                (a referral, an assessment), or the user as a whole when it names no agency, and
                one entry per agency is recorded.
        """
        t = self.pop.traced
        if t < 0 or users.size == 0:
            return
        hit = users == t
        if where is not None:
            hit &= where
        hit = np.flatnonzero(hit)
        if hit.size == 0:
            return
        if needs is None:
            if np.ndim(agencies):
                _, first = np.unique(np.asarray(agencies)[hit], return_index=True)
                hit = hit[np.sort(first)]
            else:
                hit = hit[:1]
        for k in hit:
            a = int(agencies[k]) if np.ndim(agencies) else int(agencies)
            prof = int(professionals[k]) if professionals is not None else -1
            self.journey.append(
                {
                    "week": self.week,
                    "event": event,
                    "need": self._need(t, a, None if needs is None else int(needs[k]) % N_DOMAINS),
                    "agency": self.agency_labels[a] if 0 <= a < len(self.agency_labels) else "",
                    "professional": (
                        f"{self.professions[self.staff.profession[prof]]} #{prof}" if prof >= 0 else ""
                    ),
                }
            )

    def _need(self, user: int, agency: int, domain: int | None) -> str:
        """The need an event concerns: one domain, or the user's needs that ``agency`` holds."""
        if domain is not None:
            return DOMAINS[domain].replace("_", " ")
        if not 0 <= agency < len(self.agency_labels):
            return ""
        held = (self.pop.resp[user] == agency) & (self.pop.hours[user] > 0)
        return ", ".join(DOMAINS[d].replace("_", " ") for d in np.flatnonzero(held))

    def trace_all(self, event: str, agency: int) -> None:
        """Record a system-wide event in the traced user's journey (a shock, a withdrawal)."""
        if self.pop.traced >= 0 and self.pop.active[self.pop.traced]:
            self.trace(np.array([self.pop.traced]), event, agency)
