"""The command line: ``partnersim [overrides]`` (or ``python -m runner``), a thin Hydra application.

It composes ``configs/`` with the overrides, validates the result against the schema in
:mod:`sim.config`, runs the model with a progress bar, writes the run folder
(:mod:`runner.outputs`) and prints a short summary. Examples::

    partnersim                                   # the baseline, five years, seed 42
    partnersim scenario=care_trust policy.pooled_budget_share=0.6 run.weeks=104 run.seed=7
    partnersim -m scenario=baseline,care_trust run.seed=1,2,3

A bad value stops before the model is built with one line on stderr naming the key, the value and
what is allowed, exit status 2, and no run folder left behind.
:func:`runner.compose.compose_config` gives the same validated configuration to Python code
(tests, notebooks, the browser app) without the command line.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from runner.compose import (
    CONFIG_DIR,
    check_overrides,
    command_line_overrides,
    explain,
    register_configs,
    resolve,
)
from runner.experiment import check_posterior_overrides
from runner.files import ERROR
from runner.plugins import register_plugins
from sim.config import Config, ConfigError
from sim.registry import outcome

EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130

# The outcomes of the table printed after a run, in its order (labels, units and formats are
# those of sim.registry), and the few of a sweep job's one-line report.
SUMMARY_ROWS = (
    "mean_wait_weeks",
    "wait_p90_weeks",
    "assessments_per_user",
    "unmet_need",
    "wellbeing",
    "readmission_rate",
    "mean_trust",
    "mean_loyalty",
    "coordination_failures",
    "meeting_hours",
    "spend",
)
LINE_OUTCOMES = ("mean_wait_weeks", "unmet_need", "wellbeing", "readmission_rate", "mean_trust")

# The config errors of this invocation's jobs: a sweep carries on past a bad job, then main() fails.
_failures: list[str] = []


@contextmanager
def _hydra_errors_raised() -> Iterator[None]:
    """Let Hydra raise its errors instead of printing them with a stack trace and exiting.

    Hydra prints composition errors itself, with a hint about ``HYDRA_FULL_ERROR``; with that
    variable set it raises them instead, so that :func:`main` can print one clear line.
    """
    saved = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = saved


# ------------------------------------------------------------------------------ the application
def _discard(folder: Path) -> None:
    """Remove what Hydra wrote for a job that failed before writing any output.

    Only Hydra's own files go (its ``.hydra`` folder and job log); the job's folder is then removed
    if empty, with its parent if that is now empty too (and, inside the working directory, any
    further empty parents, such as ``outputs/`` on a first run). Nothing else is ever deleted.
    """
    hc = HydraConfig.get()
    if hc.output_subdir:
        shutil.rmtree(folder / hc.output_subdir, ignore_errors=True)
    (folder / f"{hc.job.name}.log").unlink(missing_ok=True)
    cwd = Path.cwd().resolve()
    for k, path in enumerate([folder, *folder.parents]):
        if path == cwd or (k > 1 and not path.is_relative_to(cwd)):
            break
        try:
            path.rmdir()
        except OSError:  # not empty: it holds something that is not ours
            break


def _where(folder: Path) -> str:
    try:
        return str(folder.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)


def _shown(name: str) -> str:
    """An outcome's label as a row of the summary table begins, in lower case like the others."""
    label = outcome(name).label
    return label[:1].lower() + label[1:]


def format_summary(summary: dict, folder: Path | None = None) -> str:
    """The short table printed after a run.

    Args:
        summary: the summary dict of :func:`sim.run_model`.
        folder: the run folder, if outputs were written.

    Returns:
        The table as text.
    """
    out = summary["outcomes"]
    rows = [(_shown(name), outcome(name).format(out[name])) for name in SUMMARY_ROWS if name in out]
    rows.append(("measured coterminosity", f"{summary['measured_coterminosity']:.2f}"))
    rows.append(("seed", str(summary["seed"])))
    if folder is not None:
        rows.append(("output folder", _where(folder)))
    width = max(len(label) for label, _ in rows)
    head = (
        f"partnersim {summary.get('version', '')}: scenario {summary['scenario']}, "
        f"{summary['weeks']} weeks; outcomes are means over the last {summary['summary_weeks']} weeks"
    )
    return "\n".join([head, *(f"  {label:<{width}}  {value}" for label, value in rows)])


def format_line(summary: dict, folder: Path) -> str:
    """One line per job of a sweep: the key outcomes and where they were written."""
    out = summary["outcomes"]
    shown = ", ".join(
        f"{_shown(name)} {outcome(name).format(out[name])}" for name in LINE_OUTCOMES if name in out
    )
    return f"{summary['scenario']} seed {summary['seed']}: {shown} -> {_where(folder)}"


def _run(cfg: Config) -> tuple[Any, dict]:
    from tqdm import tqdm

    from sim import run_model

    with tqdm(
        total=cfg.run.weeks,
        desc=cfg.scenario.name,
        unit="week",
        disable=not cfg.run.progress,
        dynamic_ncols=True,
    ) as bar:
        try:
            return run_model(cfg, progress=lambda _week: bar.update())
        except BaseException:
            bar.leave = False
            raise


def _identity(cfg: Config, hc: Any, sweeping: bool) -> dict:
    """What summary.json records to identify the run: config hash, code fingerprint, git, command.

    A run drawn from a posterior records it too (:func:`runner.experiment.posterior_record`).
    """
    from runner import experiment, provenance, sweep
    from sim.config import to_dict

    command = provenance.command_line()
    if sweeping:  # a worker's argv may be a scheduler's: the sweep's command is in its manifest
        manifest = sweep.read_manifest(Path(hc.sweep.dir)) or {}
        command = str(manifest.get("command") or command)
    ident = provenance.identity()
    drawn = experiment.posterior_record(cfg)
    return {
        **({"posterior": drawn} if drawn else {}),
        "config_hash": sweep.config_hash(to_dict(cfg)),
        "fingerprint": ident["fingerprint"],
        "code_hash": ident["code_hash"],
        "libraries": ident["libraries"],
        "git": ident["git"],
        "command": command,
        "overrides": list(hc.overrides.task),
    }


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def app(composed: DictConfig) -> dict | None:
    """Validate, run and write one job; return its outcomes (None when the config is bad).

    Args:
        composed: the configuration Hydra composed.
    """
    from runner import sweep
    from runner.outputs import write_run
    from sim.config import to_dict

    hc = HydraConfig.get()
    folder = Path(hc.runtime.output_dir)
    sweeping = hc.mode == RunMode.MULTIRUN
    overrides = list(hc.overrides.task)
    try:
        if not sweeping:  # a sweep's jobs were all checked by its sweeper before any ran
            check_overrides(overrides)
        cfg = resolve(composed)
        check_posterior_overrides(cfg, overrides)
        if sweeping:
            done, why = sweep.resume_state(folder, to_dict(cfg))
            if done is not None:
                print(f"\t#{hc.job.num} already complete, skipped: {_where(folder)}", flush=True)
                return done["outcomes"]
            if why:
                print(f"\t#{hc.job.num} runs again: {why}", flush=True)
            (folder / ERROR).unlink(missing_ok=True)
        table, summary = _run(cfg)
        summary.update(_identity(cfg, hc, sweeping))
        write_run(folder, table, summary, figure=cfg.run.figure)
    except ConfigError as err:
        if sweeping:
            sweep.record_failure(folder, err, overrides)
        else:
            _discard(folder)
        where = f" in job #{hc.job.num} ({' '.join(overrides)})" if sweeping else ""
        print(f"error{where}: {err}", file=sys.stderr)
        _failures.append(str(err))
        return None
    except KeyboardInterrupt:
        if not sweeping:
            _discard(folder)
        raise
    except Exception as err:
        if not sweeping:
            raise
        # One job's failure must not cost the others: record it and let the sweep go on.
        sweep.record_failure(folder, err, overrides)
        where = f"job #{hc.job.num} ({' '.join(overrides)})"
        print(f"error in {where}: {type(err).__name__}: {err}", file=sys.stderr)
        _failures.append(str(err))
        return None
    if not sweeping:
        print(format_summary(summary, folder), flush=True)
    else:
        print(f"\t#{hc.job.num} {format_line(summary, folder)}", flush=True)
        line = sweep.progress_line(Path(hc.sweep.dir))
        if line:
            print(f"[sweep] {line}", file=sys.stderr, flush=True)
    return summary["outcomes"]


def _yaml_line(err: Exception) -> str:
    """A YAML file's syntax error in one line: the file, where, and what the parser expected."""
    import yaml

    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"{mark.name}, line {mark.line + 1}, column {mark.column + 1}" if mark else "a YAML file"
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    if isinstance(err, yaml.MarkedYAMLError) and err.context:
        problem = f"{err.context}: {problem}"
    return f"{where}: malformed YAML ({problem}); fix the file and run again"


def main() -> None:
    """Run the Hydra application: ``partnersim`` and ``python -m runner``."""
    if not (CONFIG_DIR / "config.yaml").is_file():
        print(
            f"error: the configs/ folder is not at {CONFIG_DIR}: install partnersim from its repository "
            "with `pip install -e .` (or ./setup.sh)",
            file=sys.stderr,
        )
        sys.exit(EXIT_CONFIG)
    import yaml

    try:
        # Before Hydra: it would make the run folder (outside outputs/ for scenario.name=../x)
        # or raise a bare ValueError (a 5,000-digit number) before the application can check.
        check_overrides(command_line_overrides(sys.argv[1:]))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    register_configs()
    register_plugins()
    _failures.clear()
    try:
        with _hydra_errors_raised():
            app()
    except (HydraException, OmegaConfBaseException) as err:
        print(f"error: {explain(err, sys.argv[1:])}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    except yaml.YAMLError as err:
        print(f"error: {_yaml_line(err)}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    from runner import sweep

    if sweep.sweep_failed() and not _failures:
        sys.exit(EXIT_CONFIG)
    if _failures:
        if len(_failures) > 1:
            print(f"{len(_failures)} jobs failed", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
