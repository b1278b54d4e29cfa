"""partnersim's sweeper: the same jobs and errors as Hydra's basic sweeper, checked more cheaply.

The check composes one configuration per set of structural overrides (config-group choices) and
checks the other values by assigning them; these tests hold it to the full composition of every
job, on the real configs, and check that its warm joblib workers are the ones the sweep then uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra._internal.utils import create_config_search_path
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.core.utils import setup_globals
from hydra.errors import HydraException
from hydra.types import HydraContext, RunMode
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from runner.cli import CONFIG_DIR
from runner.compose import register_configs

# Hydra's plugin scan executes every plugin module afresh; scan first, so that the classes
# imported below are the ones Hydra instantiates.
Plugins.instance()
from hydra_plugins.partnersim_sweeper.sweeper import (  # noqa: E402
    PartnersimSweeper,
    _WarmWorkers,
    joblib_settings,
)

ROOT = Path(__file__).resolve().parents[1]
ERRORS = (HydraException, OmegaConfBaseException)


class CountingLoader(ConfigLoaderImpl):
    """Hydra's own config loader, counting the configurations it composes for jobs."""

    def __init__(self) -> None:
        super().__init__(config_search_path=create_config_search_path(str(CONFIG_DIR)))
        self.composed = 0

    def load_sweep_config(self, master_config, sweep_overrides):
        self.composed += 1
        return super().load_sweep_config(master_config, sweep_overrides)


def make_sweeper(*overrides: str) -> tuple[PartnersimSweeper, CountingLoader]:
    register_configs()
    setup_globals()  # Hydra's resolvers (${now:...}), as a real run registers them
    loader = CountingLoader()
    config = loader.load_configuration("config", overrides=list(overrides), run_mode=RunMode.MULTIRUN)
    sweeper = PartnersimSweeper(max_batch_size=None, params=None)
    sweeper.setup(
        hydra_context=HydraContext(config_loader=loader, callbacks=None),
        task_function=lambda cfg: None,
        config=config,
    )
    loader.composed = 0
    return sweeper, loader


def jobs(*overrides: str) -> list[list[str]]:
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    return BasicSweeper.split_arguments(parsed, None)[0]


def full_check(loader: ConfigLoaderImpl, config, batch) -> str | None:
    """What Hydra's basic sweeper does: compose every job; the first error, if any."""
    for job in batch:
        try:
            loader.load_sweep_config(config, list(job))
        except ERRORS as err:
            return type(err).__name__
    return None


def test_plain_values_cost_one_composition_and_groups_one_each():
    sweeper, loader = make_sweeper()
    sweeper.validate_batch_is_legal(jobs("policy.coterminosity=0,0.25,0.5,0.75,1", "run.seed=1,2,3,4"))
    assert loader.composed == 1
    loader.composed = 0
    sweeper.validate_batch_is_legal(jobs("scenario=baseline,care_trust,mrs_smith", "run.seed=1,2,3,4"))
    assert loader.composed == 3


SWEEPS = {
    "good grid": ("policy.coterminosity=0,0.5,1", "run.seed=1,2"),
    "bad value in the last job": ("run.seed=1,2", "policy.coterminosity=0.5,abc"),
    "bad type for an int": ("run.weeks=10,ten",),
    "unknown key": ("policy.nokey=1,2",),
    "unknown group option": ("scenario=baseline,nope", "run.seed=1,2"),
    "good groups and values": ("scenario=baseline,care_trust", "policy.pooled_budget_share=0.2,0.4"),
    "bad value under one group only": ("scenario=baseline,care_trust", "run.weeks=5,x"),
    "launcher choice": ("hydra/launcher=joblib,slurm", "run.seed=1,2"),
    "bad launcher setting": ("hydra.launcher.n_jobs=1,many",),
    "deleting a typed key": ("run.seed=1,2", "~policy.coterminosity"),
}


@pytest.mark.parametrize("overrides", SWEEPS.values(), ids=SWEEPS.keys())
def test_the_check_fails_exactly_when_composing_every_job_fails(overrides):
    sweeper, loader = make_sweeper()
    batch = jobs(*overrides)
    expected = full_check(loader, sweeper.config, batch)
    try:
        sweeper.validate_batch_is_legal(batch)
        got = None
    except ERRORS as err:
        got = type(err).__name__
    assert got == expected


def test_warm_workers_are_the_ones_the_sweep_uses():
    from joblib import Parallel, delayed

    sweeper, _ = make_sweeper("hydra.launcher.n_jobs=2")
    warm = _WarmWorkers.start(sweeper.launcher, jobs=10)
    assert warm is not None
    warm.join()
    assert len(set(warm.pids)) == 2
    # The joblib launcher's own arguments: joblib reuses the executor only if they are equal.
    cfg = joblib_settings(sweeper.launcher)
    used = Parallel(**cfg)(delayed(os.getpid)() for _ in range(8))
    assert set(used) <= set(warm.pids)


def test_no_warm_up_on_one_worker_or_another_launcher():
    sweeper, _ = make_sweeper("hydra.launcher.n_jobs=1")
    assert _WarmWorkers.start(sweeper.launcher, jobs=10) is None
    sweeper, _ = make_sweeper("hydra/launcher=slurm")
    assert joblib_settings(sweeper.launcher) is None
    sweeper, _ = make_sweeper("hydra.launcher.n_jobs=2")
    assert _WarmWorkers.start(sweeper.launcher, jobs=1) is None, "one job needs no second worker"


def test_a_bad_value_in_a_later_job_stops_the_sweep_before_anything_is_written(tmp_path):
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path)
    sweep = tmp_path / "sweep"
    done = subprocess.run(
        [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={sweep}", "run.weeks=2", "run.seed=1,2,3",
         "policy.coterminosity=0.5,abc"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: policy.coterminosity: Value 'abc' of type 'str' could not be converted to Float"
    ]
    assert not sweep.exists(), "a sweep with a bad job writes nothing"


KEEP_PLUGINS = """
from hydra.core.plugins import Plugins
from hydra.core.singleton import Singleton
from hydra_plugins.partnersim_sweeper.sweeper import keep_plugins_across_jobs

before = Plugins.instance()
Singleton.set_state(Singleton.get_state())  # as Hydra's joblib launcher does before every job
rebuilt = Plugins.instance() is not before
keep_plugins_across_jobs()
keep_plugins_across_jobs()  # idempotent
kept = Plugins.instance()
Singleton.set_state(Singleton.get_state())
print(rebuilt, Plugins.instance() is kept)
"""


def test_warm_workers_keep_hydras_plugin_registry_across_jobs():
    # In a process of its own: the patch is meant for joblib workers, not this test session.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", KEEP_PLUGINS], env=dict(os.environ, PYTHONPATH=path),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"], "Hydra rebuilds the registry; the warm worker keeps it"


QUICK_EXIT = """
import json
import os
import sys
from hydra_plugins.partnersim_sweeper.sweeper import quick_exit

class Cycle:
    def __init__(self):
        self.me = self
    def __del__(self):
        os.write(1, b"finalised")

if "{mode}" == "quick":
    quick_exit()
    quick_exit()  # idempotent
Cycle()  # cyclic garbage, left for the collections of the interpreter's shutdown
print("buffered output ", end="")
sys.exit(3)
"""


@pytest.mark.parametrize("mode", ["normal", "quick"])
def test_a_quick_exit_skips_only_the_final_garbage_collections(mode):
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", QUICK_EXIT.replace("{mode}", mode)], env=dict(os.environ, PYTHONPATH=path),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 3, "the exit code is kept"
    assert "buffered output" in done.stdout, "buffered output is still written"
    finalised = "finalised" in done.stdout
    assert finalised == (mode == "normal"), "only a quick exit skips the shutdown's collections"


def test_a_worker_unpickles_a_batchs_shared_part_once(monkeypatch):
    import pickle

    from hydra_plugins.hydra_joblib_launcher import _core

    from hydra_plugins.partnersim_sweeper.sweeper import execute_shared

    seen = []
    monkeypatch.setattr(_core, "execute_job", lambda idx, overrides, *shared: seen.append((idx, shared)))
    payload = pickle.dumps(({"context": 1}, {"config": 2}, "task", {"state": 3}))
    execute_shared(0, ["a=1"], "batch-1", payload)
    execute_shared(1, ["a=2"], "batch-1", payload)
    execute_shared(2, ["a=3"], "batch-2", payload)
    assert [idx for idx, _ in seen] == [0, 1, 2]
    assert seen[0][1] == ({"context": 1}, {"config": 2}, "task", {"state": 3})
    assert all(a is b for a, b in zip(seen[0][1], seen[1][1], strict=True)), "same batch: kept"
    assert seen[2][1][0] is not seen[0][1][0], "a new batch is unpickled afresh"


def test_one_worker_and_two_workers_give_the_same_jobs(tmp_path):
    def sweep(n_jobs: int) -> dict[str, tuple]:
        folder = tmp_path / f"n{n_jobs}"
        done = subprocess.run(
            [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={folder}",
             f"hydra.launcher.n_jobs={n_jobs}", "hydra.sweeper.max_batch_size=3",  # batches of 3 and 1
             "run.weeks=8", "run.progress=false", "run.figure=false", "run.seed=1,2",
             "policy.joint_indicators=0,1"],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        jobs = {}
        for job in folder.glob("job_*"):
            summary = json.loads((job / "summary.json").read_text())
            num = OmegaConf.load(job / ".hydra" / "hydra.yaml").hydra.job.num
            jobs[job.name] = (num, summary["seed"], summary["outcomes"])
        return jobs

    one, two = sweep(1), sweep(2)
    assert len(one) == 4
    assert two == one, "job numbers, seeds and outcomes do not depend on the number of workers"


def test_workers_are_forked_only_from_a_process_with_no_other_thread():
    import threading

    from hydra_plugins.partnersim_sweeper.sweeper import fork_is_safe

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not fork_is_safe(), "a second thread: loky starts the workers"
    finally:
        stop.set()
        other.join()
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    code = "from hydra_plugins.partnersim_sweeper.sweeper import fork_is_safe; print(fork_is_safe())"
    done = subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=path),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.stdout.strip() == str(sys.platform == "linux"), done.stderr


def test_a_parallel_sweep_from_the_command_line_forks_its_workers_on_linux(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "runner", "-m", f"hydra.sweep.dir={tmp_path / 'sweep'}",
         "hydra.launcher.n_jobs=2", "run.weeks=4", "run.progress=false", "run.figure=false", "run.seed=1,2",
         "hydra.verbose=[hydra_plugins.partnersim_sweeper.sweeper]"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    expected = "forked from this process" if sys.platform == "linux" else "loky's"
    assert f"joblib workers: {expected}" in done.stdout + done.stderr
    assert len(list((tmp_path / "sweep").glob("*/summary.json"))) == 2
