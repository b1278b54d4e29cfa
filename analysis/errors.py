"""The one error the analysis raises for bad input, with a message that fits on one line."""

from __future__ import annotations


class AnalysisError(Exception):
    """Bad input to the analysis: a missing folder, an empty table, a missing column.

    The message is one line, naming the file or column and what is wrong; the command line prints
    it as ``error: MESSAGE`` and exits with status 2.
    """
