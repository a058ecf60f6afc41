"""Benchmark: the latest-month monitor for every reporter x HS6, three ways, one run.

Builds synthetic Comtrade-shaped data (bench/synth.py), resolves the latest
vintage per key as the store does at ingest (not timed), then times the same
computation (preferred figure per key, m/m and y/y, rank and share among
partners, HHI and top-1 share per reporter x HS6) with

* magwatch's Ibis analytics on a DuckDB table (the product path),
* straightforward pandas on the Parquet file of latest figures,
* Polars lazy on the same Parquet file,

each in its own process (so peak memory is per engine), checks that the three
agree, and prints ratios against the targets of issue 3.

The Ibis path is what a whole-table monitor in magwatch runs: the latest month
(one ``max``), ``changes.at_month_from_rows`` (the three months' figures, the
preferred one per key chosen inside one aggregation; DuckDB reads only the row
groups of those months), ``ranks.ranked`` and ``concentration.hhi_whole_table``
over the partner rows it returned (pandas and Polars likewise compute HHI from
their partner frames). Expression building and SQL compilation are timed too.
Targets:

* >= 10x faster than pandas; no slower than Polars;
* doubling the history (same months needed) adds < 20 % time;
* peak memory under 4 GB at 100M rows (here: printed for the size run).

    python bench/monitor.py --rows 2000000          # quick
    python bench/monitor.py                         # default 20M rows
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

KEYS = ["reporter", "flow", "classification", "commodity", "partner"]
#: Timed runs per engine (each engine in its own process); the median is reported.
REPEATS = 5
GROUP = ["reporter", "flow", "classification", "commodity"]
AGG = ["WLD"]


def _shift(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return dt.date(y, m + 1, 1)


# -- setup (not timed) --------------------------------------------------------------------

def build(rows: int, months: int, workdir: Path) -> tuple[Path, Path, dict]:
    import duckdb

    from synth import generate

    raw = workdir / f"raw_{months}.parquet"
    facts = generate(raw, rows=rows, months=months)
    db = workdir / f"latest_{months}.duckdb"
    latest = workdir / f"latest_{months}.parquet"
    # a cap, so that a 100M-row build spills to disk rather than crowd a shared machine
    con = duckdb.connect(str(db), config={"memory_limit": "6GB",
                                          "temp_directory": str(workdir / "build-spill")})
    con.execute(f"""CREATE OR REPLACE TABLE observation_latest AS
        SELECT * FROM read_parquet('{raw}')
        QUALIFY row_number() OVER (PARTITION BY source, source_ref, reporter, partner, flow,
            classification, commodity, period, period_months ORDER BY vintage DESC) = 1
        ORDER BY period, reporter, commodity, partner""")
    con.execute(f"COPY observation_latest TO '{latest}' (FORMAT parquet, COMPRESSION zstd, "
                f"ROW_GROUP_SIZE 500000)")
    facts["latest_rows"] = con.sql("SELECT count(*) FROM observation_latest").fetchall()[0][0]
    con.close()
    raw.unlink()
    return db, latest, facts


# -- the three implementations ------------------------------------------------------------

def ibis_monitor(db: Path):
    """The Ibis path, as a function to time (connection and table handle made once)."""
    import ibis

    from magwatch.analytics import changes, concentration, ranks

    con = ibis.duckdb.connect(str(db), read_only=True)
    t = con.table("observation_latest")

    def once():
        last = t.period.max().to_pyarrow().as_py()
        # preferred figure per key and month, m/m and y/y: one query plan, reading only
        # the row groups of the three months it needs (the table is ordered by period)
        at = changes.at_month_from_rows(t, last.year * 12 + last.month - 1)
        table = ranks.ranked(at).select(*GROUP, "partner", "net_weight_kg", "mom_pct", "yoy_pct",
                                        "rank", "share_pct").to_pyarrow()
        # HHI over the partner rows just computed, as pandas and Polars do with theirs
        hhi = concentration.hhi_whole_table(ibis.memtable(table)).to_pyarrow()
        return table, hhi

    return once


def run_ibis(db: Path) -> dict:
    return _measure(ibis_monitor(db), lambda r: _checksum_arrow(*r))


def run_history(db: Path, db2: Path) -> dict:
    """The Ibis path on the table and on the one with twice the history, alternating in one
    process, so both see the same load on a shared machine."""
    runs = {"1x": ibis_monitor(db), "2x": ibis_monitor(db2)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEATS):
        for name, once in runs.items():
            start = time.perf_counter()
            once()
            times[name].append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {name: {"seconds": statistics.median(v), "all": v, "peak_mb": peak_mb}
            for name, v in times.items()}


def run_pandas(latest: Path) -> dict:
    import pandas as pd

    cols = ["source", "source_ref", "reporter", "partner", "flow", "classification", "commodity",
            "period", "period_months", "net_weight_kg", "value_usd", "vintage", "source_row"]

    def once():
        df = pd.read_parquet(latest, columns=cols)
        df["period"] = pd.to_datetime(df["period"])
        last = df["period"].max()
        prev, year_ago = last - pd.DateOffset(months=1), last - pd.DateOffset(months=12)
        df = df[(df.period_months == 1) & df["period"].isin([last, prev, year_ago])]
        df = df[df.net_weight_kg.notna()]
        df = df.assign(_press=(df.source == "press").astype(int))
        df = df.sort_values(["_press", "vintage", "source_row"], ascending=[True, False, True])
        df = df.drop_duplicates(KEYS + ["period"])
        wide = df.pivot_table(index=KEYS, columns="period", values="net_weight_kg", aggfunc="max")
        cur = wide[last] if last in wide else None
        out = pd.DataFrame({"x": cur, "x1": wide.get(prev), "x12": wide.get(year_ago)}).dropna(subset=["x"])
        out["mom_pct"] = (out.x / out.x1.where(out.x1 > 0) - 1) * 100
        out["yoy_pct"] = (out.x / out.x12.where(out.x12 > 0) - 1) * 100
        out = out.reset_index()
        world = out[out.partner == "WLD"].set_index(GROUP)["x"].rename("world")
        p = out[~out.partner.isin(AGG)].join(world, on=GROUP)
        p["rank"] = p.groupby(GROUP)["x"].rank(method="min", ascending=False).astype("int64")
        p["share_pct"] = p.x / p.world.where(p.world > 0) * 100
        tot = p.groupby(GROUP)["x"].transform("sum")
        s = p.x / tot
        hhi = (s * s).groupby([p[g] for g in GROUP]).sum() * 10000
        return p, hhi

    def check(r):
        p, hhi = r
        return {"rows": int(len(p)), "mom": float(p.mom_pct.sum()), "yoy": float(p.yoy_pct.sum()),
                "rank": int(p["rank"].sum()), "share": float(p.share_pct.sum()),
                "hhi": float(hhi.sum())}

    return _measure(once, check)


def run_polars(latest: Path) -> dict:
    import polars as pl

    def once():
        lf = pl.scan_parquet(latest)
        last = lf.select(pl.col("period").max()).collect().item()
        prev, year_ago = _shift(last, 1), _shift(last, 12)
        base = (lf.filter((pl.col("period_months") == 1) & pl.col("period").is_in([last, prev, year_ago])
                          & pl.col("net_weight_kg").is_not_null())
                .with_columns((pl.col("source") == "press").cast(pl.Int8).alias("_press"))
                .sort(["_press", "vintage", "source_row"], descending=[False, True, False])
                .unique(subset=KEYS + ["period"], keep="first", maintain_order=False))
        agg = base.group_by(KEYS).agg(
            pl.col("net_weight_kg").filter(pl.col("period") == last).max().alias("x"),
            pl.col("net_weight_kg").filter(pl.col("period") == prev).max().alias("x1"),
            pl.col("net_weight_kg").filter(pl.col("period") == year_ago).max().alias("x12"),
        ).filter(pl.col("x").is_not_null()).with_columns(
            ((pl.col("x") / pl.when(pl.col("x1") > 0).then(pl.col("x1")) - 1) * 100).alias("mom_pct"),
            ((pl.col("x") / pl.when(pl.col("x12") > 0).then(pl.col("x12")) - 1) * 100).alias("yoy_pct"))
        world = agg.filter(pl.col("partner") == "WLD").select(*GROUP, pl.col("x").alias("world"))
        p = agg.filter(~pl.col("partner").is_in(AGG)).join(world, on=GROUP, how="left").with_columns(
            pl.col("x").rank(method="min", descending=True).over(GROUP).cast(pl.Int64).alias("rank"),
            (pl.col("x") / pl.when(pl.col("world") > 0).then(pl.col("world")) * 100).alias("share_pct"),
            (pl.col("x") / pl.col("x").sum().over(GROUP)).alias("_s"))
        p = p.collect()
        hhi = p.group_by(GROUP).agg(((pl.col("_s") ** 2).sum() * 10000).alias("hhi"))
        return p, hhi

    def check(r):
        p, hhi = r
        return {"rows": p.height, "mom": float(p["mom_pct"].sum()), "yoy": float(p["yoy_pct"].sum()),
                "rank": int(p["rank"].sum()), "share": float(p["share_pct"].sum()),
                "hhi": float(hhi["hhi"].sum())}

    return _measure(once, check)


def _checksum_arrow(table, hhi) -> dict:
    import pyarrow.compute as pc

    def total(col):
        return float(pc.sum(col).as_py() or 0.0)

    return {"rows": table.num_rows, "mom": total(table["mom_pct"]), "yoy": total(table["yoy_pct"]),
            "rank": int(pc.sum(table["rank"]).as_py()), "share": total(table["share_pct"]),
            "hhi": total(hhi["hhi"])}


def _measure(once, check) -> dict:
    times, result = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = once()
        times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": statistics.median(times), "all": times, "peak_mb": peak_mb,
            "checksum": check(result)}


# -- orchestration ------------------------------------------------------------------------

ENGINES = ("ibis", "pandas", "polars")


def worker(engine: str, db: Path, latest: Path, db2: Path | None) -> None:
    if engine.startswith("build:"):
        _, rows, months, workdir = engine.split(":", 3)
        db, latest, facts = build(int(rows), int(months), Path(workdir))
        print(json.dumps({"db": str(db), "latest": str(latest), "facts": facts}))
        return
    result = {"ibis": lambda: run_ibis(db), "pandas": lambda: run_pandas(latest),
              "polars": lambda: run_polars(latest), "history": lambda: run_history(db, db2)}[engine]()
    print(json.dumps(result))


def build_apart(rows: int, months: int, workdir: Path) -> tuple[Path, Path, dict]:
    """Build in a child process, so this process's peak memory stays small."""
    out = spawn(f"build:{rows}:{months}:{workdir}", Path("-"), Path("-"))
    return Path(out["db"]), Path(out["latest"]), out["facts"]


def spawn(engine: str, db: Path, latest: Path, db2: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "--worker", engine, "--db", str(db), "--latest", str(latest)]
    if db2 is not None:
        cmd += ["--db2", str(db2)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{engine} worker failed: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def agree(a: dict, b: dict) -> bool:
    for k in a:
        x, y = a[k], b[k]
        if abs(x - y) > 1e-6 * max(1.0, abs(x), abs(y)):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description="latest-month monitor benchmark")
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated subset of ibis,pandas,polars (default: all three)")
    parser.add_argument("--no-history", action="store_true",
                        help="skip the run over twice the history (e.g. for a memory check at 100M)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--worker", default=None)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--db2", type=Path)
    parser.add_argument("--latest", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.db, args.latest, args.db2)
        return
    engines = [e for e in ENGINES if e in args.engines.split(",")]
    if not engines:
        parser.error(f"--engines: expected some of {','.join(ENGINES)}, got {args.engines!r}")
    history = "ibis" in engines and not args.no_history
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        print(f"building {args.rows:,} rows over {args.months} months (synthetic, seed 7)...",
              flush=True)
        db, latest, facts = build_apart(args.rows, args.months, tmp)
        print(f"  {facts}", flush=True)
        res = {e: spawn(e, db, latest) for e in engines}
        if history:
            print(f"doubling the history: {2 * args.rows:,} rows over {2 * args.months} months "
                  f"(same months needed); Ibis on both tables, alternating in one process...",
                  flush=True)
            db2, _, _ = build_apart(2 * args.rows, 2 * args.months, tmp)
            hist = spawn("history", db, latest, db2)
    sums = [res[e]["checksum"] for e in engines]
    if len(sums) > 1:
        ok = all(agree(sums[0], other) for other in sums[1:])
        print(f"results agree across engines: {ok} ({sums[0]})")
    else:
        print(f"checksum ({engines[0]} only, nothing to compare): {sums[0]}")
    print(f"{'engine':<22}{'median s':>10}{'peak MB':>10}   ({REPEATS} runs each)")
    for name, r in res.items():
        print(f"{name:<22}{r['seconds']:>10.3f}{r['peak_mb']:>10.0f}")
    if history:
        for name in ("1x", "2x"):
            print(f"{'ibis, ' + name + ' history':<22}{hist[name]['seconds']:>10.3f}"
                  f"{hist[name]['peak_mb']:>10.0f}")
    if "ibis" in res:
        i = res["ibis"]["seconds"]
        if "pandas" in res:
            vs = res["pandas"]["seconds"] / i
            print(f"speed-up vs pandas : {vs:6.2f}x  target >= 10x   {'met' if vs >= 10 else 'NOT met'}")
        if "polars" in res:
            vs = res["polars"]["seconds"] / i
            print(f"speed-up vs Polars : {vs:6.2f}x  target >= 1x    {'met' if vs >= 1 else 'NOT met'}")
        if history:
            growth = (hist["2x"]["seconds"] / hist["1x"]["seconds"] - 1) * 100
            print(f"2x history adds    : {growth:+6.1f}%  target < +20%   "
                  f"{'met' if growth < 20 else 'NOT met'}  (medians of the alternating runs)")
        print(f"peak memory (ibis) : {res['ibis']['peak_mb']:,.0f} MB at {facts['latest_rows']:,} rows "
              f"(target < 4,096 MB at 100M rows: --rows 100000000 --engines ibis --no-history)")
    print(f"bench wall time    : {time.perf_counter() - started:,.0f} s (building included)")


if __name__ == "__main__":
    main()
