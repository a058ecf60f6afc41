"""Export to Hive-partitioned Parquet, import back, and choosing an engine."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import magwatch
from magwatch.engine import audit_on, monitor_on, open_tables
from magwatch.errors import InputError, ParameterError
from magwatch.records import OBSERVATION_SCHEMA
from magwatch.store.export import MANIFEST, export_parquet, import_parquet

KEY_COLUMNS = ["source", "source_ref", "reporter", "partner", "flow", "classification",
               "commodity", "period", "period_months", "vintage", "net_weight_kg", "value_usd"]


def observation(partner: str, period: dt.date, kg: float, vintage: dt.date, row: int) -> dict:
    return {"source": "comtrade", "source_ref": "test", "reporter": "DEU", "partner": partner,
            "flow": "M", "classification": "HS", "commodity": "850511", "period": period,
            "period_months": 1, "net_weight_kg": kg, "value": kg * 50, "currency": "USD",
            "value_usd": kg * 50, "quantity": None, "quantity_unit": None, "is_estimated": False,
            "is_confidential": False, "vintage": vintage, "vintage_precision": "day",
            "source_url": "http://127.0.0.1/test", "source_file": "test.csv", "source_row": row,
            "source_sha256": None, "note": None}


@pytest.fixture
def revised(mw):
    """The bundled store plus two vintages of a small German import series (a revision)."""
    may, june = dt.date(2025, 5, 1), dt.date(2025, 6, 1)
    first = [observation("CHN", may, 1000.0, dt.date(2025, 7, 10), 1),
             observation("CHN", june, 1200.0, dt.date(2025, 8, 10), 2)]
    second = [observation("CHN", june, 1250.0, dt.date(2025, 9, 10), 1)]
    for n, rows in enumerate((first, second), 1):
        mw.store.ingest_records(pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA),
                                source="comtrade", file_name=f"deu-{n}.csv", sha256=f"deu-{n}",
                                vintage=rows[0]["vintage"])
    return mw


def rows_of(con, table: str) -> list[tuple]:
    return con.sql(f"SELECT {', '.join(KEY_COLUMNS)} FROM {table} ORDER BY ALL").fetchall()


def test_export_layout_keeps_every_vintage(revised, tmp_path):
    out = tmp_path / "export"
    manifest = export_parquet(revised.store, out, by_reporter=True)
    assert manifest["partition_by"] == ["period_year", "period_month", "reporter"]
    assert json.loads((out / MANIFEST).read_text()) == manifest
    june = out / "observation" / "period_year=2025" / "period_month=6"
    assert sorted(p.name for p in june.iterdir()) == ["reporter=CHN", "reporter=DEU"]
    history = pq.read_table(june / "reporter=DEU")
    # both prints of June 2025 are in the history, only the revision in the latest table
    assert sorted(history.column("net_weight_kg").to_pylist()) == [1200.0, 1250.0]
    latest = pq.read_table(out / "observation_latest" / "period_year=2025" / "period_month=6"
                           / "reporter=DEU")
    assert latest.column("net_weight_kg").to_pylist() == [1250.0]
    assert latest.column("vintage").to_pylist() == [dt.date(2025, 9, 10)]
    counts = manifest["rows"]
    info = revised.info()
    assert counts["observation"] == info["observations"] == counts["observation_latest"] + 1
    assert counts["release"] == revised.releases().num_rows


def test_import_replays_releases_and_is_idempotent(revised, tmp_path):
    out = tmp_path / "export"
    export_parquet(revised.store, out)
    with magwatch.open(tmp_path / "copy.duckdb") as copy:
        done = copy.import_file(out)                    # a directory: replayed release by release
        assert len(done.releases) == revised.releases().num_rows and not done.skipped
        for table in ("observation", "observation_latest"):
            assert rows_of(copy.store.con, table) == rows_of(revised.store.con, table)
        assert copy.claims().num_rows == revised.claims().num_rows
        assert copy.reference("rare_earth_events").num_rows == \
            revised.reference("rare_earth_events").num_rows
        revs = copy.revisions(source="comtrade").to_pylist()
        assert len(revs) == 1
        again = copy.import_file(out)
        assert again.skipped and again.rows_added == 0
        assert "0 replayed" in again.describe()
    # importing a store's own export into itself changes nothing
    assert import_parquet(revised.store, out).skipped


def test_import_refuses_what_is_not_an_export(mw, tmp_path):
    with pytest.raises(InputError, match="magwatch-export.json is missing"):
        mw.import_file(tmp_path)
    out = tmp_path / "export"
    export_parquet(mw.store, out)
    with pytest.raises(ParameterError, match="vintage"):
        mw.import_file(out, vintage="2025-01-01")
    (out / MANIFEST).write_text('{"format": "other/9"}')
    with pytest.raises(InputError, match="field 'format'"):
        mw.import_file(out)
    before = mw.info()
    export_parquet(mw.store, out, overwrite=True)
    shutil.rmtree(out / "observation")
    with pytest.raises(InputError, match="folder missing"):
        import_parquet(mw.store, out)
    assert mw.info() == before                            # nothing stored is lost or added


def test_export_refuses_a_non_empty_folder(mw, tmp_path):
    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        export_parquet(mw.store, tmp_path)
    export_parquet(mw.store, tmp_path, overwrite=True)
    assert (tmp_path / "x.txt").read_text() == "keep me"


def test_engine_choice_and_errors(bundled_db, tmp_path):
    out = tmp_path / "export"
    with magwatch.open(bundled_db, read_only=True) as mw:
        export_parquet(mw.store, out)
        expected = mw.monitor("2025-06").to_dict()
        on_store = monitor_on("duckdb", store=mw.store, month="2025-06")
        audit_store = mw.audit().arrow
    assert on_store == expected
    on_parquet = monitor_on("duckdb", data=out, month="2025-06")
    assert on_parquet["world"] == expected["world"]
    assert [e["partner"] for e in on_parquet["partners"]] == [e["partner"] for e in expected["partners"]]
    assert audit_on("duckdb", data=out).num_rows == audit_store.num_rows
    with pytest.raises(ParameterError, match="'engine'"):
        open_tables("polars", data=out)
    with pytest.raises(ParameterError, match="'data'"):
        open_tables("spark")
    with pytest.raises(ParameterError, match="'spark-master'"):
        open_tables("duckdb", data=out, spark_master="local[2]")
    with pytest.raises(InputError, match="missing"):
        open_tables("duckdb", data=tmp_path)


@pytest.mark.parametrize("engine, change", [("duckdb", "removed"), ("duckdb", "added"),
                                            ("spark", "removed")])
def test_an_export_folder_changed_after_its_export_is_refused_by_the_engine(bundled_db, tmp_path,
                                                                           engine, change):
    """Refused before any engine starts (Spark is not started for a folder it cannot trust)."""
    out = tmp_path / "export"
    with magwatch.open(bundled_db, read_only=True) as mw:
        export_parquet(mw.store, out)
    files = sorted((out / "observation_latest").rglob("*.parquet"))
    if change == "removed":
        files[0].unlink()
    else:
        shutil.copy(files[0], files[0].with_name("extra.parquet"))
    with pytest.raises(InputError, match="observation_latest holds .* rows where the manifest "
                                         "counts .*: the folder changed after its export"):
        open_tables(engine, data=out)


def test_duckdb_over_parquet_honours_memory_limit(bundled_db, tmp_path, monkeypatch):
    out = tmp_path / "export"
    with magwatch.open(bundled_db, read_only=True) as mw:
        export_parquet(mw.store, out)
    spill = tmp_path / "spill"
    monkeypatch.setenv("MAGWATCH_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("MAGWATCH_TEMP_DIR", str(spill))
    with open_tables("duckdb", data=out) as t:
        con = t.backend.con
        limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
        temp = con.sql("SELECT current_setting('temp_directory')").fetchall()[0][0]
    assert limit in ("286.1 MiB", "300.0 MB") and temp == str(spill)
    monkeypatch.setenv("MAGWATCH_MEMORY_LIMIT", "lots")
    with pytest.raises(ParameterError, match="MAGWATCH_MEMORY_LIMIT"):
        open_tables("duckdb", data=out)


def test_cli_export_then_import(bundled_db, tmp_path):
    db = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, db)
    out = tmp_path / "export"
    env = {**os.environ, "MAGWATCH_DB": str(db)}
    cli = [sys.executable, "-m", "magwatch"]
    done = subprocess.run([*cli, "export", "parquet", str(out), "--by-reporter"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "partitioned by period_year, period_month, reporter" in done.stdout
    again = subprocess.run([*cli, "export", "parquet", str(out)], env=env, capture_output=True,
                           text=True)
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "not empty" in again.stderr
    fresh = subprocess.run([*cli, "--db", str(tmp_path / "fresh.duckdb"), "import", str(out)],
                           env=env, capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stderr
    assert "replayed" in fresh.stdout and "observations" in fresh.stdout
