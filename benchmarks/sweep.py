"""Local parallelism: a 20-run sweep on one worker against the same sweep on one worker per core.

Run as ``python benchmarks/sweep.py [--weeks N] [--repeats K]``. Each sweep is the command a
researcher types (``partnersim -m ...``, the joblib launcher), timed as a whole process into a
fresh folder, so process start-up, composition and writing outputs are all counted. The target
(issue: experiments and sweeps) is a speed-up of at least 1.7 on 2 cores. Prints a table and
exits 0 regardless: it is a measurement, not a test.
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
TARGET = 1.7


def sweep_seconds(n_jobs: int, weeks: int, folder: Path) -> float:
    """Wall-clock seconds of a 20-run sweep (5 lever values x 4 seeds) with ``n_jobs`` workers."""
    shutil.rmtree(folder, ignore_errors=True)
    args = [
        sys.executable, "-m", "sim", "-m", f"hydra.sweep.dir={folder}", f"hydra.launcher.n_jobs={n_jobs}",
        f"run.weeks={weeks}", "run.progress=false", "run.figure=false",
        "policy.joint_indicators=0.0,0.25,0.5,0.75,1.0", "run.seed=1,2,3,4",
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"sweep failed:\n{done.stderr[-2000:]}")
    runs = len(list(folder.glob("*/summary.json")))
    if runs != 20:
        raise SystemExit(f"expected 20 runs, found {runs}")
    return seconds


def main() -> None:
    """Time both sweeps (minimum over repeats) and print the speed-up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=260, help="weeks per run (default 260)")
    parser.add_argument("--repeats", type=int, default=2, help="repeats per setting (minimum taken)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        one = min(sweep_seconds(1, args.weeks, Path(tmp) / "one") for _ in range(args.repeats))
        many = min(sweep_seconds(-1, args.weeks, Path(tmp) / "many") for _ in range(args.repeats))
    speedup = one / many
    print(f"20-run sweep, {args.weeks} weeks per run, {cores} cores")
    print(f"  one worker          {one:7.2f} s")
    print(f"  one worker per core {many:7.2f} s")
    verdict = "PASS" if speedup >= TARGET else "FAIL"
    print(f"  speed-up            {speedup:7.2f}x  (target >= {TARGET}x on 2 cores: {verdict})")


if __name__ == "__main__":
    main()
