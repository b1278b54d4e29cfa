"""PartnershipModel: builds the world, owns the arrays and runs one week per step.

One week, in the order the model runs it (see ``docs/ODD.md``, process overview):

1. shocks dated this week
2. the workforce's week is planned (sickness, vacancies, meetings and training booked); budget
   instalments are paid; arrivals and hospital discharge referrals
3. referral and assessment
4. funding: pool or negotiation; means test
5. delivery and coordination of joint cases
6. users' outcomes: well-being, hospital, readmission, leaving
7. relationships from this week's events: trust, culture and shared understanding, loyalty, morale
8. meetings and joint training
9. agencies' decisions on their own calendars
10. collect
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim import geography, observe, shocks
from sim.agents import PROFESSION_NORM, PROFESSIONS, SECTOR_PROFILE, Agency, Professional
from sim.config import Config, to_config
from sim.mechanisms import (
    arrivals,
    assessment,
    coordination,
    culture,
    decisions,
    funding,
    loyalty,
    meetings,
    outcomes,
    trust,
    workforce,
)
from sim.population import DOMAINS, Population, cells
from sim.staff import Staff

PROFESSION_MIX = {
    "acute": (0.25, 0.5, 0.25),
    "pct": (0.3, 0.45, 0.25),
    "council": (0.45, 0.35, 0.2),
    "voluntary": (1.0,),
    "community": (1.0,),
}
ACUTE_SHARE = 0.08


def _unit(values: np.ndarray) -> np.ndarray:
    """``values`` clipped into [0, 1], in place (``np.clip``'s result, at half its cost for a few values)."""
    return np.minimum(np.maximum(values, 0.0, out=values), 1.0, out=values)


class PartnershipModel(mesa.Model):
    """Agent-based model of partnership working between health and social care agencies.

    Args:
        config: a :class:`sim.config.Config`, a nested dict of overrides, or None for defaults.
        rng: seed or numpy Generator; defaults to ``config.run.seed``.

    Attributes:
        week: the current week (0 = first recorded week).
        geo: the boundaries (:class:`sim.geography.Geography`).
        pop: service users (:class:`sim.population.Population`).
        staff: professionals' state (:class:`sim.staff.Staff`).
        agency_list: the agencies in index order.
        journey: the traced user's events, when ``scenario.trace_user`` is on.
    """

    SECTOR_CODE = {name: k for k, name in enumerate(SECTOR_PROFILE)}

    def __init__(self, config: Config | dict | None = None, rng: Any = None):
        """Build agencies, professionals, boundaries and the initial caseload."""
        cfg = to_config(config)
        super().__init__(rng=cfg.run.seed if rng is None else rng)
        self.config = cfg
        self.policy = cfg.policy
        self.params = cfg.model
        self.week = 0
        self.counters: dict[str, int] = {}
        self.money = {"allocated": 0.0, "spent": 0.0}
        self.journey: list[dict] = []
        self.shock_weeks: list[int] = []
        self.history: dict[str, list[float]] = {"discharges": [], "readmissions": []}
        self._events: list[tuple[np.ndarray, ...]] = []
        self._event_arrays: tuple[np.ndarray, ...] | None = None
        self.week_spend = 0.0
        self.week_meeting_hours = 0.0
        self.week_training_hours = 0.0
        self.week_partnership_hours = 0.0
        self.week_unmet = {"all": 0.0}
        self.meeting_rooms: list[np.ndarray] = []
        self.pool_balance = 0.0
        self.pool_spend_rate = 0.0

        g = self.params.geography
        self.geo = geography.generate(g.rows, g.cols, g.n_areas, self.policy.coterminosity, self.rng)
        self._build_agencies()
        self._build_staff()
        self.pop = Population(capacity=max(1024, self.params.population.initial_users * 4))
        self._reset_counters()
        self.refresh_relations()
        self.active = self.pop.active_rows()
        locs = self.rng.integers(0, self.geo.n_localities, self.params.population.initial_users)
        rows = arrivals.create_users(self, locs, np.zeros(locs.size, bool), established=True)
        self.pop.arrived[rows] = -1
        self.counters["arrived"] = rows.size
        self._set_budgets(rows)
        self._pool_established(rows)
        if cfg.scenario.trace_user:
            arrivals.trace_mrs_smith(self)
        self.active = self.pop.active_rows()
        self.row: dict[str, float] = {}
        self.datacollector = observe.WeeklyCollector()

    # ------------------------------------------------------------------ building the world
    def _build_agencies(self) -> None:
        n = self.params.geography.n_areas
        spec = [("acute", -1)] + [("pct", h) for h in range(n)] + [("council", c) for c in range(n)]
        if self.policy.community_partners:
            spec += [("voluntary", -1), ("community", -1)]
        self.agency_list = [Agency(self, k, sector, area) for k, (sector, area) in enumerate(spec)]
        self.n_agencies = len(self.agency_list)
        self.POOL = self.n_agencies
        self.SELF = self.n_agencies + 1
        self.acute = self.agency_list[0]
        self.pct_of = np.array([a.index for a in self.agency_list if a.sector == "pct"])
        self.council_of = np.array([a.index for a in self.agency_list if a.sector == "council"])
        by_sector = {a.sector: a for a in self.agency_list}
        self.voluntary = by_sector.get("voluntary")
        self.community = by_sector.get("community")
        sectors = [a.sector for a in self.agency_list]
        self.agency_statutory = np.array([a.statutory for a in self.agency_list])
        self.agency_sector_council = np.array([s == "council" for s in sectors])
        self.agency_is_pool_member = np.array([a.pool_member for a in self.agency_list])
        self.agency_joint_weight = np.where(self.agency_statutory, self.policy.joint_indicators, 0.5)
        # Records flow between two agencies as far as the lever shares them and their systems
        # are compatible (GP notes "on the back of an envelope" vs council systems).
        quality = np.array([a.info_quality for a in self.agency_list])
        self.records = self.policy.shared_records * (1.0 - np.abs(quality[:, None] - quality[None, :]))
        np.fill_diagonal(self.records, 1.0)
        z = np.zeros(self.n_agencies)
        self.agency_budget, self.agency_balance = z.copy(), z.copy()
        self.agency_ytd_alloc, self.agency_ytd_spend, self.agency_pressure = z.copy(), z.copy(), z.copy()
        self.agency_pool_stake = z.copy()
        self.agency_pool_factor = np.ones(self.n_agencies)
        self.new_hours = z.copy()
        self.ongoing: coordination.Ongoing | None = None  # this week's ongoing packages

    def _build_staff(self) -> None:
        w, pop = self.params.workforce, self.params.population
        # Staff follow expected demand, counting that hospital referrals all need health care and
        # mostly personal care.
        prob = np.asarray(pop.need_prob)
        hosp = np.maximum(prob, [1.0, 0.8, 0.0, 0.0])
        total = pop.community_referrals + pop.hospital_discharges
        mix = (pop.community_referrals * prob + pop.hospital_discharges * hosp) / total if total > 0 else prob
        demand = mix * np.asarray(pop.need_hours)
        # Self-funders arrange their own care, so council casework covers only those below the
        # means-test threshold.
        demand[1:] *= 1.0 - pop.means_share
        n_acute = max(1, round(ACUTE_SHARE * w.professionals))
        rest = w.professionals - n_acute
        n_pct = max(self.params.geography.n_areas, round(rest * demand[0] / demand.sum()))
        counts = {"acute": n_acute, "pct": n_pct, "council": max(self.params.geography.n_areas, rest - n_pct)}
        if self.policy.community_partners:
            # Volunteers and community workers come on top of the statutory workforce, sized to
            # the practical and social needs they take on (they serve everyone, without a means
            # test).
            per_hour = rest / demand[1:].sum() if demand[1:].sum() > 0 else 0.0
            scale = self.params.community.capacity_share * per_hour / (1.0 - pop.means_share + 1e-9)
            counts["voluntary"] = max(1, round(scale * demand[2]))
            counts["community"] = max(1, round(scale * demand[3]))
        employers = []
        for sector, count in counts.items():
            agencies = [a for a in self.agency_list if a.sector == sector]
            covered = np.array([self._localities_covered(a) for a in agencies], float)
            share = np.floor(count * covered / covered.sum()).astype(int)
            share[np.argsort(-(count * covered / covered.sum() - share))[: count - share.sum()]] += 1
            for a, k in zip(agencies, share, strict=True):
                employers += [a.index] * max(int(k), 1)
        employer = np.sort(np.array(employers))
        n, dims = employer.size, self.params.culture.dims
        s = Staff(n, self.n_agencies, len(PROFESSIONS), dims)
        s.set_employers(employer)
        sector_extra = self.rng.random((len(SECTOR_PROFILE), max(dims - 2, 0)))
        for k, a in enumerate(self.agency_list):
            rows = np.flatnonzero(employer == k)
            profile = SECTOR_PROFILE[a.sector]
            names = profile["professions"]
            prof = self.rng.choice(len(names), rows.size, p=PROFESSION_MIX[a.sector])
            s.profession[rows] = [PROFESSIONS.index(names[p]) for p in prof]
            s.patch[rows] = a.area if a.area >= 0 else self.rng.integers(0, self.geo.n_areas, rows.size)
            if profile["health"]:
                s.pay[rows] = 1.0 + self.params.workforce.pay_gap
            else:
                s.pay[rows] = 1.0 if a.statutory else 0.85
            s.norm[rows, 0] = [PROFESSION_NORM[PROFESSIONS[p]][0] for p in s.profession[rows]]
            if dims > 1:
                s.norm[rows, 1] = profile["org_culture"]
                s.norm[rows, 2:] = sector_extra[self.SECTOR_CODE[a.sector]]
        s.frontline[:] = [PROFESSION_NORM[PROFESSIONS[p]][1] for p in s.profession]
        s.contracted[:] = w.hours * (1.0 - self.policy.dedicated_time) * w.casework_share
        self.staff = s
        self._choice: tuple[np.ndarray, ...] | None = None
        self.professional_at: list[Professional | None] = [None] * n
        self.hire(np.arange(n))

    def _localities_covered(self, agency: Agency) -> int:
        if agency.area < 0:
            return self.geo.n_localities
        areas = self.geo.health if agency.sector == "pct" else self.geo.council
        return int((areas == agency.area).sum())

    def hire(self, rows: np.ndarray) -> None:
        """Fill the posts ``rows`` with new professionals: culture near the norm, fresh relationships."""
        s, rng, k = self.staff, self.rng, len(rows)
        if k == 0:
            return
        t, c, lp = self.params.trust, self.params.culture, self.params.loyalty
        s.culture[rows] = _unit(s.norm[rows] + rng.normal(0.0, 0.05, (k, s.culture.shape[1])))
        s.trust[rows] = _unit(rng.normal(t.initial, t.spread, (k, self.n_agencies)))
        s.trust[rows, s.employer[rows]] = 1.0
        n_prof = s.understanding.shape[1]
        s.understanding[rows] = _unit(rng.normal(c.understanding_initial, 0.05, (k, n_prof)))
        s.understanding[rows, s.profession[rows]] = 1.0
        s.loyalty[rows] = _unit(rng.normal(lp.initial, 0.05, k))
        s.morale[rows] = 0.8
        s.in_post[rows] = True
        s.problem[rows] = 0
        for row in rows.tolist():
            self.professional_at[row] = Professional(self, row)
        self.staff_changed()

    def fire(self, row: int) -> None:
        """The professional in post ``row`` leaves; the Mesa agent is removed."""
        agent = self.professional_at[row]
        if agent is not None:
            agent.remove()
        self.professional_at[row] = None
        self.staff.in_post[row] = False
        self.staff_changed()

    def _set_budgets(self, rows: np.ndarray) -> None:
        pop = self.pop
        u, d = np.nonzero(pop.funder[rows] >= 0)
        funder = pop.funder[rows[u], d]
        agency = funder < self.n_agencies
        from sim.mechanisms import community

        users, doms = rows[u][agency], d[agency]
        cost = community.weekly_cost(self, pop.hours[users, doms], pop.resp[users, doms])
        weekly = np.bincount(funder[agency], weights=cost, minlength=self.n_agencies)
        self.agency_budget = 52.0 * weekly * self.params.funding.budget_headroom

    def _pool_established(self, rows: np.ndarray) -> None:
        """Under a pool, part of the established joint caseload is paid from the pool from the start.

        The partners pooled the budgets that paid for it: joint users, in random order, move to
        the pool for as long as their packages fit in the weekly contributions, so the pool
        starts neither overcommitted nor idle.
        """
        share = self.policy.pooled_budget_share
        if share <= 0:
            return
        from sim.mechanisms import community, funding

        joint = rows[funding.is_joint(self, rows)]
        joint = joint[self.rng.permutation(joint.size)]
        funder = self.pop.funder[joint]
        statutory = (funder >= 0) & (funder < self.n_agencies)
        statutory &= self.agency_statutory[np.clip(funder, 0, self.n_agencies - 1)]
        hours = np.where(statutory, self.pop.hours[joint], 0.0)
        cost = community.weekly_cost(self, hours, np.clip(funder, 0, self.n_agencies - 1)).sum(axis=1)
        weekly_in = share * (self.agency_budget * self.agency_is_pool_member).sum() / 52.0
        take = np.cumsum(cost) <= weekly_in
        self.pop.funder[joint[take]] = np.where(statutory[take], self.POOL, funder[take])

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """Advance the model by one week."""
        self._reset_counters()
        shocks.apply_due(self)
        self.refresh_relations()
        workforce.plan_week(self)
        meetings.book(self)
        funding.pay_instalments(self)
        arrivals.arrive(self)
        self.active = self.pop.active_rows()
        workforce.reserve_new_work(self)
        assessment.assess(self)
        funding.fund(self)
        coordination.deliver(self)
        outcomes.update(self)
        trust.update(self)
        culture.update(self)
        loyalty.update(self)
        workforce.update_morale(self)
        meetings.hold(self)
        decisions.update_pressure(self)
        self.refresh_relations()
        self.agents_by_type[Agency].shuffle_do("decide")
        self._events.clear()
        self._event_arrays = None
        self.active = self.pop.active_rows()
        observe.measure(self)
        self.datacollector.collect(self)
        self.week += 1

    # ------------------------------------------------------------------ helpers for mechanisms
    def _reset_counters(self) -> None:
        keep = {k: v for k, v in self.counters.items() if not k.endswith("_week")}
        self.counters = {
            "arrived": 0,
            "left": 0,
            "withdrawals": 0,
            "assessments_accepted": 0,
            **keep,
            "assessments_week": 0,
            "coordinations_week": 0,
            "coordination_failures_week": 0,
            "disputes_week": 0,
            "admissions_week": 0,
            "readmissions_week": 0,
            "discharges_week": 0,
            "unsupported_discharges_week": 0,
            "delayed_council_week": 0,
            "delayed_health_week": 0,
            "left_well_week": 0,
            "left_badly_week": 0,
            "leavers_week": 0,
        }

    def refresh_relations(self) -> None:
        """Recompute agency-level trust and loyalty (means over each agency's staff in post)."""
        s = self.staff
        w = s.employs * s.in_post  # [agency, post]: 1 for its staff in post
        n = np.maximum(w.sum(axis=1), 1e-9)
        self.agency_loyalty = w @ s.loyalty / n
        self.agency_trust = w @ s.trust / n[:, None]

    def casework_capacity(self) -> np.ndarray:
        """Casework hours left this week, per agency."""
        return np.bincount(self.staff.employer, weights=self.staff.free, minlength=self.n_agencies)

    def use_casework(self, hours_by_agency: np.ndarray) -> None:
        """Take ``hours_by_agency`` of casework from each agency's staff, in proportion."""
        cap = self.casework_capacity()
        frac = np.minimum(hours_by_agency / np.where(cap > 0, cap, np.inf), 1.0)
        self.staff.free *= (1.0 - frac)[self.staff.employer]

    def spend_partnership_hours(self, rows: np.ndarray, hours: float | np.ndarray) -> None:
        """Charge ``hours`` to each professional in ``rows``: partnership time first, then casework.

        ``hours`` is one figure for all, or one per entry of ``rows``.
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
        s.free = np.maximum(s.free - (req - from_p), 0.0)
        self.week_partnership_hours += float(req.sum())

    def staff_changed(self) -> None:
        """Note that who is in post or available, or their caseloads, changed.

        :meth:`choose_staff` and :meth:`staff_for` then rebuild their table before they are next
        used.
        """
        self._choice = None

    def available_staff(self) -> np.ndarray:
        """Whether each post can be picked by :meth:`choose_staff`.

        A post can be picked when its professional is in post and not off sick, or, in an agency
        with no one in post and well, any post (its work still falls to someone).
        """
        s = self.staff
        ok = s.in_post > s.sick  # in post and not sick
        nobody = np.bincount(s.employer, weights=ok, minlength=self.n_agencies) == 0
        return ok | nobody[s.employer] if nobody.any() else ok

    def spare_capacity(self, rows: np.ndarray | slice) -> np.ndarray:
        """Weight of each post in :meth:`choose_staff`.

        Contracted casework hours less the keyed caseload, at least 0, plus 0.5.
        """
        s = self.staff
        return np.maximum(s.contracted[rows] - s.caseload[rows], 0.0) + 0.5

    def _choice_table(self) -> tuple[np.ndarray, ...]:
        """The table :meth:`choose_staff` and :meth:`staff_for` use, built when first needed.

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
            weight *= self.available_staff()  # 0 for a post that cannot be picked
            cum = np.cumsum(weight)
            edge = np.concatenate(([0.0], cum))[s.block]  # cumulative weight at each block's edges
            before, total = edge[:-1], edge[1:] - edge[:-1]
            last = cum.searchsorted(edge[1:])  # the last available post of each block
            employer = np.concatenate((np.where(s.in_post, s.employer, -1), [-1]))  # -1: vacant, or no post
            self._choice = (cum, before, total, last, employer)
        return self._choice

    def choose_staff(self, agencies: np.ndarray, hours: float = 0.0) -> np.ndarray:
        """Pick one professional of each of ``agencies``, and charge each pick ``hours``.

        Each agency's professional is picked in proportion to spare capacity (see
        :meth:`spare_capacity`), among :meth:`available_staff`. Picks are independent (with
        replacement). All of them are drawn at once: posts are numbered by employer, so each
        agency's posts form one block of the cumulative weights (0 for a post that is not
        available), and a pick is a uniform draw within its agency's block.
        """
        s = self.staff
        cum, before, total, last, _ = self._choice_table()
        k = cum.searchsorted(before[agencies] + self.rng.random(agencies.size) * total[agencies], "right")
        chosen = np.minimum(k, last[agencies])  # (against rounding at the top of a block)
        if hours > 0 and chosen.size:
            s.free -= np.bincount(chosen, minlength=s.n) * hours
            np.maximum(s.free, 0.0, out=s.free)
        return chosen

    def staff_for(self, users: np.ndarray, domain, agencies: np.ndarray) -> np.ndarray:
        """The professional of ``agencies`` holding each user's ``domain``.

        That is the key worker or assessor, or a newly chosen one (:meth:`choose_staff`) where there
        is none in post.
        """
        key = self.pop.key.ravel()[cells(users, domain)]
        employer = self._choice_table()[-1]  # each post's employer, -1 if vacant; key -1 reads -1
        missing = (employer[key] != agencies).nonzero()[0]
        if missing.size:
            key[missing] = self.choose_staff(agencies[missing])
        return key

    def cultural_distance_between(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Cultural distance between professionals ``i`` and ``j``, scaled to [0, 1]."""
        c = self.staff.culture
        sq = c.take(i, axis=0)
        sq -= c.take(j, axis=0)
        sq *= sq
        return np.sqrt(sq.sum(axis=1) / c.shape[1])

    def record_pairs(self, i: np.ndarray, j: np.ndarray, ok: np.ndarray, users: np.ndarray) -> None:
        """Record joint-case events between professionals ``i`` and ``j`` (success ``ok``)."""
        if i.size == 0:
            return
        self._events.append((i, j, ok, users))
        self._event_arrays = None
        fail = ~ok
        if fail.any():
            self.staff.problem += np.bincount(np.concatenate((i[fail], j[fail])), minlength=self.staff.n)

    def events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """This week's joint-case events as arrays (i, j, success, user)."""
        if self._event_arrays is None:
            if not self._events:
                e = np.zeros(0, np.int64)
                self._event_arrays = e, e, np.zeros(0, bool), e
            else:
                self._event_arrays = tuple(np.concatenate(parts) for parts in zip(*self._events, strict=True))
        return self._event_arrays

    def trace(
        self,
        users: np.ndarray,
        event: str,
        agencies,
        professionals=None,
        where: np.ndarray | None = None,
        each_agency: bool = False,
    ) -> None:
        """Record a journey event if the traced user is among ``users``.

        Args:
            users: user rows.
            event: what happened.
            agencies: the agency of each entry, or one agency for all (-1 for none).
            professionals: the professional of each entry, if any.
            where: optional mask of the entries the event applies to.
            each_agency: record the traced user's first entry with each agency, not only her
                first entry (for a call that covers the queues of several agencies at once).
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
        if each_agency and np.ndim(agencies):
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
                    "agency": self.agency_list[a].label if 0 <= a < self.n_agencies else "",
                    "professional": (
                        f"{PROFESSIONS[self.staff.profession[prof]]} #{prof}" if prof >= 0 else ""
                    ),
                }
            )

    def trace_all(self, event: str, agency: int) -> None:
        """Record a system-wide event in the traced user's journey (a shock, a withdrawal)."""
        if self.pop.traced >= 0 and self.pop.active[self.pop.traced]:
            self.trace(np.array([self.pop.traced]), event, agency)


__all__ = ["PartnershipModel", "DOMAINS"]
