"""Flags in the store: a user file's ``flag`` column, withheld cells without a figure, and the
upgrade of a store written before observations had flags (version 2). Every figure here is
TEST DATA written by the tests, not trade statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

import magwatch
from magwatch.errors import InputError, StoreError
from magwatch.store.schema import OBSERVATION_COLUMNS, SCHEMA_VERSION

HEADER = "reporter,partner,flow,commodity,period,net_weight_t,flag,flag_raw,is_confidential\n"


def write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_user_files_flags(tmp_path):
    f = write(tmp_path / "flags_test_figures.csv", [
        "CHN,USA,X,85051110,2025-06,,confidential,c,",
        "CHN,DEU,X,85051110,2025-06,12,Provisional,,",
        "CHN,JPN,X,85051110,2025-06,,below threshold,,",
        "CHN,KOR,X,85051110,2025-06,,,,true",
        "CHN,VNM,X,85051110,2025-06,3,,,"])
    with magwatch.open(tmp_path / "s.duckdb") as mw:
        mw.import_file(f, vintage="2025-07-20")
        rows = {r["partner"]: r for r in mw.flows(period="2025-06").to_pylist()}
    assert (rows["USA"]["flag"], rows["USA"]["flag_raw"], rows["USA"]["net_weight_t"]) == (
        "confidential", "c", None)
    assert rows["DEU"]["flag"] == "provisional" and rows["DEU"]["net_weight_t"] == 12
    assert rows["JPN"]["flag"] == "below_threshold"
    assert rows["KOR"]["flag"] == "confidential"         # is_confidential alone says so
    assert rows["VNM"]["flag"] is None


@pytest.mark.parametrize(("row", "field", "message"), [
    ("CHN,USA,X,85051110,2025-06,0,confidential,,", "net_weight_kg", "has no figure: leave it empty"),
    ("CHN,USA,X,85051110,2025-06,1,secret,,", "flag", r"unknown flag \(one of confidential"),
    ("CHN,USA,X,85051110,2025-06,,,,", "net_weight_kg", "row has no figure"),
])
def test_bad_flags_are_one_line_naming_file_row_and_field(tmp_path, row, field, message):
    f = write(tmp_path / "bad_flag_test_figures.csv", ["CHN,DEU,X,85051110,2025-06,1,,,", row])
    with magwatch.open(tmp_path / "s.duckdb") as mw:
        with pytest.raises(InputError, match=message) as info:
            mw.import_file(f, vintage="2025-07-20")
    assert info.value.row == 2 and info.value.field == field
    assert "bad_flag_test_figures.csv" in str(info.value) and "\n" not in str(info.value)


def _as_version_2(db: Path) -> None:
    """Turn a store into the version-2 layout: observations without flag and flag_raw."""
    with magwatch.open(db) as mw:
        con = mw.store.con
        con.execute("DROP VIEW observation")
        for table in ("observation_latest", "observation_superseded"):
            con.execute(f"ALTER TABLE {table} DROP COLUMN flag_raw")
            con.execute(f"ALTER TABLE {table} DROP COLUMN flag")
        con.execute("CREATE VIEW observation AS SELECT * FROM observation_latest "
                    "UNION ALL SELECT * FROM observation_superseded")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def test_a_version_2_store_is_upgraded_keeping_its_rows(tmp_path):
    db = tmp_path / "old.duckdb"
    header = "reporter,partner,flow,commodity,period,net_weight_t,is_confidential,is_estimated\n"
    with magwatch.open(db) as mw:
        mw.import_file(write(tmp_path / "v1_test_figures.csv", [
            "CHN,USA,X,85051110,2025-06,353,,", "CHN,DEU,X,85051110,2025-06,,true,",
            "CHN,JPN,X,85051110,2025-06,5,,true"], header), vintage="2025-07-20")
        mw.import_file(write(tmp_path / "v2_test_figures.csv", ["CHN,USA,X,85051110,2025-06,355,,"],
                             header), vintage="2025-08-20")
    _as_version_2(db)
    with pytest.raises(StoreError, match="older magwatch .schema version 2") as info:
        magwatch.open(db, read_only=True)
    assert "\n" not in str(info.value)
    with magwatch.open(db) as mw:              # a writer upgrades it
        con = mw.store.con
        for table in ("observation_latest", "observation_superseded"):
            assert [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()] == OBSERVATION_COLUMNS
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [
            (SCHEMA_VERSION,)]
        flags = dict(con.execute("SELECT partner, flag FROM observation_latest").fetchall())
        assert flags == {"USA": None, "DEU": "confidential", "JPN": "estimated"}
        assert con.execute("SELECT net_weight_kg FROM observation_superseded").fetchall() == [(353000.0,)]
        mw.import_file(write(tmp_path / "v3_test_figures.csv", ["CHN,USA,X,85051110,2025-06,356,,"],
                             header), vintage="2025-09-20")
    with magwatch.open(db, read_only=True) as mw:
        assert [r["net_weight_t"] for r in mw.flows(partner="USA", period="2025-06").to_pylist()] == [356.0]
