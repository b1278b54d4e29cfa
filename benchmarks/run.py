"""Benchmark partnersim's speed and memory against Mesa's Boltzmann wealth example.

Run from the repository root::

    python benchmarks/run.py            # full measurement (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # smoke check: 26 weeks, one repeat
    python benchmarks/run.py --profile 25   # also cProfile run (a) and print the top 25 entries

Three runs are timed in this process, each ``--repeats`` times (the minimum is kept):

(a) the default baseline: the default configuration (about 200 professionals, 2,000 initial users,
    260 weeks) through :func:`sim.run_model`;
(b) the same with four times the users and professionals: ``model.population.initial_users``,
    ``model.workforce.professionals`` and the arrival rates ``community_referrals`` and
    ``hospital_discharges`` all x4, so that the active population stays about four times (a)'s;
(c) Mesa's own Boltzmann wealth example with as many agents as (a) has on average (agencies +
    professionals + active users), for the same number of steps, on a square grid that keeps the
    example's default density (100 agents on 10 x 10).

Cost is reported in microseconds per agent-step, where an agent-step is one agent for one week (or
step): for partnersim, agencies + professionals in post + active users, summed over the weeks.
The peak memory of (a) is measured in a fresh subprocess (its ``VmHWM``; ``ru_maxrss`` where there is
no ``/proc``, see :func:`peak_memory_mb`). Targets:

- (a)/(c) per agent-step <= 0.25;
- time(b)/time(a) <= 4.5;
- peak memory of (a) < 300 MB.

This is a measurement, not a test: it always exits 0 and prints PASS or FAIL against each target.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import dataclasses
import math
import os
import platform
import pstats
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402
import numpy as np  # noqa: E402

import sim  # noqa: E402
from sim.config import Config  # noqa: E402

TARGET_PER_AGENT_STEP = 0.25
TARGET_SCALING = 4.5
TARGET_MEMORY_MB = 300.0
SCALE = 4
BOLTZMANN_DENSITY = 100 / (10 * 10)  # the example's defaults: n=100 on a 10 x 10 grid


# ------------------------------------------------------------------------------ configurations
def baseline_config(weeks: int | None) -> dict:
    """Config (a): the defaults, quiet; ``weeks`` overrides the run length if given."""
    run = {"progress": False, "figure": False}
    if weeks is not None:
        run["weeks"] = weeks
    return {"run": run}


def scaled_config(weeks: int | None, factor: int = SCALE) -> dict:
    """Config (b): (a) with ``factor`` times the users, professionals and arrival rates."""
    defaults = Config().model
    cfg = copy.deepcopy(baseline_config(weeks))
    cfg["model"] = {
        "population": {
            "initial_users": defaults.population.initial_users * factor,
            "community_referrals": defaults.population.community_referrals * factor,
            "hospital_discharges": defaults.population.hospital_discharges * factor,
        },
        "workforce": {"professionals": defaults.workforce.professionals * factor},
    }
    return cfg


# ------------------------------------------------------------------------------ timed runs
@dataclasses.dataclass
class Result:
    """One benchmark's timings and size."""

    name: str
    seconds: float  # minimum over repeats
    all_seconds: list[float]
    steps: int
    agent_steps: int
    mean_agents: float
    mean_active_users: float | None = None
    mean_professionals: float | None = None
    n_agencies: int | None = None

    @property
    def us_per_agent_step(self) -> float:
        """Microseconds per agent-step."""
        return 1e6 * self.seconds / self.agent_steps


def time_partnersim(name: str, cfg: dict, repeats: int) -> Result:
    """Time :func:`sim.run_model` on ``cfg`` (model construction included), ``repeats`` times."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        table, summary = sim.run_model(cfg)
        times.append(time.perf_counter() - t0)
    n_agencies = len(summary["trust_matrix"]["agencies"])
    agents = n_agencies + table["professionals_in_post"] + table["active_users"]
    return Result(
        name=name,
        seconds=min(times),
        all_seconds=times,
        steps=len(table),
        agent_steps=int(agents.sum()),
        mean_agents=float(agents.mean()),
        mean_active_users=float(table["active_users"].mean()),
        mean_professionals=float(table["professionals_in_post"].mean()),
        n_agencies=n_agencies,
    )


def time_boltzmann(n_agents: int, steps: int, repeats: int, seed: int = 42) -> tuple[Result, int]:
    """Time Mesa's Boltzmann wealth example with ``n_agents`` agents for ``steps`` steps."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the example uses Mesa's experimental modules
        from mesa.examples.basic.boltzmann_wealth_model.model import (
            BoltzmannScenario,
            BoltzmannWealth,
        )

        side = max(1, round(math.sqrt(n_agents / BOLTZMANN_DENSITY)))
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model = BoltzmannWealth(BoltzmannScenario(n=n_agents, width=side, height=side, rng=seed))
            for _ in range(steps):
                model.step()
            times.append(time.perf_counter() - t0)
        assert len(model.agents) == n_agents
    result = Result(
        name=f"(c) Boltzmann wealth, {side}x{side} grid",
        seconds=min(times),
        all_seconds=times,
        steps=steps,
        agent_steps=n_agents * steps,
        mean_agents=float(n_agents),
    )
    return result, side


# ------------------------------------------------------------------------------ memory
MEMORY_CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
import sim.model  # the model and everything it imports (Mesa, numpy, pandas, pyarrow, scipy)
{run}
hwm = None
try:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])  # kB
except OSError:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, hwm)
"""


def peak_memory_mb(cfg: dict | None) -> tuple[float, float]:
    """Peak resident memory (MB) of a fresh interpreter that imports sim and runs ``cfg``.

    Returns the peak and, for comparison, the child's ``ru_maxrss`` (both in MB).

    With ``cfg`` None it only imports (the floor set by Python, numpy, pandas and Mesa).

    The child reads its peak from ``VmHWM`` in ``/proc/self/status`` where there is one. Its
    ``getrusage(RUSAGE_SELF).ru_maxrss`` is only a fallback: on Linux that figure survives fork and
    exec, so a child started by a big parent reports at least the parent's resident size at the
    fork (this script's own footprint after runs (a)-(c) would be charged to (a)).
    """
    run = "" if cfg is None else f"sim.run_model({cfg!r})"
    code = MEMORY_CHILD.format(root=str(ROOT), run=run)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    maxrss, hwm = out.stdout.strip().splitlines()[-1].split()
    rusage_mb = int(maxrss) / 1024 / (1024 if sys.platform == "darwin" else 1)  # macOS: bytes
    return (int(hwm) / 1024 if hwm != "None" else rusage_mb), rusage_mb


# ------------------------------------------------------------------------------ machine
def machine() -> dict[str, str]:
    """CPU model, cores, RAM and the versions that matter for the figures."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
                break
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "partnersim": sim.__version__,
    }


# ------------------------------------------------------------------------------ profile
def profile(cfg: dict, top: int) -> None:
    """Run ``cfg`` once under cProfile and print the ``top`` entries by own and cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    sim.run_model(cfg)
    prof.disable()
    for key in ("tottime", "cumulative"):
        print(f"\n--- cProfile of (a), top {top} by {key} ---")
        pstats.Stats(prof, stream=sys.stdout).strip_dirs().sort_stats(key).print_stats(top)


# ------------------------------------------------------------------------------ main
def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the table; always returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke check: 26 weeks, one repeat")
    parser.add_argument(
        "--repeats", type=int, default=None, help="timings per run (default 3, 1 with --quick)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also cProfile (a) and print the top N entries"
    )
    args = parser.parse_args(argv)

    weeks = 26 if args.quick else None
    repeats = args.repeats or (1 if args.quick else 3)
    cfg_a, cfg_b = baseline_config(weeks), scaled_config(weeks)

    print("Machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()))
    print(f"Mode: {'quick' if args.quick else 'full'}, {repeats} repeat(s), minimum time kept\n")

    # Memory first, while this process is still small (see peak_memory_mb).
    mem_a, rusage_a = peak_memory_mb(cfg_a)
    mem_import, _ = peak_memory_mb(None)

    # Warm up (imports, first-call caches) so that a single repeat is not charged for them.
    sim.run_model(baseline_config(2))
    time_boltzmann(100, 2, 1)

    a = time_partnersim("(a) partnersim baseline", cfg_a, repeats)
    b = time_partnersim(f"(b) partnersim x{SCALE} users & staff", cfg_b, repeats)
    c, side = time_boltzmann(round(a.mean_agents), a.steps, repeats)

    cols = ("run", "steps", "mean agents", "mean active users", "seconds", "us/agent-step")
    header = f"{cols[0]:<36} {cols[1]:>5} {cols[2]:>11} {cols[3]:>17} {cols[4]:>8} {cols[5]:>13}"
    print(header)
    print("-" * len(header))
    for r in (a, b, c):
        users = f"{r.mean_active_users:,.0f}" if r.mean_active_users is not None else "-"
        print(
            f"{r.name:<36} {r.steps:>5} {r.mean_agents:>11,.0f} {users:>17} {r.seconds:>8.3f} "
            f"{r.us_per_agent_step:>13.3f}"
        )
    runs = "; ".join(
        r.name.split()[0] + " " + ", ".join(f"{t:.3f}" for t in r.all_seconds) for r in (a, b, c)
    )
    print(f"(every repeat, seconds: {runs})")

    per_step = a.us_per_agent_step / c.us_per_agent_step
    scaling = b.seconds / a.seconds
    users_ratio = b.mean_active_users / a.mean_active_users
    staff_ratio = b.mean_professionals / a.mean_professionals
    print(
        f"\nMean active users: (a) {a.mean_active_users:,.0f}, (b) {b.mean_active_users:,.0f}"
        f" -> x{users_ratio:.2f}"
    )
    print(
        f"Mean professionals in post: (a) {a.mean_professionals:,.0f}, (b) {b.mean_professionals:,.0f}"
        f" -> x{staff_ratio:.2f}; agencies: {a.n_agencies}"
    )
    if not 0.9 * SCALE <= users_ratio <= 1.1 * SCALE:
        print(f"WARNING: (b)'s active population is x{users_ratio:.2f} of (a)'s, not about x{SCALE}")
    density = c.mean_agents / side**2
    print(f"Boltzmann: {c.mean_agents:,.0f} agents on {side}x{side} (density {density:.2f}; example's 1.00)")
    print(
        f"Peak memory of (a): {mem_a:.0f} MB in a fresh process "
        f"(importing the model alone: {mem_import:.0f} MB)"
    )
    print(f"  (that child's ru_maxrss, which counts this parent's size at the fork: {rusage_a:.0f} MB)\n")

    rows = [
        (
            "(a)/(c) time per agent-step",
            f"{per_step:.3f}",
            f"<= {TARGET_PER_AGENT_STEP}",
            per_step <= TARGET_PER_AGENT_STEP,
        ),
        ("time (b) / time (a)", f"{scaling:.2f}", f"<= {TARGET_SCALING}", scaling <= TARGET_SCALING),
        ("peak memory of (a), MB", f"{mem_a:.0f}", f"< {TARGET_MEMORY_MB:.0f}", mem_a < TARGET_MEMORY_MB),
    ]
    header = f"{'measure':<30} {'value':>8} {'target':>8}  result"
    print(header)
    print("-" * len(header))
    for name, value, target, ok in rows:
        print(f"{name:<30} {value:>8} {target:>8}  {verdict(ok)}")

    if args.profile:
        profile(cfg_a, args.profile)
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
