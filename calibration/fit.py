"""Running the model for one particle, and the resumable ABC-SMC run (pyabc).

A particle is a set of values of the free parameters. :class:`ParticleModel` runs the configured
model once per seed of the calibration with those values and returns the statistics the targets
name, averaged over the seeds (:func:`calibration.spec.mean_statistics`). Every particle runs the
same seeds (common random numbers), so that two particles differ only by their parameters.

:func:`run_abc` runs ABC-SMC with pyabc: uniform priors, a weighted Euclidean distance in which
each target's miss is counted in units of its tolerance, the median of the last generation's
distances as the next threshold, and pyabc's multicore sampler. The history is pyabc's SQLite
database in the calibration folder: a calibration that stops (interrupted, out of time, or with
fewer generations asked) carries on from its last complete generation when run again.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from datetime import timedelta
from pathlib import Path

import numpy as np

from calibration.spec import CalibrationSpec, Prior, is_integer, mean_statistics
from sim.config import Config, to_config, to_dict
from sim.run import run_model

log = logging.getLogger("partnersim.calibrate")


def _safe(key: str) -> str:
    """A parameter's name in pyabc's database (dots are kept out of its column names)."""
    return key.replace(".", "__")


def _unsafe(name: str) -> str:
    return name.replace("__", ".")


def with_parameters(config: Config, values: dict[str, float]) -> Config:
    """The configuration with the free parameters set (whole-number fields rounded), validated.

    Args:
        config: the model configuration around the calibration.
        values: ``{dotted key: value}``.
    """
    data = to_dict(config)
    for key, value in values.items():
        node = data
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        node[last] = int(round(value)) if is_integer(key) else float(value)
    return to_config(data)


def run_particle(config: Config, values: dict[str, float], seeds: list[int]) -> dict[str, float]:
    """Run the model once per seed with ``values`` and return the seed-averaged statistics."""
    base = with_parameters(config, values)
    summaries = []
    for seed in seeds:
        cfg = dataclasses.replace(base, run=dataclasses.replace(base.run, seed=int(seed), progress=False))
        _, summary = run_model(cfg)
        summaries.append(summary)
    return mean_statistics(summaries)


class ParticleModel:
    """The model as pyabc calls it: parameters in, the fitted targets' statistics out (picklable)."""

    def __init__(self, config: Config, spec: CalibrationSpec):
        self.config = config
        self.seeds = list(spec.seeds)
        self.outputs = {t.name: t.output for t in spec.targets if t.fit}

    def __call__(self, parameters: dict) -> dict[str, float]:
        """Run one particle (pyabc passes its parameters with database-safe names)."""
        values = {_unsafe(k): float(v) for k, v in dict(parameters).items()}
        stats = run_particle(self.config, values, self.seeds)
        return {name: stats[output] for name, output in self.outputs.items()}


def prior(parameters: list[Prior]):
    """The prior pyabc samples: independent uniform distributions over each parameter's range."""
    import pyabc

    return pyabc.Distribution(
        **{_safe(p.key): pyabc.RV("uniform", p.low, p.high - p.low) for p in parameters}
    )


def _abc(config: Config, spec: CalibrationSpec, workers: int):
    import pyabc

    fitted = [t for t in spec.targets if t.fit]
    distance = pyabc.PNormDistance(p=2, fixed_weights={t.name: 1.0 / t.tolerance for t in fitted})
    # One worker samples in this process, from numpy's global generator seeded with the ABC seed:
    # the fit is then bit-reproducible. Several workers draw their own streams and race.
    if workers == 1:
        sampler = pyabc.sampler.SingleCoreSampler()
    else:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    return pyabc.ABCSMC(
        ParticleModel(config, spec),
        prior(spec.parameters),
        distance,
        population_size=spec.population,
        sampler=sampler,
        eps=pyabc.MedianEpsilon(),
    )


def observed(spec: CalibrationSpec) -> dict[str, float]:
    """The fitted targets' public figures, keyed by target name."""
    return {t.name: float(t.value) for t in spec.targets if t.fit}


def workers(spec: CalibrationSpec) -> int:
    """How many processes sample particles (``calibration.workers``; 0 = every core)."""
    return spec.workers or max(1, len(os.sched_getaffinity(0)))


def run_abc(config: Config, spec: CalibrationSpec, db: Path) -> None:
    """Run (or carry on) ABC-SMC until ``spec.generations`` generations, the time limit or the threshold.

    Args:
        config: the model configuration around the calibration.
        spec: the checked calibration.
        db: the history database (created, or carried on if it holds generations already).
    """
    # pyabc draws from numpy's global generator in this process (its workers reseed their own).
    np.random.seed(spec.abc_seed)  # noqa: NPY002
    abc = _abc(config, spec, workers(spec))
    url = f"sqlite:///{db}"
    done = 0
    if db.exists():
        history = abc.load(url, 1)
        done = history.max_t + 1
        if done > 0:
            log.info("carrying on from generation %d of %d (history %s)", done, spec.generations, db)
    else:
        abc.new(url, observed(spec))
    left = spec.generations - done
    if left <= 0:
        log.info("all %d generations are done", spec.generations)
        return
    abc.run(
        minimum_epsilon=spec.min_epsilon,
        max_nr_populations=left,
        max_walltime=timedelta(minutes=spec.max_minutes),
    )


def posterior(db: Path, keys: list[str] | None = None, t: int | None = None):
    """The population of generation ``t`` (the last by default): parameters by dotted key, and weights.

    Args:
        db: the history database.
        keys: the parameters' order (the calibration's); pyabc keeps them in alphabetical order.
        t: the generation; the last complete one by default.

    Returns:
        ``(frame, t)``: a DataFrame with one column per parameter and ``weight``, and the generation.
    """
    import pyabc

    history = pyabc.History(f"sqlite:///{db}", create=False)
    history.id = 1
    t = history.max_t if t is None else t
    frame, w = history.get_distribution(m=0, t=t)
    frame = frame.rename(columns=_unsafe)
    frame.columns.name = None
    frame = frame.reset_index(drop=True)
    if keys is not None:
        frame = frame[list(keys)]
    frame["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    return frame, int(t)


def progress(db: Path) -> list[dict]:
    """Each generation of the history: its threshold, accepted particles and simulations."""
    import pyabc

    history = pyabc.History(f"sqlite:///{db}", create=False)
    history.id = 1
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return [
        {"t": int(r.t), "epsilon": float(r.epsilon), "samples": int(r.samples), "particles": int(r.particles)}
        for r in pops.itertuples()
    ]
