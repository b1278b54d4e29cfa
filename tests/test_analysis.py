"""The analysis: figures, effect sizes, sensitivity, hypothesis verdicts and the report command.

Real sweeps are run once per module (smoke experiments, into a temporary folder) and collected as
a researcher would; the tests then check that every figure has real content, that effect sizes
match a hand computation, that the Sobol pipeline recovers the Ishigami function's known indices,
that the verdicts follow the evidence, and that bad input gives one clear line and writes nothing.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image
from scipy import stats

from analysis import effects, figures, hypotheses, style
from analysis import outcomes as oc
from analysis.design import attach, prepare, split_overrides
from analysis.errors import AnalysisError
from analysis.gallery import make_gallery
from analysis.load import load
from analysis.report import build
from analysis.sensitivity import morris_indices, sobol_indices
from sim import registry

ROOT = Path(__file__).resolve().parent.parent
SWEEPS = (
    "joint_indicators_smoke",
    "pooling_x_coterminosity_smoke",
    "trust_shock_smoke",
    "sensitivity_morris_smoke",
)
COLLECTED = (
    "joint_indicators_smoke",
    "trust_shock_smoke",
    "sensitivity_morris_smoke",
)  # the other: by load()


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, Path]:
    """Smoke sweeps run as a user runs them, all but one collected."""
    base = tmp_path_factory.mktemp("sweeps")
    out = {}
    for name in SWEEPS:
        folder = base / name
        done = _run("-m", "runner", "-m", f"experiment={name}", f"hydra.sweep.dir={folder}", cwd=base)
        assert done.returncode == 0, done.stderr[-2000:]
        if name in COLLECTED:
            collected = _run("-m", "analysis.collect", str(folder))
            assert collected.returncode == 0, collected.stderr
        out[name] = folder
    return out


@pytest.fixture(scope="module")
def joint(sweeps):
    sweep = load(sweeps["joint_indicators_smoke"])
    table, facs = prepare(sweep.results, sweep.experiment)
    return sweep, table, facs


def _assert_real_png(path: Path) -> None:
    assert path.is_file() and path.stat().st_size > 10_000, path
    with Image.open(path) as img:
        pixels = np.asarray(img.convert("L"), dtype=float)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 300
    assert (pixels < 128).mean() > 0.005, "almost no ink: an empty figure"
    assert pixels.std() > 10


def _assert_real_svg(path: Path, *texts: str) -> None:
    svg = path.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert sum(svg.count(tag) for tag in ("<path", "<use", "<image", "<text")) > 20
    for text in texts:
        assert text in svg, f"{text!r} not in {path.name}"


def _assert_labelled(fig: Figure) -> None:
    assert fig.get_suptitle(), "a figure needs a title"
    for ax in fig.axes:
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        assert ax.get_title(), "every panel needs a title"
        assert ax.get_xlabel() or ax.get_ylabel()


# ---------------------------------------------------------------------------------------------- figures


def test_each_plot_function_writes_png_and_svg_with_real_content(sweeps, joint, tmp_path):
    sweep, table, facs = joint
    weekly = attach(sweep.timeseries, table, facs)
    pooled = load(sweeps["pooling_x_coterminosity_smoke"])
    grid, grid_facs = prepare(pooled.results, pooled.experiment)
    shock = load(sweeps["trust_shock_smoke"])
    shock_table, shock_facs = prepare(shock.results, shock.experiment)
    morris = load(sweeps["sensitivity_morris_smoke"])
    mu = morris_indices(
        morris.results,
        ["unmet_need", "mean_wait_weeks"],
        morris.experiment.levers,
        n=morris.experiment.design_n,
    )
    drawn = {
        "timeseries": (
            figures.timeseries(
                weekly, ["unmet_need", "readmission_rate", "mean_loyalty"], title="Joint indicators over time"
            ),
            "Unmet need",
            "week",
        ),
        "timeseries_shock": (
            figures.timeseries(
                attach(shock.timeseries, shock_table, shock_facs), ["mean_trust"], title="After a withdrawal"
            ),
            "no shock",
            "shock (week marked)",
        ),
        "dose_response": (
            figures.dose_response(
                table, "policy.joint_indicators", ["readmission_rate"], title="Dose and response"
            ),
            "Readmission rate",
            "joint_indicators",
        ),
        "heatmaps": (
            figures.heatmaps(
                grid,
                grid_facs[0].column,
                grid_facs[1].column,
                ["mean_wait_weeks"],
                title="Pooling by coterminosity",
            ),
            "Mean wait",
            "coterminosity",
        ),
        "conditions": (
            figures.condition_plot(shock_table, ["mean_trust", "unmet_need"], title="By condition"),
            "pool withdrawal 50%",
            "Trust in other agencies",
        ),
        "morris": (figures.morris_chart(mu, title="Morris screening"), "pooled_budget_share", "μ*"),
    }
    for stem, (fig, *texts) in drawn.items():
        _assert_labelled(fig)
        png, svg = style.save(fig, tmp_path / stem)
        _assert_real_png(png)
        _assert_real_svg(svg, fig.get_suptitle(), *texts)


def test_sobol_chart_of_ishigami_indices(tmp_path):
    table = _ishigami(256)
    fig = figures.sobol_chart(sobol_indices(table, ["y"], ISHIGAMI, n=256), title="Ishigami")
    _assert_labelled(fig)
    png, svg = style.save(fig, tmp_path / "sobol")
    _assert_real_png(png)
    _assert_real_svg(svg, "Ishigami", "total (ST)", "x1")


def test_figures_use_the_one_style_and_leave_matplotlib_defaults_alone(joint):
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    _, table, _ = joint
    fig = figures.dose_response(table, "policy.joint_indicators", ["unmet_need"], title="t")
    assert mpl.rcParams == before
    colours = {mpl.colors.to_hex(line.get_color()) for line in fig.axes[0].get_lines()}
    assert style.PALETTE[0].lower() in colours
    assert fig.axes[0].title.get_fontsize() == style.RC["axes.titlesize"]


# ---------------------------------------------------------------------------------------------- effects


def test_welch_difference_and_interval_match_a_hand_computation():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0]
    # by hand: means 2.5 and 4, variances 5/3 and 4; se^2 = 5/12 + 4/3 = 1.75
    se2 = 5 / 12 + 4 / 3
    df = se2**2 / ((5 / 12) ** 2 / 3 + (4 / 3) ** 2 / 2)
    half = stats.t.ppf(0.975, df) * math.sqrt(se2)
    pooled_sd = math.sqrt((3 * 5 / 3 + 2 * 4) / 5)
    w = effects.welch(a, b)
    assert w["difference"] == pytest.approx(-1.5)
    assert w["df"] == pytest.approx(df)
    assert (w["ci_low"], w["ci_high"]) == pytest.approx((-1.5 - half, -1.5 + half))
    assert w["cohens_d"] == pytest.approx(-1.5 / pooled_sd)
    scipy_ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (w["ci_low"], w["ci_high"]) == pytest.approx((scipy_ci.low, scipy_ci.high))


def test_effect_table_of_a_real_sweep_matches_a_hand_computation(joint, tmp_path):
    _, table, _ = joint
    fx = effects.effect_table(table, ["readmission_rate", "mean_loyalty"])
    assert set(fx["reference"]) == {"joint_indicators = 0"}
    assert len(fx) == 2 * 2  # two outcomes, two conditions against the reference
    for row in fx.itertuples():
        level = float(row.condition.split("= ")[1])
        x = table.loc[table["policy.joint_indicators"] == level, row.outcome].to_numpy()
        y = table.loc[table["policy.joint_indicators"] == 0.0, row.outcome].to_numpy()
        vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
        df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
        half = stats.t.ppf(0.975, df) * math.sqrt(vx + vy)
        diff = x.mean() - y.mean()
        assert row.difference == pytest.approx(diff)
        assert (row.ci_low, row.ci_high) == pytest.approx((diff - half, diff + half))
        assert (row.n, row.n_reference) == (len(x), len(y))
    path = tmp_path / "effects.csv"
    fx.to_csv(path, index=False)
    back = pd.read_csv(path)
    assert back["difference"].to_numpy() == pytest.approx(fx["difference"].to_numpy())
    md = effects.effect_markdown(fx)
    lines = md.splitlines()
    assert lines[0].startswith("| condition | runs | Readmission rate (percentage points)")
    share = fx[(fx["outcome"] == "readmission_rate") & (fx["condition"] == "joint_indicators = 1")].iloc[0]
    assert f"{share.difference * 100:+.1f} ({share.ci_low * 100:+.1f} to {share.ci_high * 100:+.1f})" in md


def test_stratified_difference_removes_the_other_levers_effect():
    rng = np.random.default_rng(1)
    strata = [
        (10 + rng.normal(0, 0.1, 5), 12 + rng.normal(0, 0.1, 5)),
        (50 + rng.normal(0, 0.1, 5), 52 + rng.normal(0, 0.1, 5)),
    ]
    s = effects.stratified(strata)
    pooled = effects.welch(np.concatenate([a for a, _ in strata]), np.concatenate([b for _, b in strata]))
    assert s["difference"] == pytest.approx(pooled["difference"]) == pytest.approx(-2, abs=0.2)
    assert s["ci_high"] < 0 < pooled["ci_high"]  # the strata's spread no longer hides the effect
    assert effects.stratified([strata[0]])["ci_low"] == pytest.approx(effects.welch(*strata[0])["ci_low"])


# ---------------------------------------------------------------------------------------------- sensitivity

ISHIGAMI = {"x1": [-math.pi, math.pi], "x2": [-math.pi, math.pi], "x3": [-math.pi, math.pi]}


def _ishigami(n: int) -> pd.DataFrame:
    from SALib.sample import sobol as sobol_sample
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": list(ISHIGAMI), "bounds": list(ISHIGAMI.values())}
    X = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=7)
    y = Ishigami.evaluate(X)
    order = np.random.default_rng(0).permutation(len(y))  # runs come back in any order
    return pd.DataFrame({"job": order, "seed": 0, "sample": order, "y": y[order]})


def test_sobol_pipeline_recovers_the_ishigami_indices():
    idx = sobol_indices(_ishigami(1024), ["y"], ISHIGAMI, n=1024).set_index("lever")
    assert idx["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert idx["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.05)
    assert (idx["S1_conf"] > 0).all() and (idx["ST_conf"] < 0.15).all()
    assert idx.attrs["note"] == ""


def test_sobol_pipeline_drops_incomplete_blocks_and_says_so():
    table = _ishigami(1024)
    gone = table[~table["sample"].isin([3, 4, 5000])]
    idx = sobol_indices(gone, ["y"], ISHIGAMI, n=1024)
    assert idx["n_blocks"].iloc[0] == 1022  # samples 3 and 4 share block 0; 5000 is in block 1000
    assert "3 of 5120 design runs missing" in idx.attrs["note"]
    assert idx.set_index("lever")["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.06)


def test_morris_indices_of_a_real_sampled_sweep_match_salib(sweeps):
    from SALib.analyze import morris as salib_morris

    from runner.experiment import design_matrix

    sweep = load(sweeps["sensitivity_morris_smoke"])
    e = sweep.experiment
    assert e.design == "morris" and e.levers
    X = design_matrix(e.design, e.design_n, e.levers, e.base_seed)
    mine = morris_indices(sweep.results, ["unmet_need"], e.levers, X=X, n=e.design_n)
    ordered = sweep.results.sort_values("sample")
    problem = {"num_vars": len(e.levers), "names": list(e.levers), "bounds": list(e.levers.values())}
    ref = salib_morris.analyze(problem, X, ordered["unmet_need"].to_numpy(), num_levels=4, seed=1)
    assert mine["mu_star"].to_numpy() == pytest.approx(np.asarray(ref["mu_star"]))
    assert mine["sigma"].to_numpy() == pytest.approx(np.asarray(ref["sigma"]))


# ---------------------------------------------------------------------------------------------- verdicts


def test_factors_come_from_the_sweep_overrides_and_aliases_count_once():
    rows = []
    for part in ("off", "on"):
        for rep in (0, 1):
            rows.append(
                {
                    "job": f"{part}{rep}",
                    "seed": rep,
                    "sample": -1,
                    "overrides": f"+partnership={part} "
                    f"model.trust.initial=0.2 experiment.replicate={rep} experiment=x",
                    "shocks": "[]",
                    "policy.pooled_budget_share": 0.6 if part == "on" else 0.0,
                    "policy.shared_records": 0.8 if part == "on" else 0.1,
                    "unmet_need": 0.1,
                }
            )
    table, facs = prepare(pd.DataFrame(rows))
    assert [f.name for f in facs] == ["partnership"]
    assert list(table["condition"].cat.categories) == ["partnership = off", "partnership = on"]
    without, facs = prepare(pd.DataFrame(rows).drop(columns="overrides"))
    assert [f.name for f in facs] == ["policy.pooled_budget_share"]  # shared_records varies with it
    shocks = "[{week:10,kind:pool_withdrawal,share:0.5,agency:pct}]"
    assert split_overrides(f"scenario.shocks={shocks} experiment.replicate=1") == {
        "scenario.shocks": shocks,
        "experiment.replicate": "1",
    }


def _synthetic(effect: float, noise: float, seeds: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for level in (0.0, 0.5, 1.0):
        for s in range(seeds):
            rows.append(
                {
                    "job": f"{level}-{s}",
                    "seed": s,
                    "policy.joint_indicators": level,
                    "readmission_rate": 0.15 + effect * level + rng.normal(0, noise),
                    "mean_loyalty": 0.3 + 0.2 * level + rng.normal(0, 0.01),
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("effect", "noise", "verdict"),
    [(-0.05, 0.005, "Supported"), (0.05, 0.005, "Not supported"), (-0.001, 0.05, "Inconclusive")],
)
def test_verdicts_follow_the_evidence(effect, noise, verdict):
    table, facs = prepare(_synthetic(effect, noise))
    first, second = hypotheses.evaluate("joint_indicators", table, facs)
    assert first.verdict == verdict
    assert first.sentence.startswith(f"{verdict} (joint indicators lower readmissions): readmission rate is ")
    assert "at joint_indicators = 1 than at 0 (95% CI " in first.sentence
    if verdict != "Inconclusive":
        assert f"percentage points {'lower' if effect < 0 else 'higher'}" in first.sentence
    assert second.verdict == "Supported"


def test_every_experiment_has_claims_on_outcomes_of_the_registry():
    names = {p.stem.removesuffix("_smoke") for p in (ROOT / "experiments").glob("*.yaml")}
    for name in names:
        assert hypotheses.claims_for(name), f"no claims for {name} in analysis/hypotheses.py"
        for claim in hypotheses.claims_for(name):
            assert claim.outcome in registry.BY_NAME, claim
    for name in (*oc.KEY_OUTCOMES, *oc.SENSITIVITY_OUTCOMES):
        assert name in registry.BY_NAME, name


def test_the_analysis_lists_exactly_the_registrys_outcomes(joint):
    sweep, _, _ = joint
    assert list(oc.OUTCOMES) == [o.name for o in registry.OUTCOMES]
    assert all(oc.outcome(o.name) is o for o in registry.OUTCOMES)
    grouped = [name for group in oc.TIMESERIES_GROUPS.values() for name in group]
    assert sorted(grouped) == sorted(o.name for o in registry.OUTCOMES if o.group), "each once"
    assert list(oc.TIMESERIES_GROUPS) == list(registry.GROUPS)
    assert set(oc.GROUP_TITLES) == {*registry.GROUPS, "other"}
    # The collected results hold every outcome of summary.json, and the weekly table every column.
    summarised = [o.name for o in registry.SUMMARY]
    assert [c for c in sweep.results.columns if c in registry.BY_NAME] == summarised
    assert set(registry.COLUMNS) <= set(sweep.timeseries.columns)
    # Labels and formats come from the registry, not from a second table.
    assert oc.label("mean_wait_weeks") == registry.BY_NAME["mean_wait_weeks"].label
    assert oc.verb("meeting_hours") == "are" and oc.verb("wellbeing") == "is"
    assert oc.floor("pool_balance") is None and oc.floor("spend") == 0.0
    assert oc.fmt_value("unmet_need", 0.1234) == "12.3%"
    assert oc.label("not_an_outcome") == "Not an outcome" and oc.floor("not_an_outcome") is None


def test_the_analysis_imports_nothing_of_the_model_but_the_registry_and_the_config():
    pattern = re.compile(r"^\s*(?:from|import)\s+(sim(?:\.\w+)*)", re.M)
    found = {m for path in (ROOT / "analysis").glob("*.py") for m in pattern.findall(path.read_text())}
    assert found <= {"sim.registry", "sim.config"}, found


def test_the_analysis_palette_is_the_runners():
    from runner import palette

    assert style.PALETTE is palette.PALETTE
    assert style.REFERENCE == palette.GREY
    assert len(set(palette.PALETTE)) == len(palette.PALETTE)


@pytest.mark.parametrize(
    ("big", "verdict"),
    [
        (("pooled_budget_share", "joint_indicators"), "Supported"),
        (("coterminosity",), "Not supported"),
        (("pooled_budget_share", "coterminosity"), "Inconclusive"),
    ],
)
def test_sensitivity_verdicts_rank_the_levers(big, verdict):
    levers = ["pooled_budget_share", "joint_indicators", "coterminosity", "shared_records"]
    rows = []
    for outcome in ("mean_wait_weeks", "readmission_rate"):
        for i, lever in enumerate(levers):
            st = 0.6 - 0.05 * i if lever in big else 0.05
            conf = 0.3 if verdict == "Inconclusive" else 0.02
            rows.append(
                {"outcome": outcome, "lever": lever, "ST": st, "ST_conf": conf, "S1": st, "S1_conf": conf}
            )
    verdicts = hypotheses.evaluate("sensitivity", pd.DataFrame(), sobol=pd.DataFrame(rows))
    assert [v.verdict for v in verdicts] == [verdict, verdict]
    assert "total Sobol indices" in verdicts[0].sentence or verdict == "Not supported"


def test_trust_shock_verdicts_use_the_weeks_after_the_shock(sweeps):
    sweep = load(sweeps["trust_shock_smoke"])
    table, facs = prepare(sweep.results, sweep.experiment)
    verdicts = {v.claim: v for v in hypotheses.evaluate(sweep.experiment, table, facs, sweep.timeseries)}
    after = verdicts["trust falls sharply after a withdrawal"]
    assert "over the 8 weeks from the shock" in after.sentence
    assert verdicts["bigger withdrawals do more harm to trust"].verdict == "Inconclusive"  # one size only


# ---------------------------------------------------------------------------------------------- the report


def test_report_command_writes_markdown_html_figures_and_tables(sweeps, tmp_path):
    out = tmp_path / "report"
    done = _run("-m", "analysis.report", str(sweeps["joint_indicators_smoke"]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "report.md" in done.stdout
    md = (out / "report.md").read_text()
    for heading in (
        "## Question",
        "## Hypothesis",
        "## Design",
        "## Outcomes over time",
        "## Effect sizes",
        "## Does the evidence support the hypothesis?",
    ):
        assert heading in md
    assert "Do joint performance indicators change outcomes for users?" in md
    assert (
        md.index("## Design")
        < md.index("![")
        < md.index("## Effect sizes")
        < md.index("## Does the evidence")
    )
    images = [line.split("](")[1].rstrip(")") for line in md.splitlines() if line.startswith("![")]
    assert {"dose_response.png", "timeseries_users.png", "timeseries_partnership.png"} <= set(images)
    for image in images:
        _assert_real_png(out / image)
        assert (out / image).with_suffix(".svg").is_file()
    verdicts = [line for line in md.splitlines() if line.startswith("- ") and "(joint indicators" in line]
    assert len(verdicts) == 2
    assert all(v[2:].startswith(("Supported", "Not supported", "Inconclusive")) for v in verdicts)
    assert pd.read_csv(out / "effects.csv")["outcome"].nunique() > 10
    assert "| condition | runs |" in (out / "effects.md").read_text()
    page = (out / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == len(images)
    assert 'src="http' not in page and "<table" in page and "Supported" in page


def test_report_of_an_uncollected_sweep_collects_it_first(sweeps, tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(sweeps["pooling_x_coterminosity_smoke"], folder)
    for table in ("results.parquet", "timeseries.parquet"):
        (folder / table).unlink(missing_ok=True)
    report = build(folder, dpi=50, formats=("png",))
    assert (folder / "results.parquet").is_file()
    assert report.out == folder / "report"
    assert {p.name for p in report.figures} >= {"heatmaps.png", "dose_response.png"}
    assert len(report.verdicts) == len(hypotheses.claims_for("pooling_x_coterminosity"))


def test_report_of_a_sampled_design_shows_its_sensitivity(sweeps, tmp_path):
    report = build(sweeps["sensitivity_morris_smoke"], tmp_path / "r", dpi=50, formats=("png",))
    names = {p.name for p in report.figures}
    assert "morris.png" in names and "effects.csv" not in {p.name for p in (tmp_path / "r").iterdir()}
    idx = pd.read_csv(tmp_path / "r" / "morris.csv")
    assert set(idx.columns) >= {"outcome", "lever", "mu_star", "mu_star_conf", "sigma"}
    assert "Morris" in (tmp_path / "r" / "report.md").read_text()


def test_report_of_a_folder_with_only_results_parquet(sweeps, tmp_path):
    src = sweeps["trust_shock_smoke"]
    shutil.copy(src / "results.parquet", tmp_path / "results.parquet")
    report = build(tmp_path, dpi=50, formats=("png",))
    assert report.experiment.name == "trust_shock_smoke"
    assert {p.name for p in report.figures} == {"conditions.png"}  # no weekly table: no time series
    assert "No weekly table" in (tmp_path / "report" / "report.md").read_text()


def test_a_failed_report_leaves_the_previous_one_whole(sweeps, tmp_path, monkeypatch):
    out = tmp_path / "report"
    build(sweeps["joint_indicators_smoke"], out, dpi=40, formats=("png",))
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise AnalysisError("drawing failed")

    monkeypatch.setattr(figures, "dose_response", broken)
    with pytest.raises(AnalysisError):
        build(sweeps["joint_indicators_smoke"], out, dpi=40, formats=("png",))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no staging folder left behind


def test_gallery_is_written_by_one_command(sweeps, tmp_path):
    root = tmp_path / "project"
    (root / "multirun").mkdir(parents=True)
    shutil.copytree(sweeps["joint_indicators_smoke"], root / "multirun" / "joint_indicators_smoke")
    page = make_gallery(["joint_indicators_smoke"], reuse=True, root=root, docs=root / "docs")
    text = page.read_text()
    assert "python -m analysis.gallery" in text and "## joint_indicators" in text
    links = [line.split("](")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]
    assert links and all((page.parent / link).is_file() for link in links)
    assert all((page.parent / link).stat().st_size < 400_000 for link in links)


# ---------------------------------------------------------------------------------------------- bad input


def _cli_error(*args: str) -> str:
    done = _run("-m", "analysis.report", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_bad_input_gives_one_clear_line_and_writes_nothing(sweeps, tmp_path):
    assert "no such folder" in _cli_error(str(tmp_path / "nowhere"))

    (tmp_path / "plain").mkdir()
    assert "neither a sweep folder nor a folder with results.parquet" in _cli_error(str(tmp_path / "plain"))

    empty = tmp_path / "empty"
    empty.mkdir()
    pd.read_parquet(sweeps["joint_indicators_smoke"] / "results.parquet").iloc[0:0].to_parquet(
        empty / "results.parquet"
    )
    assert "no finished runs" in _cli_error(str(empty))

    partial = tmp_path / "partial"
    partial.mkdir()
    pd.read_parquet(sweeps["joint_indicators_smoke"] / "results.parquet").drop(columns="seed").to_parquet(
        partial / "results.parquet"
    )
    assert "missing column 'seed'" in _cli_error(str(partial))

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "results.parquet").write_text("not a parquet file")
    assert "unreadable" in _cli_error(str(broken))

    for folder in (empty, partial, broken):
        assert not (folder / "report").exists()
    assert not list(tmp_path.glob("**/.report*"))


def test_bad_input_to_the_python_functions_raises_a_one_line_analysis_error(joint):
    _, table, _ = joint
    cases = [
        lambda: effects.effect_table(table.drop(columns="unmet_need"), ["unmet_need"]),
        lambda: effects.effect_table(table.iloc[0:0]),
        lambda: figures.heatmaps(
            table, "policy.joint_indicators", "policy.coterminosity_typo", ["unmet_need"]
        ),
        lambda: figures.timeseries(pd.DataFrame(), ["unmet_need"]),
        lambda: figures.dose_response(table, "condition", ["unmet_need"]),
        lambda: sobol_indices(table, ["unmet_need"], {"a": [0, 1]}, n=2),
        lambda: prepare(table.drop(columns="job")),
    ]
    for case in cases:
        with pytest.raises(AnalysisError) as err:
            case()
        assert "\n" not in str(err.value) and str(err.value)


def test_manifest_counts_the_runs_that_did_not_finish(sweeps, tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(sweeps["joint_indicators_smoke"], folder)
    manifest = json.loads((folder / "sweep.json").read_text())
    manifest["total"] += 2
    (folder / "sweep.json").write_text(json.dumps(manifest))
    sweep = load(folder)
    assert sweep.total == len(sweep.results) + 2
    assert any("Only 6 of the sweep's 8 runs" in note for note in sweep.notes)
