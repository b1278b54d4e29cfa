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
from sim.agents import Agency, Professional
from sim.config import HEALTH_AREA_SECTORS, SECTORS, Config, plan_agencies, to_config
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

ACUTE_SHARE = 0.08
"""Share of the statutory posts in acute trusts sized from demand (hospital staff who work with the
community caseload: discharge planning and the hospital's part of joint cases)."""


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
        professions: the world's professions, by index (``world.professions``).
        acute_of, pct_of, council_of: the acute trust, primary care trust and council of each
            health, health and council area (agency indices).
        practical_of, social_of: the agency that holds practical help and social contact in each
            council area: the voluntary sector and community groups covering it when they take
            part, otherwise its council.
        agency_defensiveness, agency_joint_weight: each agency's defensiveness and the weight of
            joint outcomes in its performance regime.
    """

    SECTOR_CODE = {name: k for k, name in enumerate(SECTORS)}

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
        self.history: dict[str, list[float]] = {
            "discharges": [],
            "cohort_discharges": [],
            "cohort_readmitted": [],
        }
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
        self.log = EventLog(self.pop, self.staff, [a.label for a in self.agency_list], self.professions)
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
        """Build the agencies of the configured world (``world.agencies``) and their arrays.

        Voluntary and community agencies are left out unless ``policy.community_partners`` is on.
        """
        n = self.params.geography.n_areas
        world = self.config.world
        self.professions = tuple(prof.name for prof in world.professions)
        self.profession_norm = np.array([prof.norm for prof in world.professions])
        self.profession_frontline = np.array([prof.frontline for prof in world.professions])
        plans = plan_agencies(world, n, self.policy.community_partners)
        self.agency_list = [Agency(self, k, plan) for k, plan in enumerate(plans)]
        self.n_agencies = len(self.agency_list)
        self.POOL = self.n_agencies
        self.SELF = self.n_agencies + 1
        self.acute_of = self._agency_of_area("acute")
        self.pct_of = self._agency_of_area("pct")
        self.council_of = self._agency_of_area("council")
        self.practical_of = np.where((v := self._agency_of_area("voluntary")) >= 0, v, self.council_of)
        self.social_of = np.where((c := self._agency_of_area("community")) >= 0, c, self.council_of)
        sectors = [a.sector for a in self.agency_list]
        self.agency_statutory = np.array([a.statutory for a in self.agency_list])
        self.agency_sector_council = np.array([s == "council" for s in sectors])
        self.agency_is_pool_member = np.array([a.pool_member for a in self.agency_list])
        self.agency_joint_weight = np.array([a.joint_weight for a in self.agency_list], float)
        self.agency_defensiveness = np.array([a.defensiveness for a in self.agency_list], float)
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

    def _agency_of_area(self, sector: str) -> np.ndarray:
        """The agency of ``sector`` covering each area (health areas for acute and pct), or -1."""
        out = np.full(self.params.geography.n_areas, -1, np.intp)
        for a in self.agency_list:
            if a.sector == sector:
                out[list(a.areas) if a.areas else slice(None)] = a.index
        return out

    def _staff_counts(self) -> np.ndarray:
        """Posts of each agency.

        An agency with a ``staff_share`` gets that share of ``model.workforce.professionals``
        (at least one post); voluntary and community agencies' posts come on top of the statutory
        workforce. The statutory agencies sized from demand share the rest (``N``): acute trusts
        ``max(1, round(ACUTE_SHARE * N))``, then PCTs and councils in proportion to the expected
        casework of health and of council needs, each sector's posts shared among its agencies in
        proportion to the localities they cover.
        """
        w, pop = self.params.workforce, self.params.population
        counts = np.zeros(self.n_agencies, np.int64)
        sized: dict[str, list[Agency]] = {}
        for a in self.agency_list:
            if a.staff_share is None:
                sized.setdefault(a.sector, []).append(a)
            else:
                counts[a.index] = max(1, round(a.staff_share * w.professionals))
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
        n = w.professionals - int(counts[self.agency_statutory].sum())
        by_sector = {}
        if "acute" in sized:
            by_sector["acute"] = max(1, round(ACUTE_SHARE * n))
        rest = n - by_sector.get("acute", 0)
        if "pct" in sized and "council" in sized:
            n_pct = max(len(sized["pct"]), round(rest * demand[0] / demand.sum()))
            by_sector["pct"] = n_pct
            by_sector["council"] = max(len(sized["council"]), rest - n_pct)
        else:
            for sector in ("pct", "council"):
                if sector in sized:
                    by_sector[sector] = max(len(sized[sector]), rest)
        for sector, count in by_sector.items():
            agencies = sized[sector]
            covered = np.array([self._localities_covered(a) for a in agencies], float)
            share = np.floor(count * covered / covered.sum()).astype(int)
            share[np.argsort(-(count * covered / covered.sum() - share))[: count - share.sum()]] += 1
            for a, k in zip(agencies, share, strict=True):
                counts[a.index] = max(int(k), 1)
        return counts

    def _build_staff(self) -> None:
        """Build the professionals of every agency: profession, patch, pay and culture norm."""
        w = self.params.workforce
        employer = np.repeat(np.arange(self.n_agencies), self._staff_counts())
        n, dims = employer.size, self.params.culture.dims
        s = Staff(n, self.n_agencies, len(self.professions), dims)
        s.set_employers(employer)
        rng = self.streams.staff
        sector_extra = rng.random((len(SECTORS), max(dims - 2, 0)))
        for k, a in enumerate(self.agency_list):
            rows = np.flatnonzero(employer == k)
            mix = np.asarray(a.mix, float)
            prof = rng.choice(len(a.professions), rows.size, p=mix if mix.sum() == 1.0 else mix / mix.sum())
            s.profession[rows] = [self.professions.index(a.professions[p]) for p in prof]
            if len(a.areas) == 1:
                s.patch[rows] = a.areas[0]
            elif not a.areas:
                s.patch[rows] = rng.integers(0, self.geo.n_areas, rows.size)
            else:
                s.patch[rows] = np.asarray(a.areas)[rng.integers(0, len(a.areas), rows.size)]
            if a.pay is not None:
                s.pay[rows] = a.pay
            elif a.health:
                s.pay[rows] = 1.0 + self.params.workforce.pay_gap
            else:
                s.pay[rows] = 1.0 if a.statutory else 0.85
            s.norm[rows, 0] = self.profession_norm[s.profession[rows]]
            if dims > 1:
                s.norm[rows, 1] = a.culture
                s.norm[rows, 2:] = sector_extra[self.SECTOR_CODE[a.sector]]
        s.frontline[:] = self.profession_frontline[s.profession]
        s.contracted[:] = w.hours * (1.0 - self.policy.dedicated_time) * w.casework_share
        self.staff = s
        self.workforce = Workforce(s, self.params, self.streams, partial(Professional, self))
        self.workforce.hire(np.arange(n))

    def _localities_covered(self, agency: Agency) -> int:
        """Number of localities in the areas an agency covers (health areas for acute trusts and PCTs)."""
        if not agency.areas:
            return self.geo.n_localities
        areas = self.geo.health if agency.sector in HEALTH_AREA_SECTORS else self.geo.council
        return int(np.isin(areas, agency.areas).sum())

    def _set_budgets(self, rows: np.ndarray) -> None:
        pop = self.pop
        u, d = np.nonzero(pop.funder[rows] >= 0)
        funder = pop.funder[rows[u], d]
        agency = funder < self.n_agencies
        from sim.mechanisms import community

        users, doms = rows[u][agency], d[agency]
        cost = community.weekly_cost(
            self, pop.hours[users, doms] * community.waste(self), pop.resp[users, doms]
        )
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
