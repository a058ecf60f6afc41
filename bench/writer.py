"""What readers-during-writes costs: a writer's private copy of a large store.

A writer never opens the store file itself (magwatch.store.writer): it copies the store to a
private file when it opens, and copies that file over the store each time a release commits
(publication). This bench builds a store of ``--rows`` synthetic observations (bench/synth.py:
test figures, not trade data), then times in one run:

* the baseline: a read-only open and a one-row query (what every reader pays anyway);
* a writer's open (the lock and the first copy);
* one one-row release committed and published (the second copy), and the writer's close;
* a publication alone (checkpoint, copy, rename), forced once more;
* the copy of the file alone (``shutil.copyfile``), which the open and a publication are made of.

    python bench/writer.py --rows 100000000 --workdir /tmp/mw-writer

The figures go to docs/reliability.md ("Readers during writes").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from magwatch.records import OBSERVATION_SCHEMA  # noqa: E402
from magwatch.store import Store  # noqa: E402


def build(rows: int, workdir: Path) -> Path:
    """A store with ``rows`` synthetic observations in ``observation_latest`` (one release)."""
    import duckdb

    from synth import generate

    db = workdir / f"store_{rows}.duckdb"
    if db.exists():
        return db
    raw = workdir / "raw.parquet"
    generate(raw, rows=rows, months=36)
    Store(db).close()                          # the store's schema, empty
    con = duckdb.connect(str(db), config={"memory_limit": "6GB",
                                          "temp_directory": str(workdir / "spill")})
    con.execute("INSERT INTO release (release_id, source, vintage, file_name, rows_read, "
                "rows_added, claims_read, claims_added, ingested_at) VALUES "
                f"(1, 'user', DATE '2026-01-31', 'synthetic.parquet', {rows}, {rows}, 0, 0, now())")
    con.execute(f"INSERT INTO observation_latest BY NAME SELECT *, 1 AS release_id, "
                f"'test figures' AS note, false AS is_estimated, false AS is_confidential, "
                f"'day' AS vintage_precision FROM read_parquet('{raw}') "
                f"QUALIFY row_number() OVER (PARTITION BY source, source_ref, reporter, partner, "
                f"flow, classification, commodity, period, period_months ORDER BY vintage DESC) = 1")
    con.execute("CHECKPOINT")
    con.close()
    raw.unlink()
    return db


def one_row() -> pa.Table:
    return pa.Table.from_pylist([{
        "source": "user", "source_ref": "bench", "reporter": "CHN", "partner": "FRA", "flow": "X",
        "classification": "CN-CHN", "commodity": "85051110", "period": dt.date(2026, 2, 1),
        "period_months": 1, "net_weight_kg": 1000.0, "is_estimated": False,
        "is_confidential": False, "vintage": dt.date(2026, 3, 20), "vintage_precision": "day",
        "source_file": "bench.csv", "source_row": 1}], schema=OBSERVATION_SCHEMA)


def timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def run(db: Path) -> dict:
    figures = {"store_bytes": db.stat().st_size}

    def read():
        with Store(db, read_only=True) as store:
            store.con.execute("SELECT count(*) FROM release").fetchall()

    figures["reader_open_s"] = timed(read)
    writer = {}
    figures["writer_open_s"] = timed(lambda: writer.setdefault("store", Store(db)))
    figures["release_and_publish_s"] = timed(lambda: writer["store"].ingest_records(
        one_row(), source="user", file_name="bench.csv", vintage=dt.date(2026, 3, 20)))
    copy = writer["store"]._copy              # noqa: SLF001 - the publication alone, forced
    copy._published = None
    figures["publication_s"] = timed(writer["store"].publish)
    figures["writer_close_s"] = timed(writer["store"].close)
    spare = db.with_name(db.name + ".copy")
    figures["file_copy_s"] = timed(lambda: shutil.copyfile(db, spare))
    spare.unlink()
    # what the private copy adds to a one-row release: the first copy and one publication
    figures["copy_share_of_release"] = round((figures["writer_open_s"] + figures["publication_s"])
                                             / figures["release_and_publish_s"], 3)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mw-writer"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = build(args.rows, args.workdir)
    print(json.dumps({"rows": args.rows, **run(db)}))


if __name__ == "__main__":
    main()
