"""partnersim: an agent-based model of partnership working between health and social care.

Public API:
    PartnershipModel: the Mesa model, stepped one week at a time.
    run_model: run a configuration to the end and return (timeseries, summary).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("partnersim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from sim.model import PartnershipModel
from sim.run import run_model

__all__ = ["PartnershipModel", "run_model", "__version__"]
