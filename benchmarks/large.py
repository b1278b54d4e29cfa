"""Time a large patch: 50,000 users and 5,000 professionals for five years, on one core.

Run from the repository root::

    python benchmarks/large.py

The population, the workforce and the arrival rates are all 25 times the default's, so the
caseload stays about 25 times the default baseline's. The run is single-threaded (numpy's
element-wise operations use one core). Target: under one minute. This is a measurement, not a
test: it always exits 0 and prints PASS or FAIL.
"""

from __future__ import annotations

import time

from sim.config import PopulationParams, WorkforceParams
from sim.run import run_model

SCALE = 25
TARGET_SECONDS = 60.0


def large_config(weeks: int = 260) -> dict:
    """The default configuration with users, professionals and arrivals scaled up 25 times."""
    pop = PopulationParams()
    return {
        "model": {
            "population": {
                "initial_users": pop.initial_users * SCALE,
                "community_referrals": pop.community_referrals * SCALE,
                "hospital_discharges": pop.hospital_discharges * SCALE,
            },
            "workforce": {"professionals": WorkforceParams().professionals * SCALE},
        },
        "run": {"weeks": weeks, "progress": False, "figure": False},
    }


def main() -> None:
    """Run the large patch once and report its time against the target."""
    start = time.perf_counter()
    table, summary = run_model(large_config())
    seconds = time.perf_counter() - start
    print(f"50,000 users, 5,000 professionals, 260 weeks: {seconds:.1f} s")
    unmet = summary["outcomes"]["unmet_need"]
    print(f"mean active users {table['active_users'].mean():,.0f}; unmet need {unmet:.3f}")
    print(f"target < {TARGET_SECONDS:.0f} s: {'PASS' if seconds < TARGET_SECONDS else 'FAIL'}")


if __name__ == "__main__":
    main()
