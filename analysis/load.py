"""Read a sweep for analysis: its results, its weekly table and its experiment.

:func:`load` accepts a sweep folder (``multirun/NAME``; collected first if it has no
``results.parquet``), a folder holding ``results.parquet`` (and, optionally,
``timeseries.parquet``), or the path of a ``results.parquet``. A sweep folder is collected again
when its tables are not a whole collect (``collected.json`` does not name both by checksum) or
its job folders changed since; results from more than one code fingerprint are refused. Every
problem with the input is an :class:`~analysis.errors.AnalysisError` with a one-line message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.collect import COLLECTED, CollectError, collect, folder_state, read_collected, write
from analysis.design import Experiment, check_results, experiment_header
from analysis.errors import AnalysisError
from runner.files import MANIFEST, RESULTS, SUMMARY
from runner.files import RESULTS_TIMESERIES as TIMESERIES


@dataclass
class Sweep:
    """A sweep, read for analysis.

    Attributes:
        folder: the folder the tables were read from.
        results: one row per finished run.
        timeseries: one row per finished run and week (empty when there is no weekly table).
        experiment: what the experiment asks and how it was designed.
        total: runs the sweep was meant to have (from ``sweep.json``), or the runs found.
        failed: the jobs that raised, as ``job: error`` lines.
        notes: anything the reader should know about the tables (stale, incomplete).
    """

    folder: Path
    results: pd.DataFrame
    timeseries: pd.DataFrame
    experiment: Experiment
    total: int = 0
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a damaged or foreign file
        raise AnalysisError(f"{path}: unreadable parquet file ({type(err).__name__})") from err


def _config(folder: Path, results: pd.DataFrame) -> dict:
    """The resolved config of one run of the sweep: a job's summary.json, else multirun.yaml."""
    jobs = results["job"].dropna().astype(str).tolist() if "job" in results.columns else []
    for job in jobs[:5]:
        path = folder / job / SUMMARY
        if path.is_file():
            try:
                return json.loads(path.read_text()).get("config") or {}
            except ValueError:
                continue
    path = folder / "multirun.yaml"
    if path.is_file():
        import yaml

        try:
            cfg = yaml.safe_load(path.read_text()) or {}
        except (OSError, ValueError):
            cfg = {}
        if isinstance(cfg, dict):
            return cfg
    return {}


def experiment_of(folder: Path, results: pd.DataFrame) -> Experiment:
    """The experiment of a sweep, from its run configs, or from the results table alone."""
    cfg = _config(folder, results)
    name = str((cfg.get("experiment") or {}).get("name") or "")
    if not name and "experiment" in results.columns and results["experiment"].notna().any():
        name = str(results["experiment"].dropna().iloc[0])
        cfg = {**cfg, "experiment": {**(cfg.get("experiment") or {}), "name": name}}
    exp = Experiment.from_config(cfg, header=experiment_header(name) if name else "")
    if not cfg.get("experiment", {}).get("design") and "sample" in results.columns:
        samples = pd.to_numeric(results["sample"], errors="coerce").fillna(-1)
        exp.design = "sampled" if (samples >= 0).all() else "grid"
    if exp.weeks is None and "weeks" in results.columns:
        exp.weeks = int(results["weeks"].max())
    return exp


def load(path: str | Path, *, collect_missing: bool = True) -> Sweep:
    """Read a sweep, or a folder with ``results.parquet``, for analysis.

    Args:
        path: a sweep folder, a folder holding ``results.parquet``, or a ``results.parquet`` file.
        collect_missing: collect a sweep folder that has no ``results.parquet`` yet (and write the
            tables into it, as ``partnersim-collect`` does).

    Returns:
        The sweep.

    Raises:
        AnalysisError: if the path is missing, is not a sweep, or its results table is empty or
            lacks the columns the analysis needs.
    """
    path = Path(path)
    if path.is_file() and path.suffix == ".parquet":
        folder, results_path = path.parent, path
    elif path.is_dir():
        folder, results_path = path, path / RESULTS
    elif path.exists():
        raise AnalysisError(f"{path}: not a folder or a results.parquet file")
    else:
        raise AnalysisError(f"{path}: no such folder")
    failed: list[str] = []
    notes: list[str] = []
    total = 0
    has_jobs = (folder / MANIFEST).is_file() or any(folder.glob("*/.hydra/overrides.yaml"))
    if results_path.is_file() and has_jobs and results_path == folder / RESULTS:
        record = read_collected(folder)
        why = ""
        if record is None:
            why = f"{RESULTS} and {TIMESERIES} are not one whole collect (no valid {COLLECTED})"
        elif record.get("state") != folder_state(folder):
            why = f"the job folders changed since {RESULTS} was written"
        if why and collect_missing:
            notes.append(f"Collected again: {why}.")
            results_path.unlink()
        elif why:
            raise AnalysisError(f"{folder}: {why}: run partnersim-collect {folder} again")
    if results_path.is_file():
        results = _read_parquet(results_path)
        ts_path = folder / TIMESERIES
        timeseries = _read_parquet(ts_path) if ts_path.is_file() else pd.DataFrame()
    elif collect_missing:
        try:
            collection = collect(folder)
        except CollectError as err:
            raise AnalysisError(f"{folder}: neither a sweep folder nor a folder with {RESULTS}") from err
        if collection.results.empty:
            raise AnalysisError(f"{folder}: no finished runs to analyse ({collection.total} in the sweep)")
        write(collection, folder)
        results, timeseries = collection.results, collection.timeseries
        failed = [f"{job}: {message}" for job, _, message in collection.failed]
        total = collection.total
    else:
        raise AnalysisError(f"{folder}: no {RESULTS} (run partnersim-collect {folder} first)")
    check_results(results, str(results_path))
    _check_code(results, notes)
    if not failed:
        failed = _failed_jobs(folder)
    manifest = folder / MANIFEST
    if not total and manifest.is_file():
        try:
            total = int(json.loads(manifest.read_text()).get("total", 0))
        except (OSError, ValueError, TypeError):
            total = 0
    total = total or len(results)
    record = read_collected(folder) if has_jobs else None
    if record is not None:
        left = [*record.get("damaged", []), *record.get("unused", [])]
        if left:
            notes.append(
                f"{len(left)} finished jobs are not used (damaged, outside the design or duplicates): "
                f"`partnersim-collect {folder}` lists them."
            )
    else:
        finished = len(list(folder.glob("*/summary.json")))
        if finished > len(results):
            notes.append(
                f"{finished - len(results)} finished runs are not in {RESULTS} yet: "
                f"run `partnersim-collect {folder}` again to include them."
            )
    if len(results) < total:
        notes.append(f"Only {len(results)} of the sweep's {total} runs finished; the report covers those.")
    return Sweep(folder, results, timeseries, experiment_of(folder, results), total, failed, notes)


def _check_code(results: pd.DataFrame, notes: list[str]) -> None:
    """Refuse results of more than one code fingerprint; note results of code not installed now."""
    if "fingerprint" not in results.columns or results["fingerprint"].isna().all():
        notes.append("The results record no code fingerprint (collected by an older partnersim).")
        return
    counts = results["fingerprint"].astype(str).value_counts()
    if len(counts) > 1:
        shown = ", ".join(f"{fp} ({n} runs)" for fp, n in counts.items())
        raise AnalysisError(
            f"the runs come from {len(counts)} code fingerprints ({shown}): "
            "run the sweep's command again to bring every job to one"
        )
    from runner.provenance import fingerprint

    if counts.index[0] != fingerprint():
        notes.append(
            f"These runs were computed by code fingerprint {counts.index[0]}; the installed code is "
            f"{fingerprint()}: run the sweep's command again for results of the installed code."
        )


def _failed_jobs(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.glob("*/error.json")):
        try:
            err = json.loads(path.read_text())
            out.append(f"{path.parent.name}: {err.get('error')}: {err.get('message')}")
        except (OSError, ValueError):
            out.append(f"{path.parent.name}: unreadable error.json")
    return out
