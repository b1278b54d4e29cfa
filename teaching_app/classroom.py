"""The classroom: runs that students submit to their teacher's class page, held in memory only.

A teacher opens a class page (``?teacher=1``), which opens a class with a short code. Each
student's tab can submit its current run to that code: the levers, the seed and the outcomes
over the last year run. The teacher's page reads the class's submissions and shows them as a
scatter and a table. Nothing is written to disk: the class lives in this server process and is
gone when it stops, unless the teacher downloads it as CSV.

Sessions stay independent: a student's tab only ever adds a copy of its run's numbers here, and
nothing here holds a model.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from typing import Any

import pandas as pd

# No letters or digits that read alike on a projector (0/O, 1/I/L).
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 4
MAX_NAME = 40
MAX_SUBMISSIONS = 500


@dataclasses.dataclass
class Submission:
    """One student's run as submitted.

    Attributes:
        name: who submitted it (as typed, shortened).
        scenario: the preset.
        seed: the seed.
        week: how many weeks had run.
        levers: every lever's value.
        outcomes: outcome name to its value over the last year run.
        at: when it arrived (seconds since the epoch).
    """

    name: str
    scenario: str
    seed: int
    week: int
    levers: dict[str, Any]
    outcomes: dict[str, float]
    at: float = dataclasses.field(default_factory=time.time)


class Classroom:
    """Every open class of this server, by code; safe to use from every session's thread."""

    def __init__(self) -> None:
        """Start with no class open."""
        self._lock = threading.Lock()
        self._classes: dict[str, list[Submission]] = {}

    def open_class(self) -> str:
        """Open a new class and return its code (letters and digits that read apart)."""
        with self._lock:
            while True:
                code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
                if code not in self._classes:
                    self._classes[code] = []
                    return code

    def is_open(self, code: str) -> bool:
        """Whether a class with this code is open."""
        with self._lock:
            return code.strip().upper() in self._classes

    def submit(self, code: str, submission: Submission) -> str:
        """Add a submission to a class.

        Args:
            code: the class code (any case).
            submission: the run.

        Returns:
            "" when it was added, else what went wrong, in words.
        """
        code = code.strip().upper()
        with self._lock:
            if code not in self._classes:
                return f"There is no class {code!r} open: check the code on the teacher's screen."
            runs = self._classes[code]
            if len(runs) >= MAX_SUBMISSIONS:
                return f"Class {code} is full ({MAX_SUBMISSIONS} runs)."
            submission.name = (submission.name.strip() or "anonymous")[:MAX_NAME]
            runs.append(submission)
        return ""

    def submissions(self, code: str) -> list[Submission]:
        """A copy of the class's submissions, in the order they arrived."""
        with self._lock:
            return list(self._classes.get(code.strip().upper(), []))

    def count(self, code: str) -> int:
        """How many runs the class holds (what a class page polls to know it must redraw)."""
        with self._lock:
            return len(self._classes.get(code.strip().upper(), []))


def table(submissions: list[Submission]) -> pd.DataFrame:
    """The submissions as one table: name, scenario, seed, weeks, every lever and every outcome."""
    rows = [
        {
            "name": s.name,
            "scenario": s.scenario,
            "seed": s.seed,
            "weeks": s.week,
            **s.levers,
            **s.outcomes,
        }
        for s in submissions
    ]
    return pd.DataFrame(rows)


#: The server's classes (one per server process; nothing on disk).
CLASSROOM = Classroom()
