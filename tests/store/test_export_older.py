"""An export folder written before the format gained its flag columns still imports and reads.

magwatch-parquet/1 folders written before observations kept the source's flag have no
``flag`` and ``flag_raw`` columns (magwatch.store.export_read.LATER_COLUMNS): their rows are
rows the source stated no flag for, through ``import`` and through the engine's views.
"""

import json

import pyarrow.parquet as pq

import magwatch
from magwatch.store.export import MANIFEST, export_parquet, parquet_connection
from magwatch.store.export_read import LATER_COLUMNS


def _without_flags(folder):
    """The folder as an export written before the flag columns: files and manifest."""
    for path in folder.rglob("*.parquet"):
        table = pq.read_table(path)
        if set(LATER_COLUMNS) <= set(table.column_names):
            pq.write_table(table.drop_columns(list(LATER_COLUMNS)), path)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for spec in manifest["tables"].values():
        spec["columns"] = [c for c in spec.get("columns", []) if c not in LATER_COLUMNS]
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_an_export_without_flag_columns_imports_with_no_flags(bundled_db, tmp_path):
    folder = tmp_path / "old"
    with magwatch.open(bundled_db, read_only=True) as mw:
        export_parquet(mw.store, folder)
        before = mw.flows().to_pylist()
    _without_flags(folder)
    assert "flag" not in pq.read_schema(next((folder / "observation_latest").rglob("*.parquet"))).names
    with magwatch.open(tmp_path / "new.duckdb") as mw:
        mw.import_file(folder)
        after = mw.flows().to_pylist()
    assert len(after) == len(before) > 50
    assert all(row["flag"] is None for row in after)
    assert [r["net_weight_t"] for r in after] == [r["net_weight_t"] for r in before]


def test_the_engine_reads_an_export_without_flag_columns(bundled_db, tmp_path):
    folder = tmp_path / "old"
    with magwatch.open(bundled_db, read_only=True) as mw:
        export_parquet(mw.store, folder)
    _without_flags(folder)
    con = parquet_connection(folder, ("observation_latest",), {})
    rows, flagged = con.execute("SELECT count(*), count(flag) FROM observation_latest").fetchone()
    assert (rows, flagged) == (130, 0)
