"""partnersim: an agent-based model of partnership working between health and social care.

Public API:
    PartnershipModel: the Mesa model, stepped one week at a time.
    run_model: run a configuration to the end and return (timeseries, summary).

Both are imported on first use (PEP 562), so that ``sim.config`` and the command line can be
imported without Mesa: the parent process of a parallel sweep only composes configurations and
never builds a model, and skipping Mesa's ~0.7 s import there shortens every sweep.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("partnersim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from sim.model import PartnershipModel
    from sim.run import run_model

__all__ = ["PartnershipModel", "run_model", "__version__"]


def __getattr__(name: str) -> Any:
    """Import ``PartnershipModel`` and ``run_model`` when they are first asked for."""
    if name == "PartnershipModel":
        from sim.model import PartnershipModel

        return PartnershipModel
    if name == "run_model":
        from sim.run import run_model

        return run_model
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
