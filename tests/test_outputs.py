"""The run folder: what is written, in which form, and that writing is atomic."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from runner.outputs import atomic_write, write_run
from sim import run_model


@pytest.fixture(scope="module")
def traced_run():
    return run_model({"run": {"weeks": 12}, "scenario": {"name": "mrs_smith", "trace_user": True}})


def test_write_run_writes_readable_files(tmp_path, traced_run):
    table, summary = traced_run
    written = write_run(tmp_path / "run", table, summary, figure=False)
    folder = tmp_path / "run"
    assert sorted(written) == ["journey.csv", "summary.json", "timeseries.parquet", "trust_matrix.csv"]
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "timeseries.parquet"), table)
    journey = pd.read_csv(folder / "journey.csv")
    assert list(journey.columns) == ["week", "event", "agency", "professional"]
    assert len(journey) == len(summary["journey"])
    trust = pd.read_csv(folder / "trust_matrix.csv", index_col=0)
    assert list(trust.index) == summary["trust_matrix"]["agencies"] == list(trust.columns)
    assert sorted(p.name for p in folder.iterdir()) == sorted(written), "no temporary files left"


def test_summary_json_is_strict_json(tmp_path, traced_run):
    table, summary = traced_run
    odd = dict(summary, outcomes=dict(summary["outcomes"], wellbeing=float("nan")))
    write_run(tmp_path, table, odd, figure=False)
    text = (tmp_path / "summary.json").read_text()
    loaded = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert loaded["outcomes"]["wellbeing"] is None
    assert "journey" not in loaded


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")

    def broken(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
