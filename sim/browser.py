"""Debian's Chromium driven by Playwright: the settings the app's browser tests and benchmark share.

Playwright's own browser download does not work offline, so both drive the system Chromium
(``$CHROMIUM``, by default /usr/bin/chromium) through ``executable_path`` with the flags below.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
"""Path of the Chromium executable."""

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]  # fmt: skip
"""Flags for a headless Chromium that makes no network calls of its own."""


def browser_missing() -> str:
    """Why a Playwright-driven Chromium cannot run here, or "" if it can."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright)"
    return ""
