"""The names of the files in a run folder and in a sweep folder: one place for all of them.

A run folder (``outputs/SCENARIO/DATE_TIME``, or one job's folder in a sweep) holds:

- :data:`TIMESERIES`: the weekly table, one row per week;
- :data:`SUMMARY`: the final-period outcomes, the measured coterminosity, the seed, the package
  version and the resolved configuration;
- :data:`TRUST_MATRIX`: mean trust of each agency's staff (rows) in each agency (columns);
- :data:`JOURNEY`: the traced user's events, when a user is traced;
- :data:`OVERVIEW`: the overview figure, unless ``run.figure`` is false;
- :data:`ERROR`: in place of the outputs, the account of a sweep job that failed.

A sweep folder holds :data:`MANIFEST` (every job and the design, written before the first
starts), one folder per job, :data:`CRATE` (the sweep's Workflow Run RO-Crate: command, code,
configuration, every job's inputs and outputs) and what ``partnersim-collect`` writes:
:data:`RESULTS` and :data:`RESULTS_TIMESERIES`, then :data:`COLLECTED`, which names both tables
by checksum and the jobs they hold (the two tables count only as a pair that it names). Hydra
keeps each job's overrides in :data:`JOB_OVERRIDES`.

A calibration folder (``partnersim-calibrate``; read by experiments with ``experiment.posterior``)
holds :data:`POSTERIOR` (the final population of particles: one column per parameter, by its
dotted config key, and their weights in :data:`POSTERIOR_WEIGHT`) and :data:`CALIBRATION` (its
name, whether it finished, its parameters' bounds and its point estimate).
"""

from pathlib import Path

TIMESERIES = "timeseries.parquet"
SUMMARY = "summary.json"
TRUST_MATRIX = "trust_matrix.csv"
JOURNEY = "journey.csv"
OVERVIEW = "overview.png"
ERROR = "error.json"

MANIFEST = "sweep.json"
JOB_OVERRIDES = ".hydra/overrides.yaml"
RESULTS = "results.parquet"
RESULTS_TIMESERIES = "timeseries.parquet"
COLLECTED = "collected.json"
CRATE = "ro-crate-metadata.json"

POSTERIOR = "posterior.parquet"
POSTERIOR_WEIGHT = "weight"
CALIBRATION = "calibration.json"


def job_folders(sweep_dir: Path) -> list[Path]:
    """The job folders of a sweep folder, sorted: those Hydra started, and those lost before starting.

    A job Hydra started has its overrides in :data:`JOB_OVERRIDES`; a job the scheduler lost
    before it started has only the :data:`ERROR` the launcher wrote for it.
    """
    sweep_dir = Path(sweep_dir)
    found = {p.parent.parent for p in sweep_dir.glob(f"*/{JOB_OVERRIDES}")}
    found |= {p.parent for p in sweep_dir.glob(f"*/{ERROR}")}
    return sorted(found)
