"""The sweeper of ``partnersim -m``: Hydra's basic sweeper's jobs, on Hydra's public Sweeper interface.

It expands the command line and ``hydra.sweeper.params`` into the cartesian product of jobs in
the order Hydra's basic sweeper does, with the same override strings, so job folders and results
do not depend on which of the two ran a sweep (:func:`runner.sweep.expand_jobs`, which the
manifest callback uses too). Then, unlike Hydra's basic sweeper, it:

- **checks every job before anything is written**, types and all of the schema's validation
  (ranges, shocks inside the run, designs), as the job itself will. Hydra composes every job
  once in the parent (about 0.06 s a job here: a minute for a 1,000-run sweep) and checks each batch only just
  before launching it, after writing the sweep folder. Here jobs are grouped by their
  *structural* overrides (config-group choices such as ``scenario=care_trust`` or
  ``hydra/launcher=slurm``, additions ``+k=v``, deletions ``~k``); one job of each group is
  composed in full through Hydra's config loader, and every other plain ``key=value`` of the
  group is assigned to a copy of that composition with OmegaConf's public API, in struct mode,
  as Hydra's composition assigns it, raising the same kind of error; then each job's configuration
  (the group's composition with the job's own values) is validated by :func:`runner.compose.resolve`
  and hashed into the job's identity (:func:`check_jobs`). A bad value in the last job leaves no
  sweep folder behind;
- **keeps one design per sweep folder**: a folder whose ``sweep.json`` holds other jobs stops the
  command with one line, unless ``hydra.sweeper.extend=true``; a job already in the design takes
  its recorded overrides, so ``x=0`` resumes the folder of ``x=0.0``
  (:func:`runner.sweep.merge_design`);
- **writes the manifest** ``sweep.json`` (:func:`runner.sweep.write_manifest`) once the jobs are
  known to be good, beside ``multirun.yaml``, and when the sweep ends, its Workflow Run RO-Crate
  (:func:`runner.provenance.write_crate`);
- launches the jobs batch by batch (``max_batch_size``), and raises if a job's return value
  raised, as Hydra's basic sweeper does.

Select it with ``hydra/sweeper=partnersim`` (configs/config.yaml does); it takes the basic
sweeper's settings, ``max_batch_size`` and ``params``, and ``extend``.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.config_loader import ConfigLoader
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn
from hydra.errors import ConfigCompositionException
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

log = logging.getLogger(__name__)


class PartnersimSweeper(Sweeper):
    """Hydra's basic sweeper's cartesian product of jobs, every job checked before any is written."""

    def __init__(
        self, max_batch_size: int | None = None, params: dict[str, str] | None = None, extend: bool = False
    ) -> None:
        """Take the sweeper's settings (configs/hydra/sweeper/partnersim.yaml).

        Args:
            max_batch_size: jobs launched per batch; None launches the whole sweep as one batch.
            params: swept values, ``{key: "v1,v2"}``, placed before the command line's overrides.
            extend: add this sweep's jobs to the design of a folder that holds another one.
        """
        self.max_batch_size = max_batch_size
        self.params = dict(params or {})
        self.extend = bool(extend)
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
        from runner.compose import check_overrides
        from runner.provenance import write_crate
        from runner.sweep import ManifestError, expand_jobs, merge_design, write_manifest
        from sim.config import ConfigError

        loader = self.hydra_context.config_loader
        sweep_dir = Path(self.config.hydra.sweep.dir)
        try:
            check_overrides(list(arguments))  # the command line's: a key twice, a bool of 2...
        except ConfigError as err:
            raise ConfigCompositionException(str(err)) from err
        arguments = [f"{k}={v}" for k, v in self.params.items()] + list(arguments)
        self.batches = expand_jobs(arguments, loader, self.max_batch_size)
        jobs = [job for batch in self.batches for job in batch]
        tic = time.perf_counter()
        hashes = check_jobs(loader, self.config, jobs)
        log.debug("checked %d jobs in %.2f s", len(jobs), time.perf_counter() - tic)
        try:
            jobs, extra = merge_design(sweep_dir, jobs, hashes, self.extend)
        except ManifestError as err:
            raise ConfigCompositionException(str(err)) from err
        size = len(jobs) if self.max_batch_size in (None, -1) else int(self.max_batch_size)
        self.batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        write_manifest(self.config, jobs, hashes, extra)
        returns: list[Sequence[JobReturn]] = []
        first = 0
        for batch in self.batches:
            results = self.launcher.launch(batch, initial_job_idx=first)
            for result in results:
                _ = result.return_value  # raises if the job itself raised, as the basic sweeper does
            first += len(batch)
            returns.append(results)
        try:
            write_crate(sweep_dir)
        except Exception as err:  # the jobs' results stand without their description
            log.warning(f"could not write the sweep's RO-Crate: {type(err).__name__}: {err}")
        return returns


def check_jobs(loader: ConfigLoader, config: DictConfig, jobs: Sequence[Sequence[str]]) -> list[str]:
    """Raise the first error composing or validating one of ``jobs`` would raise; else their identities.

    Composes one job per distinct set of structural overrides through ``loader`` (Hydra's own
    composition, with its errors), and checks each other plain ``key=value`` of the group once,
    by assigning it to that composed configuration as composition does (:func:`assign`). A
    plain value only replaces a value of a configuration whose shape the structural overrides
    fixed, so the check is the same as composing every job, at a fraction of the cost. Then each
    job's own configuration (a copy of its group's composition, every plain value of the job
    assigned) goes through the schema's whole validation (:func:`runner.compose.resolve`: ranges,
    shocks inside the run, sampled designs, the draw of a calibration's posterior read from its
    folder), once per distinct configuration. A sweep draws from one calibration folder at most:
    job folders are not named after it (a path), so two would share their folders.

    Args:
        loader: Hydra's config loader (``HydraContext.config_loader``).
        config: the sweep's composed configuration (the master configuration of every job).
        jobs: each job's overrides.

    Returns:
        Each job's identity (:func:`runner.sweep.config_hash` of its validated configuration).

    Raises:
        ConfigCompositionException: or another Hydra or OmegaConf error, as composition raises it;
            for a value the schema refuses, with its one-line message and the job.
    """
    from runner.compose import check_overrides, resolve
    from runner.experiment import apply, check_posterior_overrides
    from runner.sweep import config_hash
    from sim.config import ConfigError, to_config, to_dict

    parser = OverridesParser.create(config_loader=loader)
    groups = _GroupNames(loader)
    composed: dict[tuple[str, ...], DictConfig] = {}
    bases: dict[tuple[str, ...], DictConfig | dict] = {}
    checked: dict[tuple[tuple[str, ...], str], Any] = {}  # each plain override's value, as typed
    identities: dict[tuple, str] = {}
    hashes: list[str] = []
    posteriors: dict[str, int] = {}  # each calibration folder drawn from, and its first job
    for num, job in enumerate(jobs):
        parsed = parser.parse_overrides(list(job))
        signature = tuple(o.input_line or "" for o in parsed if structural(o, groups))
        plain = [o for o in parsed if not structural(o, groups) and not o.key_or_group.startswith("hydra.")]
        if signature not in composed:
            composed[signature] = group = loader.load_sweep_config(config, list(job))
            bases[signature] = _task_config(group)
            for o in parsed:
                checked[(signature, o.input_line or "")] = _typed(group, o)
        else:
            for override in parsed:
                if (signature, override.input_line or "") not in checked:
                    assign(composed[signature], override)
                    checked[(signature, override.input_line or "")] = _typed(composed[signature], override)
        key = (signature, tuple(o.input_line or "" for o in plain))
        if key in identities:
            hashes.append(identities[key])
            continue
        try:
            check_overrides(list(job))
            base = bases[signature]
            if isinstance(base, dict):  # no interpolation: set the typed values in a plain copy
                data = copy.deepcopy(base)
                for o in plain:
                    _set(data, o.key_or_group, copy.deepcopy(checked[(signature, o.input_line or "")]))
                cfg = apply(to_config(data))
            else:  # interpolations may read the job's values: resolve a copy of the composition
                job_config = copy.deepcopy(base)
                for override in plain:
                    assign(job_config, override)
                cfg = resolve(job_config)
            check_posterior_overrides(cfg, [o.input_line or "" for o in plain])
            posteriors.setdefault(cfg.experiment.posterior, num)
            if len(posteriors) > 1:
                other = next(p for p in posteriors if p != cfg.experiment.posterior)
                raise ConfigError(
                    f"experiment.posterior={cfg.experiment.posterior!r} differs from {other!r} of job "
                    f"#{posteriors[other]}: allowed one calibration folder per sweep (job folders are not "
                    "named after it); run one sweep per calibration, each with its own hydra.sweep.dir"
                )
        except ConfigError as err:
            raise ConfigCompositionException(f"{err} (in job #{num}: {' '.join(job)})") from err
        identities[key] = config_hash(to_dict(cfg))
        hashes.append(identities[key])
    return hashes


def _task_config(composed: DictConfig) -> DictConfig | dict:
    """A job's configuration without Hydra's node: plain data if nothing in it is interpolated.

    The job never sees the ``hydra`` node, and its resolvers (``hydra:...``) cannot be resolved
    outside a job. Plain data is copied a hundred times faster than a DictConfig.
    """
    task = copy.deepcopy(composed)
    with open_dict(task):
        del task["hydra"]
    raw = OmegaConf.to_container(task, resolve=False)
    if "${" in repr(raw):
        return task
    return raw  # type: ignore[return-value]


def _typed(config: DictConfig, override: Override) -> Any:
    """The value a plain override left in ``config``, as plain data (None for other overrides)."""
    if override.is_add() or override.is_delete() or override.package is not None:
        return None
    value = OmegaConf.select(config, override.key_or_group, throw_on_missing=False)
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def _set(data: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


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
