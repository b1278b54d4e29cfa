"""Composing a configuration: ``configs/`` plus overrides, validated against the schema.

This is the runner's public entrance for Python code (tests, notebooks, the teaching app):
:func:`compose_config` gives the same validated :class:`sim.config.Config` as the command line,
without running anything. :func:`resolve` turns what Hydra composed into that Config, with an
experiment's seed and levers resolved (:func:`runner.experiment.apply`); :func:`explain` turns a
Hydra or OmegaConf error into one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from runner import experiment
from runner.plugins import register_plugins
from sim.config import Config, ConfigError, to_config


def _find_config_dir() -> Path:
    """Where Hydra's configs are: inside the installed package, or the repository's ``configs/``.

    A wheel carries ``configs/`` (with ``experiments/`` as its ``experiment`` group) as
    ``runner/configs``; a source tree or an editable install reads the repository's own folder.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "configs", here.parent / "configs"):
        if (candidate / "config.yaml").is_file():
            return candidate
    return here / "configs"


CONFIG_DIR = _find_config_dir()
"""The Hydra configs partnersim composes (see :func:`_find_config_dir`)."""


def register_configs() -> None:
    """Register the schema (:class:`sim.config.Config`) in Hydra's ConfigStore as ``base_config``."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="base_config", node=Config)


def resolve(composed: DictConfig) -> Config:
    """The validated Config of what Hydra composed, with an experiment's seed, levers and draw resolved.

    Raises:
        ConfigError: for a bad key or value, or an interpolation that does not resolve.
    """
    try:
        data = OmegaConf.to_container(composed, resolve=True)
    except OmegaConfBaseException as err:
        raise ConfigError(explain(err)) from err
    assert isinstance(data, dict)
    data.pop("hydra", None)
    return experiment.apply(to_config(data))


# ------------------------------------------------------------------------------ the command line
# Hydra's flags that take a value: the word after them is not an override.
_FLAGS_WITH_VALUE = {
    "--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd", "--cfg", "-c",
    "--package", "-p", "--info", "-i", "--experimental-rerun",
}  # fmt: skip
# Integers longer than this are refused before Hydra's parser sees them (Python's own limit for
# converting text to int is 4,300 digits, past which Hydra's parser raises a bare ValueError).
_MAX_DIGITS = 30


def command_line_overrides(argv: Sequence[str]) -> list[str]:
    """The overrides of a ``partnersim`` command line: its words that are not Hydra's flags."""
    out, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _FLAGS_WITH_VALUE
        elif "=" in word:
            out.append(word)
    return out


def schema_field(key: str) -> dataclasses.Field | None:
    """The schema's field for a dotted key (``policy.no_detriment``), or None if there is none."""
    cls: type | None = Config
    found = None
    for part in key.split("."):
        fields = {f.name: f for f in dataclasses.fields(cls)} if cls and dataclasses.is_dataclass(cls) else {}
        found = fields.get(part)
        if found is None:
            return None
        default = found.default_factory() if found.default is dataclasses.MISSING else found.default  # type: ignore[misc]
        cls = type(default) if dataclasses.is_dataclass(default) else None
    return found


def _values(value: str) -> list[str]:
    """The values of an override's text: a sweep ``a,b`` gives each (brackets and quotes kept whole)."""
    if value.startswith(("[", "{", "'", '"')) or "(" in value:
        return [value]
    return value.split(",")


def check_overrides(overrides: Sequence[str]) -> None:
    """Refuse, with one line, what Hydra would accept or mangle silently on the command line.

    - the same key twice (Hydra keeps the last without a word);
    - a value other than ``true`` or ``false`` for a yes/no setting (OmegaConf takes ``2`` or
      ``yes`` as true);
    - a number too long to be a value (a 5,000-digit seed makes Hydra's parser raise);
    - ``scenario.name`` that is not a plain name (it is a folder of ``outputs/``).

    Args:
        overrides: the command line's ``key=value`` words (sweeps ``key=a,b`` included).

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    import re

    seen: dict[str, str] = {}
    for arg in overrides:
        key, _, value = arg.partition("=")
        key = key.lstrip("+~")
        if key in seen:
            raise ConfigError(f"{key} is given twice ({seen[key]} and {arg}): give each key once")
        seen[key] = arg
        f = schema_field(key)
        for one in _values(value):
            text = one.strip()
            if re.fullmatch(r"[+-]?\d+", text) and len(text.lstrip("+-")) > _MAX_DIGITS:
                lo, hi = f.metadata.get("range", (None, None)) if f is not None else (None, None)
                allowed = f"allowed {lo}..{hi}" if lo is not None and hi is not None else "too large"
                shown = f"{text[:12]}...({len(text.lstrip('+-'))} digits)"
                raise ConfigError(f"{key}={shown} is out of range: {allowed}")
            if (
                f is not None
                and isinstance(f.default, bool)
                and "(" not in value
                and text.lower() not in ("true", "false")
            ):
                raise ConfigError(f"{key}={text} must be true or false")
            if key == "scenario.name" and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", text.strip("'\"")):
                raise ConfigError(
                    f"scenario.name={text} must be a plain name: "
                    "letters, digits, '_', '-' and '.', not a path"
                )


# ------------------------------------------------------------------------------ explaining errors
def _offending(err: BaseException, overrides: Sequence[str]) -> str | None:
    """The override a Hydra error is about: the one whose text or quoted key the message names."""
    text = str(err)
    for arg in overrides:
        given = arg.lstrip("+~")
        if given in text or f"'{given.partition('=')[0]}'" in text:
            return given
    return None


def explain(err: BaseException, overrides: Sequence[str] = ()) -> str:
    """Turn a Hydra composition error into one line naming the key, the value and what is allowed.

    Args:
        err: the exception Hydra (or OmegaConf) raised while composing the configuration.
        overrides: the overrides given, to quote the offending one.

    Returns:
        A one-line message.
    """
    if isinstance(err, MissingConfigException) and err.options and err.missing_cfg_file:
        group, _, name = err.missing_cfg_file.rpartition("/")
        if group:
            return f"{group}={name} is not a known option: choose one of {', '.join(sorted(err.options))}"
    if isinstance(err, OverrideParseException):
        return f"{err.override}: {str(err).strip().splitlines()[0]} (see Hydra's override grammar)"
    cause = err if isinstance(err, OmegaConfBaseException) else err.__cause__
    if isinstance(cause, OmegaConfBaseException):
        key = getattr(cause, "full_key", None) or getattr(cause, "key", None) or ""
        given = _offending(err, overrides)
        about = given if given and given.partition("=")[0] == key else f"{given}: {key}" if given else key
        if isinstance(cause, ConfigKeyError | ConfigAttributeError):
            obj = getattr(cause, "object_type", None)
            allowed = sorted(f.name for f in dataclasses.fields(obj)) if dataclasses.is_dataclass(obj) else []
            return f"{about} is not a known key" + (f": allowed {', '.join(allowed)}" if allowed else "")
        reason = str(getattr(cause, "msg", None) or cause).strip().splitlines()[0]
        return f"{about}: {reason}" if about else reason
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return " ".join(lines) or type(err).__name__


def compose_config(overrides: list[str] | None = None, scenario: str | None = None) -> Config:
    """Compose ``configs/`` as the command line would, without running anything.

    Meant for Python code outside a running Hydra application: Hydra's global state is cleared
    first if something left it initialised, and left clear afterwards.

    Args:
        overrides: Hydra overrides, e.g. ``["policy.coterminosity=0.7", "run.weeks=104"]``.
        scenario: a preset name (a file in ``configs/scenario/``); same as ``scenario=NAME``.

    Returns:
        The validated :class:`sim.config.Config`.

    Raises:
        ConfigError: naming the key, the value and what is allowed, for an unknown preset or key,
            a wrong type or an out-of-range value, a bad calibration folder
            (``experiment.posterior``), or an override of a parameter its posterior sets.
    """
    from hydra import compose, initialize_config_dir

    register_configs()
    register_plugins()  # (their config schemas too: the launcher's settings are composed)
    args = ([f"scenario={scenario}"] if scenario else []) + list(overrides or [])
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="partnersim"):
            composed = compose(config_name="config", overrides=args)
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(explain(err, args)) from err
    cfg = resolve(composed)
    experiment.check_posterior_overrides(cfg, args)
    return cfg
