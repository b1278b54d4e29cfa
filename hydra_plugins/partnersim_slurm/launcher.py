"""The SLURM launcher of ``hydra/launcher=slurm``: Hydra's submitit launcher, made to finish a sweep.

Hydra's submitit launcher collects the jobs' results in order and stops at the first job that did
not complete (killed by the scheduler, over its time limit, lost with its node), so the command
ends while later jobs are still unaccounted for. This launcher takes the same public steps to
submit the jobs (a ``submitit.AutoExecutor``, its ``update_parameters``, one array job through
``map_array``, each task running the submitit launcher's own job function), then waits for every
job itself, and records each one that did not complete as a failure in its folder
(``error.json``, with the scheduler's account of it, :func:`runner.sweep.record_lost_job`), so
the sweep ends normally, the other jobs are kept, and the failure is reported like any other
(see :mod:`runner.sweep`). It needs SLURM accounting, without which submitit cannot tell that a
killed job is gone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides
from hydra_plugins.hydra_submitit_launcher import submitit_launcher
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
from omegaconf import OmegaConf

log = logging.getLogger(__name__)


class SlurmLauncher(submitit_launcher.SlurmLauncher):
    """Submits the sweep as a SLURM array job and waits for every job, whatever its fate."""

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        """Submit the jobs, wait for all of them, and record those that did not complete.

        Args:
            job_overrides: the overrides of each job of this batch.
            initial_job_idx: the number of the batch's first job.

        Returns:
            One JobReturn per job; a job that did not complete returns None.
        """
        assert self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if "mode" in self.config.hydra.sweep:
            os.chmod(sweep_dir, mode=int(str(self.config.hydra.sweep.mode), 8))
        executor = self.executor()
        log.info(f"Submitit 'slurm' sweep output dir : {sweep_dir}")
        state = Singleton.get_state()
        params = []
        for k, overrides in enumerate(job_overrides):
            idx = initial_job_idx + k
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
            params.append((list(overrides), "hydra.sweep.dir", idx, f"job_id_for_{idx}", state))
        # ``self`` is the job function, as in Hydra's submitit launcher (its __call__ runs the job).
        jobs = executor.map_array(self, *zip(*params, strict=True))
        returns: list[JobReturn] = []
        for k, job in enumerate(jobs):
            try:
                returns.append(job.results()[0])
            except Exception as err:  # the job did not complete: wait for the others all the same
                overrides = list(job_overrides[k])
                returns.append(_lost(sweep_dir, initial_job_idx + k, overrides, job, err))
        return returns

    def executor(self) -> Any:
        """A ``submitit.AutoExecutor`` with this launcher's settings, built as Hydra's launcher builds it."""
        import submitit

        cluster = "slurm"  # also the prefix of submitit's settings for SLURM only
        init_keys = {"submitit_folder", "max_num_timeout"}
        init = {"folder": self.params["submitit_folder"]}
        if "max_num_timeout" in self.params:
            init[f"{cluster}_max_num_timeout"] = self.params["max_num_timeout"]
        executor = submitit.AutoExecutor(cluster=cluster, **init)
        shared = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(
            **{
                key if key in shared else f"{cluster}_{key}": value
                for key, value in self.params.items()
                if key not in init_keys
            }
        )
        return executor


def _lost(sweep_dir: Path, num: int, overrides: list[str], job: Any, err: BaseException) -> JobReturn:
    """Record a job that did not complete, and return it as a completed job with no value."""
    from runner.sweep import record_lost_job

    text = str(err).strip()
    detail = text.splitlines()[0] if text else type(err).__name__
    state = str(getattr(job, "state", "UNKNOWN"))
    reason = RuntimeError(f"SLURM job {job.job_id} did not complete (state {state}): {detail}")
    folder = record_lost_job(sweep_dir, num, overrides, reason)
    ret = JobReturn(overrides=overrides, working_dir=str(folder))
    ret.status = JobStatus.COMPLETED
    ret.return_value = None
    return ret
