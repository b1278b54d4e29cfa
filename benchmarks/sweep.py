"""Local parallelism: a 40-run sweep on one worker against the same sweep on one worker per core.

Run as ``python benchmarks/sweep.py [--weeks N] [--repeats K]``. Each sweep is the command a
researcher types (``python -m runner -m ...``, the default local launcher), timed as a whole
process into a fresh folder, so process start-up, composition and writing outputs are all
counted. The serial sweep sets ``hydra.launcher.n_jobs=1`` (jobs run in the command's own
process); the parallel one keeps the default (one worker per core). The target (issue: experiments
and sweeps) is a speed-up of at least 1.8 on 2 cores. Prints a table and exits 0 regardless: it is
a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.8
LEVER = "policy.joint_indicators=0.0,0.25,0.5,0.75,1.0"
SEEDS = "run.seed=1,2,3,4,5,6,7,8"
RUNS = 40  # 5 lever values x 8 seeds


def sweep_seconds(n_jobs: int | None, weeks: int, folder: Path) -> float:
    """Wall-clock seconds of the 40-run sweep; ``n_jobs`` None keeps the default launcher setting."""
    shutil.rmtree(folder, ignore_errors=True)
    workers = [] if n_jobs is None else [f"hydra.launcher.n_jobs={n_jobs}"]
    args = [
        sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={folder}", *workers,
        f"run.weeks={weeks}", "run.progress=false", "run.figure=false", LEVER, SEEDS,
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"sweep failed:\n{done.stderr[-2000:]}")
    runs = len(list(folder.glob("*/summary.json")))
    if runs != RUNS:
        raise SystemExit(f"expected {RUNS} runs, found {runs}")
    return seconds


def main() -> None:
    """Time both sweeps (minimum over repeats, alternating) and print the speed-up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=260, help="weeks per run (default 260)")
    parser.add_argument("--repeats", type=int, default=2, help="repeats per setting (minimum taken)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    ones, manys = [], []
    with tempfile.TemporaryDirectory() as tmp:
        # Alternate the two settings, so that a slow spell of the machine hits both alike.
        for _ in range(args.repeats):
            ones.append(sweep_seconds(1, args.weeks, Path(tmp) / "one"))
            manys.append(sweep_seconds(None, args.weeks, Path(tmp) / "many"))
    one, many = min(ones), min(manys)
    speedup = one / many
    print(f"{RUNS}-run sweep, {args.weeks} weeks per run, {cores} cores")
    print(f"  one worker          {one:7.2f} s   (all: {', '.join(f'{s:.2f}' for s in ones)})")
    print(f"  one worker per core {many:7.2f} s   (all: {', '.join(f'{s:.2f}' for s in manys)})")
    verdict = "PASS" if speedup >= TARGET else "FAIL"
    print(f"  speed-up            {speedup:7.2f}x  (target >= {TARGET}x on 2 cores: {verdict})")


if __name__ == "__main__":
    main()
