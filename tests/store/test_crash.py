"""A process killed at any point of an ingest leaves the store whole; a second writer is refused."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import magwatch
from magwatch.errors import StoreError

INGEST = "import sys, magwatch; magwatch.open(sys.argv[1]).import_file(sys.argv[2], vintage='2025-01-31')"


def synthetic_parquet(path: Path, rows: int, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    month = np.arange(rows) // 2000                 # 2,000 codes a month from January 1988
    table = pa.table({
        "reporter": np.full(rows, "CHN"),
        "partner": np.full(rows, "USA"),
        "flow": np.full(rows, "X"),
        "commodity": (85051000 + np.arange(rows) % 2000).astype(str),
        "period": [f"{1988 + m // 12}-{m % 12 + 1:02d}" for m in month],
        "net_weight_kg": rng.lognormal(8, 2, rows),
    })
    pq.write_table(table, path, row_group_size=100_000)
    return path


def counts(db: Path) -> tuple[int, int, int]:
    with magwatch.open(db) as mw:
        con = mw.store.con
        total = con.execute("SELECT count(*) FROM observation").fetchall()[0][0]
        keys = con.execute("SELECT count(*) FROM (SELECT DISTINCT source, source_ref, reporter, "
                           "partner, flow, classification, commodity, period, period_months "
                           "FROM observation)").fetchall()[0][0]
        latest = con.execute("SELECT count(*) FROM observation_latest").fetchall()[0][0]
    return total, keys, latest


#: make test runs the first trial; make test-slow every one.
TRIALS = [0] + [pytest.param(t, marks=pytest.mark.slow) for t in (1, 2)]


@pytest.mark.parametrize("trial", TRIALS)
def test_sigkill_during_a_large_ingest_leaves_the_store_unchanged_or_whole(bundled_db, tmp_path,
                                                                           trial):
    rows = 600_000
    data = synthetic_parquet(tmp_path / "big.parquet", rows)
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    before = counts(db)
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(db), str(data)])
    time.sleep(random.Random(trial).uniform(0.2, 1.8))
    proc.kill()
    proc.wait()
    after = counts(db)
    assert after in (before, (before[0] + rows, before[1] + rows, before[2] + rows))
    # the ingest completes on a re-run with no duplicates
    subprocess.run([sys.executable, "-c", INGEST, str(db), str(data)], check=True)
    total, keys, latest = counts(db)
    assert total == keys == before[0] + rows
    assert latest == before[2] + rows


def test_a_second_writer_gets_a_clear_error(tmp_path):
    db = tmp_path / "s.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, magwatch; m = magwatch.open(sys.argv[1]); print('ready', flush=True); "
         "time.sleep(30)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="in use by another magwatch process"):
            magwatch.open(db)
    finally:
        holder.kill()
        holder.wait()
