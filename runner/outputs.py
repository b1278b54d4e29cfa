"""Write one run's folder: the only place, with the command line, where the package writes files.

A run folder holds:

- ``timeseries.parquet``: the weekly table, one row per week;
- ``summary.json``: the final-period outcomes, the measured coterminosity, the seed, the package
  version and the resolved configuration (everything in the summary but the journey);
- ``trust_matrix.csv``: mean trust of each agency's staff (rows) in each agency (columns);
- ``journey.csv``: the traced user's events (week, event, need, agency, professional), when traced;
- ``overview.png``: the overview figure (:mod:`runner.figure`), unless ``run.figure`` is false.

Each file is written under a temporary name in the same folder and then renamed over its final
name (``os.replace``), so a reader never sees a half-written file and an interrupted run leaves
no truncated output. ``summary.json`` is written last and records the SHA-256 of every table
written before it (``outputs``), so a summary means the run is whole, and :func:`verify_run` can
tell a run whose files were truncated, deleted or replaced since.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from runner.files import JOURNEY, OVERVIEW, SUMMARY, TIMESERIES, TRUST_MATRIX

if TYPE_CHECKING:  # pandas is imported where a table is written: a sweep's parent never needs it
    import pandas as pd

JOURNEY_COLUMNS = ("week", "event", "need", "agency", "professional")


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write a file under a temporary name beside it, then rename it into place.

    Args:
        path: the final path.
        write: called with the temporary path; writes the whole file there.

    Returns:
        ``path``.
    """
    # A fresh name that ``write`` creates itself, so the file gets the usual permissions (umask).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _plain(value: Any) -> Any:
    """Make a value strict JSON: numpy scalars to Python, NaN and infinities to null."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def trust_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The final trust matrix of a summary as a table, agencies as both index and columns."""
    import pandas as pd

    agencies = list(summary["trust_matrix"]["agencies"])
    frame = pd.DataFrame(summary["trust_matrix"]["values"], index=agencies, columns=agencies)
    frame.index.name = "agency"
    return frame


def write_run(
    folder: str | Path,
    table: pd.DataFrame,
    summary: Mapping[str, Any],
    figure: bool = True,
) -> dict[str, Path]:
    """Write a run's outputs into ``folder`` (created if missing).

    Args:
        folder: the run folder.
        table: the weekly table returned by :func:`sim.run_model`.
        summary: the summary dict returned by :func:`sim.run_model`.
        figure: whether to draw ``overview.png``.

    Returns:
        The paths written, by file name.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def put(name: str, write: Callable[[Path], None]) -> None:
        written[name] = atomic_write(folder / name, write)

    # The summary goes last: a run folder with a summary.json holds every other output.
    (folder / SUMMARY).unlink(missing_ok=True)
    put(TIMESERIES, lambda tmp: table.to_parquet(tmp, index=False))
    put(TRUST_MATRIX, lambda tmp: trust_frame(summary).to_csv(tmp))
    journey = summary.get("journey") or []
    if journey:
        import pandas as pd

        frame = pd.DataFrame(list(journey), columns=list(JOURNEY_COLUMNS))
        put(JOURNEY, lambda tmp: frame.to_csv(tmp, index=False))
    if figure:
        from runner.figure import save_overview

        put(OVERVIEW, lambda tmp: save_overview(table, summary, tmp))
    checksums = {name: file_sha256(path) for name, path in written.items() if name in CHECKED}
    summary_out = _plain({**{k: v for k, v in summary.items() if k != "journey"}, "outputs": checksums})
    text = json.dumps(summary_out, indent=2, allow_nan=False) + "\n"
    put(SUMMARY, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return written


# The files whose checksums summary.json records: the results (not the figure, which is drawn).
CHECKED = (TIMESERIES, TRUST_MATRIX, JOURNEY)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_summary(folder: Path) -> dict:
    """A run folder's summary.json, checked to be a summary.

    Raises:
        ValueError: one line, if it is missing, not JSON, or not a summary (e.g. ``[]``).
    """
    path = Path(folder) / SUMMARY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ValueError(f"no {SUMMARY}") from err
    except (OSError, ValueError) as err:
        raise ValueError(f"{SUMMARY} is not valid JSON ({type(err).__name__})") from err
    if not isinstance(data, dict) or not isinstance(data.get("outcomes"), dict):
        raise ValueError(f"{SUMMARY} is not a run's summary (it holds {type(data).__name__})")
    return data


def verify_run(folder: Path) -> dict:
    """A run folder's summary, once every output it records is checked to be there, unchanged.

    Args:
        folder: a run folder (or a sweep job's folder).

    Returns:
        The summary.

    Raises:
        ValueError: one line saying what is wrong: no or a bad summary, a missing table, or a
            table whose content differs from what was written (truncated, replaced).
    """
    folder = Path(folder)
    summary = read_summary(folder)
    recorded = summary.get("outputs")
    if not isinstance(recorded, dict) or TIMESERIES not in recorded:
        raise ValueError(f"{SUMMARY} records no checksums (written by an older partnersim)")
    for name, digest in recorded.items():
        path = folder / name
        if not path.is_file():
            raise ValueError(f"{name} is missing")
        if file_sha256(path) != digest:
            raise ValueError(f"{name} differs from what the run wrote (truncated or replaced)")
    return summary
