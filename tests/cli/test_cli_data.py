"""The command line as a user runs it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MAGWATCH_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "magwatch", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture
def db(bundled_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "cli.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


def test_flows_json_returns_june_us_figure_with_source(db):
    result = run(db, "flows", "--reporter", "CHN", "--partner", "USA", "--commodity", "85051110",
                 "--period", "2025-06", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 1
    row = rows[0]
    for key in ("reporter", "partner", "commodity", "period", "net_weight_t", "value_usd", "source",
                "vintage"):
        assert key in row
    assert row["net_weight_t"] == 353.0 and row["period"] == "2025-06"
    assert row["source"] == "press" and row["source_url"].startswith("https://")


def test_global_db_option_and_load_is_idempotent(tmp_path):
    db = tmp_path / "fresh.duckdb"
    first = subprocess.run([sys.executable, "-m", "magwatch", "--db", str(db), "load"],
                           capture_output=True, text=True)
    assert first.returncode == 0 and "added" in first.stdout
    second = subprocess.run([sys.executable, "-m", "magwatch", "--db", str(db), "load"],
                            capture_output=True, text=True)
    assert second.returncode == 0 and "added" not in second.stdout


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_flows_formats(db, fmt):
    result = run(db, "flows", "--partner", "WLD", "--from", "2025-04", "--to", "2025-06",
                 "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert "3188" in result.stdout.replace(",", "")


def test_flows_to_parquet_and_xlsx_files(db, tmp_path):
    import openpyxl
    import pyarrow.parquet as pq

    assert run(db, "flows", "--partner", "USA", "--format", "parquet", "--out",
               str(tmp_path / "f.parquet")).returncode == 0
    assert pq.read_table(tmp_path / "f.parquet").num_rows > 10
    assert run(db, "flows", "--partner", "USA", "--format", "xlsx", "--out",
               str(tmp_path / "f.xlsx")).returncode == 0
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx").active
    assert sheet.cell(1, 1).value == "reporter"


def test_exported_csv_neutralises_formula_like_text(db, tmp_path):
    f = tmp_path / "evil.csv"
    f.write_text("reporter,partner,flow,commodity,period,net_weight_t,note\n"
                 "CHN,MEX,X,85051110,2025-08,10,=cmd|' /C calc'!A0\n")
    assert run(db, "import", str(f), "--vintage", "2025-09-20").returncode == 0
    out = run(db, "flows", "--partner", "MEX", "--format", "csv").stdout
    assert "'=cmd" in out


def test_bad_parameter_is_one_line_and_nonzero(db):
    result = run(db, "flows", "--period", "2025-13")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: parameter 'period': expected YYYY-MM, got '2025-13'"


def test_bad_import_names_file_row_field(db, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("reporter,partner,flow,commodity,period,net_weight_t\nCHN,USA,X,85051110,2025-06,-3\n")
    result = run(db, "import", str(f))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{f}, row 1, field 'net_weight_t': negative figure" in lines[0]


def test_releases_revisions_info(db):
    assert "china_magnet_exports_monthly.csv" in run(db, "releases", "--format", "csv").stdout
    assert run(db, "revisions").returncode == 0
    facts = json.loads(run(db, "info", "--format", "json").stdout)
    assert facts["releases"] == 13 and facts["sources"] == ["press"]


def test_import_evaluates_alerts_and_rewrites_the_brief_only_when_figures_land(db, tmp_path):
    rules = Path(__file__).parents[2] / "src" / "magwatch" / "report" / "alerts.toml"
    alerts, briefs = tmp_path / "alerts.jsonl", tmp_path / "brief"
    options = ("--alerts", str(rules), "--alerts-to", f"jsonl:{alerts}", "--brief-dir", str(briefs))
    user = tmp_path / "april.csv"
    user.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                    "CHN,USA,X,85051110,2026-04,2000\nCHN,WLD,X,85051110,2026-04,6000\n",
                    encoding="utf-8")
    result = run(db, "import", str(user), "--vintage", "2026-05-20", *options)
    assert result.returncode == 0, result.stderr
    assert "2 added" in result.stdout
    fired = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert any(a.get("rule") == "surge-top10" and a.get("partner") == "USA" for a in fired), fired
    assert sorted(p.name for p in briefs.glob("brief-*.md")) == ["brief-2026-04.md"]
    size = alerts.stat().st_size
    again = run(db, "import", str(user), "--vintage", "2026-05-20", *options)
    assert again.returncode == 0 and "already ingested" in again.stdout
    assert alerts.stat().st_size == size                 # nothing landed, nothing re-sent
