"""Sweeps: the manifest of a sweep's jobs, resuming, failure records and progress.

Once every job of ``partnersim -m`` is checked, partnersim's sweeper
(hydra_plugins/partnersim_sweeper) writes ``sweep.json`` into the sweep folder
(:func:`write_manifest`): every job's overrides, the total and the start time (with another
sweeper, :class:`SweepCallback` writes it as the sweep starts). Each job then:

- skips itself if its folder already holds a ``summary.json`` of the same configuration and
  package version (:func:`completed`), so re-running an interrupted sweep loses only the jobs that
  had not finished;
- records an exception in ``error.json`` (:func:`record_failure`) instead of stopping the sweep;
- prints how many jobs are done out of how many, and an estimate of the time left
  (:func:`progress_line`).

When the sweep ends the callback prints a one-line account and remembers whether any job failed,
so that the command exits non-zero. ``partnersim-collect`` (:mod:`analysis.collect`) reads the
same files.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from runner.files import ERROR, MANIFEST, SUMMARY, job_folders

_state = {"failed": 0}


def _design_runs(design: str, n: int, levers: Any) -> str:
    from sim.config import design_runs

    count = design_runs(str(design), int(n), len(levers))
    return f"range(0,{count})"


OmegaConf.register_new_resolver("design_runs", _design_runs, replace=True)


def config_hash(config: dict) -> str:
    """A stable fingerprint of a resolved configuration (as plain dicts)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def expand_jobs(
    arguments: Sequence[str], config_loader: Any = None, max_batch_size: int | None = None
) -> list[list[list[str]]]:
    """Expand sweep overrides into batches of jobs, in the order Hydra's basic sweeper launches them.

    Each override keeps its first position (a key given twice keeps the place of its first
    mention and the values of its last); a sweep ``k=a,b`` or ``k=range(0,3)`` contributes one
    ``k=v`` per value, a plain override one ``k=v``; the jobs are the cartesian product, the last
    key varying fastest. The strings are written as Hydra writes them (``run.seed=1``, quoted
    values kept), so the job folders named after them are the same as with Hydra's sweeper.

    Args:
        arguments: ``key=value`` overrides: the sweeper's ``params`` first, then the command line.
        config_loader: Hydra's config loader, needed only to expand ``glob(...)`` over config groups.
        max_batch_size: jobs per batch; None (or -1) puts every job into one batch.

    Returns:
        The batches; each batch a list of jobs, each job a list of ``key=value`` strings. No
        arguments give one batch of one job with no overrides, as in Hydra.

    Raises:
        HydraException: for a sweep that is not a list of values (an interval).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create(config_loader=config_loader)
    choices: dict[str, list[str]] = {}
    for override in parser.parse_overrides(list(arguments)):
        key = override.get_key_element()
        if not override.is_sweep_override():
            choices[key] = [f"{key}={override.get_value_element_as_str()}"]
        elif override.is_discrete_sweep():
            choices[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            kind = override.value_type.name if override.value_type is not None else "?"
            raise HydraException(f"PartnersimSweeper does not support sweep type : {kind}")
    jobs = [list(job) for job in itertools.product(*choices.values())]
    if max_batch_size is not None and max_batch_size != -1 and max_batch_size <= 0:
        raise ValueError(f"max_batch_size must be positive, -1 or None, not {max_batch_size}")
    size = len(jobs) if max_batch_size in (None, -1) else max_batch_size
    return [jobs[i : i + size] for i in range(0, len(jobs), size)] if jobs else []


def sweep_arguments(config: DictConfig) -> list[str]:
    """A sweep's overrides as its sweeper sees them: ``hydra.sweeper.params``, then the command line."""
    params = config.hydra.sweeper.get("params") or {}
    return [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)


def expected_jobs(config: DictConfig) -> list[list[str]]:
    """Every job's overrides, in the order the sweep launches them (:func:`expand_jobs`).

    Args:
        config: the composed configuration of the sweep (with its ``hydra`` node).

    Returns:
        One list of ``key=value`` overrides per job.
    """
    return [job for batch in expand_jobs(sweep_arguments(config)) for job in batch]


def _atomic_json(path: Path, data: Any) -> None:
    from runner.outputs import atomic_write

    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str)))


def read_manifest(sweep_dir: Path) -> dict | None:
    """The sweep's manifest, or None if there is none."""
    path = Path(sweep_dir) / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def job_status(folder: Path) -> str:
    """``done``, ``failed`` or ``pending`` for a job folder."""
    if (folder / SUMMARY).is_file():
        return "done"
    if (folder / ERROR).is_file():
        return "failed"
    return "pending"


def count_finished(sweep_dir: Path) -> int:
    """Jobs of the sweep folder that finished, well or badly."""
    return sum(job_status(f) != "pending" for f in job_folders(sweep_dir))


def write_manifest(config: DictConfig, jobs: list[list[str]]) -> None:
    """Write ``sweep.json`` into the sweep folder: the jobs, their number and the start time.

    Args:
        config: the composed configuration of the sweep (with its ``hydra`` node).
        jobs: every job's overrides, in launch order.
    """
    sweep_dir = Path(config.hydra.sweep.dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    _atomic_json(
        sweep_dir / MANIFEST,
        {
            "total": len(jobs),
            "jobs": jobs,
            "started": time.time(),
            "finished_before": count_finished(sweep_dir),
            "launcher": str(config.hydra.launcher.get("_target_", "")),
            "overrides": list(config.hydra.overrides.task),
        },
    )


def _own_sweeper(config: DictConfig) -> bool:
    """Whether the sweep runs on partnersim's sweeper, which writes the manifest itself."""
    return str(config.hydra.sweeper.get("_target_", "")).endswith(".PartnersimSweeper")


class SweepCallback(Callback):
    """Writes the manifest when a sweep starts and an account of it when it ends."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Reset the failure count; write ``sweep.json`` unless partnersim's sweeper will.

        partnersim's sweeper (``hydra/sweeper=partnersim``, the default) writes the manifest
        only after checking every job, so a bad override leaves no sweep folder behind; with
        another sweeper the manifest is written here, before the jobs are checked.
        """
        _state["failed"] = 0
        if not _own_sweeper(config):
            write_manifest(config, expected_jobs(config))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Print how many jobs finished and failed; remember failures for the exit status."""
        sweep_dir = Path(config.hydra.sweep.dir)
        manifest = read_manifest(sweep_dir) or {"total": 0}
        statuses = [job_status(f) for f in job_folders(sweep_dir)]
        failed = statuses.count("failed")
        done = statuses.count("done")
        _state["failed"] = failed
        line = f"sweep {sweep_dir}: {done} of {manifest['total']} jobs done"
        if failed:
            line += f", {failed} failed (see error.json in their folders, or partnersim-collect)"
        print(line, flush=True)


def sweep_failed() -> bool:
    """Whether the last sweep run in this process had a failed job."""
    return _state["failed"] > 0


def completed(folder: Path, config: dict, version: str) -> dict | None:
    """The summary of a job already completed with this configuration and version, if any."""
    path = folder / SUMMARY
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if summary.get("config_hash") == config_hash(config) and summary.get("version") == version:
        return summary
    return None


def record_failure(folder: Path, err: BaseException, overrides: list[str]) -> None:
    """Write ``error.json`` for a job that raised: what, where, and the traceback."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SUMMARY).unlink(missing_ok=True)
    _atomic_json(
        folder / ERROR,
        {
            "error": type(err).__name__,
            "message": str(err),
            "overrides": overrides,
            "traceback": "".join(traceback.format_exception(err)),
            "time": time.time(),
        },
    )


def record_lost_job(sweep_dir: Path, num: int, overrides: list[str], reason: BaseException) -> Path:
    """Record a job whose process died or was lost (killed, out of memory, cancelled) as failed.

    The job's folder is the one Hydra started for these overrides (found by its
    ``.hydra/overrides.yaml``), or ``unstarted_NUM`` if it never started. Nothing is written if
    the job recorded its own end (``summary.json`` or ``error.json``). Prints one line on stderr,
    as a job that raised does.

    Args:
        sweep_dir: the sweep folder.
        num: the job's number in the sweep.
        overrides: the job's overrides.
        reason: what became of the job.

    Returns:
        The job's folder.
    """
    import yaml

    from runner.files import JOB_OVERRIDES

    sweep_dir = Path(sweep_dir)
    folder = sweep_dir / f"unstarted_{num}"
    for path in sweep_dir.glob(f"*/{JOB_OVERRIDES}"):
        if sorted(yaml.safe_load(path.read_text()) or []) == sorted(overrides):
            folder = path.parent.parent
            break
    if not (folder / ERROR).exists() and not (folder / SUMMARY).exists():
        record_failure(folder, reason, overrides)
        print(f"error in job #{num} ({' '.join(overrides)}): {reason}", file=sys.stderr, flush=True)
    return folder


def progress_line(sweep_dir: Path) -> str | None:
    """``k/n jobs done, about T left`` for a running sweep, from its manifest and job folders."""
    manifest = read_manifest(sweep_dir)
    if not manifest or not manifest.get("total"):
        return None
    total = manifest["total"]
    done = min(count_finished(sweep_dir), total)
    fresh = done - manifest.get("finished_before", 0)
    elapsed = time.time() - manifest["started"]
    line = f"{done}/{total} jobs done"
    if fresh > 0 and done < total:
        left = elapsed / fresh * (total - done)
        line += f", about {_duration(left)} left"
    return line


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
