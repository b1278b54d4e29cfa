"""What tests that run the project's commands as subprocesses share."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tree_env() -> dict[str, str]:
    """The environment of a command: this source tree first on the path, and Hydra's errors as
    users see them (no ``HYDRA_FULL_ERROR``, which would print tracebacks)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("HYDRA_FULL_ERROR", None)
    return env
