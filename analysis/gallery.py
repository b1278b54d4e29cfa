"""The gallery: every experiment's smoke run, reported, in ``docs/gallery.md``.

``python -m analysis.gallery`` runs each smoke experiment (``experiments/*_smoke.yaml``) into
``multirun/NAME_smoke`` (finished jobs are skipped, as always), collects it, writes its report
(``multirun/NAME_smoke/report/``), and writes ``docs/gallery.md`` with the question, hypothesis,
design, verdicts and main figures of each, the figures copied to ``docs/gallery/`` as reduced
PNGs to keep the repository light. ``--reuse`` reports the smoke sweeps already in ``multirun/``
(collecting them if needed) without running anything. A smoke experiment that draws its model
parameters from a calibration (``experiment.posterior``) is left out, with a line saying so, until
that calibration's folder is there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from analysis import effects as fx
from analysis.collect import CollectError, collect, write
from analysis.errors import AnalysisError
from analysis.report import Image, build

ROOT = Path(__file__).resolve().parent.parent
#: The figures of each report shown in the gallery (the others are in the full report).
SHOWN = (
    "timeseries_users",
    "timeseries_partnership",
    "heatmaps",
    "dose_response",
    "conditions",
    "sobol",
    "morris",
)
MAX_WIDTH = 1000  # pixels: legible on a page, light in the repository
COLOURS = 256  # PNG palette size after quantising (octree keeps the palette's colours true)


def smoke_experiments(root: Path = ROOT) -> list[str]:
    """The smoke experiments, by name, in the order of their base experiments' files."""
    return sorted(p.stem for p in (root / "experiments").glob("*_smoke.yaml"))


def missing_calibration(name: str, root: Path = ROOT) -> str | None:
    """The calibration folder an experiment draws from (``experiment.posterior``), if it is not there.

    Args:
        name: the experiment (``experiments/NAME.yaml``).
        root: the project folder, from which the sweep runs (a relative folder is read from it).

    Returns:
        The folder as the file names it, or None when the file names none or the folder exists.
    """
    import yaml

    try:
        data = yaml.safe_load((root / "experiments" / f"{name}.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return None
    folder = str(((data.get("experiment") or {}) if isinstance(data, dict) else {}).get("posterior") or "")
    if not folder or (root / Path(folder).expanduser()).is_dir():  # (an absolute folder stays itself)
        return None
    return folder


def run_smoke(name: str, root: Path = ROOT) -> Path:
    """Run one smoke experiment as a user would (``python -m runner -m experiment=NAME``) and collect it.

    Returns:
        The sweep folder.

    Raises:
        AnalysisError: if the sweep fails or cannot be collected.
    """
    sweep = root / "multirun" / name
    done = subprocess.run(
        [sys.executable, "-m", "runner", "-m", f"experiment={name}", f"hydra.sweep.dir={sweep}"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise AnalysisError(f"experiment {name} failed (exit {done.returncode}): {last}")
    try:
        write(collect(sweep), sweep)
    except CollectError as err:
        raise AnalysisError(str(err)) from err
    return sweep


def shrink(src: Path, dst: Path, max_width: int = MAX_WIDTH) -> None:
    """Copy a PNG, scaled down to ``max_width`` pixels and quantised to a small palette."""
    from PIL import Image as PILImage

    with PILImage.open(src) as img:
        img = img.convert("RGB")
        if img.width > max_width:
            img = img.resize((max_width, round(img.height * max_width / img.width)), PILImage.LANCZOS)
        img = img.quantize(colors=COLOURS, method=PILImage.Quantize.FASTOCTREE, dither=PILImage.Dither.NONE)
        img.save(dst, optimize=True)


def _section(name: str, report, figures_dir: Path, docs: Path) -> list[str]:
    e = report.experiment
    lines = [f"## {e.base_name}", ""]
    lines += [f"**Question.** {e.question}", "", f"**Hypothesis.** {e.hypothesis}", ""]
    design = next(
        (
            b.text
            for i, b in enumerate(report.blocks)
            if i and getattr(report.blocks[i - 1], "text", "") == "Design"
        ),
        "",
    )
    lines += [f"**Smoke design.** {design}", ""]
    if report.verdicts:
        lines += ["**What the smoke run says** (two seeds, half a year: provisional):", ""]
        lines += [f"- {v.sentence}" for v in report.verdicts] + [""]
    effects = report.out / "effects.csv"
    if effects.is_file():
        import pandas as pd

        table = pd.read_csv(effects)
        keep = [
            o
            for o in (
                "mean_wait_weeks",
                "unmet_need",
                "wellbeing",
                "readmission_rate",
                "mean_trust",
                "mean_loyalty",
            )
            if o in set(table["outcome"])
        ]
        lines += [fx.caption(table), "", fx.effect_markdown(table[table["outcome"].isin(keep)]), ""]
    target = figures_dir / e.base_name
    target.mkdir(parents=True, exist_ok=True)
    for block in report.blocks:
        if isinstance(block, Image) and block.stem in SHOWN:
            dst = target / f"{block.stem}.png"
            shrink(report.out / f"{block.stem}.png", dst)
            rel = dst.relative_to(docs).as_posix()
            lines += [f"![{block.title}: {e.name}]({rel})", "", f"*{block.caption}*", ""]
    return lines


def make_gallery(names: list[str], *, reuse: bool, root: Path = ROOT, docs: Path | None = None) -> Path:
    """Run (or reuse) and report each smoke experiment, and write the gallery.

    Args:
        names: the smoke experiments.
        reuse: report the sweeps already in ``multirun/`` instead of running them.
        root: the project folder (with ``experiments/`` and ``multirun/``).
        docs: the documentation folder (default ``root/docs``).

    Returns:
        The path of ``gallery.md``.
    """
    docs = docs or root / "docs"
    staging = docs / f".gallery.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    lines = [
        "# Gallery: the smoke run of every experiment",
        "",
        "Each experiment in `experiments/` has a smoke variant (few values, two seeds, 26 weeks) that "
        "checks the whole pipeline: the sweep, the collector and the report. This page shows what the "
        "report makes of each. The numbers are not findings: with two seeds and half a year the intervals "
        "are wide, and the verdicts are provisional. Run the full experiment "
        "(`partnersim -m experiment=NAME`, then `partnersim-report multirun/NAME`) to answer its question.",
        "",
        "Regenerate this page and `docs/gallery/` with one command from the project folder:",
        "",
        "```bash",
        ".venv/bin/python -m analysis.gallery          # runs every smoke experiment (about two minutes)",
        ".venv/bin/python -m analysis.gallery --reuse  # reports the smoke sweeps already in multirun/",
        "```",
        "",
        "Each full report (`report.md`, `report.html` with every figure in PNG and SVG, the effect table "
        "as CSV and Markdown) is written to `multirun/NAME_smoke/report/`. The figures here are reduced "
        "copies of the main ones.",
        "",
    ]
    lines += [
        "Experiments: "
        + ", ".join(f"[{n.removesuffix('_smoke')}](#{n.removesuffix('_smoke')})" for n in names)
        + ".",
        "",
    ]
    try:
        for name in names:
            sweep = root / "multirun" / name
            if not reuse or not sweep.is_dir():
                print(f"running {name} ...", flush=True)
                sweep = run_smoke(name, root)
            report = build(sweep)
            print(f"reported {name}: {report.out}", flush=True)
            lines += _section(name, report, staging / "gallery", staging)
        (staging / "gallery.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
        old = docs / f".gallery.{os.getpid()}.old"
        old.mkdir()
        for item in ("gallery", "gallery.md"):
            if (docs / item).exists():
                (docs / item).rename(old / item)
            (staging / item).rename(docs / item)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return docs / "gallery.md"


def main(argv: list[str] | None = None) -> int:
    """The command line: regenerate ``docs/gallery.md`` and ``docs/gallery/``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.gallery",
        description="Run every smoke experiment, report it, and write docs/gallery.md with the figures.",
    )
    parser.add_argument("--reuse", action="store_true", help="report the smoke sweeps already in multirun/")
    parser.add_argument(
        "names", nargs="*", help="smoke experiments (default: all of experiments/*_smoke.yaml)"
    )
    args = parser.parse_args(argv)
    names = args.names or smoke_experiments()
    unknown = [n for n in names if n not in smoke_experiments()]
    if unknown:
        print(f"error: no smoke experiment {unknown[0]!r} in experiments/", file=sys.stderr)
        return 2
    if not args.names:
        for name in list(names):
            folder = missing_calibration(name)
            if folder is not None:
                names.remove(name)
                print(f"left out {name}: its calibration {folder} is not there (partnersim-calibrate)")
    try:
        path = make_gallery(names, reuse=args.reuse)
    except AnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in (path.parent / "gallery").rglob("*.png"))
    print(f"wrote {path} and {path.parent / 'gallery'} ({size / 1e6:.1f} MB of figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
