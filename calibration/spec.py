"""What a calibration fits: targets (public figures) and free parameters (with prior ranges).

A calibration is a file in ``configs/calibration/`` (``partnersim-calibrate calibration=NAME``).
Its schema is :class:`CalibrationSpec`; :func:`check` refuses, with one line naming the key, the
value and what is allowed, a target whose output the model does not produce, a parameter that is
not a numeric setting of the schema, and a prior range outside the parameter's allowed range.

A target compares one *statistic* of a run with a public figure. The statistics are the outcomes
of ``summary.json`` (:data:`sim.registry.SUMMARY`), the measured coterminosity, and the shares of
delayed discharges by responsible side (:data:`DERIVED`), each averaged over the particle's seeds.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from runner.compose import schema_field
from sim.config import Config, ConfigError
from sim.registry import SUMMARY

_DELAYS = ("delayed_discharges_health", "delayed_discharges_council", "delayed_discharges_both")

#: Statistics computed from several outcomes (their meaning, for error messages and the report).
DERIVED = {
    "delayed_share_nhs": "share of delayed bed-weeks attributed to the NHS only",
    "delayed_share_council": "share of delayed bed-weeks attributed to social care only",
    "delayed_share_both": "share of delayed bed-weeks attributed to both",
    "measured_coterminosity": "share of localities whose health area is their council's (chance removed)",
}
KINDS = ("share", "level", "ratio", "lever")


def statistic_names() -> list[str]:
    """Every statistic a target may name: the summary's outcomes and :data:`DERIVED`."""
    return [o.name for o in SUMMARY] + list(DERIVED)


def statistics(summary: dict) -> dict[str, float]:
    """The statistics of one run's summary (``sim.run.run_model``'s second value).

    Args:
        summary: a run's summary dict.

    Returns:
        ``{name: value}`` for every name of :func:`statistic_names`.
    """
    out = {k: float(v) for k, v in summary["outcomes"].items()}
    total = sum(out[k] for k in _DELAYS)
    for side, key in zip(("nhs", "council", "both"), _DELAYS, strict=True):
        out[f"delayed_share_{side}"] = out[key] / total if total > 0 else 0.0
    out["measured_coterminosity"] = float(summary["measured_coterminosity"])
    return out


def mean_statistics(summaries: list[dict]) -> dict[str, float]:
    """The statistics of several runs (seeds) of one parameter set.

    Levels are averaged over the runs; the delay shares are then taken of the averaged levels (a
    share of all delayed bed-weeks of the runs, not a mean of shares).
    """
    each = [statistics(s) for s in summaries]
    out = {k: sum(e[k] for e in each) / len(each) for k in each[0]}
    total = sum(out[k] for k in _DELAYS)
    for side, key in zip(("nhs", "council", "both"), _DELAYS, strict=True):
        out[f"delayed_share_{side}"] = out[key] / total if total > 0 else 0.0
    return out


@dataclass
class Target:
    """One public figure the model is compared with.

    Attributes:
        name: a short name (a key of the distance and of the report).
        output: the statistic compared (:func:`statistic_names`).
        value: the public figure, on the statistic's scale (a share as a fraction).
        tolerance: the error model's scale: a miss of one tolerance weighs as much in the distance
            as one of another target's tolerance (the comparison is a stylised patch with England,
            so this is wider than the figure's sampling error).
        low: the lower end of the range counted as a match (posterior predictive checks).
        high: the upper end of that range.
        kind: ``share``, ``level``, ``ratio`` or ``lever`` (a check of what a lever means).
        source: publisher, table and year.
        comparable: why the model's statistic is comparable with the figure.
        fit: whether the calibration uses it (false: held out for validation).
    """

    name: str = ""
    output: str = ""
    value: float = 0.0
    tolerance: float = 0.1
    low: float = 0.0
    high: float = 1.0
    kind: str = "share"
    source: str = ""
    comparable: str = ""
    fit: bool = True


@dataclass
class Prior:
    """A free parameter's uniform prior and why it is free.

    Attributes:
        key: the dotted config key (``model.assessment.capacity_share``).
        low: the prior's lower end (within the key's allowed range).
        high: the prior's upper end.
        reason: why the sources do not fix it, and which target should inform it.
    """

    key: str = ""
    low: float = 0.0
    high: float = 1.0
    reason: str = ""


@dataclass
class Contrast:
    """A held-out pattern: a change of settings whose effect the calibration did not see.

    Attributes:
        name: a short name.
        description: the pattern and where it comes from.
        set: ``{dotted key: value}`` changed from the calibrated model (a lever, usually).
        expect: ``{statistic: "lower" or "higher"}``: the direction the sources lead one to expect.
        source: where the expectation comes from.
    """

    name: str = ""
    description: str = ""
    set: dict[str, float] = field(default_factory=dict)
    expect: dict[str, str] = field(default_factory=dict)
    source: str = ""


@dataclass
class CalibrationSpec:
    """A calibration: targets, free parameters, and the ABC-SMC settings (``configs/calibration/``).

    The model's other settings come from the composed configuration around it (the baseline
    scenario and ``world`` by default; ``run.weeks`` and ``run.summary_weeks`` are each particle's
    run length and summary window).
    """

    name: str = "england"
    description: str = ""
    out: str = ""
    targets: list[Target] = field(default_factory=list)
    parameters: list[Prior] = field(default_factory=list)
    contrasts: list[Contrast] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [1, 2, 3])
    population: int = 100
    generations: int = 6
    min_epsilon: float = 0.0
    max_minutes: float = 60.0
    workers: int = 0  # 0: every core; 1: sampled in this process, bit-reproducible
    predictive_draws: int = 20
    abc_seed: int = 20061


@dataclass
class CalibrateConfig(Config):
    """What ``partnersim-calibrate`` composes: a model configuration and a calibration."""

    calibration: CalibrationSpec = field(default_factory=CalibrationSpec)


def is_integer(key: str) -> bool:
    """Whether a parameter's schema field holds a whole number."""
    f = schema_field(key)
    return f is not None and isinstance(f.default, int) and not isinstance(f.default, bool)


def check(spec: CalibrationSpec) -> CalibrationSpec:
    """Refuse a calibration that cannot run, with one line naming the key, the value and what is allowed.

    Raises:
        ConfigError: an unknown target output or kind, a target range that does not hold its
            figure, a non-positive tolerance, a parameter that is not a numeric model setting or
            lever, a prior range outside the parameter's allowed range or empty, no target to
            fit, no free parameter, no seed, or a bad ABC setting.
    """
    where = "calibration"
    known = statistic_names()
    names = set()
    for i, t in enumerate(spec.targets):
        key = f"{where}.targets[{i}]"
        if not t.name:
            raise ConfigError(f"{key}.name is empty: give each target a name")
        if t.name in names:
            raise ConfigError(f"{key}.name={t.name} is given twice: give each target its own name")
        names.add(t.name)
        if t.output not in known:
            raise ConfigError(
                f"{key}.output={t.output!r} is not an output of the model: choose one of {', '.join(known)}"
            )
        if t.kind not in KINDS:
            raise ConfigError(f"{key}.kind={t.kind!r} is not allowed: choose one of {', '.join(KINDS)}")
        if not t.tolerance > 0:
            raise ConfigError(f"{key}.tolerance={t.tolerance} must be above 0")
        if not t.low <= t.value <= t.high:
            raise ConfigError(f"{key}: value={t.value} must lie in its range low={t.low}..high={t.high}")
    if not any(t.fit for t in spec.targets):
        raise ConfigError(f"{where}.targets: no target has fit=true; give at least one to fit")
    seen = set()
    for i, prior in enumerate(spec.parameters):
        key = f"{where}.parameters[{i}]"
        f = schema_field(prior.key)
        if f is None or not isinstance(f.default, int | float) or isinstance(f.default, bool):
            raise ConfigError(
                f"{key}.key={prior.key!r} is not a numeric setting of the model: "
                "give a dotted key of sim/config.py such as model.assessment.capacity_share"
            )
        if not prior.key.startswith(("model.", "policy.")):
            raise ConfigError(
                f"{key}.key={prior.key!r}: only model.* parameters and policy.* levers can be free"
            )
        if prior.key in seen:
            raise ConfigError(f"{key}.key={prior.key} is given twice: free each parameter once")
        seen.add(prior.key)
        lo, hi = f.metadata.get("range", (None, None))
        allowed = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
        if (lo is not None and prior.low < lo) or (hi is not None and prior.high > hi):
            raise ConfigError(
                f"{key}: prior {prior.key} in [{prior.low}, {prior.high}] "
                f"is outside its allowed range {allowed}"
            )
        if not prior.low < prior.high:
            raise ConfigError(f"{key}: prior {prior.key} needs low < high (got {prior.low}, {prior.high})")
    for i, c in enumerate(spec.contrasts):
        key = f"{where}.contrasts[{i}]"
        if not c.name or c.name == "calibrated":
            raise ConfigError(f"{key}.name={c.name!r}: give the contrast a name other than 'calibrated'")
        for k in c.set:
            f = schema_field(k)
            if f is None or not isinstance(f.default, int | float) or isinstance(f.default, bool):
                raise ConfigError(f"{key}.set: {k!r} is not a numeric setting of the model")
        for output, direction in c.expect.items():
            if output not in known:
                raise ConfigError(
                    f"{key}.expect: {output!r} is not an output of the model: "
                    f"choose one of {', '.join(known)}"
                )
            if direction not in ("lower", "higher"):
                raise ConfigError(
                    f"{key}.expect.{output}={direction!r} is not allowed: choose lower or higher"
                )
    if not spec.parameters:
        raise ConfigError(f"{where}.parameters is empty: free at least one parameter")
    if not spec.seeds:
        raise ConfigError(f"{where}.seeds is empty: give at least one seed per particle")
    for name, value, lo in (
        ("population", spec.population, 2),
        ("generations", spec.generations, 1),
        ("predictive_draws", spec.predictive_draws, 1),
    ):
        if value < lo:
            raise ConfigError(f"{where}.{name}={value} is out of range: allowed {lo}..inf")
    if spec.population <= len(spec.parameters):
        raise ConfigError(
            f"{where}.population={spec.population} is too small: it must exceed the number of free "
            f"parameters ({len(spec.parameters)}), or the particles' spread cannot be estimated"
        )
    if spec.workers < 0:
        raise ConfigError(f"{where}.workers={spec.workers} is out of range: allowed 0 (all cores)..inf")
    if not spec.max_minutes > 0:
        raise ConfigError(f"{where}.max_minutes={spec.max_minutes} must be above 0")
    return spec


def identity(spec: CalibrationSpec, model_config: dict) -> str:
    """What makes two calibrations the same fit: targets, priors, seeds, ABC seed and model config.

    The stopping rules (generations, minutes, minimum epsilon), the number of workers and what is
    computed after the fit (predictive draws, held-out contrasts) are left out, so that a
    calibration can be resumed, extended with more generations, and its checks redone. So are the
    free parameters' values in the model configuration (every particle sets its own): writing the
    calibrated point into the defaults leaves the calibration the same one. And so are the
    experiment settings, which name sweeps: what they change in a run (its seed, its levers) is in
    the rest of the configuration.
    """
    model_config = copy.deepcopy(model_config)
    model_config.pop("experiment", None)
    for prior in spec.parameters:
        node = model_config
        *path, last = prior.key.split(".")
        for part in path:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(last, None)
    data = {
        "targets": [dataclasses.asdict(t) for t in spec.targets],
        "parameters": [dataclasses.asdict(p) for p in spec.parameters],
        "seeds": list(spec.seeds),
        "population": spec.population,
        "abc_seed": spec.abc_seed,
        "model": model_config,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]
