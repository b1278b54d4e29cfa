"""Collect a sweep into two tables: ``partnersim-collect SWEEP_DIR`` (or ``python -m analysis.collect``).

A sweep folder (``multirun/NAME``) holds one folder per job, each with Hydra's record of the job
(``.hydra/overrides.yaml``, ``.hydra/config.yaml``) and either the run's outputs
(``summary.json``, ``timeseries.parquet``) or an ``error.json``. The collector writes, atomically,
into the sweep folder:

- ``results.parquet``: one row per finished run, with the job, its overrides, the levers and model
  parameters (``policy.*``, ``model.*``), the seed, the replication and the summary outcomes
  under their own names;
- ``timeseries.parquet``: one row per finished run and week, with the same identifying columns.

It works on a sweep that is still running or was interrupted, and lists every job that failed
(with its error) or is missing (in the sweep's ``sweep.json`` manifest but not finished). The exit
status is 0 when the tables were written, 1 when jobs failed or are missing, 2 when the folder
cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from runner.files import ERROR, JOB_OVERRIDES, MANIFEST, RESULTS, SUMMARY, job_folders
from runner.files import RESULTS_TIMESERIES as TIMESERIES
from runner.files import TIMESERIES as JOB_TIMESERIES


class CollectError(Exception):
    """The sweep folder cannot be read (one line, for the command line)."""


@dataclass
class Collection:
    """What a sweep folder holds.

    Attributes:
        results: one row per finished run.
        timeseries: one row per finished run and week.
        failed: (job, overrides, error) of the jobs that raised.
        missing: overrides of the jobs in the manifest that have not finished.
        total: jobs in the manifest (or found, without a manifest).
    """

    results: pd.DataFrame
    timeseries: pd.DataFrame
    failed: list[tuple[str, list[str], str]] = field(default_factory=list)
    missing: list[list[str]] = field(default_factory=list)
    total: int = 0


def _overrides(job: Path) -> list[str]:
    import yaml

    path = job / JOB_OVERRIDES
    if not path.is_file() and (job / ERROR).is_file():
        return [str(x) for x in json.loads((job / ERROR).read_text()).get("overrides", [])]
    try:
        return [str(x) for x in (yaml.safe_load(path.read_text()) or [])]
    except (OSError, ValueError) as err:
        raise CollectError(f"{path}: unreadable ({err})") from err


def _flatten(prefix: str, data: dict, out: dict) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            _flatten(f"{prefix}{key}.", value, out)
        elif not isinstance(value, list):
            out[f"{prefix}{key}"] = value


def _row(job: Path, summary: dict) -> dict:
    cfg = summary.get("config", {})
    row = {
        "job": job.name,
        "status": "done",
        "scenario": summary.get("scenario"),
        "seed": summary.get("seed"),
        "replicate": cfg.get("experiment", {}).get("replicate"),
        "sample": cfg.get("experiment", {}).get("sample"),
        "experiment": cfg.get("experiment", {}).get("name"),
        "measured_coterminosity": summary.get("measured_coterminosity"),
        "weeks": summary.get("weeks"),
        "version": summary.get("version"),
    }
    levers: dict = {}
    _flatten("policy.", cfg.get("policy", {}), levers)
    _flatten("model.", cfg.get("model", {}), levers)
    row.update(levers)
    row["shocks"] = json.dumps(cfg.get("scenario", {}).get("shocks", []))
    row["overrides"] = " ".join(_overrides(job))
    row.update(summary.get("outcomes", {}))
    return row


def collect(sweep_dir: str | Path) -> Collection:
    """Read every job of a sweep folder.

    Args:
        sweep_dir: the sweep folder (``hydra.sweep.dir``).

    Returns:
        The tables and the failed and missing jobs.

    Raises:
        CollectError: if the folder does not exist or holds no jobs.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise CollectError(f"{sweep_dir}: no such sweep folder")
    jobs = job_folders(sweep_dir)
    manifest_path = sweep_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
    if not jobs and not manifest:
        raise CollectError(f"{sweep_dir}: not a sweep folder (no job folders with {JOB_OVERRIDES})")
    rows, series, failed, finished = [], [], [], set()
    for job in jobs:
        overrides = _overrides(job)
        summary_path, error_path = job / SUMMARY, job / ERROR
        if summary_path.is_file():
            try:
                summary = json.loads(summary_path.read_text())
            except ValueError as err:
                failed.append((job.name, overrides, f"unreadable {SUMMARY}: {err}"))
                continue
            row = _row(job, summary)
            rows.append(row)
            finished.add(tuple(sorted(overrides)))
            ts_path = job / JOB_TIMESERIES
            if ts_path.is_file():
                ts = pd.read_parquet(ts_path)
                for col in ("job", "seed", "replicate", "sample", "scenario"):
                    ts.insert(0, col, row[col])
                for key, value in row.items():
                    if key.startswith("policy.") or key == "shocks":
                        ts[key] = value
                series.append(ts)
        elif error_path.is_file():
            try:
                err = json.loads(error_path.read_text())
                message = f"{err.get('error')}: {err.get('message')}"
            except ValueError:
                message = "unreadable error.json"
            failed.append((job.name, overrides, message))
            finished.add(tuple(sorted(overrides)))
    failed_keys = {tuple(sorted(o)) for _, o, _ in failed}
    missing = []
    if manifest:
        for job_overrides in manifest.get("jobs", []):
            key = tuple(sorted(job_overrides))
            if key not in finished and key not in failed_keys:
                missing.append(job_overrides)
    total = manifest["total"] if manifest else len(jobs)
    results = pd.DataFrame(rows)
    timeseries = pd.concat(series, ignore_index=True) if series else pd.DataFrame()
    return Collection(results, timeseries, failed, missing, total)


def write(collection: Collection, sweep_dir: str | Path) -> tuple[Path, Path]:
    """Write ``results.parquet`` and ``timeseries.parquet`` into the sweep folder, atomically."""
    from runner.outputs import atomic_write

    sweep_dir = Path(sweep_dir)
    res = atomic_write(sweep_dir / RESULTS, lambda tmp: collection.results.to_parquet(tmp, index=False))
    ts = atomic_write(sweep_dir / TIMESERIES, lambda tmp: collection.timeseries.to_parquet(tmp, index=False))
    return res, ts


def main(argv: list[str] | None = None) -> int:
    """The command line: collect, write, and list failed and missing jobs."""
    parser = argparse.ArgumentParser(
        prog="partnersim-collect",
        description="Gather the jobs of a partnersim sweep into results.parquet and timeseries.parquet.",
    )
    parser.add_argument("sweep_dir", help="the sweep folder, e.g. multirun/pooling_x_coterminosity")
    args = parser.parse_args(argv)
    try:
        collection = collect(args.sweep_dir)
        res, _ = write(collection, args.sweep_dir)
    except CollectError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {args.sweep_dir}: {err.strerror or err}", file=sys.stderr)
        return 2
    done = len(collection.results)
    print(f"{done} of {collection.total} runs collected into {res} (and {TIMESERIES})")
    for job, overrides, message in collection.failed:
        print(f"failed: {job} ({' '.join(overrides)}): {message}", file=sys.stderr)
    for overrides in collection.missing:
        print(f"missing: {' '.join(overrides)}", file=sys.stderr)
    return 1 if collection.failed or collection.missing else 0


if __name__ == "__main__":
    sys.exit(main())
