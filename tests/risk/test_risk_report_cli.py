import json

from typer.testing import CliRunner

from magwatch.cli import _register, app
from magwatch.risk.backtest import backtest

runner = CliRunner()


def test_risk_month_lists_inputs_and_missing(mw):
    report = mw.risk(month="2025-06")
    usa = [r for r in report["exports_by_partner"] if r["partner"] == "USA"][0]
    assert usa["share_of_world_pct"] == pytest_approx(353 / 3188 * 100)
    sr = [r for r in report["indices"] if r["index"] == "EU_SR"][0]
    assert sr["value"] is None and "missing input" in sr["status"] and sr["lower_bound"] > 0
    stages = {r["stage"]: r for r in report["china_stage_shares"]}
    assert stages["magnets"]["china_share_pct"] == 94.0 and stages["metal"]["kind"] == "no data"


def pytest_approx(x):
    import pytest

    return pytest.approx(x)


def test_backtest_reports_hits_and_misses(mw):
    report = backtest(mw, paths=2000, seed=0)
    outcomes = {c["check"]: c["outcome"] for c in report["checks"]}
    assert outcomes["China world exports 2025-04"].startswith("miss")     # shipments held up better
    assert outcomes["China world exports 2025-05"] == "hit"
    baseline = {c["input"]: c for c in report["inputs"]}["baseline_WLD"]
    assert baseline["value"] == (5278 + 5325 + 4915 + 4725) / 4


def test_cli_scenario_json_and_chart(bundled_db, tmp_path):
    import shutil

    _register()
    db = tmp_path / "copy.duckdb"
    shutil.copy(bundled_db, db)
    chart = tmp_path / "fan.svg"
    result = runner.invoke(app, ["--db", str(db), "scenario", "run", "full-stop-6m",
                                 "--paths", "200", "--seed", "5", "--format", "json",
                                 "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["seed"] == 5 and data["survival"] and chart.read_text().startswith("<?xml")
    listing = runner.invoke(app, ["--db", str(db), "scenario", "list"])
    assert "partial-licence" in listing.output
