"""Print the rows of docs/ODD.md's table "What the presets produce" (means over seeds).

Run from the repository root: ``python scripts/preset_table.py`` (about a minute on 2 cores).
Each preset is composed as the command line composes it (:func:`runner.compose.compose_config`)
and run for its default five years with seeds 42, 1, 2, 3 and 4.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ProcessPoolExecutor

from runner.compose import CONFIG_DIR, compose_config
from sim import run_model

SEEDS = (42, 1, 2, 3, 4)
PRESETS = ("baseline", "mrs_smith", "pool_withdrawal", "care_trust", "invite_everyone", "dedicated_time",
           "money_turf_ego")  # fmt: skip
COLUMNS = (
    ("active_users", "{:,.0f}"),
    ("mean_wait_weeks", "{:.1f}"),
    ("wait_p90_weeks", "{:.1f}"),
    ("wait_over_26_share", "{:.1%}"),
    ("unmet_need", "{:.1%}"),
    ("readmission_rate", "{:.1%}"),
    ("delayed_discharges_council", "{:.1f}"),
    ("delayed_discharges_health", "{:.2f}"),
    ("withdrawals", "{:.1f}"),
)


def outcomes(job: tuple[str, int]) -> dict:
    """The final-year outcomes of one preset and seed."""
    preset, seed = job
    cfg = compose_config([f"run.seed={seed}", "run.progress=false", "run.figure=false"], scenario=preset)
    return run_model(dataclasses.replace(cfg))[1]["outcomes"]


def main() -> None:
    """Run every preset and seed, and print the table's rows."""
    assert (CONFIG_DIR / "scenario").is_dir()
    jobs = [(p, s) for p in PRESETS for s in SEEDS]
    with ProcessPoolExecutor() as pool:
        results = dict(zip(jobs, pool.map(outcomes, jobs), strict=True))
    for preset in PRESETS:
        cells = []
        for name, fmt in COLUMNS:
            values = [results[preset, s][name] for s in SEEDS]
            cells.append(fmt.format(sum(values) / len(values)))
        print(f"| `{preset}` | " + " | ".join(cells) + " |")
    # The lines below the table: delays counted against both sides, and misuse of pooled money.
    both = ", ".join(
        f"`{p}` {sum(results[p, s]['delayed_discharges_both'] for s in SEEDS) / len(SEEDS):.1f}"
        for p in PRESETS
    )
    print(f"\nDelayed bed-weeks a week counted against both: {both}.")
    for preset in PRESETS:
        misused = sum(results[preset, s]["pool_misuse_events"] > 0 for s in SEEDS)
        if misused:
            print(f"Misuse of pooled money: in {misused} of the {len(SEEDS)} `{preset}` runs.")


if __name__ == "__main__":
    main()
