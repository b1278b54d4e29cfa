"""The run folder: what is written, in which form, and that writing is atomic."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from runner.figure import PANELS, overview
from runner.outputs import atomic_write, write_run
from sim import registry, run_model


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
    assert list(journey.columns) == ["week", "event", "need", "agency", "professional"]
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


# ------------------------------------------------------------------------------ the outcome registry
def test_the_weekly_table_and_the_summary_follow_the_registry(traced_run):
    table, summary = traced_run
    assert list(table.columns) == list(registry.COLUMNS)
    assert list(summary["outcomes"]) == [o.name for o in registry.SUMMARY]
    assert all(o.column in registry.COLUMNS for o in registry.OUTCOMES)
    assert all(o.of is None or set(o.of) <= set(registry.COLUMNS) for o in registry.OUTCOMES)
    last = table.tail(summary["summary_weeks"])
    assert summary["outcomes"]["wellbeing"] == float(last["wellbeing"].mean())
    assert summary["outcomes"]["withdrawals"] == int(table["withdrawals"].iloc[-1])


def test_the_week_measures_exactly_the_registrys_columns():
    from sim import PartnershipModel

    model = PartnershipModel({"run": {"weeks": 2}})
    model.step()
    assert set(model.row) == set(registry.COLUMNS)


def test_every_outcome_is_described_once():
    names = [o.name for o in registry.OUTCOMES]
    assert len(names) == len(set(names)) and len(registry.COLUMNS) == len(set(registry.COLUMNS))
    for o in registry.OUTCOMES:
        assert o.kind in registry.KINDS and o.better in ("lower", "higher", None), o
        assert o.summary in (registry.MEAN, registry.RATIO, registry.LAST, None), o
        assert (o.of is not None) == (o.summary == registry.RATIO), o
        assert o.group in (*registry.GROUPS, None), o
        assert o.label and o.unit and o.format(1) != o.fmt, o


def test_the_overview_panels_are_drawn_from_the_registry(traced_run):
    table, summary = traced_run
    fig = overview(table, summary)
    for ax, panel in zip(fig.axes, PANELS, strict=True):
        assert ax.get_title(loc="left") == panel.title
        first = registry.outcome(panel.outcomes[0])
        assert ax.get_ylabel() == first.unit
        plotted = [line.get_label() for line in ax.get_lines() if line.get_label() not in ("shock", "")]
        plotted = [label for label in plotted if not label.startswith("_")]
        assert plotted == [registry.outcome(name).label for name in panel.outcomes]
    single = [p for p in PANELS if len(p.lines) == 1]
    assert all(p.title == registry.outcome(p.outcomes[0]).label for p in single)


def test_the_odd_documents_exactly_the_weekly_columns():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "ODD.md").read_text()
    section = text[text.index("**Weekly columns**") : text.index("**Other outputs of a run**")]
    assert re.findall(r"^\| `(\w+)` \|", section, re.M) == list(registry.COLUMNS)
