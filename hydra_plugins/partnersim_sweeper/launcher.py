"""The local launcher of ``partnersim -m``: jobs on warm worker processes, one per core.

Selected by configs/config.yaml (``hydra/launcher=partnersim``), on Hydra's public Launcher
interface. Each job runs through Hydra's ``run_job``, as Hydra's basic launcher runs it: its
configuration is composed with ``config_loader.load_sweep_config``, ``hydra.job.id`` and
``hydra.job.num`` are set, and the job's folder is named after its overrides.

- ``hydra.launcher.n_jobs=1`` runs the jobs one after another in the command's own process.
- Otherwise (``-1``: one worker per core) the jobs run on worker processes that stay up for the
  whole batch. A worker takes the next job as soon as it finishes one, so a slow job holds up
  nobody; the results come back in job order.

  On Linux, from a process with no other thread, the workers are *forked* from the command's
  process after it has imported the model (Mesa, pandas, pyarrow, runner.outputs), so they
  inherit it and no job pays an import; the objects of the parent are frozen for the collector
  over the fork (``gc.freeze``), so that the workers' collections do not copy the memory they
  share with it. Elsewhere (macOS, Windows, a threaded host such as a notebook kernel), the
  workers are *spawned* and each imports the model and unpickles the sweep's shared part (Hydra's
  context, the configuration, the task function, Hydra's singletons) once, before its first job.

A job that raises is recorded by the task function (runner/cli.py writes ``error.json``) and the
others carry on; a worker that dies under a job (killed, out of memory) has that job recorded as
failed in its folder (:func:`runner.sweep.record_lost_job`) and is replaced. Ctrl+C (or any
error in the command) stops the workers before the command ends. A job's results depend only on
its configuration and seed, so they are the same whatever ``n_jobs``.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)

# What every job imports; a forked worker inherits them from the command's process.
MODEL_MODULES = ("sim.model", "pandas", "pyarrow", "pyarrow.parquet", "runner.outputs", "runner.cli")


class PartnersimLauncher(Launcher):
    """Runs a sweep's jobs in this process (one worker) or on warm worker processes."""

    def __init__(self, n_jobs: int = -1, start_method: str | None = None) -> None:
        """Take the launcher's settings (configs/hydra/launcher/partnersim.yaml).

        Args:
            n_jobs: worker processes; -1 one per core, 1 runs the jobs in this process, -2 all
                cores but one (as joblib counts).
            start_method: ``fork`` or ``spawn`` to force one; None forks where that is safe.
        """
        self.n_jobs = n_jobs
        self.start_method = start_method
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.task_function: TaskFunction | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Keep what every job needs: Hydra's context, the task function and the sweep's configuration."""
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        """Run a batch of jobs and return their JobReturns in job order.

        Args:
            job_overrides: each job's overrides.
            initial_job_idx: the number of the batch's first job in the sweep.

        Returns:
            One JobReturn per job, in the order of ``job_overrides``.
        """
        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        jobs = [(initial_job_idx + k, list(overrides)) for k, overrides in enumerate(job_overrides)]
        workers = min(worker_count(self.n_jobs), len(jobs))
        method = self.start_method or ("fork" if fork_is_safe() else "spawn")
        where = (
            "in this process"
            if workers <= 1
            else f"on {workers} {'forked' if method == 'fork' else 'spawned'} workers"
        )
        log.info(f"Launching {len(jobs)} jobs {where}, sweep output dir : {sweep_dir}")
        for idx, overrides in jobs:
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
        if workers <= 1:
            returns = []
            for idx, overrides in jobs:
                returns.append(
                    execute_job(idx, overrides, self.hydra_context, self.config, self.task_function)
                )
                configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
            return returns
        shared = (self.hydra_context, self.config, self.task_function)
        returns = _Pool(workers, method, shared).run(jobs)
        for (idx, overrides), ret in zip(jobs, returns, strict=True):
            if ret is None:  # the worker died under the job
                returns[idx - initial_job_idx] = _lost(sweep_dir, idx, overrides)
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return returns


def execute_job(
    idx: int,
    overrides: list[str],
    hydra_context: HydraContext,
    config: DictConfig,
    task_function: TaskFunction,
) -> JobReturn:
    """Compose one job's configuration and run it through Hydra's ``run_job``.

    As Hydra's launchers do: the sweep's configuration with the job's overrides, with
    ``hydra.job.id`` (``NAME_NUM``, as Hydra's joblib launcher names it) and ``hydra.job.num``.

    Args:
        idx: the job's number in the sweep.
        overrides: the job's overrides.
        hydra_context: Hydra's context (the config loader, the callbacks).
        config: the sweep's configuration.
        task_function: the application's task function.

    Returns:
        The job's JobReturn.
    """
    setup_globals()
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    return run_job(
        hydra_context=hydra_context,
        task_function=task_function,
        config=sweep_config,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )


def worker_count(n_jobs: int | None) -> int:
    """How many workers ``n_jobs`` asks for on this machine (-1 one per core, -2 all but one...)."""
    cores = os.cpu_count() or 1
    n = -1 if n_jobs is None else int(n_jobs)
    if n == 0:
        raise ValueError("hydra.launcher.n_jobs must not be 0 (-1: one worker per core, 1: in this process)")
    return max(1, cores + 1 + n if n < 0 else n)


def fork_is_safe() -> bool:
    """Whether this process can fork its workers: Linux, and no other thread.

    A thread holding a lock at the fork would leave it locked in the worker; on macOS, forking a
    process that has used system frameworks is unsafe, and Windows has no fork.
    """
    return sys.platform == "linux" and threading.active_count() == 1


def import_model() -> None:
    """Import what every job needs (:data:`MODEL_MODULES`), once per process."""
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)


def _lost(sweep_dir: Path, idx: int, overrides: list[str]) -> JobReturn:
    from runner.sweep import record_lost_job

    reason = RuntimeError("its worker process died before the job ended (killed, or out of memory?)")
    folder = record_lost_job(sweep_dir, idx, overrides, reason)
    ret = JobReturn(overrides=overrides, working_dir=str(folder), task_name=None)
    ret.status = JobStatus.COMPLETED
    ret.return_value = None
    return ret


# --------------------------------------------------------------------------------------- workers
def _worker(conn: Connection, shared: Any) -> None:
    """A worker's loop: run each job the parent sends, send back its JobReturn, until told to stop.

    ``shared`` is the tuple (Hydra context, configuration, task function) when forked, or, when
    spawned, its pickled bytes with Hydra's singleton state, unpickled here once.
    """
    # Ctrl+C reaches every process of the terminal's group: the parent decides, and stops the
    # workers itself, so that a worker never dies half-way through sending a result.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if isinstance(shared, bytes):
        import pickle

        hydra_context, config, task_function, state = pickle.loads(shared)
        Singleton.set_state(state)
        import_model()
    else:
        hydra_context, config, task_function = shared
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the parent is gone
            break
        if message is None:
            break
        idx, overrides = message
        ret = execute_job(idx, overrides, hydra_context, config, task_function)
        try:
            conn.send((idx, ret))
        except Exception as err:  # an unpicklable return value: send what can be sent
            fallback = JobReturn(
                overrides=ret.overrides, working_dir=ret.working_dir, task_name=ret.task_name
            )
            fallback.status = JobStatus.FAILED
            fallback.return_value = RuntimeError(f"job #{idx} returned a value that cannot be sent: {err}")
            conn.send((idx, fallback))
    conn.close()


class _Pool:
    """Worker processes, each fed the next job when it finishes one; dead ones are replaced."""

    def __init__(self, workers: int, method: str, shared: tuple[Any, ...]) -> None:
        self.workers = workers
        self.context = multiprocessing.get_context(method)
        self.fork = method == "fork"
        if self.fork:
            self.shared: Any = shared
        else:
            import cloudpickle  # the task function is a closure of hydra.main

            self.shared = cloudpickle.dumps((*shared, Singleton.get_state()))
        self.procs: dict[Connection, Any] = {}
        self.busy: dict[Connection, int] = {}

    def _start(self) -> Connection:
        parent, child = self.context.Pipe()
        proc = self.context.Process(target=_worker, args=(child, self.shared), daemon=True)
        proc.start()
        child.close()
        self.procs[parent] = proc
        return parent

    def _start_all(self, n: int) -> None:
        if not self.fork:
            for _ in range(n):
                self._start()
            return
        import_model()  # before the fork, so that the workers inherit it
        gc.collect()
        gc.freeze()  # the workers' collections then leave the shared pages alone
        try:
            for _ in range(n):
                self._start()
        finally:
            gc.unfreeze()

    def run(self, jobs: list[tuple[int, list[str]]]) -> list[JobReturn | None]:
        """Run ``jobs`` (number, overrides) and return their JobReturns in order; None for a lost job."""
        first = jobs[0][0]
        results: list[JobReturn | None] = [None] * len(jobs)
        pending = list(reversed(jobs))
        try:
            self._start_all(min(self.workers, len(jobs)))
            for conn in list(self.procs):
                self._feed(conn, pending)
            while self.busy:
                ready = wait([*self.busy, *(self.procs[c].sentinel for c in self.busy)])
                for conn in list(self.busy):
                    proc = self.procs[conn]
                    if conn in ready or proc.sentinel in ready:
                        try:
                            idx, ret = conn.recv()
                        except (EOFError, OSError):  # the worker died under its job
                            log.warning(
                                f"the worker of job #{self.busy[conn]} died (exit code {proc.exitcode})"
                            )
                            del self.busy[conn]
                            self._drop(conn)
                            if pending:
                                self._feed(self._start_replacement(), pending)
                            continue
                        results[idx - first] = ret
                        del self.busy[conn]
                        self._feed(conn, pending)
        finally:
            self._stop()
        return results

    def _start_replacement(self) -> Connection:
        if not self.fork:
            return self._start()
        gc.freeze()
        try:
            return self._start()
        finally:
            gc.unfreeze()

    def _feed(self, conn: Connection, pending: list[tuple[int, list[str]]]) -> None:
        if pending:
            idx, overrides = pending.pop()
            conn.send((idx, overrides))
            self.busy[conn] = idx

    def _drop(self, conn: Connection) -> None:
        proc = self.procs.pop(conn)
        conn.close()
        proc.join(timeout=5)

    def _stop(self) -> None:
        """Stop every worker: idle ones are told to end, busy ones (on Ctrl+C, an error) are ended."""
        for conn, proc in self.procs.items():
            if conn in self.busy:
                proc.terminate()
            else:
                try:
                    conn.send(None)
                except OSError:
                    proc.terminate()
        for conn, proc in self.procs.items():
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join()
            conn.close()
        self.procs.clear()
        self.busy.clear()
