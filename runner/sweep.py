"""Sweeps: the design and manifest of a sweep, resuming, failure records and progress.

Once every job of ``partnersim -m`` is checked (composed and fully validated), partnersim's
sweeper (hydra_plugins/partnersim_sweeper) writes ``sweep.json`` into the sweep folder
(:func:`write_manifest`): every job's overrides and the hash of its validated configuration
(:func:`config_hash`: the job's identity; ``0`` and ``0.0`` are one job), the design (the set of
those hashes), the command line, the code's fingerprint, the total and the start time (with
another sweeper, :class:`SweepCallback` writes it as the sweep starts, without the hashes). A
sweep folder holds one design: a rerun with another one stops before anything runs
(:func:`merge_design`), unless ``hydra.sweeper.extend=true`` adds its jobs to the design. Each job
then:

- skips itself only if its folder already holds a whole run (every file the summary records,
  unchanged) of the same configuration hash and code fingerprint
  (:func:`runner.provenance.fingerprint`; :func:`resume_state`); otherwise it runs again, so a
  change to the model's code or to a library reruns every job;
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


# Run settings that change how a run is shown, never its numbers: not part of a job's identity.
NOT_IDENTITY = ("progress", "figure")


class ManifestError(ValueError):
    """A sweep folder's ``sweep.json`` cannot be read, or does not hold this sweep's design."""


def config_hash(config: dict) -> str:
    """A job's identity: a hash of its validated configuration, in canonical form.

    ``config`` is :func:`sim.config.to_dict` of a validated Config, so every value has its
    schema's type (``0`` and ``0.0`` of a float lever hash alike) and the seed is the one the run
    uses; the run settings that do not change results (:data:`NOT_IDENTITY`) are left out.
    """
    run = {k: v for k, v in (config.get("run") or {}).items() if k not in NOT_IDENTITY}
    text = json.dumps({**config, "run": run}, sort_keys=True, default=str)
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


def read_manifest(sweep_dir: Path, strict: bool = False) -> dict | None:
    """The sweep's manifest, or None if there is none.

    Args:
        sweep_dir: the sweep folder.
        strict: raise for a damaged manifest, instead of taking it as absent.

    Raises:
        ManifestError: when ``strict``, for a manifest that is not the JSON of a manifest.
    """
    path = Path(sweep_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        if strict:
            raise ManifestError(f"{path} is damaged (not valid JSON: {type(err).__name__})") from err
        return None
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        if strict:
            raise ManifestError(f"{path} is damaged (it holds no list of jobs)")
        return None
    return data


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


def design_hash(hashes: Sequence[str]) -> str:
    """The hash of a design: of the set of its jobs' identities (their order does not matter)."""
    return hashlib.sha256(json.dumps(sorted(set(hashes))).encode()).hexdigest()[:16]


def write_manifest(
    config: DictConfig,
    jobs: list[list[str]],
    hashes: list[str] | None = None,
    extra: tuple[list[list[str]], list[str]] = ([], []),
) -> None:
    """Write ``sweep.json`` into the sweep folder: the design, the command, the code, the start time.

    Args:
        config: the composed configuration of the sweep (with its ``hydra`` node).
        jobs: every job's overrides, in launch order.
        hashes: each job's identity (:func:`config_hash`), when the sweeper computed them.
        extra: jobs (overrides, hashes) of the folder's design that this command does not run
            (kept by ``hydra.sweeper.extend=true``).
    """
    from runner import provenance

    sweep_dir = Path(config.hydra.sweep.dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    all_jobs = [*extra[0], *jobs]
    data: dict[str, Any] = {
        "total": len(all_jobs),
        "jobs": all_jobs,
        "started": time.time(),
        "finished_before": count_finished(sweep_dir),
        "launcher": str(config.hydra.launcher.get("_target_", "")),
        "overrides": list(config.hydra.overrides.task),
        "command": provenance.command_line(),
        **provenance.identity(),
    }
    if hashes is not None:
        all_hashes = [*extra[1], *hashes]
        data["hashes"] = all_hashes
        data["design"] = design_hash(all_hashes)
    _atomic_json(sweep_dir / MANIFEST, data)


def merge_design(
    sweep_dir: Path, jobs: list[list[str]], hashes: list[str], extend: bool
) -> tuple[list[list[str]], tuple[list[list[str]], list[str]]]:
    """Match a sweep's jobs to the design its folder already holds, or refuse a different one.

    A job whose identity is already in the folder's design takes the overrides written there
    (``policy.x=0`` becomes ``policy.x=0.0`` if that is how the first run wrote it), so it runs
    in, or resumes from, the same job folder instead of a new one beside it.

    Args:
        sweep_dir: the sweep folder.
        jobs: this command's jobs (overrides), in launch order.
        hashes: their identities (:func:`config_hash`).
        extend: add this command's jobs to a folder holding another design.

    Returns:
        The jobs to launch (with the folder's spelling of their overrides), and the jobs of the
        folder's design that this command leaves out (overrides, hashes: kept with ``extend``).

    Raises:
        ManifestError: one line, when the folder holds another design and ``extend`` is false, or
            its manifest is damaged.
    """
    try:
        old = read_manifest(sweep_dir, strict=not extend)
    except ManifestError as err:
        raise ManifestError(
            f"{err}: remove it (jobs already done are kept, and skipped if unchanged), use another "
            "folder (hydra.sweep.dir=...), or add hydra.sweeper.extend=true"
        ) from err
    if old is None:
        return jobs, ([], [])
    old_jobs = [list(map(str, j)) for j in old.get("jobs", [])]
    old_hashes = old.get("hashes")
    if not isinstance(old_hashes, list) or len(old_hashes) != len(old_jobs):
        # A manifest without identities (written by another sweeper): compare the overrides.
        old_hashes = [json.dumps(sorted(j)) for j in old_jobs]
        new_keys = [json.dumps(sorted(j)) for j in jobs]
    else:
        new_keys = list(hashes)
    spelling = dict(zip(old_hashes, old_jobs, strict=True))
    launched = [spelling.get(key, job) for key, job in zip(new_keys, jobs, strict=True)]
    added = [job for key, job in zip(new_keys, jobs, strict=True) if key not in spelling]
    wanted = set(new_keys)
    left_out = [(job, key) for key, job in spelling.items() if key not in wanted]
    if (added or left_out) and not extend:
        parts = []
        if added:
            parts.append(f"{len(added)} new job(s), e.g. {' '.join(added[0])}")
        if left_out:
            parts.append(
                f"{len(left_out)} of its {len(old_jobs)} job(s) left out, e.g. {' '.join(left_out[0][0])}"
            )
        raise ManifestError(
            f"{sweep_dir} holds another design ({len(old_jobs)} jobs) than this command ({len(jobs)} jobs: "
            f"{'; '.join(parts)}): use a new folder (hydra.sweep.dir=...), or add "
            "hydra.sweeper.extend=true to add these jobs to its design"
        )
    extra_jobs = [job for job, _ in left_out]
    extra_hashes = [key for _, key in left_out] if old.get("hashes") is not None else []
    return launched, (extra_jobs, extra_hashes)


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
        manifest = read_manifest(sweep_dir) or {"total": len(job_folders(sweep_dir))}
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


def resume_state(folder: Path, config: dict) -> tuple[dict | None, str]:
    """Whether a job's folder already holds its result, and if not, why it must run (again).

    The result is reused only if the folder holds a whole run (:func:`runner.outputs.verify_run`)
    of the same configuration hash and code fingerprint.

    Args:
        folder: the job's folder.
        config: the job's validated configuration, as :func:`sim.config.to_dict` gives it.

    Returns:
        The summary to reuse, or None with the reason to run (empty for a job never run).
    """
    from runner import provenance
    from runner.outputs import verify_run

    if not (folder / SUMMARY).exists():
        return None, ""
    try:
        summary = verify_run(folder)
    except ValueError as err:
        return None, f"its earlier result is damaged ({err})"
    if summary.get("config_hash") != config_hash(config):
        return None, "its configuration changed"
    if summary.get("fingerprint") != provenance.fingerprint():
        return None, "the code or a library changed since it ran"
    return summary, ""


def completed(folder: Path, config: dict) -> dict | None:
    """The summary of a job already done with this configuration and code, if any (:func:`resume_state`)."""
    return resume_state(folder, config)[0]


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
        try:
            found = yaml.safe_load(path.read_text()) or []
        except (OSError, yaml.YAMLError):
            continue  # a damaged record is another job's problem (collect lists it)
        if isinstance(found, list) and sorted(map(str, found)) == sorted(overrides):
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
