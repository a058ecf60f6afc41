"""Run every benchmark in bench/ at sizes that fit a 2-core, 24 GB machine; print one table.

Each benchmark runs in its own process and measures its own baseline in the same
run (see docs/performance.md). This script collects what they report into
``bench/results/<name>.json`` (ingest.py and api.py write theirs; for monitor.py
and scenario.py it reads their printed lines) and prints one table: figure,
value, baseline, ratio and target.

It also runs the large-store check of issue 10 itself: the latest-month
monitor (preferred figure per key, m/m, y/y, rank, share, HHI for every
reporter x HS6) over ``--scale-rows`` synthetic rows (default 100M) read from
Parquet by DuckDB with ``MAGWATCH_MEMORY_LIMIT`` (default 3GB) and spilling to
disk; target: peak memory of the process < 4 GB. Its baseline is the same
computation over a tenth of the rows in the same run.

    .venv/bin/python bench/run_all.py                 # everything (about 20-30 min here)
    .venv/bin/python bench/run_all.py --quick         # small sizes, a few minutes
    .venv/bin/python bench/run_all.py --only scale    # one benchmark (ingest, monitor,
                                                      # scenario, api, scale)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MB = 1024 * 1024

#: Arguments per benchmark: (full run on this machine, --quick run).
SIZES = {
    "ingest": (["--rows", "20000000", "--baseline-rows", "50000"],
               ["--rows", "1000000", "--baseline-rows", "20000"]),
    "monitor": (["--rows", "20000000"], ["--rows", "1000000"]),     # 20M: issue 3's size
    "scenario": (["--paths", "100000"], ["--paths", "20000"]),
    "api": (["--seconds", "10", "--connections", "50"], ["--seconds", "3", "--connections", "20"]),
    "check": (["--words", "1000"], ["--words", "1000", "--rounds", "3"]),
    "monitor_small": (["--rounds", "3"], ["--rounds", "1", "--baseline-months", "1"]),
}
SCALE_ROWS = (100_000_000, 10_000_000)


def run(script: str, args: list[str]) -> str:
    """Run a benchmark script; return its stdout (its stderr goes to ours)."""
    cmd = [sys.executable, str(HERE / script), *args]
    print(f"$ {' '.join(cmd[1:])}", flush=True)
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    sys.stdout.write(done.stdout)
    if done.returncode:
        raise RuntimeError(f"{script} exited with {done.returncode}")
    return done.stdout


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text, re.M)
    if not found:
        raise RuntimeError(f"no line matching {pattern!r} in the benchmark's output")
    return float(found.group(1).replace(",", ""))


def row(bench, figure, value, baseline, target, met, unit="") -> dict:
    ratio = value / baseline if baseline else None
    return {"benchmark": bench, "figure": figure, "value": value, "unit": unit,
            "baseline": baseline, "ratio": ratio, "target": target, "met": met}


# -- the benchmarks -----------------------------------------------------------------------

def bench_ingest(args: list[str]) -> list[dict]:
    out = RESULTS / "ingest.json"
    run("ingest.py", [*args, "--out", str(out)])
    r = json.loads(out.read_text())["results"]
    base = r["baseline"]["rows_per_s"]
    return [
        row("ingest", f"Parquet rows/s ({r['parquet']['rows']:,} rows)", r["parquet"]["rows_per_s"],
            base, ">= 1,000,000 rows/s and >= 10x baseline",
            r["parquet"]["rows_per_s"] >= 1e6 and r["parquet"]["rows_per_s"] >= 10 * base, "rows/s"),
        row("ingest", "CSV rows/s", r["csv"]["rows_per_s"], base, "(none)", None, "rows/s"),
        row("ingest", "Parquet ingest peak RSS", r["parquet"]["peak_rss_mb"], None, "< 1,024 MB",
            r["parquet"]["peak_rss_mb"] < 1024, "MB"),
    ]


def bench_monitor(args: list[str]) -> list[dict]:
    text = run("monitor.py", args)
    engines = {name: (float(s), float(p)) for name, s, p in
               re.findall(r"^(ibis|pandas|polars)\s+([\d.]+)\s+([\d.]+)\s*$", text, re.M)}
    if set(engines) != {"ibis", "pandas", "polars"}:
        raise RuntimeError("monitor.py printed no timing table")
    ibis_s, ibis_mb = engines["ibis"]
    # the 1x / 2x history pair runs alternating in one process: compare the two with each other
    single = number(r"^ibis, 1x history\s+([\d.]+)", text)
    doubled = number(r"^ibis, 2x history\s+([\d.]+)", text)
    agree = re.search(r"results agree across engines: (True|False)", text).group(1) == "True"
    pandas_s, polars_s = engines["pandas"][0], engines["polars"][0]
    return [
        row("monitor", "Ibis/DuckDB time vs pandas", ibis_s, pandas_s, "ratio <= 0.1x (10x faster)",
            ibis_s <= 0.1 * pandas_s, "s"),
        row("monitor", "Ibis/DuckDB time vs Polars", ibis_s, polars_s, "ratio <= 1x", ibis_s <= polars_s,
            "s"),
        row("monitor", "2x history: time vs 1x", doubled, single, "ratio < 1.2x", doubled < 1.2 * single,
            "s"),
        row("monitor", "Ibis/DuckDB peak RSS vs pandas", ibis_mb, engines["pandas"][1], "(see scale)",
            None, "MB"),
        row("monitor", "engines agree (1 = yes)", float(agree), None, "1", agree),
    ]


def bench_scenario(args: list[str]) -> list[dict]:
    text = run("scenario.py", args)
    per_loop = number(r"= ([\d,.]+) ns/cell;", text)
    per_vec = number(r"vectorised:.*= ([\d,.]+) ns/cell", text)
    full = number(r"full run incl\. quantiles: ([\d.]+) s", text)
    peak_gb = number(r"peak memory: ([\d.]+) GB", text)
    return [
        row("scenario", "time per cell vs Python loop", per_vec, per_loop,
            "ratio <= 0.02x (50x faster)", per_loop / per_vec >= 50, "ns"),
        row("scenario", "full run incl. quantiles", full, None, "< 10 s", full < 10, "s"),
        row("scenario", "peak memory", peak_gb * 1024, None, "< 4,096 MB", peak_gb < 4, "MB"),
    ]


def bench_check(args: list[str]) -> list[dict]:
    out = run("check.py", args)
    warm, base = number(r"check warm: ([\d.]+)", out), number(r"extract only: ([\d.]+)", out)
    return [row("check", "1,000-word article, warm", warm, base, "< 0.3 s", warm < 0.3, "s"),
            row("check", "same article, cold (first check)", number(r"check cold: ([\d.]+)", out), None,
                "(figure)", True, "s")]


def bench_monitor_small(args: list[str]) -> list[dict]:
    out = run("monitor_small.py", args)
    warm = number(r"monitor warm: ([\d.]+) ms", out)
    cold = number(r"compile cache off: ([\d.]+) ms", out)
    raw = number(r"raw SQL execution: ([\d.]+) ms", out)
    return [row("monitor_small", "bundled store, a month's monitor, warm", warm, cold,
                "< 30 ms", warm < 30, "ms"),
            row("monitor_small", "same months, raw execution of its SQL", raw, None, "(figure)",
                True, "ms")]


def bench_api(args: list[str]) -> list[dict]:
    out = RESULTS / "api.json"
    run("api.py", [*args, "--out", str(out)])
    r = json.loads(out.read_text())
    m, b = r["monitor"], r["baseline"]
    return [
        row("api", "/api/v1/monitor p99", m["p99_ms"], b["p99_ms"],
            f"< {r['targets']['p99_ms']:g} ms and < {r['targets']['ratio']:g}x baseline",
            r["p99_target_met"] and r["ratio_target_met"], "ms"),
        row("api", "/api/v1/monitor throughput", m["throughput_rps"], b["throughput_rps"], "(none)",
            None, "req/s"),
        *[row("api", f"first paint {p['page']}", p["cold_ms"], p["warm_ms"],
              f"cold < {r['first_paint_target_ms']:g} ms (baseline: warm)", p["cold_target_met"], "ms")
          for p in r.get("first_paint", [])],
    ]


# -- the large-store monitor (issue 10) ---------------------------------------------------

SCALE_WORKER = """
import json, os, resource, sys, time
import ibis, duckdb
from magwatch.analytics import changes, concentration, ranks, series
from magwatch.engine import duckdb_config
config, temp = duckdb_config()
config["temp_directory"] = temp or sys.argv[2]
raw = duckdb.connect(":memory:", config=config)
raw.execute("SET enable_progress_bar = false")
raw.execute(f"CREATE VIEW observation AS SELECT * FROM read_parquet('{sys.argv[1]}')")
con = ibis.duckdb.from_connection(raw)
t = con.table("observation")
start = time.perf_counter()
last = t.period.max().as_scalar()
needed = t.filter((t.period == last) | (t.period == last - ibis.interval(months=1))
                  | (t.period == last - ibis.interval(months=12)))
s = series.pick(needed)          # latest vintage per key: revisions resolved here
at = changes.at_month(s)
partners = ranks.ranked(at).select("reporter", "commodity", "partner", "mom_pct", "yoy_pct",
                                   "rank", "share_pct").to_pyarrow()
hhi = concentration.hhi_whole_table(at).to_pyarrow()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "partner_rows": partners.num_rows, "series": hhi.num_rows,
                  "memory_limit": raw.sql("SELECT current_setting('memory_limit')").fetchall()[0][0],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def scale_once(rows: int, workdir: Path, memory_limit: str) -> dict:
    sys.path.insert(0, str(HERE))
    from synth import generate

    data = workdir / f"synth_{rows}.parquet"
    started = time.perf_counter()
    facts = generate(data, rows=rows, months=36)
    generated = time.perf_counter() - started
    env = {**os.environ, "MAGWATCH_MEMORY_LIMIT": memory_limit}
    done = subprocess.run([sys.executable, "-c", SCALE_WORKER, str(data), str(workdir / "spill")],
                          env=env, capture_output=True, text=True)
    data.unlink()
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "rows": facts["rows"], "generate_s": generated}


def bench_scale(rows: int, baseline_rows: int, memory_limit: str, workdir: Path | None) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="magwatch-scale-", dir=workdir) as tmp:
        print(f"scale: monitor over {baseline_rows:,} then {rows:,} synthetic rows "
              f"(MAGWATCH_MEMORY_LIMIT={memory_limit})", flush=True)
        base = scale_once(baseline_rows, Path(tmp), memory_limit)
        print(f"  {base}", flush=True)
        big = scale_once(rows, Path(tmp), memory_limit)
        print(f"  {big}", flush=True)
    (RESULTS / "scale.json").write_text(json.dumps(
        {"benchmark": "scale", "memory_limit": memory_limit, "baseline": base, "run": big,
         "target_peak_rss_mb": 4096, "met": big["peak_rss_mb"] < 4096}, indent=2) + "\n")
    return [
        row("scale", f"monitor time, {big['rows']:,} rows", big["seconds"], base["seconds"],
            f"(baseline: {base['rows']:,} rows)", None, "s"),
        row("scale", f"monitor peak RSS, {big['rows']:,} rows", big["peak_rss_mb"],
            base["peak_rss_mb"], "< 4,096 MB", big["peak_rss_mb"] < 4096, "MB"),
    ]


# -- the table ----------------------------------------------------------------------------

def fmt(x) -> str:
    if x is None:
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.3g}" if abs(x) < 10 else f"{x:,.1f}"


def print_table(rows: list[dict]) -> None:
    print("\nratio = value / baseline (baseline measured in the same run)")
    header = f"{'benchmark':<10} {'figure':<40} {'value':>14} {'baseline':>12} {'ratio':>8}  " \
             f"{'target':<40} met"
    print(header)
    print("-" * len(header))
    for r in rows:
        value = f"{fmt(r['value'])} {r['unit']}".strip()
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[r["met"]]
        print(f"{r['benchmark']:<10} {r['figure'][:40]:<40} {value:>14} {fmt(r['baseline']):>12} "
              f"{ratio:>8}  {r['target'][:40]:<40} {met}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    ap.add_argument("--only", nargs="+", choices=[*SIZES, "scale"], default=None)
    ap.add_argument("--scale-rows", type=int, default=None,
                    help=f"rows for the large-store monitor (default {SCALE_ROWS[0]:,}; --quick: "
                         f"{SCALE_ROWS[1]:,})")
    ap.add_argument("--memory-limit", default="3GB", help="MAGWATCH_MEMORY_LIMIT for the scale run")
    ap.add_argument("--workdir", type=Path, default=None, help="where temporary data goes")
    args = ap.parse_args()
    wanted = args.only or [*SIZES, "scale"]
    RESULTS.mkdir(exist_ok=True)
    rows, failed = [], []
    runners = {"ingest": bench_ingest, "monitor": bench_monitor, "scenario": bench_scenario,
               "api": bench_api, "check": bench_check, "monitor_small": bench_monitor_small}
    for name in wanted:
        try:
            if name == "scale":
                n = args.scale_rows or SCALE_ROWS[1 if args.quick else 0]
                rows += bench_scale(n, max(n // 10, 100_000), args.memory_limit, args.workdir)
            elif not (HERE / f"{name}.py").exists():
                print(f"{name}: bench/{name}.py not present; skipped")
            else:
                got = runners[name](SIZES[name][1 if args.quick else 0])
                # they print; keep what they said
                if name in ("monitor", "scenario", "check", "monitor_small"):
                    (RESULTS / f"{name}.json").write_text(json.dumps(
                        {"benchmark": name, "figures": got}, indent=2) + "\n")
                rows += got
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            failed.append(name)
            print(f"{name}: FAILED: {exc}", file=sys.stderr)
    summary = RESULTS / "summary.json"
    if args.only and summary.exists():     # keep the other benchmarks' last figures
        earlier = json.loads(summary.read_text())
        if earlier.get("quick") == args.quick:
            rows = [r for r in earlier["figures"] if r["benchmark"] not in wanted] + rows
    summary.write_text(json.dumps({"quick": args.quick, "figures": rows, "failed": failed},
                                  indent=2) + "\n")
    print_table(rows)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nresults in {RESULTS}; largest child process peak RSS {peak:,.0f} MB")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
