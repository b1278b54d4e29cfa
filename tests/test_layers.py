"""The layers of docs/architecture.md hold, and nothing reaches into a library's private parts.

The import contracts live in pyproject.toml (``[tool.importlinter]``); ``lint-imports`` checks
them. The second test reads every Python file of the project and fails on an import of a
private module or name (one starting with ``_``) from the libraries whose internals change
without notice between releases, or on reading a private attribute of something imported from
them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = ("hydra", "omegaconf", "joblib", "loky", "submitit", "mesa", "solara")
# Other projects' Hydra plugins share the hydra_plugins namespace with ours.
THEIR_PLUGINS = ("hydra_plugins.hydra_joblib_launcher", "hydra_plugins.hydra_submitit_launcher")
FOLDERS = (
    "sim",
    "runner",
    "teaching_app",
    "analysis",
    "calibration",
    "hydra_plugins",
    "tests",
    "benchmarks",
    "scripts",
)


def python_files() -> list[Path]:
    return sorted(
        p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts
    )


def is_library(module: str) -> bool:
    return module.split(".")[0] in LIBRARIES or module.startswith(THEIR_PLUGINS)


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__") and name != "__main__")


def private_uses(source: str) -> list[str]:
    """Each private import or attribute of a library in ``source``, as ``line: text``."""
    tree = ast.parse(source)
    found, bound = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_library(alias.name):
                    if any(private(part) for part in alias.name.split(".")):
                        found.append(f"{node.lineno}: import {alias.name}")
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and is_library(node.module):
            if any(private(part) for part in node.module.split(".")):
                found.append(f"{node.lineno}: from {node.module} import ...")
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                bound.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in bound:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_private_parts_of_libraries_anywhere():
    offences = {
        str(path.relative_to(ROOT)): uses
        for path in python_files()
        if (uses := private_uses(path.read_text(encoding="utf-8")))
    }
    assert not offences, offences


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from hydra._internal.core_plugins.basic_sweeper import BasicSweeper", True),
        ("from hydra.core.singleton import Singleton\nSingleton._instances.get(1)", True),
        ("import solara.__main__", True),
        ("from hydra_plugins.hydra_joblib_launcher import _core", True),
        ("from omegaconf import OmegaConf\nOmegaConf.update({}, 'a', 1)", False),
        ("from hydra.core.utils import run_job", False),
        ("import numpy as np\nnp._private_thing", False),
        ("from sim import __version__", False),
    ],
)
def test_the_private_import_check_tells_private_from_public(source, caught):
    assert bool(private_uses(source)) is caught
