"""Debian's Chromium driven by Playwright: the settings the app's browser tests and benchmark share.

Playwright's own browser download does not work offline, so both drive the system Chromium
(``$CHROMIUM``, by default /usr/bin/chromium) through ``executable_path`` with the flags below.
Both also serve the app on a free local port and wait for it to answer (:func:`free_port`,
:func:`wait_for_app`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_app(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    """Wait until the app served by ``process`` answers 200 at ``url``.

    Raises:
        RuntimeError: the process exited, or did not answer within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"the app did not answer at {url} within {timeout:.0f} s")
