"""The events, event-study and explain commands, run as a user runs them (the entry point
in this process)."""

from __future__ import annotations

import json
import shutil

import pytest


@pytest.fixture
def db(bundled_db, tmp_path):
    copy = tmp_path / "cli.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


def test_event_study_json_and_table(cli, db):
    done = cli(db, "event-study", "--event", "ev-2025-06-10", "--partner", "USA", "--format", "json")
    assert done.returncode == 0, done.stderr
    d = json.loads(done.stdout)
    assert d["jump"]["to_t"] == 353 and d["jump"]["mom_pct"] == 660.8
    table = cli(db, "event-study", "--event", "2025-04-04", "--window", "-3:+3")
    assert table.returncode == 0, table.stderr
    assert "2,627 t (china_magnet_exports_monthly.csv row 26" in table.stdout
    assert "-45% as reported (2024-04 is not in the data)" in table.stdout


def test_explain_names_london_and_licences(cli, db):
    done = cli(db, "explain", "--month", "2025-06", "--partner", "USA")
    assert done.returncode == 0, done.stderr
    assert "ev-2025-06-10" in done.stdout and "London talks" in done.stdout
    assert "ev-2025-06-19" in done.stdout and "follows" in done.stdout


def test_events_add_import_and_errors(cli, db, tmp_path):
    added = cli(db, "events", "add", "--date", "2026-02-01", "--actor", "Test", "--type", "tariff",
                "--summary", "A test duty", "--partners", "USA", "--id", "t-1")
    assert added.returncode == 0 and "t-1: added" in added.stdout
    listed = cli(db, "events", "--from", "2026-02-01", "--format", "json")
    assert [e["event_id"] for e in json.loads(listed.stdout)] == ["t-1"]
    bad = tmp_path / "bad.csv"
    bad.write_text("date,actor,event_type,summary\n2026-01-01,a,tariff,ok\n2026-01-02,a,nope,x\n")
    failed = cli(db, "events", "import", str(bad))
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines() == [
        f"error: {bad}, row 2, field 'event_type': expected one of export_control, license, "
        "trade_deal, tariff, investment, other, got 'nope'"]
    wrong = cli(db, "event-study", "--event", "2025-04-04", "--window", "3")
    assert wrong.returncode == 2 and "parameter 'window'" in wrong.stderr
