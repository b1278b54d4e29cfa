"""The calibration folder: posterior, posterior predictive checks, held-out checks, figures, report.

A calibration folder (``calibrations/NAME`` by default) holds:

- :data:`HISTORY`: pyabc's SQLite history (every generation; what a rerun carries on from);
- :data:`STATE`: the calibration, its identity and its state, written before the first particle
  (``finished`` false) and again when it ends, with the results;
- :data:`POSTERIOR`: the last generation: one row per particle, one column per free parameter
  (dotted config keys) and ``weight``;
- :data:`PREDICTIVE`: the posterior predictive runs: one row per draw and seed, every statistic,
  for the calibrated model and for each held-out contrast;
- :data:`REPORT` and the figures in :data:`FIGURES`.

Every file but the history is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import dataclasses
import json
import math
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.fit import run_particle
from calibration.spec import DERIVED, CalibrationSpec, Prior
from runner.outputs import atomic_write
from sim.config import Config
from sim.registry import SUMMARY

HISTORY = "history.db"
STATE = "calibration.json"
POSTERIOR = "posterior.parquet"
PREDICTIVE = "predictive.parquet"
REPORT = "report.md"
FIGURES = "figures"
MARGINALS = "figures/posterior_marginals.png"
PAIRS = "figures/posterior_pairs.png"
CHECKS = "figures/predictive_checks.png"

#: A parameter counts as identified when its posterior standard deviation is at most this share
#: of its prior's (the data narrowed it to under half its prior spread).
IDENTIFIED_RATIO = 0.5
#: A pair of parameters is identified only in combination when its posterior correlation is
#: at least this strong.
TRADE_OFF = 0.6
#: The posterior predictive interval: 5th to 95th percentile.
INTERVAL = (5.0, 95.0)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""

    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")

    atomic_write(path, write)


def read_state(folder: Path) -> dict | None:
    """The folder's :data:`STATE`, or None if there is none."""
    path = Path(folder) / STATE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


# ------------------------------------------------------------------------------ summaries
def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile (0..1) of weighted values (the step function of the weighted ECDF)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cum = np.cumsum(w) / w.sum()
    return float(v[min(np.searchsorted(cum, q), v.size - 1)])


def parameter_table(post: pd.DataFrame, priors: list[Prior]) -> list[dict]:
    """Each parameter's prior, posterior median, 90% interval, spread ratio and whether it is identified."""
    w = post["weight"].to_numpy()
    rows = []
    for p in priors:
        v = post[p.key].to_numpy(float)
        mean = float(np.average(v, weights=w))
        sd = math.sqrt(float(np.average((v - mean) ** 2, weights=w)))
        prior_sd = (p.high - p.low) / math.sqrt(12)
        ratio = sd / prior_sd
        rows.append(
            {
                "key": p.key,
                "low": p.low,
                "high": p.high,
                "reason": p.reason,
                "median": weighted_quantile(v, w, 0.5),
                "q05": weighted_quantile(v, w, 0.05),
                "q95": weighted_quantile(v, w, 0.95),
                "sd_ratio": ratio,
                "identified": ratio <= IDENTIFIED_RATIO,
            }
        )
    return rows


def trade_offs(post: pd.DataFrame, priors: list[Prior]) -> list[dict]:
    """Pairs of parameters with a strong weighted posterior correlation (identified only together)."""
    keys = [p.key for p in priors]
    if len(keys) < 2:
        return []
    w = post["weight"].to_numpy()
    x = post[keys].to_numpy(float)
    cov = np.cov(x, rowvar=False, aweights=w)
    sd = np.sqrt(np.diag(cov))
    out = []
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if sd[i] > 0 and sd[j] > 0:
                r = float(cov[i, j] / (sd[i] * sd[j]))
                if abs(r) >= TRADE_OFF:
                    out.append({"a": keys[i], "b": keys[j], "r": r})
    return out


def point_estimate(table: list[dict]) -> dict[str, float]:
    """The calibrated defaults: each parameter's weighted posterior median."""
    return {row["key"]: row["median"] for row in table}


# ------------------------------------------------------------------------------ predictive runs
def draws(post: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` particles resampled by weight (a fixed stream: the same draws on every rerun)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    idx = rng.choice(len(post), size=n, replace=True, p=post["weight"].to_numpy())
    return post.iloc[idx].drop(columns="weight").reset_index(drop=True)


def _one(args: tuple) -> dict:
    config, values, seed, labels = args
    stats = run_particle(config, values, [seed])
    return {**labels, **values, "seed": seed, **stats}


def predictive(
    config: Config, spec: CalibrationSpec, sample: pd.DataFrame, point: dict, workers: int
) -> pd.DataFrame:
    """Run every draw (and the point estimate) once per seed, as calibrated and under each contrast.

    Returns:
        One row per run: ``draw`` (-1 for the point estimate), ``check`` ("calibrated" or a
        contrast's name), ``seed``, the parameter values and every statistic.
    """
    settings = [("calibrated", {})] + [(c.name, dict(c.set)) for c in spec.contrasts]
    jobs = []
    rows = [(-1, point)] + [(i, {k: float(v) for k, v in r.items()}) for i, r in sample.iterrows()]
    for check, extra in settings:
        for draw, values in rows:
            for seed in spec.seeds:
                jobs.append((config, {**values, **extra}, int(seed), {"check": check, "draw": int(draw)}))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        out = list(pool.map(_one, jobs, chunksize=1))
    return pd.DataFrame(out)


def target_checks(spec: CalibrationSpec, pred: pd.DataFrame) -> list[dict]:
    """For each target: the figure, its range, the posterior predictive interval and whether it is inside.

    The interval is over the draws' seed-averaged statistics (parameter uncertainty); the point
    estimate's seed mean is reported beside it.
    """
    cal = pred[(pred["check"] == "calibrated")]
    by_draw = cal[cal["draw"] >= 0].groupby("draw").mean(numeric_only=True)
    point = cal[cal["draw"] < 0].mean(numeric_only=True)
    out = []
    for t in spec.targets:
        v = _shares(by_draw, t.output)
        lo, hi = np.percentile(v, INTERVAL)
        p = float(_shares(point.to_frame().T, t.output)[0])
        out.append(
            {
                **dataclasses.asdict(t),
                "interval": [float(lo), float(hi)],
                "point": p,
                "inside": bool(t.low <= p <= t.high),
                "overlaps": bool(hi >= t.low and lo <= t.high),
            }
        )
    return out


def _shares(frame: pd.DataFrame, output: str) -> np.ndarray:
    """A statistic of seed-averaged rows (delay shares are recomputed from the averaged levels)."""
    if output.startswith("delayed_share_"):
        cols = ["delayed_discharges_health", "delayed_discharges_council", "delayed_discharges_both"]
        total = frame[cols].sum(axis=1).to_numpy(float)
        side = {"nhs": cols[0], "council": cols[1], "both": cols[2]}[output.removeprefix("delayed_share_")]
        return np.divide(frame[side].to_numpy(float), total, out=np.zeros_like(total), where=total > 0)
    return frame[output].to_numpy(float)


def contrast_checks(spec: CalibrationSpec, pred: pd.DataFrame) -> list[dict]:
    """For each held-out contrast: the change of each output, its interval over draws, and the direction."""
    out = []
    base = pred[pred["check"] == "calibrated"].set_index(["draw", "seed"])
    for c in spec.contrasts:
        alt = pred[pred["check"] == c.name].set_index(["draw", "seed"])
        rows = []
        for output, direction in c.expect.items():
            diff = (alt[output] - base.loc[alt.index, output]).groupby(level="draw").mean()
            draws_only = diff[diff.index >= 0].to_numpy(float)
            lo, hi = np.percentile(draws_only, INTERVAL)
            mean = float(np.mean(draws_only))
            holds = (hi < 0) if direction == "lower" else (lo > 0)
            rows.append(
                {
                    "output": output,
                    "expected": direction,
                    "base": float(base[output][base.index.get_level_values("draw") >= 0].mean()),
                    "change": mean,
                    "interval": [float(lo), float(hi)],
                    "holds": bool(holds),
                }
            )
        out.append({"name": c.name, "description": c.description, "set": dict(c.set), "source": c.source,
                    "results": rows})  # fmt: skip
    return out


# ------------------------------------------------------------------------------ figures
def _label(name: str) -> str:
    for o in SUMMARY:
        if o.name == name:
            return o.label
    return DERIVED.get(name, name)


def figures(
    folder: Path, post: pd.DataFrame, priors: list[Prior], table: list[dict], checks: list[dict]
) -> None:
    """Draw the posterior's marginals and pairs, and the predictive check of every target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from runner.palette import BLUE, GREY, ORANGE, VERMILION

    (folder / FIGURES).mkdir(exist_ok=True)
    w = post["weight"].to_numpy()
    n = len(priors)

    cols = min(3, n)
    rows_ = math.ceil(n / cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(4.2 * cols, 3.0 * rows_), squeeze=False)
    for ax, p, row in zip(axes.flat, priors, table, strict=False):
        ax.hist(post[p.key], bins=20, range=(p.low, p.high), weights=w, density=True, color=BLUE, alpha=0.75)
        ax.axhline(1.0 / (p.high - p.low), color=GREY, ls="--", lw=1, label="prior")
        ax.axvline(row["median"], color=VERMILION, lw=1.5, label="posterior median")
        ax.set_xlim(p.low, p.high)
        ax.set_title(p.key.removeprefix("model."), fontsize=9)
        ax.set_yticks([])
        ax.text(0.02, 0.95, "identified" if row["identified"] else "not identified", transform=ax.transAxes,
                va="top", fontsize=8, color=BLUE if row["identified"] else GREY)  # fmt: skip
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="upper right")
    fig.suptitle("Posterior marginals (weighted particles of the last generation) against uniform priors")
    fig.tight_layout()
    _save(fig, folder / MARGINALS)

    fig, axes = plt.subplots(n, n, figsize=(2.2 * n, 2.2 * n), squeeze=False)
    size = 4 + 200 * w / w.max()
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i, j]
            if i == j:
                ax.hist(post[pi.key], bins=15, range=(pi.low, pi.high), weights=w, color=BLUE, alpha=0.75)
                ax.set_xlim(pi.low, pi.high)
                ax.set_yticks([])
            elif i > j:
                ax.scatter(post[pj.key], post[pi.key], s=size * 0.2, color=BLUE, alpha=0.5, lw=0)
                ax.set_xlim(pj.low, pj.high)
                ax.set_ylim(pi.low, pi.high)
            else:
                ax.axis("off")
            if i == n - 1:
                ax.set_xlabel(pj.key.split(".")[-1], fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(pi.key.split(".")[-1], fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle("Posterior pairs (dot size: particle weight)")
    fig.tight_layout()
    _save(fig, folder / PAIRS)

    fig, axes = plt.subplots(len(checks), 1, figsize=(7, 1.1 * len(checks) + 0.8), squeeze=False)
    for ax, c in zip(axes.flat, checks, strict=True):
        ax.axvspan(c["low"], c["high"], color=ORANGE, alpha=0.3, lw=0, label="target range")
        ax.axvline(c["value"], color=ORANGE, lw=2, label="public figure")
        lo, hi = c["interval"]
        ax.plot([lo, hi], [0, 0], color=BLUE, lw=4, solid_capstyle="butt", label="posterior predictive 90%")
        ax.plot([c["point"]], [0], "o", color=VERMILION, label="calibrated defaults")
        span = [c["low"], c["high"], lo, hi, c["point"]]
        pad = 0.1 * (max(span) - min(span) or 1.0)
        ax.set_xlim(min(span) - pad, max(span) + pad)
        ax.set_yticks([])
        held = "" if c["fit"] else "  (held out)"
        ax.set_title(f"{c['name']}: {_label(c['output'])}{held}", fontsize=9, loc="left")
    axes.flat[0].legend(fontsize=7, ncol=4, loc="lower left", bbox_to_anchor=(0, 1.25))
    fig.tight_layout()
    _save(fig, folder / CHECKS)
    plt.close("all")


def _save(fig, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))


# ------------------------------------------------------------------------------ report
def _fmt(v: float) -> str:
    return f"{v:.3g}"


def report(folder: Path, spec: CalibrationSpec, state: dict) -> str:
    """The report: the run, the targets against the predictive checks, the parameters identified or not."""
    lines = [
        f"# Calibration `{spec.name}`",
        "",
        spec.description.strip(),
        "",
        "## The run",
        "",
        f"- ABC-SMC (pyabc {state['pyabc']}): {state['generations_done']} generations of "
        f"{spec.population} particles, {len(spec.seeds)} seeds per particle (seeds {list(spec.seeds)}), "
        f"{state['weeks']} weeks per run (summary over the last {state['summary_weeks']}).",
        f"- {state['simulations']} particles simulated "
        f"({state['simulations'] * len(spec.seeds)} model runs), "
        f"{state['wall_minutes']:.1f} minutes of wall time on {state['workers']} workers.",
        "- Thresholds by generation: " + ", ".join(_fmt(g["epsilon"]) for g in state["progress"]) + ".",
        f"- Stopped because: {state['stopped']}.",
        "",
        "## Targets: public figure against the calibrated model",
        "",
        "The interval is the 5th to 95th percentile, over "
        f"{spec.predictive_draws} posterior draws, of the statistic averaged over the seeds; the point "
        "is the calibrated defaults (posterior medians).",
        "",
        "| target | kind | used | figure (range) | calibrated defaults | 90% predictive | inside |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in state["targets"]:
        lo, hi = c["interval"]
        lines.append(
            f"| {c['name']} | {c['kind']} | {'fit' if c['fit'] else 'held out'} | {_fmt(c['value'])} "
            f"({_fmt(c['low'])}–{_fmt(c['high'])}) | {_fmt(c['point'])} | {_fmt(lo)}–{_fmt(hi)} | "
            f"{'yes' if c['inside'] else 'no'} |"
        )
    lines += ["", "## Parameters: what the data identify", "",
              "| parameter | prior | posterior median | 90% interval | sd / prior sd | identified |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for r in state["parameters"]:
        lines.append(
            f"| `{r['key']}` | {_fmt(r['low'])}–{_fmt(r['high'])} | {_fmt(r['median'])} | "
            f"{_fmt(r['q05'])}–{_fmt(r['q95'])} | {r['sd_ratio']:.2f} | "
            f"{'yes' if r['identified'] else 'no'} |"
        )
    ident = [r["key"] for r in state["parameters"] if r["identified"]]
    not_ident = [r["key"] for r in state["parameters"] if not r["identified"]]
    lines += [
        "",
        f"A parameter counts as identified when its posterior spread is at most {IDENTIFIED_RATIO:g} of its "
        "prior's.",
        "",
        f"- Identified: {', '.join(f'`{k}`' for k in ident) or 'none'}.",
        f"- Not identified by these targets: {', '.join(f'`{k}`' for k in not_ident) or 'none'}.",
    ]
    for t in state["trade_offs"]:
        lines.append(f"- `{t['a']}` and `{t['b']}` trade off (posterior correlation {t['r']:+.2f}): "
                     "the targets fix a combination of them, not each.")  # fmt: skip
    if state["contrasts"]:
        lines += ["", "## Held-out patterns", ""]
        for c in state["contrasts"]:
            lines += [f"### {c['name']}", "", c["description"].strip(), "",
                      f"Setting: {', '.join(f'`{k}={v}`' for k, v in c['set'].items())}. "
                      f"Source: {c['source']}", "",
                      "| output | expected | calibrated | change | 90% interval over draws | holds |",
                      "|---|---|---|---|---|---|"]  # fmt: skip
            for r in c["results"]:
                lo, hi = r["interval"]
                lines.append(
                    f"| {_label(r['output'])} | {r['expected']} | {_fmt(r['base'])} | {r['change']:+.3g} | "
                    f"{lo:+.3g} to {hi:+.3g} | {'yes' if r['holds'] else 'no'} |"
                )
            lines.append("")
    lines += ["", "## Figures", "", f"![marginals]({MARGINALS})", "", f"![pairs]({PAIRS})", "",
              f"![checks]({CHECKS})", ""]  # fmt: skip
    text = "\n".join(lines)
    atomic_write(folder / REPORT, lambda tmp: tmp.write_text(text))
    return text


def write_table(path: Path, frame: pd.DataFrame) -> None:
    """Write a Parquet table atomically."""
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


# ------------------------------------------------------------------------------ docs/validation.md
BEGIN = "<!-- begin: tables from {folder}/calibration.json (scripts/validation_tables.py) -->"
END = "<!-- end: tables -->"


def validation_tables(state: dict) -> str:
    """The tables of ``docs/validation.md``: targets, held-out patterns and parameters, from a state.

    Args:
        state: a finished calibration's :data:`STATE`.
    """
    lines = [
        "**Fitted targets and the lever check.** Interval: 5th–95th percentile over "
        f"{state['calibration']['predictive_draws']} posterior draws of the seed-averaged statistic "
        f"({len(state['calibration']['seeds'])} seeds each); point: the calibrated defaults.",
        "",
        "| target | kind | used | public figure (range) | source | calibrated defaults | "
        "90% posterior predictive | inside the range |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in state["targets"]:
        lo, hi = c["interval"]
        verdict = "yes" if c["inside"] else ("no (interval overlaps)" if c["overlaps"] else "no")
        lines.append(
            f"| {c['name']} (`{c['output']}`) | {c['kind']} | {'fit' if c['fit'] else 'check only'} | "
            f"{_fmt(c['value'])} ({_fmt(c['low'])}–{_fmt(c['high'])}) | {' '.join(c['source'].split())} | "
            f"{_fmt(c['point'])} | {_fmt(lo)}–{_fmt(hi)} | {verdict} |"
        )
    lines += ["", "**Held-out patterns** (not used in the fit; change from the calibrated model, "
              "paired by seed, interval over posterior draws).", "",
              "| pattern | setting | output | expected | calibrated | change | 90% interval | holds |",
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for c in state["contrasts"]:
        setting = ", ".join(f"`{k}={v}`" for k, v in c["set"].items())
        for r in c["results"]:
            lo, hi = r["interval"]
            lines.append(
                f"| {c['name']} | {setting} | {_label(r['output'])} | {r['expected']} | {_fmt(r['base'])} | "
                f"{r['change']:+.3g} | {lo:+.3g} to {hi:+.3g} | {'yes' if r['holds'] else 'no'} |"
            )
    lines += ["", "**Free parameters.** Identified: posterior standard deviation at most "
              f"{IDENTIFIED_RATIO:g} of the uniform prior's.", "",
              "| parameter | prior | calibrated default (median) | 90% interval | sd / prior sd "
              "| identified |", "|---|---|---|---|---|---|"]  # fmt: skip
    for r in state["parameters"]:
        ident = "yes" if r["identified"] else "no"
        lines.append(
            f"| `{r['key']}` | {_fmt(r['low'])}–{_fmt(r['high'])} | {_fmt(r['median'])} | "
            f"{_fmt(r['q05'])}–{_fmt(r['q95'])} | {r['sd_ratio']:.2f} | {ident} |"
        )
    return "\n".join(lines)


def replace_tables(text: str, folder: str, state: dict) -> str:
    """``text`` with the part between the markers replaced by :func:`validation_tables`."""
    begin = BEGIN.format(folder=folder)
    head, found, rest = text.partition(begin)
    if not found or END not in rest:
        raise ValueError(f"the markers {begin!r} and {END!r} are missing")
    _, _, tail = rest.partition(END)
    return f"{head}{begin}\n{validation_tables(state)}\n{END}{tail}"
