"""Benchmark: latency and throughput of /api/v1/monitor against a static JSON body, same server, same run.

Starts ``uvicorn magwatch.web.app:create_app`` on a free 127.0.0.1 port over a store with
the bundled data, then drives it from this (second) process with httpx async clients:
``--connections`` concurrent connections for ``--seconds`` per endpoint. The baseline is
``/healthz`` (a fixed body that never touches the store) measured on the same server in
the same run. Targets: monitor p99 < 50 ms, and < 3x the baseline p99.

    .venv/bin/python bench/api.py [--seconds 20] [--connections 50] [--month 2025-06]

The first monitor request computes (about 1-2 s on the bundled data); later requests are
served from the server's result cache, which is keyed by the store file's size and mtime,
so they are exact for the store state. The cold time is reported separately.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

P99_TARGET_MS = 50.0
RATIO_TARGET = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "MAGWATCH_DB": str(db)}
    env.pop("MAGWATCH_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "magwatch.web.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--no-access-log"], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


async def drive(base: str, path: str, seconds: float, connections: int) -> dict:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def worker():
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await client.get(path)
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    errors += 1
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"path": path, "requests": len(latencies), "errors": errors,
            "throughput_rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(q[49], 2), "p99_ms": round(q[98], 2), "max_ms": round(latencies[-1], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--month", default="2025-06")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "api.json")
    args = ap.parse_args()

    import magwatch

    with tempfile.TemporaryDirectory(prefix="magwatch-bench-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        with magwatch.open(db) as mw:
            mw.load()
        port = free_port()
        server = start_server(db, port)
        base = f"http://127.0.0.1:{port}"
        target = f"/api/v1/monitor?month={args.month}"
        try:
            t0 = time.perf_counter()
            first = httpx.get(base + target, timeout=60)
            cold_ms = (time.perf_counter() - t0) * 1000
            first.raise_for_status()
            world = first.json()["world"]["net_weight_t"]
            baseline = asyncio.run(drive(base, "/healthz", args.seconds, args.connections))
            monitor = asyncio.run(drive(base, target, args.seconds, args.connections))
        finally:
            server.terminate()
            server.wait(timeout=10)

    ratio = monitor["p99_ms"] / baseline["p99_ms"] if baseline["p99_ms"] else float("inf")
    result = {"seconds": args.seconds, "connections": args.connections, "month": args.month,
              "world_t": world, "monitor_cold_ms": round(cold_ms, 1), "baseline": baseline,
              "monitor": monitor, "p99_ratio_vs_baseline": round(ratio, 2),
              "targets": {"p99_ms": P99_TARGET_MS, "ratio": RATIO_TARGET},
              "p99_target_met": monitor["p99_ms"] < P99_TARGET_MS, "ratio_target_met": ratio < RATIO_TARGET}
    print(f"server: uvicorn, 1 worker, 127.0.0.1; client: httpx async, {args.connections} connections, "
          f"{args.seconds:g} s per endpoint (second process)")
    print(f"monitor cold (first request, computes): {cold_ms:,.0f} ms; world {args.month} = {world:,.0f} t")
    for row in (baseline, monitor):
        print(f"{row['path']:<32} {row['throughput_rps']:>8,.0f} req/s  p50 {row['p50_ms']:>7.2f} ms  "
              f"p99 {row['p99_ms']:>7.2f} ms  errors {row['errors']}")
    print(f"monitor p99 / baseline p99 = {ratio:.2f}x (target < {RATIO_TARGET:g}x: "
          f"{'met' if result['ratio_target_met'] else 'NOT met'}); "
          f"p99 {monitor['p99_ms']:.1f} ms (target < {P99_TARGET_MS:g} ms: "
          f"{'met' if result['p99_target_met'] else 'NOT met'})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
