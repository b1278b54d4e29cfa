"""How a sweep is laid out: its experiment, the factors it varies, and the condition of each run.

A *factor* is a setting that takes more than one value across the runs of a grid (a lever such
as ``policy.joint_indicators``, a model parameter, a config group such as ``+partnership``, or the
list of shocks); a *condition* is one combination of factor levels, run over several seeds. The
factors are read from each run's overrides (what the sweep was asked to vary), or, for a table
without overrides, from the ``policy.*`` and ``model.*`` columns that vary (columns that always
vary together count once). Sampled designs (Sobol, Morris) have no conditions: every run is a
row of the design.

The replications of a condition are its seeds (``experiment.replicate``) and, in an experiment
whose model parameters are drawn from a calibration's posterior (``experiment.posterior``), its
draws (``experiment.draw``, crossed with the seeds): the draw is never a factor, and the model
parameters a draw sets vary with the draw alone, so they are not factors either. A condition's
runs are then draws × seeds, and its spread holds the parameters' uncertainty as well as noise.

:func:`prepare` adds a ``condition`` column (an ordered categorical, reference condition first)
and one column per factor to a results table; :func:`attach` copies them onto the weekly table.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import AnalysisError

#: Overrides that identify a run within its condition, not a condition.
RUN_KEYS = ("experiment", "experiment.replicate", "experiment.draw", "experiment.sample", "run.seed")
#: The results table's column of each run's posterior draw (-1: none).
DRAW = "draw"
#: Experiment name suffixes of variants that test their base experiment's hypothesis: a smoke
#: variant (fewer runs), and a variant drawing the model parameters from a posterior.
VARIANT_SUFFIXES = ("_smoke", "_posterior")
#: Levels taken as the reference (the "before" of a comparison) when a factor's levels are words.
REFERENCE_WORDS = ("off", "none", "no", "false", "targeted", "baseline", "separate")
SAMPLED = ("sobol", "morris")
ALL_RUNS = "all runs"
NO_SHOCK = "no shock"
#: Columns a results table needs before anything else can be said about it.
REQUIRED = ("job", "seed")


@dataclass
class Experiment:
    """What an experiment asks and how it was designed (``experiment.*`` of the run configs).

    Attributes:
        name: the experiment name (``experiment.name``).
        question: the research question.
        hypothesis: the hypothesis, in one sentence.
        design: ``grid``, ``sobol``, ``morris`` (or ``single``).
        levers: for a sampled design, each lever with its [low, high] bounds.
        design_n: base sample size of a sampled design.
        base_seed: the base seed of the experiment (and of its sampled design).
        weeks: weeks per run.
        summary_weeks: final weeks over which the summary outcomes are averaged.
        header: the comment header of ``experiments/NAME.yaml``, when the file is found.
        posterior: the calibration folder the model parameters are drawn from (empty: none).
        posterior_draws: the number of draws from that posterior (0: none).
    """

    name: str = ""
    question: str = ""
    hypothesis: str = ""
    design: str = "grid"
    levers: dict[str, list[float]] = field(default_factory=dict)
    design_n: int = 0
    base_seed: int = 0
    weeks: int | None = None
    summary_weeks: int | None = None
    header: str = ""
    posterior: str = ""
    posterior_draws: int = 0

    @property
    def sampled(self) -> bool:
        """Whether the runs are rows of a Sobol or Morris design."""
        return self.design in SAMPLED

    @property
    def base_name(self) -> str:
        """The base experiment's name (:func:`base_experiment`): its variants test the same hypothesis."""
        return base_experiment(self.name)

    @classmethod
    def from_config(cls, cfg: dict, header: str = "") -> Experiment:
        """Build from a resolved config (``summary.json["config"]`` or ``multirun.yaml``)."""
        e = cfg.get("experiment") or {}
        run = cfg.get("run") or {}
        return cls(
            name=str(e.get("name") or ""),
            question=str(e.get("question") or ""),
            hypothesis=str(e.get("hypothesis") or ""),
            design=str(e.get("design") or "grid"),
            levers={str(k): [float(x) for x in v] for k, v in (e.get("levers") or {}).items()},
            design_n=int(e.get("design_n") or 0),
            base_seed=int(e.get("base_seed") or 0),
            weeks=_int_or_none(run.get("weeks")),
            summary_weeks=_int_or_none(run.get("summary_weeks")),
            header=header,
            posterior=str(e.get("posterior") or ""),
            posterior_draws=int(e.get("posterior_draws") or 0),
        )


def base_experiment(name: str) -> str:
    """The experiment a variant's name belongs to: without ``_smoke``, then without ``_posterior``.

    ``pooling_x_coterminosity_posterior_smoke`` is a variant of ``pooling_x_coterminosity``: fewer
    runs, and model parameters drawn from a posterior; it tests the same hypothesis.
    """
    for suffix in VARIANT_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def experiment_header(name: str, root: Path | None = None) -> str:
    """The comment header of an experiment's file in ``experiments/``.

    For a variant (:func:`base_experiment`), the base experiment's header: the variant's own says
    only how it is cut down or what it draws from.

    Returns the lines after the ``# @package`` line, without their ``#``, or ``""``.
    """
    root = root or Path(__file__).resolve().parent.parent / "experiments"
    for candidate in dict.fromkeys((base_experiment(name), name.removesuffix("_smoke"), name)):
        path = root / f"{candidate}.yaml"
        if not path.is_file():
            continue
        lines = []
        for line in path.read_text().splitlines():
            if not line.startswith("#"):
                break
            if line.startswith("# @package"):
                continue
            lines.append(line[1:].removeprefix(" ").rstrip())
        text = "\n".join(lines).strip()
        if text:
            return text
    return ""


@dataclass(frozen=True)
class Factor:
    """One setting that varies across the runs of a grid.

    Attributes:
        name: its name as given to the sweep (``policy.joint_indicators``, ``partnership``,
            ``scenario.shocks``).
        column: the column of the prepared table that holds its level for each run.
        levels: its levels in order, reference first.
        numeric: whether the levels are ordered numbers.
    """

    name: str
    column: str
    levels: tuple
    numeric: bool

    @property
    def short(self) -> str:
        """The name without its config group prefix (``joint_indicators``, ``trust.initial``)."""
        for prefix in ("policy.", "model.", "scenario."):
            if self.name.startswith(prefix):
                return self.name.removeprefix(prefix)
        return self.name

    @property
    def reference(self) -> Any:
        """The reference level: the lowest number, false, no shock, or a word like ``off``."""
        return self.levels[0]

    def label(self, value: Any) -> str:
        """``short = value`` for a lever, or the shock list in words."""
        if self.column == "shocks":
            return shock_label(value)
        return f"{self.short} = {fmt_level(value)}"


def fmt_level(value: Any) -> str:
    """A level as written in labels: ``0.25``, ``1``, ``true``, ``everyone``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return str(value)


def shock_label(value: str) -> str:
    """A shock list (JSON, as in ``shocks``) in words, e.g. ``pool withdrawal 50% (pct) in week 10``."""
    try:
        shocks = json.loads(value) if isinstance(value, str) else list(value)
    except ValueError:
        return str(value)
    if not shocks:
        return NO_SHOCK
    parts = []
    for s in shocks:
        words = str(s.get("kind", "shock")).replace("_", " ")
        if s.get("share") is not None:
            words += f" {float(s['share']):.0%}"
        if s.get("agency"):
            words += f" ({s['agency']})"
        parts.append(f"{words} in week {s.get('week')}")
    return "; ".join(parts)


def shock_weeks(value: str) -> list[int]:
    """The weeks of the shocks in a ``shocks`` cell (JSON)."""
    try:
        return sorted({int(s["week"]) for s in json.loads(value) if "week" in s})
    except (TypeError, ValueError, KeyError):
        return []


def split_overrides(text: str) -> dict[str, str]:
    """``key=value`` overrides, space-separated (spaces inside brackets or quotes kept), as a dict."""
    out: dict[str, str] = {}
    depth, quote, token = 0, "", []
    for ch in (text or "") + " ":
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == " " and depth <= 0:
            item = "".join(token).strip()
            token = []
            if "=" in item:
                key, value = item.split("=", 1)
                out[key] = value
            continue
        token.append(ch)
    return out


def check_results(results: pd.DataFrame, where: str = "results table", needs: tuple[str, ...] = ()) -> None:
    """Raise a one-line :class:`AnalysisError` if the table is empty or lacks a needed column.

    Args:
        results: the table.
        where: how to name it in the message (e.g. its path).
        needs: columns needed besides ``job`` and ``seed``.
    """
    if not isinstance(results, pd.DataFrame):
        raise AnalysisError(f"{where}: expected a pandas DataFrame, got {type(results).__name__}")
    if results.empty:
        raise AnalysisError(f"{where}: no finished runs (the table is empty)")
    for col in (*REQUIRED, *needs):
        if col not in results.columns:
            raise AnalysisError(f"{where}: missing column {col!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _order(values: list, column: str) -> tuple[list, bool]:
    """Levels in order, reference first, and whether they are ordered numbers."""
    if column == "shocks":

        def key(v: str) -> tuple:
            shocks = json.loads(v) if isinstance(v, str) else []
            return (len(shocks) > 0, *[(s.get("week", 0), s.get("share") or 0) for s in shocks])

        return sorted(values, key=key), False
    if all(isinstance(v, bool) for v in values):
        return sorted(values), False
    if all(_is_number(v) for v in values):
        return sorted(values), True
    words = sorted(values, key=str)
    for word in REFERENCE_WORDS:
        match = [v for v in words if str(v).lower() == word]
        if match:
            return [match[0]] + [v for v in words if v is not match[0]], False
    return words, False


def _override_factors(results: pd.DataFrame) -> list[tuple[str, str, pd.Series]]:
    """(name, column, values) of the overridden settings that vary across runs."""
    parsed = results["overrides"].fillna("").map(split_overrides)
    keys = list(dict.fromkeys(k for d in parsed for k in d))
    found = []
    for key in keys:
        name = key.lstrip("+~")
        if name in RUN_KEYS or name.startswith("hydra."):
            continue
        raw = parsed.map(lambda d, key=key: d.get(key))
        if raw.nunique(dropna=False) < 2:
            continue
        if name == "scenario.shocks" and "shocks" in results.columns:
            found.append((name, "shocks", results["shocks"]))
        elif name in results.columns:
            found.append((name, name, results[name]))
        else:
            numbers = pd.to_numeric(raw, errors="coerce")
            found.append((name, name, numbers if numbers.notna().all() else raw))
    return found


def drawn_columns(results: pd.DataFrame) -> list[str]:
    """The ``policy.*``/``model.*`` columns set by the posterior draw: they vary with the draw alone.

    A column that varies across runs but takes one value within each draw (column ``draw``) is a
    parameter the draw set; a factor of the grid varies within a draw, since draws are crossed with
    the grid.

    Args:
        results: one row per run (``results.parquet``).

    Returns:
        The columns, in the table's order; none without draws (no ``draw`` column, one draw, or
        runs without a posterior).
    """
    if DRAW not in results.columns:
        return []
    draws = pd.to_numeric(results[DRAW], errors="coerce").fillna(-1)
    if draws.nunique() < 2 or (draws < 0).any():
        return []
    out = []
    for col in (c for c in results.columns if c.startswith(("policy.", "model."))):
        values = results[col]
        if values.nunique(dropna=False) > 1 and (values.groupby(draws).nunique(dropna=False) <= 1).all():
            out.append(col)
    return out


def _column_factors(results: pd.DataFrame) -> list[tuple[str, str, pd.Series]]:
    """(name, column, values) of the varying ``policy.*``/``model.*`` columns and shocks, aliases once.

    Columns a posterior draw set (:func:`drawn_columns`) are replications, not factors.
    """
    found, partitions = [], []
    drawn = set(drawn_columns(results))
    cols = [c for c in results.columns if c.startswith(("policy.", "model.")) and c not in drawn]
    if "shocks" in results.columns:
        cols.append("shocks")
    for col in cols:
        values = results[col]
        if values.nunique(dropna=False) < 2:
            continue
        partition = tuple(pd.factorize(values)[0])
        if partition in partitions:
            continue  # varies exactly with a factor already found (e.g. levers set by one config group)
        partitions.append(partition)
        found.append(("scenario.shocks" if col == "shocks" else col, col, values))
    return found


def _found(results: pd.DataFrame, experiment: Experiment | None) -> list[tuple[str, str, pd.Series]]:
    if experiment is not None and experiment.sampled:
        return []
    if (
        "sample" in results.columns
        and (pd.to_numeric(results["sample"], errors="coerce").fillna(-1) >= 0).all()
    ):
        return []
    use_overrides = "overrides" in results.columns and results["overrides"].fillna("").str.len().gt(0).all()
    return _override_factors(results) if use_overrides else _column_factors(results)


def factors(results: pd.DataFrame, experiment: Experiment | None = None) -> list[Factor]:
    """The factors of a grid: the settings that vary across its runs (none for a sampled design).

    Args:
        results: one row per run (``results.parquet``).
        experiment: the experiment, if known (a sampled design has no factors).

    Returns:
        The factors, in the order the sweep lists them.
    """
    out = []
    for name, column, values in _found(results, experiment):
        levels, numeric = _order(values.dropna().unique().tolist(), column)
        out.append(Factor(name, column, tuple(levels), numeric))
    return out


def prepare(results: pd.DataFrame, experiment: Experiment | None = None) -> tuple[pd.DataFrame, list[Factor]]:
    """Add the factor columns and an ordered ``condition`` column to a results table.

    Args:
        results: one row per run.
        experiment: the experiment, if known.

    Returns:
        A copy of the table with the new columns (and, with a shock factor, ``shock.week`` and
        ``shock.share`` of the first shock of each run), and the factors.
    """
    check_results(results)
    table = results.copy()
    found = _found(table, experiment)
    for _, column, values in found:
        if column not in table.columns:
            table[column] = values
    facs = []
    for name, column, values in found:
        levels, numeric = _order(values.dropna().unique().tolist(), column)
        facs.append(Factor(name, column, tuple(levels), numeric))
    if not facs:
        table["condition"] = pd.Categorical([ALL_RUNS] * len(table), categories=[ALL_RUNS], ordered=True)
        return table, facs
    combos = list(product(*[f.levels for f in facs]))
    labels = [", ".join(f.label(v) for f, v in zip(facs, combo, strict=True)) for combo in combos]
    by_combo = dict(zip(combos, labels, strict=True))
    cond = [by_combo.get(tuple(combo)) for combo in zip(*[table[f.column] for f in facs], strict=True)]
    present = set(cond)
    table["condition"] = pd.Categorical(
        cond, categories=[lab for lab in labels if lab in present], ordered=True
    )
    if any(f.column == "shocks" for f in facs):
        first = table["shocks"].map(lambda v: (json.loads(v) or [{}])[0] if isinstance(v, str) else {})
        table["shock.week"] = pd.to_numeric(first.map(lambda s: s.get("week")), errors="coerce")
        table["shock.share"] = pd.to_numeric(first.map(lambda s: s.get("share")), errors="coerce")
    return table, facs


def condition_levels(table: pd.DataFrame, facs: list[Factor]) -> list[tuple]:
    """For each condition of a prepared table, in order, its level of each factor."""
    out = []
    for cond in table["condition"].cat.categories:
        row = table.loc[table["condition"] == cond].iloc[0]
        out.append(tuple(row[f.column] for f in facs))
    return out


def attach(timeseries: pd.DataFrame, table: pd.DataFrame, facs: list[Factor]) -> pd.DataFrame:
    """Copy each run's condition (and factor levels) from a prepared results table onto its weeks."""
    if timeseries.empty:
        raise AnalysisError("weekly table: no rows (timeseries.parquet is empty)")
    for col in ("job", "week"):
        if col not in timeseries.columns:
            raise AnalysisError(f"weekly table: missing column {col!r}")
    cols = ["job", "condition", *[f.column for f in facs if f.column not in ("job",)]]
    extra = [c for c in cols if c != "job" and c in timeseries.columns]
    merged = timeseries.drop(columns=extra).merge(table[list(dict.fromkeys(cols))], on="job", how="inner")
    if merged.empty:
        raise AnalysisError("weekly table: none of its runs is in the results table (different sweeps?)")
    return merged


def describe(table: pd.DataFrame, facs: list[Factor], experiment: Experiment) -> str:
    """The design in one or two sentences: factors and levels, seeds, runs, weeks."""
    runs = len(table)
    weeks = experiment.weeks or (int(table["weeks"].iloc[0]) if "weeks" in table.columns else None)
    span = f" of {weeks} weeks" if weeks else ""
    tail = f" over the final {experiment.summary_weeks} weeks" if experiment.summary_weeks else ""
    if experiment.sampled:
        levers = ", ".join(
            f"{k} [{fmt_level(lo)}, {fmt_level(hi)}]" for k, (lo, hi) in experiment.levers.items()
        )
        what = (
            "Sobol (Saltelli) sample" if experiment.design == "sobol" else "Morris elementary-effects design"
        )
        return (
            f"A {what} (SALib, N = {experiment.design_n}) over {len(experiment.levers)} levers: {levers}. "
            f"{runs} runs{span}; outcomes are means{tail}."
        )
    drawn = _draws_sentence(table, experiment)
    if not facs:
        return f"{runs} runs{span} of one condition; outcomes are means{tail}.{drawn}"
    seeds = table.groupby("condition", observed=True).size()
    per = f"{seeds.min()}" if seeds.min() == seeds.max() else f"{seeds.min()}–{seeds.max()}"
    parts = []
    for f in facs:
        levels = ", ".join(shock_label(v) if f.column == "shocks" else fmt_level(v) for v in f.levels)
        parts.append(f"{f.short} ({levels})" if f.column != "shocks" else f"shocks ({levels})")
    each = f"{per} runs (posterior draws × seeds)" if drawn else f"{per} seeds"
    return (
        f"{' × '.join(parts)}: {len(seeds)} conditions × {each} = {runs} runs{span}; "
        f"outcomes are means{tail}. Reference condition: {table['condition'].cat.categories[0]}.{drawn}"
    )


def _draws_sentence(table: pd.DataFrame, experiment: Experiment) -> str:
    """A sentence on the posterior draws of the runs (empty without draws), led by a space."""
    if DRAW not in table.columns:
        return ""
    draws = pd.to_numeric(table[DRAW], errors="coerce")
    used = sorted(int(d) for d in draws.dropna().unique() if d >= 0)
    if not used:
        return ""
    source = f" of the calibration in `{experiment.posterior}`" if experiment.posterior else ""
    of = f" of {experiment.posterior_draws}" if experiment.posterior_draws else ""
    params = drawn_columns(table)
    named = f" ({', '.join(params)})" if params else ""
    return (
        f" The model parameters{named} come from {len(used)}{of} weighted draws of the posterior{source}, "
        "crossed with the seeds: each condition's runs are draws × seeds, so its intervals hold the "
        "parameters' uncertainty as well as the model's noise."
    )


def numeric_factor(facs: list[Factor]) -> Factor | None:
    """The first numeric factor with more than two levels, else the first numeric one, else None."""
    numeric = [f for f in facs if f.numeric]
    wide = [f for f in numeric if len(f.levels) > 2]
    return (wide or numeric or [None])[0]
