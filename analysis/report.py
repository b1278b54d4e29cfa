"""A report per experiment: ``partnersim-report SWEEP_OR_RESULTS_DIR`` (or ``python -m analysis.report``).

From a collected sweep (collected first if it has no ``results.parquet``), the report states
the experiment's question, hypothesis and design, shows its figures and effect table, and says
in one sentence per claim of the hypothesis whether the results support it. It writes into
``SWEEP_DIR/report/`` (or ``--out DIR``):

- ``report.md`` and ``report.html`` (the same report, the HTML with its images embedded);
- the figures, each as PNG and SVG: ``timeseries_*`` (every outcome week by week, one line per
  condition, shocks marked) and, by design, ``dose_response`` (one numeric lever),
  ``heatmaps`` (two levers), ``conditions`` (categorical levers or more than two), ``sobol`` and
  ``morris`` (sampled designs);
- ``effects.csv`` and ``effects.md`` (each condition against the reference condition, with
  Welch's 95% CI), or ``sobol.csv``/``morris.csv`` and their Markdown for a sampled design.

The folder is built beside its destination and moved into place when complete, so an error
leaves any earlier report as it was and nothing half-written. Bad input gives one line on
stderr (``error: ...``) and exit status 2.
"""

from __future__ import annotations

import argparse
import base64
import html
import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import effects as fx
from analysis import figures as fg
from analysis import outcomes as oc
from analysis import sensitivity as sa
from analysis import style
from analysis.design import (
    DRAW,
    Experiment,
    Factor,
    attach,
    condition_levels,
    describe,
    fmt_level,
    numeric_factor,
    prepare,
)
from analysis.errors import AnalysisError
from analysis.hypotheses import Verdict, claims_for, evaluate
from analysis.load import Sweep, load

REPORT = "report"


# ---------------------------------------------------------------------------------------------- blocks


@dataclass
class Heading:
    """A section heading."""

    level: int
    text: str


@dataclass
class Para:
    """A paragraph (``code`` in backticks)."""

    text: str


@dataclass
class Bullets:
    """A bulleted list."""

    items: list[str]


@dataclass
class Quote:
    """A quoted passage, lines kept."""

    text: str


@dataclass
class Image:
    """A figure written beside the report (``stem.png``), with its caption."""

    stem: str
    title: str
    caption: str


@dataclass
class Table:
    """A table, formatted for reading, with a caption and the CSV it comes from."""

    frame: pd.DataFrame
    caption: str
    csv: str = ""


Block = Heading | Para | Bullets | Quote | Image | Table


@dataclass
class Report:
    """A report, built.

    Attributes:
        out: the folder it was written to.
        experiment: the experiment it reports.
        verdicts: the verdicts on the hypothesis's claims.
        figures: the PNG files of its figures, in order.
        blocks: its content.
    """

    out: Path
    experiment: Experiment
    verdicts: list[Verdict] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- content


def _seeds_note(table: pd.DataFrame) -> str:
    n = table.groupby("condition", observed=True).size()
    return f"n = {n.min()}" if n.min() == n.max() else f"n = {n.min()}–{n.max()}"


def _replications(table: pd.DataFrame) -> str:
    """What a condition's runs are: its ``seeds``, or its ``posterior draws × seeds``."""
    draws = pd.to_numeric(table[DRAW], errors="coerce") if DRAW in table.columns else pd.Series([-1])
    return "posterior draws × seeds" if draws.nunique() > 1 and (draws >= 0).all() else "seeds"


def _across(table: pd.DataFrame) -> str:
    """What a mean is taken across: ``seeds``, or ``runs (posterior draws × seeds)``."""
    what = _replications(table)
    return what if what == "seeds" else f"runs ({what})"


def _outcomes(table: pd.DataFrame, names) -> list[str]:
    return [o for o in names if o in table.columns]


def _timeseries_figures(sweep: Sweep, table: pd.DataFrame, facs: list[Factor], draw) -> list[Block]:
    if sweep.timeseries.empty:
        return [Para("No weekly table (`timeseries.parquet`) was found, so there are no figures over time.")]
    ts = attach(sweep.timeseries, table, facs)
    styles = legend = None
    by = "condition" if facs else None
    if facs:
        levels = condition_levels(table, facs)
        looks = style.condition_styles(levels, [f.numeric for f in facs])
        styles = dict(zip(table["condition"].cat.categories, looks, strict=True))
        legend = style.legend_entries(levels, looks, [f.short for f in facs], fmt_level)
    groups = dict(oc.TIMESERIES_GROUPS)
    known = {o for g in groups.values() for o in g}
    skip = {"job", "week", "seed", "replicate", "draw", "sample", "weeks", "measured_coterminosity"}
    extra = tuple(
        c
        for c in sweep.results.columns
        if c in sweep.timeseries.columns
        and c not in known
        and c not in skip
        and not c.startswith(("policy.", "model."))
        and pd.api.types.is_numeric_dtype(sweep.results[c])
        and not pd.api.types.is_bool_dtype(sweep.results[c])
    )
    if extra:
        groups["other"] = extra
    blocks: list[Block] = [Heading(2, "Outcomes over time")]
    interval = (
        f"the shaded band is the 95% confidence interval of the mean across {_across(table)} "
        f"({_seeds_note(table)})"
        if facs
        else f"the shaded band is the 95% confidence interval of the mean across the {len(table)} runs"
    )
    lines = "one line per condition" if facs else "the mean of all runs of the design"
    for key, names in groups.items():
        names = _outcomes(ts, names)
        if not names:
            continue
        title = f"{oc.GROUP_TITLES[key]}: {sweep.experiment.name or 'sweep'}"
        stem = f"timeseries_{key}"
        draw(fg.timeseries(ts, names, by, title=title, styles=styles, legend=legend), stem)
        caption = (
            f"{oc.GROUP_TITLES[key]}, week by week: {lines}; {interval}. Dashed vertical lines mark the "
            "weeks of shocks. Shares in per cent."
        )
        blocks.append(Image(stem, oc.GROUP_TITLES[key], caption))
    return blocks


def _grid_figures(
    sweep: Sweep, table: pd.DataFrame, facs: list[Factor], names: list[str], draw
) -> list[Block]:
    name = sweep.experiment.name or "sweep"
    blocks: list[Block] = [Heading(2, "Final-year outcomes by condition")]
    final = (
        f"means over the final {sweep.experiment.summary_weeks} weeks"
        if sweep.experiment.summary_weeks
        else ("final-period means")
    )
    lever = numeric_factor(facs)
    if len(facs) == 2:
        x, y = (facs[0], facs[1]) if len(facs[0].levels) >= len(facs[1].levels) else (facs[1], facs[0])
        if lever is not None and lever is not x and len(x.levels) == len(y.levels):
            x, y = y, x
        draw(
            fg.heatmaps(
                table,
                x.column,
                y.column,
                names,
                title=f"Final-year outcomes over {x.short} × {y.short}: {name}",
            ),
            "heatmaps",
        )
        blocks.append(
            Image(
                "heatmaps",
                "Heatmaps",
                (
                    f"Outcomes ({final}) for each combination of {x.short} (across) and {y.short} (up): "
                    f"each cell shows the mean across {_across(table)} and, beneath it, ± the standard "
                    f"deviation across {_across(table)}."
                ),
            )
        )
    if lever is not None and len(facs) <= 2:
        other = next((f for f in facs if f is not lever), None)
        title = f"Dose–response to {lever.short}" + (f" by {other.short}" if other else "") + f": {name}"
        draw(
            fg.dose_response(table, lever.column, names, by=other.column if other else None, title=title),
            "dose_response",
        )
        blocks.append(
            Image(
                "dose_response",
                "Dose–response",
                (
                    f"Outcomes ({final}) against {lever.short}"
                    + (f", one line per level of {other.short}" if other else "")
                    + f": the mean across {_across(table)} with its 95% confidence interval (bars) and each "
                    "run (dots)."
                ),
            )
        )
    if len(facs) >= 3 or (len(facs) == 1 and lever is None):
        draw(fg.condition_plot(table, names, title=f"Final-year outcomes by condition: {name}"), "conditions")
        blocks.append(
            Image(
                "conditions",
                "Conditions",
                (
                    f"Outcomes ({final}) in each condition: the mean across {_across(table)} with its 95% "
                    "confidence interval, each run as a dot; the dashed line is the reference condition's "
                    "mean."
                ),
            )
        )
    return blocks


def _effects(table: pd.DataFrame, names: list[str], out: Path) -> list[Block]:
    everything = [o for o in oc.OUTCOMES if o in table.columns]
    full = fx.effect_table(table, everything)
    _write_text(out / "effects.csv", full.to_csv(index=False))
    shown = full[full["outcome"].isin(names)]
    caption = fx.caption(shown, _replications(table))
    _write_text(out / "effects.md", caption + "\n\n" + fx.effect_markdown(shown) + "\n")
    return [
        Heading(2, "Effect sizes"),
        Table(
            fx.wide(shown),
            caption + " Every outcome, with means, Cohen's d and p-values, is in `effects.csv`.",
            "effects.csv",
        ),
    ]


def _sensitivity(
    sweep: Sweep, draw, out: Path
) -> tuple[list[Block], pd.DataFrame | None, pd.DataFrame | None]:
    e = sweep.experiment
    blocks: list[Block] = [Heading(2, "Sensitivity")]
    if e.design not in ("sobol", "morris") or not e.levers or not e.design_n:
        blocks.append(
            Para(
                "The design's levers and sample size are unknown (no run configuration or "
                "`multirun.yaml` in the folder), so no sensitivity indices are computed."
            )
        )
        return blocks, None, None
    names = _outcomes(sweep.results, [*oc.SENSITIVITY_OUTCOMES, *(c.outcome for c in claims_for(e))])
    names = list(dict.fromkeys(names))
    try:
        X = sa.design_of(e, sweep.results)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # tiny designs make SALib divide by zero; the caption says so
            if e.design == "sobol":
                idx = sa.sobol_indices(sweep.results, names, e.levers, n=e.design_n)
            else:
                idx = sa.morris_indices(sweep.results, names, e.levers, X=X, n=e.design_n)
    except AnalysisError as err:
        blocks.append(Para(f"No sensitivity indices could be computed: {err}."))
        return blocks, None, None
    stem = e.design
    _write_text(out / f"{stem}.csv", idx.to_csv(index=False))
    shown = _sensitivity_table(idx, e.design)
    _write_text(out / f"{stem}.md", fx.markdown_table(shown) + "\n")
    if e.design == "sobol":
        draw(fg.sobol_chart(idx, title=f"Sobol indices: {e.name}"), "sobol")
        caption = (
            "First-order (S1) and total (ST) Sobol indices of each lever, levers sorted by ST, with "
            f"bootstrap 95% confidence intervals (SALib, Saltelli's scheme, N = {e.design_n}, "
            f"{int(idx['n_blocks'].iloc[0])} complete blocks of {len(e.levers) + 2} runs). S1 is the share "
            "of the outcome's variance due to the lever alone, ST including its interactions."
        )
        if e.design_n < 64:
            caption += " With so small an N the indices are rough and can fall outside [0, 1]."
        elif ((idx["ST"] > 1) | (idx["S1"] < 0)).any():
            caption += " Indices outside [0, 1] are estimation noise; a larger N would narrow them."
    else:
        draw(fg.morris_chart(idx, title=f"Morris elementary effects: {e.name}"), "morris")
        caption = (
            f"Morris μ* (mean absolute elementary effect, with its bootstrap 95% CI) and σ (spread of the "
            f"effects: interactions or non-linearity) of each lever, sorted by μ* (SALib, "
            f"{int(idx['n_trajectories'].iloc[0])} trajectories, 4 levels)."
        )
    blocks.append(Image(stem, "Sobol indices" if stem == "sobol" else "Morris screening", caption))
    note = idx.attrs.get("note")
    blocks.append(
        Table(
            shown,
            f"{'Sobol' if stem == 'sobol' else 'Morris'} indices of each lever for each "
            f"outcome.{' ' + note if note else ''}",
            f"{stem}.csv",
        )
    )
    return blocks, (idx if stem == "sobol" else None), (idx if stem == "morris" else None)


def _sensitivity_table(idx: pd.DataFrame, design: str) -> pd.DataFrame:
    rows = []
    key = "ST" if design == "sobol" else "mu_star"
    for name in dict.fromkeys(idx["outcome"]):
        for _, r in sa.ranked(idx, name, key).iterrows():
            if design == "sobol":
                rows.append(
                    {
                        "outcome": oc.label(name),
                        "lever": r["lever"],
                        "S1 (95% CI)": f"{r['S1']:.2f} ± {r['S1_conf']:.2f}",
                        "ST (95% CI)": f"{r['ST']:.2f} ± {r['ST_conf']:.2f}",
                    }
                )
            else:
                k = oc.scale(name)
                rows.append(
                    {
                        "outcome": oc.label(name),
                        "lever": r["lever"],
                        "μ* (95% CI)": f"{r['mu_star'] * k:.3g} ± {r['mu_star_conf'] * k:.2g}",
                        "μ": f"{r['mu'] * k:.3g}",
                        "σ": f"{r['sigma'] * k:.3g}",
                    }
                )
    return pd.DataFrame(rows)


def _header_blocks(sweep: Sweep, table: pd.DataFrame, facs: list[Factor]) -> list[Block]:
    e = sweep.experiment
    title = f"Report: {e.name}" if e.name else f"Report: {sweep.folder.name}"
    version = ""
    if "version" in sweep.results.columns and sweep.results["version"].notna().any():
        version = f", partnersim {sweep.results['version'].dropna().iloc[0]}"
    if "fingerprint" in sweep.results.columns and sweep.results["fingerprint"].notna().any():
        # load() refuses mixed fingerprints: every run of the report comes from this code.
        version += f", code fingerprint {sweep.results['fingerprint'].dropna().iloc[0]}"
    blocks: list[Block] = [
        Heading(1, title),
        Para(f"From `{sweep.folder}` ({len(sweep.results)} runs{version}). Made by `partnersim-report`."),
        Heading(2, "Question"),
        Para(e.question or "The experiment states no question (`experiment.question`)."),
        Heading(2, "Hypothesis"),
        Para(e.hypothesis or "The experiment states no hypothesis (`experiment.hypothesis`)."),
    ]
    if e.header:
        blocks.append(Para(f"From the experiment's file, `experiments/{e.base_name}.yaml`:"))
        blocks.append(Quote(e.header))
    blocks.append(Heading(2, "Design"))
    blocks.append(Para(describe(table, facs, e)))
    status = [f"{len(sweep.results)} of {sweep.total} runs finished."]
    status += sweep.notes
    if sweep.failed:
        status.append(f"{len(sweep.failed)} runs failed:")
    blocks.append(Para(" ".join(status)))
    if sweep.failed:
        blocks.append(
            Bullets(
                sweep.failed[:20]
                + ([f"... and {len(sweep.failed) - 20} more"] if len(sweep.failed) > 20 else [])
            )
        )
    if e.name.endswith("_smoke"):
        draws = f", {e.posterior_draws} posterior draws" if e.posterior_draws else ""
        blocks.append(
            Para(
                f"This is a smoke variant: few values, two seeds{draws} and half a year, to test the "
                "pipeline. Its intervals are wide and its verdicts provisional; run the full experiment to "
                "answer the question."
            )
        )
    return blocks


def _verdict_blocks(verdicts: list[Verdict], experiment: Experiment) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Does the evidence support the hypothesis?")]
    if not verdicts:
        blocks.append(
            Para(
                f"No machine-checkable claims are encoded for `{experiment.name}` "
                "(add them to `CLAIMS` in `analysis/hypotheses.py`)."
            )
        )
        return blocks
    blocks.append(
        Para(
            "One sentence per claim of the hypothesis (see `analysis/hypotheses.py`). Supported: the "
            "95% confidence interval lies on the side the hypothesis expects; Not supported: on the other "
            "side; Inconclusive: it includes no difference, or the sweep cannot tell."
        )
    )
    blocks.append(Bullets([v.sentence for v in verdicts]))
    return blocks


# ---------------------------------------------------------------------------------------------- rendering


def _inline_md_to_html(text: str) -> str:
    escaped = html.escape(text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def render_markdown(blocks: list[Block]) -> str:
    """The report as Markdown, images referred to by relative path."""
    parts = []
    for b in blocks:
        if isinstance(b, Heading):
            parts.append(f"{'#' * b.level} {b.text}")
        elif isinstance(b, Para):
            parts.append(b.text)
        elif isinstance(b, Bullets):
            parts.append("\n".join(f"- {item}" for item in b.items))
        elif isinstance(b, Quote):
            parts.append("\n".join(f"> {line}" if line else ">" for line in b.text.splitlines()))
        elif isinstance(b, Image):
            parts.append(f"![{b.title}]({b.stem}.png)\n\n*{b.caption}* ([SVG]({b.stem}.svg))")
        elif isinstance(b, Table):
            parts.append(f"{b.caption}\n\n{fx.markdown_table(b.frame)}")
    return "\n\n".join(parts) + "\n"


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1150px;
       margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
h1 { border-bottom: 2px solid BLUE; padding-bottom: .2em; }
h2 { margin-top: 2em; color: #0b4f7c; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .95em; color: #444; }
blockquote { margin: 1em 0; padding: .2em 1em; border-left: 4px solid #ccc; color: #444;
             white-space: pre-wrap; }
table { border-collapse: collapse; font-size: .9em; margin: 1em 0; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #eef4f9; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f2f2f2; padding: 0 .2em; border-radius: 3px; }
li { margin: .4em 0; }
""".replace("BLUE", style.PALETTE[0])  # the project's blue (runner.palette)


def render_html(blocks: list[Block], folder: Path) -> str:
    """The report as one HTML file, its images embedded as base64 data URIs."""
    title = next((b.text for b in blocks if isinstance(b, Heading)), "partnersim report")
    body = []
    for b in blocks:
        if isinstance(b, Heading):
            body.append(f"<h{b.level}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            body.append(f"<p>{_inline_md_to_html(b.text)}</p>")
        elif isinstance(b, Bullets):
            items = "".join(f"<li>{_inline_md_to_html(i)}</li>" for i in b.items)
            body.append(f"<ul>{items}</ul>")
        elif isinstance(b, Quote):
            body.append(f"<blockquote>{html.escape(b.text)}</blockquote>")
        elif isinstance(b, Image):
            data = base64.b64encode((folder / f"{b.stem}.png").read_bytes()).decode("ascii")
            body.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(b.title)}">'
                f"<figcaption>{_inline_md_to_html(b.caption)}</figcaption></figure>"
            )
        elif isinstance(b, Table):
            body.append(f"<p>{_inline_md_to_html(b.caption)}</p>")
            body.append(b.frame.to_html(index=False, border=0, escape=True))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------- build


def make(sweep: Sweep, out: Path, *, dpi: int = style.DPI, formats=style.FORMATS) -> Report:
    """Write a report of a loaded sweep into the folder ``out`` (which must exist).

    Args:
        sweep: the sweep, from :func:`analysis.load.load`.
        out: the folder to write into.
        dpi: resolution of the PNG figures.
        formats: the figure formats (PNG is always written: the report shows it).

    Returns:
        The report.
    """
    formats = tuple(dict.fromkeys(("png", *formats)))
    table, facs = prepare(sweep.results, sweep.experiment)
    report = Report(out, sweep.experiment)

    def draw(fig, stem: str) -> None:
        style.save(fig, out / stem, formats=formats, dpi=dpi)
        report.figures.append(out / f"{stem}.png")

    blocks = _header_blocks(sweep, table, facs)
    blocks += _timeseries_figures(sweep, table, facs, draw)
    sobol = morris = None
    if sweep.experiment.sampled or sweep.experiment.design == "sampled":
        more, sobol, morris = _sensitivity(sweep, draw, out)
        blocks += more
    elif facs:
        names = _outcomes(
            table, [*oc.KEY_OUTCOMES, *(getattr(c, "outcome", "") for c in claims_for(sweep.experiment))]
        )
        names = list(dict.fromkeys(names))
        blocks += _grid_figures(sweep, table, facs, names, draw)
        blocks += _effects(table, names, out)
    report.verdicts = evaluate(sweep.experiment, table, facs, sweep.timeseries, sobol=sobol, morris=morris)
    blocks += _verdict_blocks(report.verdicts, sweep.experiment)
    report.blocks = blocks
    _write_text(out / "report.md", render_markdown(blocks))
    _write_text(out / "report.html", render_html(blocks, out))
    return report


def build(
    path: str | Path, out: str | Path | None = None, *, dpi: int = style.DPI, formats=style.FORMATS
) -> Report:
    """Load a sweep and write its report, all at once or not at all.

    Args:
        path: a sweep folder, a folder with ``results.parquet``, or a ``results.parquet``.
        out: the report folder (default: ``report/`` in the sweep folder). It is replaced whole.
        dpi: resolution of the PNG figures.
        formats: the figure formats.

    Returns:
        The report.

    Raises:
        AnalysisError: on bad input, with a one-line message.
    """
    sweep = load(path)
    out = Path(out) if out is not None else sweep.folder / REPORT
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        report = make(sweep, staging, dpi=dpi, formats=formats)
        old = out.with_name(f".{out.name}.{os.getpid()}.old")
        if out.exists():
            out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.out = out
    report.figures = [out / p.name for p in report.figures]
    return report


def main(argv: list[str] | None = None) -> int:
    """The command line: build a report and say where it is."""
    parser = argparse.ArgumentParser(
        prog="partnersim-report",
        description="Write the report of a partnersim experiment: figures, effect sizes, sensitivity "
        "indices, and whether the results support its hypothesis (report.md and report.html).",
    )
    parser.add_argument(
        "folder", help="a sweep folder (e.g. multirun/joint_indicators) or a folder with results.parquet"
    )
    parser.add_argument("--out", help="the report folder (default: FOLDER/report)")
    parser.add_argument(
        "--dpi", type=int, default=style.DPI, help=f"resolution of the PNG figures (default {style.DPI})"
    )
    parser.add_argument("--no-svg", action="store_true", help="write the figures as PNG only")
    args = parser.parse_args(argv)
    try:
        report = build(
            args.folder, args.out, dpi=args.dpi, formats=("png",) if args.no_svg else style.FORMATS
        )
    except AnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {err.filename or args.folder}: {err.strerror or err}", file=sys.stderr)
        return 2
    counts = {}
    for v in report.verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    summary = ", ".join(f"{n} {k.lower()}" for k, n in counts.items()) or "no claims checked"
    print(
        f"report of {report.experiment.name or args.folder}: {report.out / 'report.md'} and report.html "
        f"({len(report.figures)} figures; hypothesis: {summary})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
