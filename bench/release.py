"""Release to brief: what landing one month costs after its ingest, on a large store.

Builds a store holding the bundled data plus ``--rows`` synthetic Comtrade-shaped rows over 36
months (bench/synth.py; test figures, not trade data), then lands one new month as a release
(1/36 of the rows, written as a connector writes a fetched answer: ``Store.ingest_records``)
and times, in one run:

* the baseline: the ingest of that release alone (checks, commit, the answers kept for the
  months it touched, publication of the writer's copy);
* then, in the same process, the monitor of the new month (China's magnet exports, the
  default series, and one synthetic reporter's series), the alerts and the brief for it;
* the first API answer (``/api/v1/monitor?month=M``) and the first dashboard page
  (``/?month=M``) of a freshly made web app over the store.

Targets (issue "Release day at scale"): ingest + monitor + alerts + brief <= 1.5x the
ingest alone; the first API answer and the first dashboard page < 50 ms.

    python bench/release.py --rows 10000000 --workdir /tmp/mw-release
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import magwatch  # noqa: E402
from magwatch.records import OBSERVATION_SCHEMA  # noqa: E402

MONTHS = 36
NEW_MONTH = "2026-01"            # synth's 36 months run 2023-01 to 2025-12
SERIES = dict(reporter="R007", commodity="850000", flow="X")
TARGET_RATIO, TARGET_FIRST_MS = 1.5, 50.0


def canonical(table: pa.Table) -> pa.Table:
    """Synthetic rows in the store's observation columns (USD values; nothing estimated)."""
    n = table.num_rows
    extra = {"value": table["value_usd"], "currency": pa.array(["USD"] * n),
             "quantity": pa.nulls(n, pa.float64()), "quantity_unit": pa.nulls(n, pa.string()),
             "is_estimated": pa.array([False] * n), "is_confidential": pa.array([False] * n),
             "vintage_precision": pa.array(["day"] * n), "source_sha256": pa.nulls(n, pa.string()),
             "note": pa.array(["synthetic benchmark data, not real figures"] * n)}
    columns = {name: extra[name] if name in extra else table[name] for name in OBSERVATION_SCHEMA.names}
    return pa.table(columns).cast(OBSERVATION_SCHEMA)


def build(rows: int, workdir: Path) -> Path:
    """The bundled data plus ``rows`` synthetic rows (one release), and the new month's file."""
    from synth import generate

    db = workdir / f"release_{rows}.duckdb"
    if db.exists():
        return db
    history, month = workdir / "history.parquet", workdir / "new_month.parquet"
    generate(history, rows=rows, months=MONTHS, revision_rate=0.0)
    generate(month, rows=rows // MONTHS, months=1, start=NEW_MONTH, seed=8, revision_rate=0.0)
    with magwatch.open(db) as mw:
        mw.load()
        for i, batch in enumerate(pq.ParquetFile(history).iter_batches(batch_size=5_000_000)):
            mw.store.ingest_records(canonical(pa.Table.from_batches([batch])), source="comtrade",
                                    file_name=f"synthetic-history-{i}.parquet",
                                    sha256=f"synthetic-{rows}-history-{i}")
    history.unlink()
    return db


def timed(call):
    t0 = time.perf_counter()
    result = call()
    return time.perf_counter() - t0, result


def first_answers(db: Path) -> dict:
    from fastapi.testclient import TestClient

    from magwatch.web.app import create_app

    client = TestClient(create_app(db, token=None))
    out = {}
    for name, url in (("first_api_ms", f"/api/v1/monitor?month={NEW_MONTH}"),
                      ("first_page_ms", f"/?month={NEW_MONTH}")):
        seconds, response = timed(lambda: client.get(url))
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        out[name] = round(seconds * 1000, 1)
    return out


def run(db: Path, workdir: Path) -> dict:
    month = pq.read_table(workdir / "new_month.parquet")
    figures = {"rows_in_release": month.num_rows}
    with magwatch.open(db) as mw:
        figures["ingest_s"], release = timed(lambda: mw.store.ingest_records(
            canonical(month), source="comtrade", file_name="synthetic-2026-01.parquet",
            sha256=f"synthetic-{db.name}-{NEW_MONTH}", vintage=dt.date(2026, 3, 16)))
        assert release.rows_added == month.num_rows, release
        figures["monitor_s"], _ = timed(lambda: mw.monitor(NEW_MONTH))
        figures["monitor_series_s"], _ = timed(lambda: mw.monitor(NEW_MONTH, **SERIES))
        figures["alerts_s"], _ = timed(lambda: mw.alerts(month=NEW_MONTH))
        with tempfile.TemporaryDirectory() as out:
            figures["brief_s"], _ = timed(lambda: mw.brief(NEW_MONTH, out_dir=out))
    figures.update(first_answers(db))
    after = sum(figures[k] for k in ("ingest_s", "monitor_s", "monitor_series_s", "alerts_s",
                                     "brief_s"))
    figures["ratio_to_ingest"] = round(after / figures["ingest_s"], 2)
    figures = {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}
    figures["ratio_target_met"] = figures["ratio_to_ingest"] <= TARGET_RATIO
    figures["first_answers_target_met"] = max(figures["first_api_ms"],
                                              figures["first_page_ms"]) < TARGET_FIRST_MS
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mw-release"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = build(args.rows, args.workdir)
    work = Path(tempfile.mkdtemp(dir=args.workdir))
    copy = work / db.name                  # each run lands the month on a fresh copy
    copy.write_bytes(db.read_bytes())
    result = {"rows": args.rows, **run(copy, args.workdir)}
    print(json.dumps(result))
    print(f"ingest + monitor + alerts + brief = {result['ratio_to_ingest']}x the ingest alone "
          f"(target <= {TARGET_RATIO}x: {'met' if result['ratio_target_met'] else 'NOT met'}); "
          f"first API {result['first_api_ms']} ms, first page {result['first_page_ms']} ms "
          f"(target < {TARGET_FIRST_MS:g} ms: "
          f"{'met' if result['first_answers_target_met'] else 'NOT met'})")


if __name__ == "__main__":
    main()
