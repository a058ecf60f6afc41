"""Ingest throughput: magwatch from Parquet and CSV against pandas read_csv + row inserts.

Synthetic canonical rows (deterministic for a seed) are written to Parquet and
CSV; each ingest runs in its own process so its wall time and peak memory are
its own. The baseline — pandas ``read_csv`` then one INSERT per row into
DuckDB, the straightforward way — runs in the same session on a slice of the
same CSV (it is far too slow for the full file) and is compared as rows/s.

    python bench/ingest.py [--rows 20000000] [--baseline-rows 100000]

Targets: >= 1M rows/s from Parquet, >= 10x the baseline, peak memory < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CHUNK = 1_000_000
FIRST_YEAR = 1988        # an import refuses months before HS began (January 1988)
CODES = 10_000           # commodity codes a month, per partner
ISO3 = ["USA", "DEU", "KOR", "VNM", "JPN", "IND", "NLD", "THA", "ITA", "MEX", "POL", "FRA",
        "GBR", "CAN", "BRA", "TUR", "MYS", "IDN", "AUS", "ESP"]


def synthetic_chunk(start: int, rows: int, rng: np.random.Generator) -> pa.Table:
    i = np.arange(start, start + rows)
    partner = i % len(ISO3)
    commodity = (i // len(ISO3)) % CODES
    month = i // (len(ISO3) * CODES)
    years, months = FIRST_YEAR + month // 12, month % 12 + 1
    return pa.table({
        "reporter": pa.array(np.full(rows, "CHN")),
        "partner": pa.array(np.array(ISO3)[partner]),
        "flow": pa.array(np.full(rows, "X")),
        "commodity": pa.array((85000000 + commodity).astype(str)),
        "period": pa.array(np.char.add(np.char.add(years.astype(str), "-"),
                                       np.char.zfill(months.astype(str), 2))),
        "net_weight_kg": pa.array(np.round(rng.lognormal(8, 2.5, rows), 3)),
        "value": pa.array(np.round(rng.lognormal(11, 2.5, rows), 2)),
        "currency": pa.array(np.full(rows, "USD")),
    })


def generate(rows: int, directory: Path, seed: int = 1) -> tuple[Path, Path]:
    months_needed = rows // (len(ISO3) * CODES) + 1
    if months_needed > (2025 - FIRST_YEAR) * 12:
        most = (2025 - FIRST_YEAR) * 12 * len(ISO3) * CODES
        raise SystemExit(f"--rows too large for the synthetic key space (max {most:,})")
    rng = np.random.default_rng(seed)
    parquet, csv = directory / "rows.parquet", directory / "rows.csv"
    writer = None
    with csv.open("wb") as csv_out:
        for start in range(0, rows, CHUNK):
            chunk = synthetic_chunk(start, min(CHUNK, rows - start), rng)
            writer = writer or pq.ParquetWriter(parquet, chunk.schema, compression="zstd")
            writer.write_table(chunk, row_group_size=CHUNK)
            pacsv.write_csv(chunk, csv_out, pacsv.WriteOptions(include_header=start == 0))
    writer.close()
    return parquet, csv


PEAK = "\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"


def child(code: str, *args: str, env: dict | None = None) -> tuple[float, int, str]:
    """Run code in a fresh process; return its wall seconds, its own peak RSS (bytes), stdout."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code + PEAK, *args],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(proc.stderr)
    *lines, peak = proc.stdout.strip().splitlines()
    return elapsed, int(peak), "\n".join(lines)


MAGWATCH = """
import sys, time, magwatch
mw = magwatch.open(sys.argv[1])
t = time.perf_counter()
r = mw.import_file(sys.argv[2], vintage='2025-01-31')
print(time.perf_counter() - t, r.rows_added)
"""

BASELINE = """
import sys, time, duckdb, pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[2], nrows=int(sys.argv[3]), dtype={'commodity': str})
con = duckdb.connect(sys.argv[1])
con.execute('CREATE TABLE obs (reporter VARCHAR, partner VARCHAR, flow VARCHAR, commodity VARCHAR, '
            'period VARCHAR, net_weight_kg DOUBLE, value DOUBLE, currency VARCHAR)')
con.execute('BEGIN')
for row in df.itertuples(index=False):
    con.execute('INSERT INTO obs VALUES (?, ?, ?, ?, ?, ?, ?, ?)', list(row))
con.execute('COMMIT')
print(time.perf_counter() - t, len(df))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--memory-limit", default="512MB",
                        help="DuckDB memory limit for the ingest (MAGWATCH_MEMORY_LIMIT)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "ingest.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="magwatch-bench-") as tmp:
        tmp = Path(tmp)
        print(f"generating {args.rows:,} synthetic canonical rows ...", flush=True)
        parquet, csv = generate(args.rows, tmp)
        env = {"MAGWATCH_MEMORY_LIMIT": args.memory_limit}
        results = {}
        for name, path in (("parquet", parquet), ("csv", csv)):
            wall, peak, out = child(MAGWATCH, str(tmp / f"{name}.duckdb"), str(path), env=env)
            seconds, added = out.split()
            assert int(added) == args.rows, (added, args.rows)
            results[name] = {"rows": args.rows, "ingest_s": float(seconds), "process_s": wall,
                             "rows_per_s": args.rows / float(seconds), "peak_rss_mb": peak / 2**20}
        wall, peak, out = child(BASELINE, str(tmp / "baseline.duckdb"), str(csv), str(args.baseline_rows))
        seconds, n = out.split()
        results["baseline"] = {"rows": int(n), "ingest_s": float(seconds),
                               "rows_per_s": int(n) / float(seconds), "peak_rss_mb": peak / 2**20}

    base = results["baseline"]["rows_per_s"]
    table = [
        ("parquet rows/s", results["parquet"]["rows_per_s"], base, ">= 1,000,000 rows/s and >= 10x"),
        ("csv rows/s", results["csv"]["rows_per_s"], base, "(no target)"),
        ("parquet peak RSS MB", results["parquet"]["peak_rss_mb"], None, "< 1024 MB"),
        ("csv peak RSS MB", results["csv"]["peak_rss_mb"], None, "(no target)"),
    ]
    print(f"\n{'figure':<22}{'value':>14}{'baseline':>14}{'ratio':>9}  target")
    for name, value, baseline, target in table:
        ratio = f"{value / baseline:8.1f}x" if baseline else "        -"
        base_text = f"{baseline:14,.0f}" if baseline else f"{'-':>14}"
        print(f"{name:<22}{value:14,.0f}{base_text}{ratio}  {target}")
    verdict = {
        "parquet_rows_per_s_ok": results["parquet"]["rows_per_s"] >= 1_000_000,
        "parquet_vs_baseline_ok": results["parquet"]["rows_per_s"] >= 10 * base,
        "parquet_peak_memory_ok": results["parquet"]["peak_rss_mb"] < 1024,
    }
    print("targets met:", ", ".join(f"{k}={v}" for k, v in verdict.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "ingest", "results": results, "targets": verdict},
                                   indent=2))


if __name__ == "__main__":
    main()
