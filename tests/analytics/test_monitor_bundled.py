"""The monitor and the audit on the bundled data: the June 2025 story and gaps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import magwatch
from magwatch.errors import NoDataError, ParameterError


@pytest.fixture(scope="module")
def handle(bundled_db):
    with magwatch.open(bundled_db) as mw:
        yield mw


@pytest.fixture(scope="module")
def june(handle):
    return handle.monitor("2025-06").to_dict()


def entry(result, partner):
    return next(e for e in result["partners"] if e["partner"] == partner)


def test_june_2025_story(june):
    us, world = entry(june, "USA"), june["world"]
    assert us["net_weight_t"] == 353.0
    assert us["mom_pct"] == pytest.approx(660.8, abs=0.05)
    assert us["basis"]["mom_pct"] == "computed from 2025-05: 46.4 t"
    assert any("consistent with +660% as reported" in c for c in us["checks"])
    assert us["yoy_pct"] == -52.0 and us["basis"]["yoy_pct"].startswith("as reported by timeslive.co.za")
    assert world["net_weight_t"] == 3188.0
    assert round(world["mom_pct"]) == 157
    assert any("consistent with +157.5%" in c for c in world["checks"])
    assert world["yoy_pct"] == -38.1 and "2024-06 has no figure" in world["basis"]["yoy_pct"]
    ranked = [e["partner"] for e in june["partners"] if e["basis"].get("rank", "").startswith("computed")]
    assert ranked[:2] == ["DEU", "USA"]


def test_json_shape_and_lacks(june):
    text = json.dumps(june)
    data = json.loads(text)
    assert {"month", "world", "partners"} <= set(data)
    for e in data["partners"]:
        assert {"partner", "net_weight_t", "value_usd", "mom_pct", "yoy_pct", "rank", "share_pct",
                "basis", "sources"} <= set(e)
    assert any("VNM" in item for item in june["lacks"])           # ranked by a source, no figure
    assert any("cover" in item for item in june["lacks"])


def test_every_month_with_data_runs(handle):
    months = sorted({r["period"] for r in handle.flows(reporter="CHN", commodity="85051110",
                                                        flow="X").to_pylist()})
    for month in months:
        result = handle.monitor(month).to_dict()
        assert result["world"] is not None or result["partners"]


def test_combined_january_february(handle):
    r = handle.monitor("2026-02").to_dict()
    assert r["period_months"] == 2 and r["month"] == "2026-01..2026-02"
    assert r["world"]["net_weight_t"] == 10763.0 and r["world"]["mom_pct"] is None
    us = entry(r, "USA")
    assert us["yoy_pct"] == pytest.approx((994 / (877 + 405) - 1) * 100, abs=0.05)


def test_not_released_and_gap(handle):
    with pytest.raises(NoDataError, match="not released"):
        handle.monitor("2027-01").to_dict()
    with pytest.raises(NoDataError, match="gap"):
        handle.monitor("2023-05").to_dict()
    with pytest.raises(ParameterError, match="month"):
        handle.monitor("June 2025").to_dict()


def test_audit_agrees_and_explains(handle):
    table = handle.audit().to_pylist()
    both = [r for r in table if r["status"] in ("agrees", "disagrees")]
    agree = [r for r in both if r["status"] == "agrees"]
    assert len(both) >= 50 and len(agree) / len(both) >= 0.9
    for r in both:
        if r["status"] == "disagrees":
            assert r["reason"] and r["reason"] != "within rounding"
    kor = next(r for r in table if (r["period"], r["partner"], r["metric"]) == ("2025-06", "KOR", "rank"))
    assert kor["status"] == "disagrees" and "VNM" in kor["reason"]


def test_audit_explains_a_mislabelled_change():
    """A stated y/y that equals the computed m/m is named as mislabelled."""
    import datetime as dt

    import pyarrow as pa

    from magwatch.analytics import audit

    key = {"reporter": "CHN", "flow": "X", "classification": "CN-CHN", "commodity": "85051110",
           "partner": "USA"}
    months = {24290: 500.0, 24301: 584.0, 24302: 246.0}        # 2024-03, 2025-02, 2025-03
    rows = [{**key, "month": mo, "net_weight_kg": t * 1000, "value_usd": None,
             "weight_vintage": dt.date(2025, 5, 1), "weight_source_url": "u", "rank": None,
             "partners_with_data": None, "share_pct": None} for mo, t in months.items()]
    series = audit._Series(pa.Table.from_pylist(rows))
    claim = {**key, "month": 24302, "metric": "yoy_pct", "value": -58.0,
             "vintage": dt.date(2025, 6, 1)}
    verdict = audit.judge_change(claim, series)       # y/y vs 2024-03 (500 t) is -50.8 %
    assert verdict["status"] == "disagrees"
    assert "matches the computed m/m" in verdict["reason"]


def test_cli_monitor_json_and_errors(bundled_db, tmp_path):
    import shutil

    copy = tmp_path / "store.duckdb"          # the module's handle keeps bundled_db open
    shutil.copy(bundled_db, copy)
    exe = Path(sys.executable).with_name("magwatch")
    env = {**os.environ, "MAGWATCH_DB": str(copy)}
    done = subprocess.run([str(exe), "monitor", "--month", "2025-06", "--format", "json"],
                          capture_output=True, text=True, env=env, check=True)
    data = json.loads(done.stdout)
    assert entry(data, "USA")["net_weight_t"] == 353.0
    bad = subprocess.run([str(exe), "monitor", "--month", "2025-13"], capture_output=True,
                         text=True, env=env)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "month" in bad.stderr


def test_the_unit_value_and_its_changes_show_in_the_monitor(mw, tmp_path):
    """Test figures (not trade data) for France: 50 $/kg in June 2025, 40 in May, 60 a year earlier."""
    path = tmp_path / "fra.csv"
    path.write_text("reporter,partner,flow,commodity,period,net_weight_t,value_usd\n"
                    "CHN,FRA,X,85051110,2025-06,100,5000000\n"
                    "CHN,FRA,X,85051110,2025-05,80,3200000\n"
                    "CHN,FRA,X,85051110,2024-06,50,3000000\n")
    mw.import_file(path, vintage="2025-07-20")
    fra = next(e for e in mw.monitor("2025-06").to_dict()["partners"] if e["partner"] == "FRA")
    assert (fra["unit_value_usd_kg"], fra["unit_value_mom_pct"], fra["unit_value_yoy_pct"]) == \
        (50.0, 25.0, -16.7)
    assert fra["basis"]["unit_value_mom_pct"] == "computed: value / net weight against 2025-05"
    assert fra["basis"]["unit_value_yoy_pct"] == "computed: value / net weight against 2024-06"
    usa = next(e for e in mw.monitor("2025-06").to_dict()["partners"] if e["partner"] == "USA")
    assert usa["unit_value_mom_pct"] is None and "unit_value_mom_pct" not in usa["basis"]
