"""The SLURM launcher of ``hydra/launcher=slurm``: Hydra's submitit launcher, made to finish a sweep.

Hydra's submitit launcher collects the jobs' results in order and stops at the first job that did
not complete (killed by the scheduler, over its time limit, lost with its node), so the command
ends while later jobs are still unaccounted for. This launcher waits for every job instead, and
records each one that did not complete as a failure in its folder (``error.json``, with the
scheduler's account of it), so the sweep ends normally, the other jobs are kept, and the failure
is reported like any other (see :mod:`runner.sweep`). It needs SLURM accounting, without which
submitit cannot tell that a killed job is gone.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from hydra.core.utils import JobReturn, JobStatus
from hydra_plugins.hydra_submitit_launcher import submitit_launcher

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
        import submitit

        captured: list = []
        original = submitit.AutoExecutor.map_array

        def map_array(executor, *args, **kwargs):
            jobs = original(executor, *args, **kwargs)
            captured.extend(jobs)
            return [_Settled(job) for job in jobs]

        submitit.AutoExecutor.map_array = map_array
        try:
            returns = super().launch(job_overrides, initial_job_idx)
        finally:
            submitit.AutoExecutor.map_array = original
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        for k, (ret, overrides) in enumerate(zip(returns, job_overrides, strict=True)):
            if isinstance(ret, _Lost):
                returns[k] = _record_lost(sweep_dir, initial_job_idx + k, list(overrides), ret)
        return returns


class _Lost(JobReturn):
    """The return of a job that did not complete."""

    def __init__(self, job, err: BaseException):
        super().__init__()
        self.job_id = str(job.job_id)
        self.state = str(getattr(job, "state", "UNKNOWN"))
        self.error = err


class _Settled:
    """Wraps a submitit job so that ``results()`` waits and never raises."""

    def __init__(self, job):
        self.job = job

    def results(self):
        try:
            return self.job.results()
        except Exception as err:
            return [_Lost(self.job, err)]


def _record_lost(sweep_dir: Path, num: int, overrides: list[str], lost: _Lost) -> JobReturn:
    import yaml

    from runner.files import ERROR, JOB_OVERRIDES, SUMMARY
    from runner.sweep import record_failure

    folder = None
    for path in sweep_dir.glob(f"*/{JOB_OVERRIDES}"):
        if sorted(yaml.safe_load(path.read_text()) or []) == sorted(overrides):
            folder = path.parent.parent
            break
    if folder is None:
        folder = sweep_dir / f"unstarted_{num}"
    if not (folder / ERROR).exists() and not (folder / SUMMARY).exists():
        text = str(lost.error).strip()
        detail = text.splitlines()[0] if text else type(lost.error).__name__
        reason = RuntimeError(f"SLURM job {lost.job_id} did not complete (state {lost.state}): {detail}")
        record_failure(folder, reason, overrides)
        print(f"error in job #{num} ({' '.join(overrides)}): {reason}", file=sys.stderr, flush=True)
    ret = JobReturn()
    ret.overrides = overrides
    ret.working_dir = str(folder)
    ret.status = JobStatus.COMPLETED
    ret.return_value = None
    return ret
