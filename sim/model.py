"""PartnershipModel: builds the world, owns the arrays and runs one week per step.

One week, in the order the model runs it (see ``docs/ODD.md``, process overview):

1. shocks dated this week
2. the workforce's week is planned (sickness, vacancies, meetings and training booked); budget
   instalments are paid; arrivals and hospital discharge referrals
3. referral and assessment
4. funding: means test, then each agency's panel: the pool (within its scope, once the partner
   signs off), a negotiation between two agencies, or one agency alone
5. coordination of new starts and reviews of joint cases; protected partnership time spent;
   delivery with the casework hours left
6. users' outcomes: well-being, hospital, readmission, leaving
7. relationships from this week's events: trust, culture and shared understanding, loyalty, morale
8. meetings and joint training
9. agencies' decisions on their own calendars
10. collect
"""

from __future__ import annotations

from functools import partial
from typing import Any

import mesa
import numpy as np

from sim import geography, observe, shocks
from sim.agents import PROFESSION_NORM, PROFESSIONS, SECTOR_PROFILE, Agency, Professional
from sim.config import Config, to_config
from sim.events import EventLog
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
    protected,
    trust,
    workforce,
)
from sim.population import DOMAINS, Population
from sim.staff import Staff, Workforce
from sim.streams import RandomStreams

PROFESSION_MIX = {
    "acute": (0.25, 0.5, 0.25),
    "pct": (0.3, 0.45, 0.25),
    "council": (0.45, 0.35, 0.2),
    "voluntary": (1.0,),
    "community": (1.0,),
}
ACUTE_SHARE = 0.08


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
        self.money = {"allocated": 0.0, "spent": 0.0}
        self.shock_weeks: list[int] = []
        self.history: dict[str, list[float]] = {"discharges": [], "cohort_discharges": [], "cohort_readmitted": []}
        self.week_spend = 0.0
        self.week_meeting_hours = 0.0
        self.week_training_hours = 0.0
        self.week_unmet = {"all": 0.0}
        self.meeting_rooms: list[np.ndarray] = []
        self.pool_balance = 0.0
        self.pool_spend_rate = 0.0

        g = self.params.geography
        self.streams = RandomStreams.spawn(self.rng)
        self.geo = geography.generate(
            g.rows, g.cols, g.n_areas, self.policy.coterminosity, self.streams.geography
        )
        self._build_agencies()
        self._build_staff()
        self.pop = Population(capacity=max(1024, self.params.population.initial_users * 4))
        self.log = EventLog(self.pop, self.staff, [a.label for a in self.agency_list], PROFESSIONS)
        self.refresh_relations()
        self.active = self.pop.active_rows()
        locs = self.streams.arrivals.integers(0, self.geo.n_localities, self.params.population.initial_users)
        rows = arrivals.create_users(self, locs, np.zeros(locs.size, bool), established=True)
        self.pop.arrived[rows] = -1
        self.log.counters["arrived"] = rows.size
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
        self.agency_defensiveness = np.full(self.n_agencies, self.params.defensiveness)
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
        self.coordinated: coordination.Coordinated | None = None  # this week's starts and reviews

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
        rng = self.streams.staff
        sector_extra = rng.random((len(SECTOR_PROFILE), max(dims - 2, 0)))
        for k, a in enumerate(self.agency_list):
            rows = np.flatnonzero(employer == k)
            profile = SECTOR_PROFILE[a.sector]
            names = profile["professions"]
            prof = rng.choice(len(names), rows.size, p=PROFESSION_MIX[a.sector])
            s.profession[rows] = [PROFESSIONS.index(names[p]) for p in prof]
            s.patch[rows] = a.area if a.area >= 0 else rng.integers(0, self.geo.n_areas, rows.size)
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
        self.workforce = Workforce(s, self.params, self.streams, partial(Professional, self))
        self.workforce.hire(np.arange(n))

    def _localities_covered(self, agency: Agency) -> int:
        if agency.area < 0:
            return self.geo.n_localities
        areas = self.geo.health if agency.sector == "pct" else self.geo.council
        return int((areas == agency.area).sum())

    def _set_budgets(self, rows: np.ndarray) -> None:
        pop = self.pop
        u, d = np.nonzero(pop.funder[rows] >= 0)
        funder = pop.funder[rows[u], d]
        agency = funder < self.n_agencies
        from sim.mechanisms import community

        users, doms = rows[u][agency], d[agency]
        cost = community.weekly_cost(self, pop.hours[users, doms] * community.waste(self), pop.resp[users, doms])
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
        joint = joint[self.streams.funding.permutation(joint.size)]
        funder = self.pop.funder[joint]
        statutory = (funder >= 0) & (funder < self.n_agencies)
        statutory &= self.agency_statutory[np.clip(funder, 0, self.n_agencies - 1)]
        hours = np.where(statutory, self.pop.hours[joint], 0.0)
        hours = hours * community.waste(self)
        cost = community.weekly_cost(self, hours, np.clip(funder, 0, self.n_agencies - 1)).sum(axis=1)
        weekly_in = share * (self.agency_budget * self.agency_is_pool_member).sum() / 52.0
        take = np.cumsum(cost) <= weekly_in
        self.pop.funder[joint[take]] = np.where(statutory[take], self.POOL, funder[take])

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """Advance the model by one week."""
        self.log.new_week(self.week)
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
        coordination.coordinate_week(self)
        protected.spend(self)
        coordination.deliver(self)
        outcomes.update(self)
        trust.update(self.staff, self.log, self.params.trust)
        culture.update(self.staff, self.log, self.params.culture)
        loyalty.update(self)
        workforce.update_morale(self)
        meetings.hold(self)
        decisions.update_pressure(self)
        self.refresh_relations()
        self.agents_by_type[Agency].shuffle_do("decide")
        self.active = self.pop.active_rows()
        observe.measure(self)
        self.datacollector.collect(self)
        self.week += 1

    # ------------------------------------------------------------------ what the model reports
    @property
    def counters(self) -> dict[str, int]:
        """Counts of what happened (:attr:`sim.events.EventLog.counters`)."""
        return self.log.counters

    @property
    def journey(self) -> list[dict]:
        """The traced user's events (:attr:`sim.events.EventLog.journey`)."""
        return self.log.journey

    @property
    def week_partnership_hours(self) -> float:
        """Partnership hours spent this week (meetings, training, coordination)."""
        return self.workforce.partnership_hours

    def refresh_relations(self) -> None:
        """Recompute agency-level trust and loyalty (means over each agency's staff in post)."""
        self.agency_loyalty, self.agency_trust = self.workforce.relations()


__all__ = ["PartnershipModel", "DOMAINS"]
