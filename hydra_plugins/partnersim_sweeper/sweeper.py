"""The sweeper of ``partnersim -m``: Hydra's basic sweeper's jobs, on Hydra's public Sweeper interface.

It expands the command line and ``hydra.sweeper.params`` into the cartesian product of jobs in
the order Hydra's basic sweeper does, with the same override strings, so job folders and results
do not depend on which of the two ran a sweep (:func:`runner.sweep.expand_jobs`, which the
manifest callback uses too). Then, unlike Hydra's basic sweeper, it:

- **checks every job before anything is written.** Hydra composes every job once in the parent
  (about 0.06 s a job here: a minute for a 1,000-run sweep) and checks each batch only just
  before launching it, after writing the sweep folder. Here jobs are grouped by their
  *structural* overrides (config-group choices such as ``scenario=care_trust`` or
  ``hydra/launcher=slurm``, additions ``+k=v``, deletions ``~k``); one job of each group is
  composed in full through Hydra's config loader, and every other plain ``key=value`` of the
  group is assigned to a copy of that composition with OmegaConf's public API, in struct mode,
  as Hydra's composition assigns it, raising the same kind of error (:func:`check_jobs`). A bad
  value in the last job leaves no sweep folder behind;
- **writes the manifest** ``sweep.json`` (:func:`runner.sweep.write_manifest`) once the jobs are
  known to be good, beside ``multirun.yaml``;
- launches the jobs batch by batch (``max_batch_size``), and raises if a job's return value
  raised, as Hydra's basic sweeper does.

Select it with ``hydra/sweeper=partnersim`` (configs/config.yaml does); it takes the basic
sweeper's settings, ``max_batch_size`` and ``params``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from hydra.core.config_loader import ConfigLoader
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn
from hydra.errors import ConfigCompositionException
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

log = logging.getLogger(__name__)


class PartnersimSweeper(Sweeper):
    """Hydra's basic sweeper's cartesian product of jobs, every job checked before any is written."""

    def __init__(self, max_batch_size: int | None = None, params: dict[str, str] | None = None) -> None:
        """Take the sweeper's settings (configs/hydra/sweeper/partnersim.yaml).

        Args:
            max_batch_size: jobs launched per batch; None launches the whole sweep as one batch.
            params: swept values, ``{key: "v1,v2"}``, placed before the command line's overrides.
        """
        self.max_batch_size = max_batch_size
        self.params = dict(params or {})
        self.hydra_context: HydraContext | None = None
        self.config: DictConfig | None = None
        self.launcher: Launcher | None = None
        self.batches: list[list[list[str]]] = []

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Keep Hydra's context and the sweep's configuration, and instantiate the launcher."""
        self.hydra_context = hydra_context
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Raise the error Hydra's composition would raise for any job of ``batch`` (:func:`check_jobs`)."""
        assert self.hydra_context is not None and self.config is not None
        check_jobs(self.hydra_context.config_loader, self.config, batch)

    def sweep(self, arguments: list[str]) -> list[Sequence[JobReturn]]:
        """Check every job, then write the sweep folder and launch the jobs batch by batch.

        Args:
            arguments: the command line's overrides.

        Returns:
            The JobReturns of each batch.

        Raises:
            Exception: the first error of composing a job, before anything is written; or the
                exception a job's task function raised, once its batch has ended.
        """
        assert self.config is not None and self.launcher is not None and self.hydra_context is not None
        from runner.sweep import expand_jobs, write_manifest

        loader = self.hydra_context.config_loader
        arguments = [f"{k}={v}" for k, v in self.params.items()] + list(arguments)
        self.batches = expand_jobs(arguments, loader, self.max_batch_size)
        jobs = [job for batch in self.batches for job in batch]
        tic = time.perf_counter()
        check_jobs(loader, self.config, jobs)
        log.debug("checked %d jobs in %.2f s", len(jobs), time.perf_counter() - tic)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        write_manifest(self.config, jobs)
        returns: list[Sequence[JobReturn]] = []
        first = 0
        for batch in self.batches:
            results = self.launcher.launch(batch, initial_job_idx=first)
            for result in results:
                _ = result.return_value  # raises if the job itself raised, as the basic sweeper does
            first += len(batch)
            returns.append(results)
        return returns


def check_jobs(loader: ConfigLoader, config: DictConfig, jobs: Sequence[Sequence[str]]) -> None:
    """Raise the first error Hydra's composition of one of ``jobs`` would raise, if any.

    Composes one job per distinct set of structural overrides through ``loader`` (Hydra's own
    composition, with its errors), and checks each other plain ``key=value`` of the group once,
    by assigning it to that composed configuration as composition does (:func:`assign`). A
    plain value only replaces a value of a configuration whose shape the structural overrides
    fixed, so the check is the same as composing every job, at a fraction of the cost.

    Args:
        loader: Hydra's config loader (``HydraContext.config_loader``).
        config: the sweep's composed configuration (the master configuration of every job).
        jobs: each job's overrides.

    Raises:
        ConfigCompositionException: or another Hydra or OmegaConf error, as composition raises it.
    """
    parser = OverridesParser.create(config_loader=loader)
    groups = _GroupNames(loader)
    composed: dict[tuple[str, ...], DictConfig] = {}
    checked: set[tuple[tuple[str, ...], str]] = set()
    for job in jobs:
        parsed = parser.parse_overrides(list(job))
        signature = tuple(o.input_line or "" for o in parsed if structural(o, groups))
        if signature not in composed:
            composed[signature] = loader.load_sweep_config(config, list(job))
            checked.update((signature, o.input_line or "") for o in parsed)
            continue
        for override in parsed:
            if (signature, override.input_line or "") not in checked:
                assign(composed[signature], override)
                checked.add((signature, override.input_line or ""))


def assign(config: DictConfig, override: Override) -> None:
    """Assign a plain ``key=value`` override to ``config`` as Hydra's composition does.

    ``OmegaConf.update`` with ``merge=True``, in the configuration's struct mode: an unknown key,
    a value of the wrong type or out of an enum raise, wrapped in the ConfigCompositionException
    composition raises (with the OmegaConf error as its cause, which runner.compose.explain reads).

    Args:
        config: a composed configuration, changed in place (a private copy made for the check).
        override: a plain override (no ``+``, ``~`` or config group).
    """
    try:
        try:
            OmegaConf.update(config, override.key_or_group, override.value(), merge=True)
        except (ConfigAttributeError, ConfigKeyError) as err:
            key, line = override.key_or_group, override.input_line
            raise ConfigCompositionException(
                f"Could not override '{key}'.\nTo append to your config use +{line}"
            ) from err
    except OmegaConfBaseException as err:
        raise ConfigCompositionException(f"Error merging override {override.input_line}") from err


def structural(override: Override, groups: _GroupNames) -> bool:
    """Whether an override changes the shape of the configuration rather than one value.

    Config-group choices (``scenario=x``, ``hydra/launcher=slurm``, ``group@pkg=x``), additions
    and deletions change which keys exist; those jobs are composed in full.
    """
    if override.is_add() or override.is_delete() or override.is_force_add() or override.package is not None:
        return True
    return override.key_or_group in groups


class _GroupNames:
    """The config groups of a config loader (``scenario``, ``hydra/launcher``...), listed once."""

    def __init__(self, loader: ConfigLoader) -> None:
        self.loader = loader
        self._names: set[str] | None = None

    def __contains__(self, name: str) -> bool:
        if self._names is None:
            self._names = set()
            pending = [""]
            while pending:
                parent = pending.pop()
                for child in self.loader.list_groups(parent):
                    full = f"{parent}/{child}" if parent else child
                    self._names.add(full)
                    pending.append(full)
        return name in self._names
