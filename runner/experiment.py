"""Experiments: deriving each run's seed and, for sampled designs, its lever values.

A run that belongs to an experiment (``experiment.name`` set) takes its seed from the
experiment's ``base_seed`` and its replication index, so that every seed of a sweep follows from
the sweep's own configuration. A run of a sampled design (Sobol or Morris, built with SALib)
takes its lever values from row ``experiment.sample`` of the design, which is generated the same
way in every job from ``experiment.levers``, ``experiment.design_n`` and ``base_seed``: the sweep
runs the design, not a hand-written list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from sim.config import Config, numeric_levers, validate

MORRIS_LEVELS = 4


def derive_seed(base_seed: int, replicate: int) -> int:
    """The seed of replication ``replicate`` of an experiment with ``base_seed``.

    Uses numpy's SeedSequence, so seeds of different replications are independent streams and
    the mapping never changes with the machine or the launcher.
    """
    return int(np.random.SeedSequence([base_seed, replicate]).generate_state(1)[0])


def salib_problem(levers: dict[str, Sequence[float]]) -> dict:
    """The SALib problem for levers with [low, high] bounds (the design and its analysis share it)."""
    return {
        "num_vars": len(levers),
        "names": list(levers),
        "bounds": [[float(x) for x in b] for b in levers.values()],
    }


@lru_cache(maxsize=8)
def _sample(design: str, n: int, names: tuple, bounds: tuple, seed: int) -> np.ndarray:
    from SALib.sample import morris, sobol

    prob = salib_problem(dict(zip(names, bounds, strict=True)))
    if design == "sobol":
        return sobol.sample(prob, n, calc_second_order=False, scramble=True, seed=seed)
    return morris.sample(prob, n, num_levels=MORRIS_LEVELS, seed=seed)


def design_matrix(design: str, n: int, levers: dict[str, list[float]], seed: int) -> np.ndarray:
    """The whole design: one row per run, one column per lever (in ``levers`` order)."""
    names = tuple(levers)
    bounds = tuple(tuple(float(x) for x in b) for b in levers.values())
    return _sample(design, n, names, bounds, seed)


def apply(cfg: Config) -> Config:
    """Resolve a run's experiment settings into its seed and levers.

    Outside an experiment the config is returned unchanged. Inside one, ``run.seed`` becomes
    :func:`derive_seed` of the base seed and replication, and for a sampled design the levers
    take the values of row ``experiment.sample`` (whole-number levers are rounded).

    Args:
        cfg: a validated config.

    Returns:
        A new, validated config.
    """
    e = cfg.experiment
    if not e.name:
        return cfg
    run = dataclasses.replace(cfg.run, seed=derive_seed(e.base_seed, e.replicate))
    policy = cfg.policy
    if e.design in ("sobol", "morris"):
        row = design_matrix(e.design, e.design_n, e.levers, e.base_seed)[e.sample]
        kinds = numeric_levers()
        values = {
            name: (int(round(v)) if isinstance(kinds[name].default, int) else float(v))
            for name, v in zip(e.levers, row, strict=True)
        }
        policy = dataclasses.replace(policy, **values)
    return validate(dataclasses.replace(cfg, run=run, policy=policy))
