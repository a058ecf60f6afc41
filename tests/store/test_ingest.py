"""Releases, add-only history, latest and as-of views, revisions, idempotence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import magwatch
from magwatch.store.schema import SCHEMA_VERSION

HEADER = "reporter,partner,flow,commodity,period,net_weight_t,value,currency\n"


def write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path):
    with magwatch.open(tmp_path / "s.duckdb") as mw:
        yield mw


def test_import_then_query_with_source(store, tmp_path):
    f = write(tmp_path / "a.csv", ["CHN,USA,X,85051110,2025-06,353,1000,USD",
                                   "CHN,DEU,X,85051110,2025-06,764,,"])
    release = store.import_file(f, source="user", vintage="2025-07-20")
    assert (release.rows_read, release.rows_added) == (2, 2)
    rows = store.flows(partner="USA", period="2025-06").to_pylist()
    assert rows[0]["net_weight_t"] == pytest.approx(353.0)
    assert rows[0]["value_usd"] == 1000.0            # USD value doubles as value_usd
    assert rows[0]["source"] == "user" and rows[0]["source_file"].endswith("a.csv")
    assert rows[0]["source_row"] == 1 and rows[0]["vintage"] == dt.date(2025, 7, 20)


def test_reingesting_the_same_file_changes_nothing(store, tmp_path):
    f = write(tmp_path / "a.csv", ["CHN,USA,X,85051110,2025-06,353,,"])
    first = store.import_file(f, vintage="2025-07-20")
    again = store.import_file(f, vintage="2025-07-20")
    assert again.skipped and again.release_id == first.release_id
    assert store.releases().num_rows == 1
    assert store.info()["observations"] == 1


def test_same_figures_in_a_new_file_add_no_rows(store, tmp_path):
    store.import_file(write(tmp_path / "a.csv", ["CHN,USA,X,85051110,2025-06,353,,"]),
                      vintage="2025-07-20")
    # a different file (another vintage, trailing blank line) with the same figure
    f = tmp_path / "b.csv"
    f.write_text(HEADER + "CHN,USA,X,85051110,2025-06,353,,\n\n")
    release = store.import_file(f, vintage="2025-08-20")
    assert not release.skipped and release.rows_added == 0
    assert store.info()["observations"] == 1


def test_revision_adds_only_changed_rows_and_as_of_sees_history(store, tmp_path):
    store.import_file(write(tmp_path / "v1.csv", ["CHN,USA,X,85051110,2025-06,353,,",
                                                  "CHN,DEU,X,85051110,2025-06,764,,"]),
                      vintage="2025-07-20")
    revised = store.import_file(write(tmp_path / "v2.csv", ["CHN,USA,X,85051110,2025-06,355,,",
                                                            "CHN,DEU,X,85051110,2025-06,764,,"]),
                                vintage="2025-08-20")
    assert revised.rows_added == 1
    assert store.info()["observations"] == 3
    latest = {r["partner"]: r["net_weight_t"] for r in store.flows(period="2025-06").to_pylist()}
    assert latest == {"DEU": 764.0, "USA": 355.0}
    before = {r["partner"]: r["net_weight_t"]
              for r in store.flows(period="2025-06", as_of="2025-08-01").to_pylist()}
    assert before == {"DEU": 764.0, "USA": 353.0}
    assert store.flows(period="2025-06", as_of="2025-07-01").num_rows == 0
    revisions = store.revisions().to_pylist()
    assert len(revisions) == 1
    r = revisions[0]
    assert (r["partner"], r["old_net_weight_t"], r["new_net_weight_t"]) == ("USA", 353.0, 355.0)
    assert r["old_vintage"] == dt.date(2025, 7, 20) and r["new_vintage"] == dt.date(2025, 8, 20)
    assert store.revisions(release=revised.release_id).num_rows == 1


def test_an_older_vintage_filled_in_late_does_not_replace_the_latest(store, tmp_path):
    store.import_file(write(tmp_path / "new.csv", ["CHN,USA,X,85051110,2025-06,355,,"]),
                      vintage="2025-08-20")
    store.import_file(write(tmp_path / "old.csv", ["CHN,USA,X,85051110,2025-06,353,,"]),
                      vintage="2025-07-20")
    assert store.flows(period="2025-06").column("net_weight_t") == [355.0]
    assert store.flows(period="2025-06", as_of="2025-07-31").column("net_weight_t") == [353.0]


def _count(store, relation: str) -> int:
    return store.store.con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]


def test_each_row_is_written_once_and_a_replaced_row_moves_to_the_history(store, tmp_path):
    store.import_file(write(tmp_path / "v1.csv", ["CHN,USA,X,85051110,2025-06,353,,",
                                                  "CHN,DEU,X,85051110,2025-06,764,,"]),
                      vintage="2025-07-20")
    assert (_count(store, "observation_latest"), _count(store, "observation_superseded")) == (2, 0)
    store.import_file(write(tmp_path / "v2.csv", ["CHN,USA,X,85051110,2025-06,355,,"]),
                      vintage="2025-08-20")
    assert (_count(store, "observation_latest"), _count(store, "observation_superseded")) == (2, 1)
    old = store.store.con.execute("SELECT net_weight_kg, vintage FROM observation_superseded").fetchall()
    assert old == [(353000.0, dt.date(2025, 7, 20))]
    assert _count(store, "observation") == 3


def test_duplicate_keys_in_a_file_that_revises_held_figures_are_refused(store, tmp_path):
    store.import_file(write(tmp_path / "v1.csv", ["CHN,USA,X,85051110,2025-06,353,,"]),
                      vintage="2025-07-20")
    before = (_count(store, "observation_latest"), _count(store, "observation_superseded"))
    # the first row equals the held figure, the second revises it: still one key twice
    bad = write(tmp_path / "v2.csv", ["CHN,USA,X,85051110,2025-06,353,,",
                                      "CHN,USA,X,85051110,2025-06,355,,"])
    with pytest.raises(magwatch.InputError, match="duplicate key") as info:
        store.import_file(bad, vintage="2025-08-20")
    assert info.value.row == 2 and str(bad) in str(info.value)
    assert (_count(store, "observation_latest"), _count(store, "observation_superseded")) == before
    assert store.releases().num_rows == 1


def test_a_store_in_the_version_1_layout_is_upgraded_in_place(tmp_path):
    db = tmp_path / "old.duckdb"
    with magwatch.open(db) as mw:
        mw.import_file(write(tmp_path / "v1.csv", ["CHN,USA,X,85051110,2025-06,353,,",
                                                   "CHN,DEU,X,85051110,2025-06,764,,"]),
                       vintage="2025-07-20")
        mw.import_file(write(tmp_path / "v2.csv", ["CHN,USA,X,85051110,2025-06,355,,"]),
                       vintage="2025-08-20")
        con = mw.store.con
        history = sorted(con.execute("SELECT * FROM observation").fetchall(), key=str)
        # version 1 kept the whole history in one table, current rows in it too
        for fact in ("observation", "claim"):
            con.execute(f"DROP VIEW {fact}")
            con.execute(f"CREATE TABLE {fact} AS SELECT * FROM {fact}_latest "
                        f"UNION ALL SELECT * FROM {fact}_superseded")
            con.execute(f"DELETE FROM {fact}_superseded")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with magwatch.open(db) as mw:
        con = mw.store.con
        assert con.execute("SELECT table_type FROM information_schema.tables "
                           "WHERE table_name = 'observation'").fetchall() == [("VIEW",)]
        assert sorted(con.execute("SELECT * FROM observation").fetchall(), key=str) == history
        assert _count(mw, "observation_superseded") == 1
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [(SCHEMA_VERSION,)]
        as_of = mw.flows(period="2025-06", as_of="2025-08-01").column("net_weight_t")
        assert sorted(as_of) == [353.0, 764.0]


def test_parquet_and_excel_imports(store, tmp_path):
    table = pa.table({"reporter": ["CHN"], "partner": ["JPN"], "flow": ["X"],
                      "commodity": ["85051110"], "period": ["2025-07"], "net_weight_kg": [232000.0]})
    pq.write_table(table, tmp_path / "a.parquet")
    assert store.import_file(tmp_path / "a.parquet", vintage="2025-08-21").rows_added == 1

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["reporter", "partner", "flow", "commodity", "period", "net_weight_t", "note"])
    sheet.append(["CHN", "IND", "X", "85051110", "2025-07", 418, "=HYPERLINK(\"x\")"])
    book.save(tmp_path / "a.xlsx")
    assert store.import_file(tmp_path / "a.xlsx", vintage="2025-08-21").rows_added == 1
    row = store.flows(partner="IND").to_pylist()[0]
    assert row["net_weight_t"] == 418.0
    assert row["note"] == "=HYPERLINK(\"x\")"          # a formula-like cell is kept as text


def test_gbk_encoded_text_is_decoded(store, tmp_path):
    f = tmp_path / "gbk.csv"
    f.write_bytes((HEADER.strip() + ",note\nCHN,VNM,X,85051110,2025-05,235,,,越南 稀土永磁\n").encode("gbk"))
    store.import_file(f, vintage="2025-06-20")
    assert store.flows(partner="VNM").to_pylist()[0]["note"] == "越南 稀土永磁"


def test_a_large_csv_streams_in_blocks(store, tmp_path):
    f = tmp_path / "big.csv"
    with f.open("w") as fh:
        fh.write(HEADER)
        for i in range(60_000):        # 200 commodity codes x 300 months, every key once
            month = i // 200
            fh.write(f"CHN,USA,X,{85051100 + i % 200},{1988 + month // 12}-{month % 12 + 1:02d},"
                     f"{i % 997},,\n")
    release = store.import_file(f, vintage="2025-01-01")
    assert release.rows_added == 60_000


def test_bundled_data_loads_once_and_keeps_conflicts(mw):
    assert all(r.skipped for r in mw.load())
    annual = mw.flows(reporter="CHN", partner="WLD", period="2025-01", months=12).to_pylist()
    assert sorted(r["net_weight_t"] for r in annual) == [57392.0, 57794.0]   # both sources kept
    assert len({r["source_url"] for r in annual}) == 2


def test_bundled_figures_and_reported_claims_stay_apart(mw):
    obs = mw.flows(reporter="CHN", partner="USA", commodity="85051110", period="2025-06").to_pylist()
    assert [r["net_weight_t"] for r in obs] == [353.0]
    assert obs[0]["source_url"].startswith("https://www.timeslive.co.za/")
    rows = mw.claims(partner="USA", period="2025-06").to_pylist()
    claims = {r["metric"]: r["value"] for r in rows if r["metric"] != "outlet_net_weight_t"}
    assert claims == {"mom_pct": 660.0, "yoy_pct": -52.0, "rank": 2.0}
    # other outlets' roundings of the same month are claims beside the figure, never the figure
    assert sorted(r["value"] for r in rows if r["metric"] == "outlet_net_weight_t") == [352.0, 352.8]
    # gaps stay gaps: no 2024-06 world figure exists in the sources
    assert mw.flows(partner="WLD", period="2024-06").num_rows == 0


def test_bundled_vintages_follow_the_article_dates(mw):
    rows = mw.flows(partner="WLD", period="2025-06").to_pylist()
    assert rows[0]["vintage"] == dt.date(2025, 7, 20) and rows[0]["vintage_precision"] == "day"
    # known only from the June article on: not visible as of 1 July 2025
    assert mw.flows(partner="WLD", period="2025-06", as_of="2025-07-01").num_rows == 0


def test_reference_tables_are_kept_verbatim(mw):
    events = mw.reference("rare_earth_events").to_pylist()
    assert len(events) == 32
    assert any(e["date"] == "2025-04-04" for e in events)
