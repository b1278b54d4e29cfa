"""Common random numbers: one random stream per process of the model.

Every process that draws random numbers draws from its own stream, spawned from the run's seed
(numpy's ``SeedSequence``, through ``Generator.spawn``). Two runs with the same seed that differ
only in a lever then see the same draws for everything the lever does not reach: the same users
arrive in the same localities with the same needs, the same professionals fall sick in the same
weeks, and so on. A difference between the two runs is then the lever's effect, not a different
history of chance (common random numbers: the variance of a paired comparison falls, and the
teaching app's compare mode shows two runs that a class can tell apart by the lever alone).

A stream is only as common as the number of draws made from it is: the arrivals, sickness and
leaving streams draw a number fixed by the parameters every week, so they stay in step across
levers; the others (an assessment, a dispute, a coordination) draw once per event, and drift
apart once the events differ, as they should.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RandomStreams:
    """The model's random streams, one per process (see the module docstring).

    Attributes:
        geography: the boundaries at the start.
        staff: professions, patches and sector cultures of the workforce at the start.
        hiring: a newcomer's culture, trust, understanding and loyalty.
        allocation: which professional takes a piece of work.
        arrivals: who arrives each week (and the initial caseload): locality, needs, hours,
            severity, means, well-being.
        workforce: sickness and leaving.
        assessment: assessment order and acceptance.
        funding: means tests, approvals, disputes, and the pool's initial caseload.
        coordination: joint-case success, starts and reviews.
        outcomes: admissions, readmissions, fitness for discharge, early discharges.
        meetings: who is invited.
        decisions: agencies' discretionary decisions (pool withdrawal).
        shocks: which localities, staff or budgets a shock hits.
    """

    geography: np.random.Generator
    staff: np.random.Generator
    hiring: np.random.Generator
    allocation: np.random.Generator
    arrivals: np.random.Generator
    workforce: np.random.Generator
    assessment: np.random.Generator
    funding: np.random.Generator
    coordination: np.random.Generator
    outcomes: np.random.Generator
    meetings: np.random.Generator
    decisions: np.random.Generator
    shocks: np.random.Generator

    @classmethod
    def spawn(cls, rng: np.random.Generator) -> RandomStreams:
        """Spawn every stream from ``rng`` (without drawing from it), in the order of the fields.

        Args:
            rng: the run's generator, seeded by the run's seed.

        Returns:
            The streams; the same seed always gives the same streams.
        """
        names = [f.name for f in dataclasses.fields(cls)]
        return cls(**dict(zip(names, rng.spawn(len(names)), strict=True)))
