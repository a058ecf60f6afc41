"""Benchmark: a month's monitor on the bundled store in a warm process (issue 20, item 0).

Timed in one process over a fresh copy of the bundled store with its kept answers dropped
(magwatch.analytics.kept: a load keeps every month's answer; this measures computing one):
``monitor(month)`` for every
month of China's magnet exports (CN 85051110, flow X) with data, after one warm-up call
per month (which builds and compiles each query shape once), median over months and
rounds. Baselines of the same run:

* the same call with the compile cache emptied before each call (every expression built
  and compiled anew, as before compile-once), on a few months;
* the raw execution of the cached compiled SQL for the same months (the engine's part).

Target: warm < 30 ms. Never a test: a timing, not a pass/fail of the code.

Run: .venv/bin/python bench/monitor_small.py [--rounds N] [--baseline-months N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import magwatch
from magwatch.analytics import kept, series
from magwatch.periods import Month


def months(handle) -> list[str]:
    rows = handle.store.con.sql(
        "SELECT DISTINCT period, period_months FROM observation_latest WHERE reporter = 'CHN' "
        "AND commodity = '85051110' AND flow = 'X' AND period_months <= 2").fetchall()
    out = {Month(p.year, p.month).index + span - 1 for p, span in rows}
    return [str(Month.from_index(m)) for m in sorted(out)]


def timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def raw_sql(handle, calls: list) -> float:
    """Seconds to execute, straight on DuckDB, the compiled queries one monitor call ran."""
    con = handle.store.con
    by_shape = {key[0]: entry for key, entry in series.COMPILED.items() if entry[0] == "sql"}
    total = 0.0
    for shape, values in calls:
        _, sql, used, _schema = by_shape[shape]
        bound = {n: values[n] for n in used}
        total += timed(lambda: con.execute(sql, bound).to_arrow_table())
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline-months", type=int, default=3)
    args = ap.parse_args()
    real_run = series.run

    calls: list = []

    def spy(shape, build, tables, values):           # keeps what ran, for raw_sql
        calls.append((shape, values))
        return real_run(shape, build, tables, values)

    with tempfile.TemporaryDirectory() as tmp:
        with magwatch.open(Path(tmp) / "bench.duckdb") as mw:
            mw.load()
            kept.drop(mw.store.con)      # no result cache: every call computes from the store
        with magwatch.open(Path(tmp) / "bench.duckdb", read_only=True) as handle:
            every = months(handle)
            first = timed(lambda: handle.monitor(every[-1]))
            for m in every:
                handle.monitor(m)                               # warm-up: compile once
            warm, raw = [], []
            series.run = spy
            try:
                for _ in range(args.rounds):
                    for m in every:
                        calls.clear()
                        warm.append(timed(lambda: handle.monitor(m)))
                        raw.append(raw_sql(handle, list(calls)))
            finally:
                series.run = real_run
            cold = []
            step = max(len(every) // args.baseline_months, 1)
            for m in every[::step][:args.baseline_months]:
                series.COMPILED.clear()
                cold.append(timed(lambda: handle.monitor(m)))
    w, c, r = statistics.median(warm), statistics.median(cold), statistics.median(raw)
    print(f"months: {len(every)} ({every[0]}..{every[-1]}), rounds: {args.rounds}")
    print(f"first call in the process (compiles): {first * 1000:.1f} ms")
    print(f"monitor warm: {w * 1000:.1f} ms (median of {len(warm)} calls)")
    print(f"compile cache off: {c * 1000:.1f} ms (median of {len(cold)} calls); "
          f"warm / cache off: {w / c:.3f}x")
    print(f"raw SQL execution: {r * 1000:.1f} ms (median, the cached queries of a call)")
    print(f"target warm < 30 ms: {'met' if w < 0.030 else 'not met'}")


if __name__ == "__main__":
    main()
