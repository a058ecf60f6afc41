import json

from typer.testing import CliRunner

from magwatch.cli import _register, app
from magwatch.risk.backtest import backtest

runner = CliRunner()


def test_risk_month_lists_inputs_and_missing(mw):
    report = mw.risk(month="2025-06").to_dict()
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


def test_risk_rows_name_the_importer_and_show_only_magnet_indices(mw):
    report = mw.risk(month="2025-06").to_dict()
    for row in report["importer_dependence"]:
        assert isinstance(row["importer"], str) and len(row["importer"]) == 3
        assert row["importer_name"] and row["scope"]
    subjects = [r["subject"] for r in report["indices"]]
    assert subjects and not any("graphite" in s for s in subjects)


def test_geopolrisk_library_case_is_still_computed(mw):
    from magwatch.risk.monitor import geopolrisk_rows

    case = [r for r in geopolrisk_rows(mw) if "graphite" in r["subject"]]
    assert case and case[0]["value"] is not None


def test_bundled_scenarios_start_after_the_latest_world_month(mw):
    from magwatch.risk.scenario import latest_world_month, resolve

    latest = latest_world_month(mw)
    for name in ("partial-licence", "full-stop-6m", "repeat-2025-04"):
        assert str(resolve(name, mw).start)[:7] == str(latest + 1)


def test_cli_risk_prints_no_tuple(bundled_db, tmp_path):
    import shutil

    _register()
    db = tmp_path / "copy.duckdb"
    shutil.copy(bundled_db, db)
    for fmt in ("table", "json"):
        result = runner.invoke(app, ["--db", str(db), "risk", "--month", "2025-06", "--format", fmt])
        assert result.exit_code == 0, result.output
        assert "('" not in result.output and "European Union" in result.output
