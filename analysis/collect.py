"""Collect a sweep into two tables: ``partnersim-collect SWEEP_DIR`` (or ``python -m analysis.collect``).

A sweep folder (``multirun/NAME``) holds one folder per job, each with Hydra's record of the job
(``.hydra/overrides.yaml``, ``.hydra/config.yaml``) and either the run's outputs
(``summary.json``, ``timeseries.parquet``) or an ``error.json``. The collector writes into the
sweep folder:

- ``results.parquet``: one row per finished run, with the job, its overrides, the levers and model
  parameters (``policy.*``, ``model.*``), the seed, the replication, the posterior draw (``draw``,
  -1 without a posterior; ``posterior`` names the calibration folder), the configuration hash and
  code fingerprint, and the summary outcomes under their own names;
- ``timeseries.parquet``: one row per finished run and week, with the same identifying columns;
- ``collected.json``: the SHA-256 of both tables, the jobs used, and the state of the job folders
  they were read from. It is removed before the tables are replaced and written after both, so
  the two tables count as collected only together (:func:`read_collected` checks the checksums):
  an interrupted collect leaves no pair that a reader takes as current.

Every job's files are verified first (:func:`runner.outputs.verify_run`: the summary is a summary,
every table it records is there with the content the run wrote). A job that is damaged, failed,
outside the sweep's design (``sweep.json``) or a duplicate of another is listed with the reason,
never used, never dropped silently; rerunning the sweep's command redoes damaged jobs (its resume
verifies the same files). It works on a sweep that is still running or was interrupted, and lists
every job that is missing (in the manifest but not finished). The exit status is 0 when every job
of the design was collected from one code fingerprint, 1 when jobs failed, are missing or damaged,
or the jobs come from more than one code fingerprint, 2 when the folder cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from runner.files import COLLECTED, ERROR, JOB_OVERRIDES, MANIFEST, RESULTS, SUMMARY, job_folders
from runner.files import RESULTS_TIMESERIES as TIMESERIES
from runner.files import TIMESERIES as JOB_TIMESERIES

SHOWN_JOBS = 50  # up to this many used jobs are printed by name; more are in collected.json


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
        damaged: (job, overrides, what is wrong) of the jobs whose files cannot be trusted.
        unused: (job, why) of finished jobs left out: outside the design, or a duplicate.
        used: the jobs whose runs are in the tables.
        fingerprints: jobs used per code fingerprint.
        problems: what is wrong with the sweep folder itself (a damaged ``sweep.json``).
        state: the state of the job folders the tables were read from (:func:`folder_state`).
    """

    results: pd.DataFrame
    timeseries: pd.DataFrame
    failed: list[tuple[str, list[str], str]] = field(default_factory=list)
    missing: list[list[str]] = field(default_factory=list)
    total: int = 0
    damaged: list[tuple[str, list[str], str]] = field(default_factory=list)
    unused: list[tuple[str, str]] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    fingerprints: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    state: str = ""

    @property
    def complete(self) -> bool:
        """Whether every job of the design is in the tables, all from one code fingerprint."""
        bad = self.failed or self.missing or self.damaged or self.unused or self.problems
        return not bad and len(self.fingerprints) <= 1


def _overrides(job: Path) -> list[str]:
    """A job's overrides (Hydra's record, or a lost job's error.json).

    Raises:
        ValueError: one line, if the record is not a list of overrides.
    """
    import yaml

    path = job / JOB_OVERRIDES
    if not path.is_file() and (job / ERROR).is_file():
        try:
            err = json.loads((job / ERROR).read_text())
            return [str(x) for x in err.get("overrides", [])] if isinstance(err, dict) else []
        except (OSError, ValueError):
            return []
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ValueError(f"malformed {JOB_OVERRIDES} ({type(err).__name__})") from err
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError(f"malformed {JOB_OVERRIDES} (not a list of overrides)")
    return [str(x) for x in data]


def _file_sha(path: Path) -> str:
    from runner.outputs import file_sha256

    return file_sha256(path)


def folder_state(sweep_dir: str | Path) -> str:
    """A hash of what the job folders hold now: each job's summary, error and tables.

    Summaries and errors by content; tables by size and modification time (a summary records
    its tables' checksums, so a rerun job changes its summary).
    """
    digest = hashlib.sha256()
    for job in job_folders(Path(sweep_dir)):
        digest.update(job.name.encode() + b"\0")
        for name in (SUMMARY, ERROR, JOB_OVERRIDES):
            path = job / name
            digest.update(_file_sha(path).encode() if path.is_file() else b"-")
        for name in (JOB_TIMESERIES,):
            path = job / name
            stat = path.stat() if path.is_file() else None
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode() if stat else b"-")
    return digest.hexdigest()[:16]


def _flatten(prefix: str, data: dict, out: dict) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            _flatten(f"{prefix}{key}.", value, out)
        elif not isinstance(value, list):
            out[f"{prefix}{key}"] = value


def _row(job: Path, summary: dict, overrides: list[str]) -> dict:
    cfg = summary.get("config", {})
    exp = cfg.get("experiment", {})
    row = {
        "job": job.name,
        "status": "done",
        "scenario": summary.get("scenario"),
        "seed": summary.get("seed"),
        "replicate": exp.get("replicate"),
        # A posterior draw is a replication too (runs of older code, without one, drew none).
        "draw": exp.get("draw", -1),
        "posterior": exp.get("posterior", ""),
        "sample": exp.get("sample"),
        "experiment": exp.get("name"),
        "measured_coterminosity": summary.get("measured_coterminosity"),
        "weeks": summary.get("weeks"),
        "version": summary.get("version"),
        "config_hash": summary.get("config_hash"),
        "fingerprint": summary.get("fingerprint"),
    }
    levers: dict = {}
    _flatten("policy.", cfg.get("policy", {}), levers)
    _flatten("model.", cfg.get("model", {}), levers)
    row.update(levers)
    row["shocks"] = json.dumps(cfg.get("scenario", {}).get("shocks", []))
    row["overrides"] = " ".join(overrides)
    row.update(summary.get("outcomes", {}))
    return row


def collect(sweep_dir: str | Path) -> Collection:
    """Read and verify every job of a sweep folder.

    Args:
        sweep_dir: the sweep folder (``hydra.sweep.dir``).

    Returns:
        The tables, the jobs used, and every job not used with the reason.

    Raises:
        CollectError: if the folder does not exist or holds no jobs.
    """
    from runner.outputs import verify_run
    from runner.sweep import read_manifest

    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise CollectError(f"{sweep_dir}: no such sweep folder")
    state = folder_state(sweep_dir)
    jobs = job_folders(sweep_dir)
    problems = []
    manifest = read_manifest(sweep_dir)
    if manifest is None and (sweep_dir / MANIFEST).is_file():
        problems.append(f"{MANIFEST} is damaged: the sweep's design and total are unknown")
    if not jobs and not manifest:
        raise CollectError(f"{sweep_dir}: not a sweep folder (no job folders with {JOB_OVERRIDES})")
    design = set(manifest.get("hashes") or []) if manifest else set()
    rows, series, failed, damaged, unused, used = [], [], [], [], [], []
    accounted: set[tuple[str, ...]] = set()
    by_hash: dict[str, str] = {}
    listed = {tuple(sorted(map(str, j))) for j in manifest["jobs"]} if manifest else set()
    records: list[tuple[Path, list[str]]] = []
    for job in jobs:
        try:
            records.append((job, _overrides(job)))
        except ValueError as err:
            damaged.append((job.name, [], str(err)))
    # Of two folders of one job (an older run's ``x=0`` beside ``x=0.0``), the one the manifest
    # names is used, the other listed.
    records.sort(key=lambda r: (tuple(sorted(r[1])) not in listed, r[0].name))
    for job, overrides in records:
        key = tuple(sorted(overrides))
        if (job / SUMMARY).exists():
            try:
                summary = verify_run(job)
                ts = pd.read_parquet(job / JOB_TIMESERIES)
            except Exception as err:  # pyarrow raises several types for a damaged table
                damaged.append(
                    (job.name, overrides, str(err) if isinstance(err, ValueError) else type(err).__name__)
                )
                accounted.add(key)
                continue
            identity = str(summary.get("config_hash"))
            if design and identity not in design:
                unused.append((job.name, "not in the sweep's design (sweep.json): another design's job"))
                continue
            if identity in by_hash:
                unused.append(
                    (job.name, f"the same configuration and seed as {by_hash[identity]}, used once")
                )
                accounted.add(key)
                continue
            by_hash[identity] = job.name
            row = _row(job, summary, overrides)
            rows.append(row)
            used.append(job.name)
            accounted.add(key)
            for col in ("job", "seed", "replicate", "draw", "sample", "scenario"):
                ts.insert(0, col, row[col])
            for name, value in row.items():
                if name.startswith("policy.") or name == "shocks":
                    ts[name] = value
            series.append(ts)
        elif (job / ERROR).is_file():
            try:
                err = json.loads((job / ERROR).read_text())
                message = f"{err.get('error')}: {err.get('message')}"
            except (OSError, ValueError, AttributeError):
                message = f"unreadable {ERROR}"
            failed.append((job.name, overrides, message))
            accounted.add(key)
    missing = []
    if manifest:
        hashes = manifest.get("hashes") or [None] * len(manifest["jobs"])
        for job_overrides, identity in zip(manifest["jobs"], hashes, strict=False):
            if identity in by_hash or tuple(sorted(map(str, job_overrides))) in accounted:
                continue
            missing.append([str(o) for o in job_overrides])
    total = int(manifest.get("total", len(manifest["jobs"]))) if manifest else len(jobs)
    results = pd.DataFrame(rows)
    timeseries = pd.concat(series, ignore_index=True) if series else pd.DataFrame()
    fingerprints = Counter(str(r.get("fingerprint")) for r in rows)
    return Collection(
        results,
        timeseries,
        failed,
        missing,
        total,
        damaged,
        unused,
        used,
        dict(fingerprints),
        problems,
        state,
    )


def read_collected(sweep_dir: str | Path) -> dict | None:
    """The record of the last collect, if both tables are there with the content it wrote.

    Returns:
        The record (``collected.json``), or None if there is none, it is damaged, or either
        table differs from what it names (a collect interrupted, a table replaced).
    """
    sweep_dir = Path(sweep_dir)
    try:
        record = json.loads((sweep_dir / COLLECTED).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("tables"), dict):
        return None
    for name, digest in record["tables"].items():
        path = sweep_dir / name
        if not path.is_file() or _file_sha(path) != digest:
            return None
    return record


def write(collection: Collection, sweep_dir: str | Path) -> tuple[Path, Path]:
    """Write ``results.parquet``, ``timeseries.parquet`` and ``collected.json``: together or not at all.

    The record goes first (so that during the replacement no pair counts as collected) and is
    written again last, naming both tables by checksum (:func:`read_collected`). Each file is
    written under a temporary name and renamed into place.
    """
    from runner.outputs import atomic_write

    sweep_dir = Path(sweep_dir)
    (sweep_dir / COLLECTED).unlink(missing_ok=True)
    res = atomic_write(sweep_dir / RESULTS, lambda tmp: collection.results.to_parquet(tmp, index=False))
    ts = atomic_write(sweep_dir / TIMESERIES, lambda tmp: collection.timeseries.to_parquet(tmp, index=False))
    record = {
        "tables": {RESULTS: _file_sha(res), TIMESERIES: _file_sha(ts)},
        "state": collection.state,
        "jobs": collection.used,
        "fingerprints": collection.fingerprints,
        "total": collection.total,
        "failed": [job for job, _, _ in collection.failed],
        "damaged": [job for job, _, _ in collection.damaged],
        "unused": [job for job, _ in collection.unused],
        "missing": collection.missing,
        "collected": time.time(),
    }
    text = json.dumps(record, indent=2) + "\n"
    atomic_write(sweep_dir / COLLECTED, lambda tmp: tmp.write_text(text))
    try:
        from runner.provenance import write_crate

        write_crate(sweep_dir)
    except Exception as err:  # the tables stand without their description
        print(f"warning: could not update the sweep's RO-Crate: {type(err).__name__}: {err}", file=sys.stderr)
    return res, ts


def report_lines(collection: Collection) -> tuple[list[str], list[str]]:
    """What collect tells: the account (stdout) and every job not used, with why (stderr)."""
    out, err = [], []
    prints = ", ".join(f"{fp} ({n} jobs)" for fp, n in sorted(collection.fingerprints.items()))
    out.append(
        f"{len(collection.results)} of {collection.total} runs collected, code fingerprint {prints or 'none'}"
    )
    if len(collection.used) <= SHOWN_JOBS:
        out.extend(f"used: {job}" for job in collection.used)
    else:
        out.append(f"the {len(collection.used)} jobs used are listed in {COLLECTED}")
    err.extend(f"problem: {p}" for p in collection.problems)
    for job, overrides, message in collection.failed:
        err.append(f"failed: {job} ({' '.join(overrides)}): {message}")
    for job, _, message in collection.damaged:
        err.append(f"damaged, not used: {job}: {message}; run the sweep's command again to redo it")
    for job, why in collection.unused:
        err.append(f"not used: {job}: {why}")
    for overrides in collection.missing:
        err.append(f"missing: {' '.join(overrides)}")
    if len(collection.fingerprints) > 1:
        err.append(
            f"mixed: the runs come from {len(collection.fingerprints)} code fingerprints ({prints}); "
            "run the sweep's command again to bring every job to the installed code"
        )
    return out, err


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
    out, err = report_lines(collection)
    out[0] += f" into {res} (and {TIMESERIES}, {COLLECTED})"
    print("\n".join(out))
    if err:
        print("\n".join(err), file=sys.stderr)
    return 0 if collection.complete else 1


if __name__ == "__main__":
    sys.exit(main())
