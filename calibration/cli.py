"""``partnersim-calibrate``: fit the free parameters to public figures (a Hydra application).

Composes ``configs/calibrate.yaml``: the model configuration as ``partnersim`` composes it (the
baseline scenario and the default world unless overridden) and a calibration from
``configs/calibration/`` (``calibration=england`` by default). Examples::

    partnersim-calibrate                                   # calibration=england
    partnersim-calibrate calibration.generations=8         # carry on for more generations
    partnersim-calibrate calibration.out=/tmp/cal run.weeks=60 calibration.population=20

It checks everything first (a bad target, prior or key gets one line and exit 2, with nothing
written), then runs ABC-SMC into the calibration folder (``calibrations/NAME`` unless
``calibration.out`` says otherwise), showing each generation's progress. Run again, the same
command carries on from the last complete generation. At the end it writes the posterior, the
posterior predictive and held-out checks, the figures and ``report.md``.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from calibration import fit, outputs
from calibration.spec import CalibrateConfig, CalibrationSpec, check, identity
from runner import experiment, provenance
from runner.compose import CONFIG_DIR, check_overrides, command_line_overrides, explain
from sim.config import Config, ConfigError, to_config, to_dict

EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130
log = logging.getLogger("partnersim.calibrate")
_failed: list[str] = []


def compose(composed: DictConfig) -> tuple[Config, CalibrationSpec]:
    """The model configuration and the checked calibration of what Hydra composed.

    Raises:
        ConfigError: for a bad key or value of either, naming it.
    """
    try:
        spec = OmegaConf.to_object(composed.calibration)
        data = OmegaConf.to_container(composed, resolve=True)
    except OmegaConfBaseException as err:
        raise ConfigError(explain(err)) from err
    assert isinstance(data, dict) and isinstance(spec, CalibrationSpec)
    data.pop("hydra", None)
    data.pop("calibration", None)
    cfg = experiment.apply(to_config(data))
    check(spec)
    for prior in spec.parameters:  # each end of each prior builds a valid model configuration
        for end in (prior.low, prior.high):
            fit.with_parameters(cfg, {prior.key: end})
    for c in spec.contrasts:
        try:
            fit.with_parameters(cfg, dict(c.set))
        except ConfigError as err:
            raise ConfigError(f"calibration.contrasts ({c.name}): {err}") from err
    return cfg, spec


def folder_for(spec: CalibrationSpec) -> Path:
    """The calibration folder: ``calibration.out``, or ``calibrations/NAME``."""
    return Path(spec.out) if spec.out else Path("calibrations") / spec.name


def _check_folder(folder: Path, ident: str) -> dict | None:
    """Refuse a folder that holds something else; return its state if it holds this calibration."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"calibration.out={folder} is a file: give a folder")
    state = outputs.read_state(folder) if folder.is_dir() else None
    if state is None:
        if folder.is_dir() and any(folder.iterdir()):
            raise ConfigError(
                f"calibration.out={folder} holds files but no {outputs.STATE}: give an empty or new folder"
            )
        return None
    if state.get("identity") != ident:
        raise ConfigError(
            f"calibration.out={folder} holds another calibration (targets, priors, seeds or model "
            "settings differ): give another calibration.out, or remove that folder"
        )
    return state


def _progress_logging() -> None:
    import pyabc  # noqa: F401  (it installs its own handler on import: replaced below)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[calibrate] %(message)s"))
    for name in ("ABC", "partnersim.calibrate"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.handlers[:] = [handler]
        logger.propagate = False
    for name in ("ABC.Distance", "ABC.Epsilon", "ABC.Adaptation", "ABC.Transition"):
        logging.getLogger(name).setLevel(logging.WARNING)


def calibrate(cfg: Config, spec: CalibrationSpec, folder: Path) -> dict:
    """Run (or carry on) the calibration into ``folder`` and write its outputs; return the final state."""
    import pyabc

    ident = identity(spec, to_dict(cfg))
    state = _check_folder(folder, ident)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.time()
    spent = float(state.get("wall_seconds_abc", 0.0)) if state else 0.0
    base = {
        "name": spec.name,
        "identity": ident,
        "finished": False,
        "calibration": OmegaConf.to_container(OmegaConf.structured(spec)),
        "model_config": to_dict(cfg),
        "command": provenance.command_line(),
        "code": provenance.identity(),
        "pyabc": pyabc.__version__,
        "started": (state or {}).get("started") or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    outputs.write_json(folder / outputs.STATE, {**(state or {}), **base})
    db = folder / outputs.HISTORY
    fit.run_abc(cfg, spec, db)
    abc_seconds = spent + (time.time() - started)
    generations = fit.progress(db)
    done = len(generations)
    if done >= spec.generations:
        stopped = f"the {spec.generations} generations asked were done"
    elif generations and generations[-1]["epsilon"] <= spec.min_epsilon:
        stopped = f"the threshold reached calibration.min_epsilon={spec.min_epsilon}"
    else:
        stopped = f"the time limit (calibration.max_minutes={spec.max_minutes:g}) was reached"
    log.info("fit done: %d generations; posterior predictive and held-out checks", done)
    post, t = fit.posterior(db, [p.key for p in spec.parameters])
    table = outputs.parameter_table(post, spec.parameters)
    point = outputs.point_estimate(table)
    sample = outputs.draws(post, spec.predictive_draws, spec.abc_seed)
    pred = outputs.predictive(cfg, spec, sample, point, fit.workers(spec))
    outputs.write_table(folder / outputs.POSTERIOR, post)
    outputs.write_table(folder / outputs.PREDICTIVE, pred)
    checks = outputs.target_checks(spec, pred)
    history = pyabc.History(f"sqlite:///{db}", create=False)
    history.id = 1
    final = {
        **base,
        "finished": True,
        "generation": t,
        "generations_done": done,
        "progress": generations,
        "stopped": stopped,
        "simulations": int(history.total_nr_simulations),
        "workers": fit.workers(spec),
        "weeks": cfg.run.weeks,
        "summary_weeks": cfg.run.summary_weeks,
        "wall_seconds_abc": abc_seconds,
        "wall_minutes": (spent + time.time() - started) / 60.0,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "parameters": table,
        "trade_offs": outputs.trade_offs(post, spec.parameters),
        "point": point,
        "targets": checks,
        "contrasts": outputs.contrast_checks(spec, pred),
    }
    outputs.figures(folder, post, spec.parameters, table, checks)
    outputs.report(folder, spec, final)
    outputs.write_json(folder / outputs.STATE, final)
    return final


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="calibrate")
def app(composed: DictConfig) -> None:
    """Check the configuration, then calibrate (Hydra's task function)."""
    try:
        cfg, spec = compose(composed)
        folder = folder_for(spec)
        _check_folder(folder, identity(spec, to_dict(cfg)))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        _failed.append(str(err))
        return
    _progress_logging()
    log.info(
        "calibration %s into %s: %d particles, %d seeds each, up to %d generations or %g minutes",
        *(spec.name, folder, spec.population, len(spec.seeds), spec.generations, spec.max_minutes),
    )
    final = calibrate(cfg, spec, folder)
    inside = sum(c["inside"] for c in final["targets"] if c["fit"])
    fitted = sum(1 for c in final["targets"] if c["fit"])
    print(
        f"calibration {spec.name}: {final['generations_done']} generations, "
        f"{final['simulations']} particles, "
        f"{final['wall_minutes']:.1f} min; {inside} of {fitted} fitted targets inside their range "
        f"at the calibrated defaults -> {folder / outputs.REPORT}",
        flush=True,
    )


def main() -> None:
    """Run ``partnersim-calibrate``."""
    from hydra.core.config_store import ConfigStore

    try:
        check_overrides(command_line_overrides(sys.argv[1:]))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    ConfigStore.instance().store(name="calibrate_config", node=CalibrateConfig)
    _failed.clear()
    import os

    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        app()
    except (HydraException, OmegaConfBaseException) as err:
        print(f"error: {explain(err, sys.argv[1:])}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    except KeyboardInterrupt:
        print(
            "interrupted: run the same command again to carry on from the last complete generation",
            file=sys.stderr,
        )
        sys.exit(EXIT_INTERRUPTED)
    if _failed:
        sys.exit(EXIT_CONFIG)
