"""The sweeper of ``partnersim -m``: Hydra's basic sweeper, with a cheaper check and warm workers.

Hydra's basic sweeper expands ``a=1,2 b=x,y`` into the cartesian product of jobs and, before it
launches them, composes every job's configuration once in the parent process to catch a bad
override early. Composition costs about 0.06 s a job here, so a 1,000-run sweep spent a minute
checking before its first job started, and on a laptop that check and the workers' start-up were
the serial part that kept a local sweep from using both cores (see benchmarks/sweep.py).

This sweeper launches the same jobs in the same order and catches the same errors, for less:

- **Check.** Jobs are grouped by their *structural* overrides: config-group choices
  (``scenario=care_trust``, ``hydra/launcher=slurm``), additions and deletions (``+k=v``,
  ``~k``). One job of each group is composed in full; every other job of the group differs from
  it only in plain values (``run.seed=7``), and each distinct plain value is checked by assigning
  it to that composed configuration, exactly as Hydra's composition assigns it (types, struct
  mode, existing keys). A 5 x 4 grid of plain values costs one composition and 9 assignments
  instead of 20 compositions.
- **Forked workers.** With the joblib launcher and more than one worker, on Linux and from a
  process with no other thread, the workers are forked from the command's process (joblib's
  ``multiprocessing`` backend) rather than started afresh by loky: they inherit Hydra, numpy and
  joblib, so each imports only the model, and there is no loky bootstrap or resource tracker to
  start (:func:`launch_joblib`, :func:`fork_is_safe`).
- **Warm workers.** Elsewhere (macOS, Windows, a threaded host), loky's worker processes are
  started, and made to import the model (Mesa, pandas, pyarrow), in a background thread while
  the parent checks the jobs; the launcher's own ``Parallel`` then reuses those workers (joblib
  keeps one reusable executor per set of arguments), without waiting for the warm-up to end. A
  warm worker also keeps Hydra's plugin registry from job to job, instead of rebuilding it for
  every job (:func:`keep_plugins_across_jobs`), and its exit skips the interpreter's final
  garbage collections (:func:`quick_exit`). The jobs' shared part (Hydra's context, the
  configuration, the singleton state) is sent to the workers once per batch rather than pickled
  for every job (:func:`launch_joblib`). On other launchers, or one worker, nothing changes.

Select it with ``hydra/sweeper=partnersim`` (configs/config.yaml does); it takes the basic
sweeper's settings, ``max_batch_size`` and ``params``.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


class PartnersimSweeper(BasicSweeper):
    """Hydra's basic sweeper with a per-value check of the jobs and pre-started joblib workers."""

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Raise the error Hydra's composition would raise for any job of ``batch``, if any.

        Composes one job per distinct set of structural overrides, and checks every other plain
        ``key=value`` of the batch by assigning it to the composed configuration of its group.

        Args:
            batch: each job's overrides (``key=value`` strings).
        """
        assert self.hydra_context is not None and self.config is not None
        loader = self.hydra_context.config_loader
        parser = OverridesParser.create(config_loader=loader)
        groups: dict[tuple[str, ...], DictConfig] = {}
        checked: set[tuple[tuple[str, ...], str]] = set()
        for overrides in batch:
            parsed = parser.parse_overrides(list(overrides))
            signature = tuple(o.input_line for o in parsed if _structural(o, loader))
            if signature not in groups:
                groups[signature] = loader.load_sweep_config(self.config, list(overrides))
                checked.update((signature, o.input_line) for o in parsed)
                continue
            fresh = [o for o in parsed if (signature, o.input_line) not in checked]
            if fresh:
                # Assigning a plain value is what composition does after the defaults list is
                # merged; the configuration is a private copy made for this check.
                ConfigLoaderImpl._apply_overrides_to_config(fresh, groups[signature])
                checked.update((signature, o.input_line) for o in fresh)

    def sweep(self, arguments: list[str]) -> Any:
        """Check every job, then write the sweep folder and launch the jobs batch by batch.

        As Hydra's basic sweeper, except that all jobs are checked before anything is written
        (a bad override leaves no sweep folder behind), the manifest ``sweep.json`` is written
        here once the jobs are known to be good (:func:`runner.sweep.write_manifest`), and joblib
        workers warm up while the jobs are checked.

        Args:
            arguments: the command line's overrides.

        Returns:
            The JobReturns of each batch.
        """
        assert self.config is not None and self.launcher is not None and self.hydra_context is not None
        from runner import sweep as manifest

        conf = self._parse_config() + list(arguments)
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        self.overrides = self.split_arguments(parser.parse_overrides(conf), self.max_batch_size)
        jobs = sum(len(batch) for batch in self.overrides)
        # Several joblib workers: forked from this process where that is safe, otherwise loky's,
        # which warm up while the jobs are checked and the launcher prepares its first tasks
        # (joblib queues those behind the warm-up on the same workers, so nothing waits for it).
        self._parallel = _parallel_workers(self.launcher, jobs) >= 2
        self._fork = self._parallel and fork_is_safe()
        self._warm = _WarmWorkers.start(self.launcher, jobs) if self._parallel and not self._fork else None
        if self._parallel:
            log.debug("joblib workers: %s", "forked from this process" if self._fork else "loky's")
        try:
            tic = time.perf_counter()
            for batch in self.overrides:
                self.validate_batch_is_legal(batch)
            log.debug("checked %d batches in %.2f s", len(self.overrides), time.perf_counter() - tic)
            sweep_dir = Path(self.config.hydra.sweep.dir)
            sweep_dir.mkdir(parents=True, exist_ok=True)
            OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
            manifest.write_manifest(self.config, [list(job) for batch in self.overrides for job in batch])
            returns = []
            initial_job_idx = 0
            while not self.is_done():
                batch = self.get_job_batch()
                if self._parallel:  # the joblib launcher, with two workers or more
                    results = launch_joblib(self.launcher, batch, initial_job_idx, fork=self._fork)
                else:
                    results = self.launcher.launch(batch, initial_job_idx=initial_job_idx)
                for result in results:
                    _ = result.return_value  # raises if the job itself raised, as the basic sweeper does
                initial_job_idx += len(batch)
                returns.append(results)
            return returns
        finally:
            self._wait_for_workers()

    def _wait_for_workers(self) -> None:
        warm, self._warm = getattr(self, "_warm", None), None
        if warm is not None:
            warm.join()
            log.debug("warmed %d joblib workers in %.2f s", len(warm.pids), warm.seconds)


def launch_joblib(
    launcher: Any, job_overrides: Sequence[Sequence[str]], initial_job_idx: int, fork: bool = False
) -> list[Any]:
    """Run a batch of jobs as Hydra's joblib launcher does, sending the jobs' shared part once.

    Hydra's launcher passes every job the whole Hydra context, configuration, task function and
    singleton state (the ConfigStore with every schema), which joblib pickles again for each job in
    the parent and unpickles in the worker: about 10 ms of CPU a job, taken from the two cores
    the jobs run on. Here that shared part is pickled once per batch; each job carries those bytes,
    and a worker unpickles them once (:func:`execute_shared`). Each job then runs through Hydra's
    own ``execute_job``, as before, and the log lines are Hydra's.

    With ``fork``, the workers are joblib's ``multiprocessing`` ones, forked from this process
    (see :func:`fork_is_safe`), rather than loky's, started afresh: they inherit everything this
    process has imported (Hydra, numpy, joblib), so each imports only the model, and they end
    without tearing down their interpreter. Before the fork the collector's objects are frozen
    (``gc.freeze``), so that the workers' garbage collections do not copy the pages they share
    with this process; they are unfrozen when the batch ends.

    Args:
        launcher: the joblib launcher, set up by Hydra.
        job_overrides: each job's overrides.
        initial_job_idx: the index of the batch's first job in the sweep.
        fork: fork the workers from this process.

    Returns:
        The jobs' JobReturns, in order.
    """
    import uuid

    import cloudpickle
    from hydra.core.singleton import Singleton
    from hydra.core.utils import configure_log, filter_overrides, setup_globals
    from hydra_plugins.hydra_joblib_launcher import _core
    from joblib import Parallel, delayed

    setup_globals()
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    cfg = joblib_settings(launcher)
    assert cfg is not None
    settings = ",".join(f"{k}={v}" for k, v in cfg.items())
    _core.log.info(f"Joblib.Parallel({settings}) is launching {len(job_overrides)} jobs")
    _core.log.info(f"Launching jobs, sweep output dir : {sweep_dir}")
    for idx, overrides in enumerate(job_overrides):
        _core.log.info("\t#{} : {}".format(idx, " ".join(filter_overrides(overrides))))
    shared = (launcher.hydra_context, launcher.config, launcher.task_function, Singleton.get_state())
    payload, key = cloudpickle.dumps(shared), uuid.uuid4().hex
    jobs = (
        delayed(execute_shared)(initial_job_idx + idx, list(overrides), key, payload)
        for idx, overrides in enumerate(job_overrides)
    )
    if not fork:
        return list(Parallel(**cfg)(jobs))
    cfg["backend"] = "multiprocessing"
    gc.collect()  # (as joblib does before it forks; then nothing is left for the freeze to keep)
    gc.freeze()
    try:
        return list(Parallel(**cfg)(jobs))
    finally:
        gc.unfreeze()


_shared: dict[str, tuple[Any, ...]] = {}  # a worker's unpickled shared part, by batch key


def execute_shared(idx: int, overrides: list[str], key: str, payload: bytes) -> Any:
    """Run one job of :func:`launch_joblib` in a worker: Hydra's ``execute_job``.

    The shared part (``payload``) is unpickled the first time the worker sees its ``key``, and
    kept for the batch's later jobs, as a one-worker sweep keeps the same objects for every job.

    Returns:
        The job's JobReturn.
    """
    import pickle

    from hydra_plugins.hydra_joblib_launcher import _core

    keep_plugins_across_jobs()  # (a forked worker was not warmed)
    if key not in _shared:
        _shared.clear()  # only the current batch's
        _shared[key] = pickle.loads(payload)
    return _core.execute_job(idx, overrides, *_shared[key])


def _structural(override: Override, loader: Any) -> bool:
    """Whether an override changes the shape of the configuration rather than one value."""
    if override.is_add() or override.is_delete() or override.is_force_add():
        return True
    if override.package is not None:
        return True
    return bool(loader.repository.group_exists(override.key_or_group))


def warm_worker() -> int:
    """Prepare a joblib worker for the sweep's jobs; return the worker's pid.

    Imports what every job needs (the model, its outputs), keeps Hydra's plugin registry
    across the worker's jobs (:func:`keep_plugins_across_jobs`), and makes the worker's exit
    quick (:func:`quick_exit`).
    """
    import os

    import pyarrow.parquet  # noqa: F401  (timeseries.parquet)

    import runner.cli
    import runner.outputs  # noqa: F401

    keep_plugins_across_jobs()
    quick_exit()
    return os.getpid()


def quick_exit() -> None:
    """Skip the garbage collections of the interpreter's shutdown in this process. Idempotent.

    A worker's last act is to shut down its interpreter, whose garbage collections walk every
    object the imports made (Mesa, pandas, pyarrow, Hydra): about 0.13 s, while the sweep command
    waits for its workers to end. None of those objects needs finalising, so at exit they are
    moved to the collector's permanent generation (``gc.freeze``), which shutdown leaves alone.
    Every other exit step (atexit handlers, flushing files, the exit code) is unchanged.
    """
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def keep_plugins_across_jobs() -> None:
    """Make Hydra's singleton restore, run before every job of a worker, keep the plugin registry.

    Hydra's joblib launcher restores its singletons' state at the start of every job
    (``Singleton.set_state``), and that state leaves out the plugin registry, which is then
    rebuilt by scanning and re-executing every plugin module: about 0.03 s a job, paid only by
    parallel sweeps. The plugins cannot change within a worker, so the registry the worker
    already built is put back into each restored state instead. Idempotent.
    """
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton

    restore = Singleton.set_state
    if getattr(restore, "keeps_plugins", False):
        return

    def set_state(state: Any) -> None:
        plugins = Singleton._instances.get(Plugins)
        if plugins is not None:
            state["instances"].setdefault(Plugins, plugins)
        restore(state)

    set_state.keeps_plugins = True  # type: ignore[attr-defined]
    Singleton.set_state = staticmethod(set_state)  # type: ignore[method-assign]


class _WarmWorkers:
    """A background thread that starts the joblib launcher's workers and warms them up."""

    def __init__(self, joblib_cfg: dict[str, Any], workers: int) -> None:
        self.joblib_cfg = joblib_cfg
        self.workers = workers
        self.pids: list[int] = []
        self.seconds = 0.0
        self._thread = threading.Thread(target=self._run, name="partnersim-warm-workers", daemon=True)

    @classmethod
    def start(cls, launcher: Any, jobs: int) -> _WarmWorkers | None:
        """Start warming the launcher's workers for ``jobs`` jobs, or return None if not worth it."""
        workers, cfg = _parallel_workers(launcher, jobs), joblib_settings(launcher)
        if workers < 2 or cfg is None:
            return None
        warm = cls(cfg, workers)
        warm._thread.start()
        return warm

    def _run(self) -> None:
        from joblib import Parallel, delayed

        tic = time.perf_counter()
        try:
            self.pids = list(Parallel(**self.joblib_cfg)(delayed(warm_worker)() for _ in range(self.workers)))
        except Exception as err:  # warming is an optimisation: the sweep itself will report errors
            log.debug("warming the joblib workers failed: %s", err)
        self.seconds = time.perf_counter() - tic

    def join(self) -> None:
        """Wait for the warm-up to end."""
        self._thread.join()


def fork_is_safe() -> bool:
    """Whether this process can fork its sweep workers.

    On Linux, where ``fork`` is multiprocessing's start method, and only while this process has
    no other thread (a thread holding a lock at the fork would leave it locked in the worker). On
    macOS and Windows, or in a threaded host such as a notebook kernel, loky starts the workers.
    """
    import multiprocessing
    import sys

    return (
        sys.platform == "linux"
        and multiprocessing.get_start_method(allow_none=True) in (None, "fork")
        and threading.active_count() == 1
    )


def _parallel_workers(launcher: Any, jobs: int) -> int:
    """How many joblib workers the launcher will run ``jobs`` jobs on; 0 for another launcher."""
    cfg = joblib_settings(launcher)
    if cfg is None:
        return 0
    return min(_effective_workers(cfg.get("n_jobs")), jobs)


def joblib_settings(launcher: Any) -> dict[str, Any] | None:
    """The ``Parallel`` arguments the joblib launcher will use, or None for another launcher.

    The same arguments as ``hydra_joblib_launcher._core.launch`` builds, so that joblib reuses
    one executor (and its warm workers) for the warm-up and the sweep.
    """
    try:
        from hydra_plugins.hydra_joblib_launcher import _core
        from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
    except ImportError:
        return None
    if not isinstance(launcher, JoblibLauncher):
        return None
    raw = launcher.joblib
    cfg = dict(OmegaConf.to_container(raw) if isinstance(raw, DictConfig) else raw)
    cfg["backend"] = "loky"
    _core.process_joblib_cfg(cfg)
    return cfg


def _effective_workers(n_jobs: Any) -> int:
    from joblib import effective_n_jobs

    try:
        return int(effective_n_jobs(int(n_jobs) if n_jobs is not None else None))
    except (TypeError, ValueError):
        return 1
