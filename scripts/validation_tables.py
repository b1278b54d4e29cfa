"""Rewrite the tables of docs/validation.md from a finished calibration (calibrations/england).

Usage: ``python scripts/validation_tables.py [CALIBRATION_FOLDER]``. The doc's prose is written by
hand; the tables between its markers come from the calibration's ``calibration.json``, so that
every number there is the calibration's (tests/test_validation.py checks they agree).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from calibration.outputs import STATE, replace_tables

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Rewrite docs/validation.md's tables in place."""
    folder = sys.argv[1] if len(sys.argv) > 1 else "calibrations/england"
    state = json.loads((ROOT / folder / STATE).read_text())
    doc = ROOT / "docs" / "validation.md"
    doc.write_text(replace_tables(doc.read_text(), folder, state))
    print(f"{doc}: tables from {folder}/{STATE}")


if __name__ == "__main__":
    main()
