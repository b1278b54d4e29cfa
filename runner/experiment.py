"""Experiments: deriving each run's seed and, for sampled designs and posteriors, its values.

A run that belongs to an experiment (``experiment.name`` set) takes its seed from the
experiment's ``base_seed`` and its replication index, so that every seed of a sweep follows from
the sweep's own configuration. A run of a sampled design (Sobol or Morris, built with SALib)
takes its lever values from row ``experiment.sample`` of the design, which is generated the same
way in every job from ``experiment.levers``, ``experiment.design_n`` and ``base_seed``: the sweep
runs the design, not a hand-written list.

A run with ``experiment.posterior`` (a calibration folder of ``partnersim-calibrate``) takes the
model parameters the calibration estimated from one draw of its posterior: the particles of
``posterior.parquet`` are resampled by weight into ``experiment.posterior_draws`` draws
(:func:`draw_particles`, from the base seed alone, so every job of a sweep, on any launcher, sees
the same list), and the run takes draw ``experiment.draw``. Its seed still comes from the base
seed and the replication alone, so draws and replications are crossed: each draw meets the same
seeds (common random numbers), and a condition's runs are draws × replications, whose spread
holds the parameters' uncertainty as well as the model's noise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from runner.files import CALIBRATION, POSTERIOR, POSTERIOR_WEIGHT
from sim.config import Config, ConfigError, ModelParams, PolicyConfig, numeric_levers, validate

MORRIS_LEVELS = 4

POSTERIOR_TAG = 0x706F7374
"""Mixed with the base seed into the stream of posterior draws (``post`` in ASCII).

The draws come from ``SeedSequence([base_seed, POSTERIOR_TAG])``, apart from every run's seed
(``SeedSequence([base_seed, replicate])``, with ``replicate`` at most 100,000).
"""


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


# ------------------------------------------------------------------------------ posterior draws
@dataclass(frozen=True, eq=False)
class Posterior:
    """A calibration's final population of particles, as read from its folder.

    Attributes:
        folder: the folder, resolved to an absolute path.
        name: the calibration's name (``calibration.json``).
        keys: the parameters, by dotted config key, in the file's column order.
        values: one row per particle, one column per key.
        weights: the particles' weights, scaled to sum to 1.
        sha256: the checksum of ``posterior.parquet``, recorded with each run that draws from it.
    """

    folder: Path
    name: str
    keys: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    sha256: str


def posterior_keys() -> dict[str, dataclasses.Field]:
    """The config keys a posterior may hold: every number under ``model.`` and ``policy.``.

    Returns:
        Each dotted key (``model.assessment.wait_weight``, ``policy.coterminosity``) with its
        schema field; whole-number, real and ranged, never a yes/no setting, a list or a word.
    """
    out: dict[str, dataclasses.Field] = {}

    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
            if dataclasses.is_dataclass(default):
                walk(type(default), f"{prefix}{f.name}.")
            elif isinstance(default, int | float) and not isinstance(default, bool):
                out[f"{prefix}{f.name}"] = f

    walk(ModelParams, "model.")
    walk(PolicyConfig, "policy.")
    return out


def _folder(given: str) -> Path:
    path = Path(given).expanduser()
    return path if path.is_absolute() else Path.cwd() / path


def read_posterior(given: str) -> Posterior:
    """Read and check a calibration folder's posterior (cached per process, by the files' state).

    Args:
        given: the folder as ``experiment.posterior`` names it: relative to the current
            directory, or absolute.

    Returns:
        The posterior.

    Raises:
        ConfigError: one line naming ``experiment.posterior``, its value and what is allowed: no
            such folder, a calibration that has not finished (``finished`` false, or no
            ``posterior.parquet``), a column that is not a numeric config key, values that are
            not finite numbers, or weights that are not numbers >= 0 with a positive sum.
    """
    folder = _folder(given)
    what = f"experiment.posterior={given!r}"
    if not folder.is_dir():
        raise ConfigError(
            f"{what} is not a folder (looked for {folder}): allowed a calibration folder of "
            f"partnersim-calibrate, holding {POSTERIOR} and {CALIBRATION}, or '' for none"
        )
    stamps = []
    for name in (CALIBRATION, POSTERIOR):
        try:
            stat = (folder / name).stat()
        except OSError:
            raise ConfigError(
                f"{what} holds no {name} ({folder}): allowed the folder of a calibration that "
                "finished; run partnersim-calibrate to the end"
            ) from None
        stamps.append((stat.st_mtime_ns, stat.st_size))
    return _read_posterior(str(folder.resolve()), given, tuple(stamps))


@lru_cache(maxsize=8)
def _read_posterior(folder_text: str, given: str, _stamps: tuple) -> Posterior:
    """The posterior of a folder whose files are in the state ``_stamps`` (the cache's key)."""
    import pyarrow.parquet as pq

    folder, what = Path(folder_text), f"experiment.posterior={given!r}"
    try:
        info = json.loads((folder / CALIBRATION).read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"{what}: {CALIBRATION} cannot be read ({type(err).__name__}): allowed JSON"
        ) from err
    if not isinstance(info, dict):
        raise ConfigError(
            f"{what}: {CALIBRATION} is not a JSON object: allowed the one partnersim-calibrate writes"
        )
    if info.get("finished") is not True:
        raise ConfigError(
            f"{what} holds a calibration that has not finished ({CALIBRATION}: finished="
            f"{json.dumps(info.get('finished'))}): allowed a finished one; run partnersim-calibrate to "
            "the end"
        )
    try:
        table = pq.read_table(folder / POSTERIOR)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise ConfigError(
            f"{what}: {POSTERIOR} cannot be read ({type(err).__name__}): allowed a parquet table"
        ) from err
    columns = list(table.column_names)
    if POSTERIOR_WEIGHT not in columns:
        raise ConfigError(
            f"{what}: {POSTERIOR} has no {POSTERIOR_WEIGHT!r} column (it has "
            f"{', '.join(columns) or 'none'}): allowed one column per parameter and {POSTERIOR_WEIGHT!r}"
        )
    keys = [c for c in columns if c != POSTERIOR_WEIGHT]
    allowed = posterior_keys()
    for key in keys:
        if key not in allowed:
            raise ConfigError(
                f"{what}: {POSTERIOR} column {key!r} is not a numeric config key: allowed the numbers "
                "under model. and policy. of sim/config.py, by dotted key (e.g. model.assessment.wait_weight)"
            )
    if not keys:
        raise ConfigError(f"{what}: {POSTERIOR} holds no parameter column: allowed one per parameter")
    if table.num_rows == 0:
        raise ConfigError(f"{what}: {POSTERIOR} holds no particles: allowed one row per particle")
    arrays = {}
    for name in [*keys, POSTERIOR_WEIGHT]:
        column = table.column(name)
        kind = column.type
        if not _numeric_type(kind):
            raise ConfigError(f"{what}: {POSTERIOR} column {name!r} holds {kind}: allowed numbers")
        values = column.to_numpy(zero_copy_only=False).astype(float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ConfigError(
                f"{what}: {POSTERIOR} column {name!r} has {values[bad[0]]} in row {int(bad[0])}: "
                "allowed finite numbers"
            )
        arrays[name] = values
    weights = arrays[POSTERIOR_WEIGHT]
    if (weights < 0).any() or weights.sum() <= 0:
        row = int(np.flatnonzero(weights < 0)[0]) if (weights < 0).any() else 0
        raise ConfigError(
            f"{what}: {POSTERIOR} column {POSTERIOR_WEIGHT!r} has {weights[row]:g} in row {row} "
            f"(sum {weights.sum():g}): allowed weights >= 0 with a positive sum"
        )
    digest = hashlib.sha256((folder / POSTERIOR).read_bytes()).hexdigest()
    return Posterior(
        folder=folder,
        name=str(info.get("name") or folder.name),
        keys=tuple(keys),
        values=np.column_stack([arrays[k] for k in keys]),
        weights=weights / weights.sum(),
        sha256=digest,
    )


def _numeric_type(kind: object) -> bool:
    """Whether a pyarrow type holds numbers (integers or reals; not yes/no, text or dates)."""
    import pyarrow.types as pat

    return bool(pat.is_integer(kind) or pat.is_floating(kind))


def draw_particles(weights: np.ndarray, draws: int, base_seed: int) -> np.ndarray:
    """Which particle each of ``draws`` draws takes: a weighted resample, the same in every job.

    Each draw is an independent draw of a particle with probability its weight (multinomial
    resampling), from numpy's Generator seeded with ``SeedSequence([base_seed, POSTERIOR_TAG])``:
    the list depends only on the weights, the number of draws and the base seed, never on the
    job, the launcher or the machine. A particle of weight 0 is never drawn, and the first ``k``
    draws of a longer list are those of a list of ``k``.

    Args:
        weights: the particles' weights (>= 0, positive sum).
        draws: how many draws (``experiment.posterior_draws``).
        base_seed: the experiment's base seed.

    Returns:
        The particle (row of the posterior) of each draw.
    """
    w = np.asarray(weights, dtype=float)
    rng = np.random.default_rng(np.random.SeedSequence([base_seed, POSTERIOR_TAG]))
    cdf = np.cumsum(w)
    picked = np.searchsorted(cdf, rng.random(draws) * cdf[-1], side="right")
    # (A uniform that rounds up to the total would fall past the end: it belongs to the last
    # particle with weight.)
    return np.minimum(picked, np.flatnonzero(w > 0)[-1])


def posterior_values(cfg: Config) -> tuple[Posterior, int, dict[str, int | float]]:
    """The posterior of a run, the particle its draw takes, and that particle's parameter values.

    Args:
        cfg: a validated config with ``experiment.posterior`` set.

    Returns:
        The posterior, the particle's row, and its values by dotted key (whole-number keys
        rounded).

    Raises:
        ConfigError: for a bad calibration folder (:func:`read_posterior`).
    """
    e = cfg.experiment
    post = read_posterior(e.posterior)
    particle = int(draw_particles(post.weights, e.posterior_draws, e.base_seed)[e.draw])
    kinds = posterior_keys()
    values: dict[str, int | float] = {}
    for key, v in zip(post.keys, post.values[particle], strict=True):
        values[key] = int(round(v)) if isinstance(kinds[key].default, int) else float(v)
    return post, particle, values


def _replaced(obj: object, parts: Sequence[str], value: object) -> object:
    head, *rest = parts
    new = _replaced(getattr(obj, head), rest, value) if rest else value
    return dataclasses.replace(obj, **{head: new})  # type: ignore[type-var]


def _apply_posterior(cfg: Config) -> Config:
    """``cfg`` with the values of its posterior draw, validated; unchanged without a posterior."""
    e = cfg.experiment
    if not e.posterior:
        return cfg
    post, particle, values = posterior_values(cfg)
    sampled = e.design in ("sobol", "morris")
    varied = [
        k for k in values if sampled and k.startswith("policy.") and k.removeprefix("policy.") in e.levers
    ]
    if varied:
        raise ConfigError(
            f"experiment.posterior={e.posterior!r} sets {varied[0]}, which the {e.design} design varies "
            "(experiment.levers): allowed a posterior of other parameters, or a design without that lever"
        )
    for key, value in values.items():
        cfg = _replaced(cfg, key.split("."), value)  # type: ignore[assignment]
    try:
        return validate(cfg)
    except ConfigError as err:
        raise ConfigError(
            f"{err} (drawn from experiment.posterior={e.posterior!r}, draw {e.draw}, particle {particle})"
        ) from err


def check_posterior_overrides(cfg: Config, overrides: Iterable[str]) -> None:
    """Refuse an override of a parameter the run's posterior sets (the draw would replace it).

    Args:
        cfg: the run's config.
        overrides: the run's ``key=value`` overrides (a sweep job's, or a command line's).

    Raises:
        ConfigError: naming the key, its value and the posterior that sets it.
    """
    if not cfg.experiment.posterior:
        return
    keys = set(read_posterior(cfg.experiment.posterior).keys)
    for arg in overrides:
        key, _, value = arg.partition("=")
        if key.lstrip("+~") in keys:
            raise ConfigError(
                f"{key.lstrip('+~')}={value} is set by each draw of experiment.posterior="
                f"{cfg.experiment.posterior!r}: allowed overrides of the parameters it does not hold; "
                "leave it out, or set experiment.posterior='' to run without the posterior"
            )


def posterior_record(cfg: Config) -> dict | None:
    """What a run's summary records of its posterior draw (None without a posterior).

    Returns:
        The folder as given and resolved, the calibration's name, the checksum of
        ``posterior.parquet``, the number of draws, the draw, the particle it took with its weight,
        and the values set.
    """
    e = cfg.experiment
    if not e.posterior:
        return None
    post, particle, values = posterior_values(cfg)
    return {
        "folder": e.posterior,
        "path": str(post.folder),
        "name": post.name,
        "sha256": post.sha256,
        "draws": e.posterior_draws,
        "draw": e.draw,
        "particle": particle,
        "weight": float(post.weights[particle]),
        "values": values,
    }


def apply(cfg: Config) -> Config:
    """Resolve a run's experiment settings into its seed, its levers and its posterior draw.

    A run with ``experiment.posterior`` takes the values of its draw's particle
    (:func:`posterior_values`), inside an experiment or not. Outside an experiment nothing else
    changes. Inside one, ``run.seed`` becomes :func:`derive_seed` of the base seed and
    replication (never of the draw), and for a sampled design the levers take the values of row
    ``experiment.sample`` (whole-number levers are rounded).

    Args:
        cfg: a validated config.

    Returns:
        A new, validated config.

    Raises:
        ConfigError: for a bad calibration folder, or a drawn value the schema refuses.
    """
    cfg = _apply_posterior(cfg)
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
