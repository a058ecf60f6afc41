"""Benchmark: latency and throughput of /api/v1/monitor against a static JSON body, same server, same run.

Starts ``uvicorn magwatch.web.app:create_app`` (httptools, uvloop; ``--workers`` processes,
default 1) on a free 127.0.0.1 port over a store with the bundled data, and drives it from
a second process with ``wrk`` (a C load generator; Debian package ``wrk``):
``wrk -t1 -c50 -d30s --latency`` per endpoint, so the client takes one core and the
server the other. The baseline is ``/healthz`` (a fixed 15-byte JSON body that never touches
the store) on the same server in the same run. Targets: monitor p99 < 50 ms, and < 3x the
baseline p99.

    .venv/bin/python bench/api.py [--seconds 30] [--connections 50] [--threads 1]
                                  [--workers 1] [--rounds 1] [--month 2025-06]

First paint: before any load, the freshly started server (which warms its pages at start,
:func:`magwatch.web.cache.warm`) is asked once for each dashboard page (:data:`PAGES`), timed
as "cold", then five times more, the median timed as "warm". Target: every cold first
request under 300 ms, reported beside the warm time of the same page in the same run.
The first monitor request is timed apart as "cold" too. Later ones are answered by the server's response cache, which is keyed by the
request and the store stamp (file identity, size, mtime, DuckDB header digest, WAL size), so
they are exact for the store state. The monitor body is checked before and after the load
(world figure for the month). With ``--rounds N`` the two endpoints are measured
alternately N times and the verdict uses the median p99 of each.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

P99_TARGET_MS = 50.0
COLD_TARGET_MS = 300.0
#: Each dashboard page's first view and the monitor API ({month} is the run's month).
PAGES = ("/", "/?month={month}", "/?month=2025-10&focus=DEU", "/?focus=EUU", "/partner/USA", "/partner/DEU", "/partner/DEU?span=all", "/events",
         "/events/study?event=ev-2025-04-04&partner=USA", "/risk",
         "/provenance?partner=WLD&period={month}", "/api/v1/monitor")
RATIO_TARGET = 3.0
WRK_PACKAGE = "wrk"          # Debian/Ubuntu package providing /usr/bin/wrk (4.1.0 on bookworm)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(f"bench/api.py: the load generator 'wrk' is not installed; install the "
                         f"'{WRK_PACKAGE}' package (apt-get install -y {WRK_PACKAGE})")
    return wrk


def start_server(db: Path, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "MAGWATCH_DB": str(db)}
    env.pop("MAGWATCH_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "magwatch.web.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                             "--http", "httptools", "--loop", "uvloop", "--backlog", "1024",
                             "--log-level", "warning", "--no-access-log"], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start within 60 s")


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not found:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(found.group(1)) * _UNIT_MS[found.group(2)]


def parse_wrk(output: str) -> dict:
    """Requests, throughput, p50/p90/p99/max latency and error counts from ``wrk --latency`` output."""
    percent = {int(p): _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M)}
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+)", output, re.M)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    latency = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.M)
    if not (total and rate and latency and {50, 99} <= percent.keys()):
        raise SystemExit(f"could not read wrk's output:\n{output}")
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"requests": int(total.group(1)), "throughput_rps": float(rate.group(1)),
            "p50_ms": round(percent[50], 3), "p90_ms": round(percent[90], 3),
            "p99_ms": round(percent[99], 3), "max_ms": round(_ms(latency.group(3)), 3),
            "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


def drive(wrk: str, url: str, seconds: float, connections: int, threads: int) -> dict:
    done = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
                           "--timeout", "10s", url], capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return {"url": url, **parse_wrk(done.stdout)}


def fetch_world(url: str) -> tuple[float, float]:
    """(world net weight in t, elapsed ms) of one monitor request."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as r:
        body = json.loads(r.read())
    return body["world"]["net_weight_t"], (time.perf_counter() - t0) * 1000


def fetch_ms(url: str) -> float:
    """Elapsed ms of one GET of ``url`` (status 200 required)."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as r:
        r.read()
        if r.status != 200:
            raise SystemExit(f"{url} answered {r.status}")
    return (time.perf_counter() - t0) * 1000


def first_paint(base: str, month: str, repeats: int = 5) -> list[dict]:
    """Per page: the first request's ms on a fresh server (cold) and the median of later ones."""
    urls = [base + page.format(month=month) for page in PAGES]
    cold = [fetch_ms(url) for url in urls]
    rows = []
    for url, first in zip(urls, cold):
        warm = statistics.median(fetch_ms(url) for _ in range(repeats))
        rows.append({"page": url[len(base):], "cold_ms": round(first, 1), "warm_ms": round(warm, 2),
                     "cold_target_met": first < COLD_TARGET_MS})
    return rows


def print_paint(paint: list[dict], started_s: float) -> None:
    print(f"server start to /healthz (warm-up included): {started_s:.1f} s")
    for r in paint:
        print(f"first paint {r['page']:<48} cold {r['cold_ms']:>8.1f} ms  warm {r['warm_ms']:>7.2f} ms  "
              f"(target cold < {COLD_TARGET_MS:g} ms: {'met' if r['cold_target_met'] else 'NOT met'})")


def report_paint(paint: list[dict], started_s: float, out: Path) -> None:
    """Print the first-paint table and write it with the machine's load to ``out``."""
    print_paint(paint, started_s)
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.2f}; first paint target "
          f"{'met' if all(r['cold_target_met'] for r in paint) else 'NOT met'} on every page")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"cpus": os.cpu_count(), "loadavg_at_end": [round(x, 2) for x in load],
                               "server_start_s": round(started_s, 2), "first_paint": paint,
                               "target_ms": COLD_TARGET_MS}, indent=2) + "\n", encoding="utf-8")


def summary(rounds: list[dict]) -> dict:
    """One row per endpoint: each figure's median over the rounds (the round itself if one)."""
    out = {"url": rounds[0]["url"]}
    for name in rounds[0]:
        if name != "url":
            out[name] = statistics.median(r[name] for r in rounds)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="per endpoint and round")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1, help="wrk client threads")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--rounds", type=int, default=1, help="alternate baseline/monitor this many times")
    ap.add_argument("--month", default="2025-06")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "api.json")
    ap.add_argument("--first-paint-only", action="store_true",
                    help="measure the first paint of every page and stop (no load, no wrk)")
    args = ap.parse_args()
    wrk = None if args.first_paint_only else find_wrk()

    import magwatch

    with tempfile.TemporaryDirectory(prefix="magwatch-bench-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        with magwatch.open(db) as mw:
            mw.load()
        port = free_port()
        launched = time.monotonic()
        server = start_server(db, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        target = f"{base}/api/v1/monitor?month={args.month}"
        baselines, monitors = [], []
        try:
            started_s = time.monotonic() - launched
            paint = first_paint(base, args.month)
            if args.first_paint_only:
                report_paint(paint, started_s, args.out.with_name("first_paint.json"))
                return
            world, cold_ms = fetch_world(target)
            for _ in range(10 * (args.workers - 1)):   # new connections land on every worker
                fetch_world(target)                     # (each computes once), not measured
            for _ in range(args.rounds):
                baselines.append(drive(wrk, f"{base}/healthz", args.seconds, args.connections, args.threads))
                monitors.append(drive(wrk, target, args.seconds, args.connections, args.threads))
            world_after, _ = fetch_world(target)
        finally:
            server.terminate()
            server.wait(timeout=30)
    if world_after != world:
        raise SystemExit(f"monitor answer changed under load: {world} t, then {world_after} t")

    baseline, monitor = summary(baselines), summary(monitors)
    base_p99, mon_p99 = baseline["p99_ms"], monitor["p99_ms"]
    ratio = mon_p99 / base_p99 if base_p99 else float("inf")
    errors = sum(r["socket_errors"] + r["non_2xx"] for r in baselines + monitors)
    load = os.getloadavg()
    result = {"client": f"wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s --latency",
              "server": f"uvicorn --workers {args.workers} --http httptools --loop uvloop",
              "cpus": os.cpu_count(), "loadavg_at_end": [round(x, 2) for x in load],
              "seconds": args.seconds, "connections": args.connections, "rounds": args.rounds,
              "month": args.month, "world_t": world, "monitor_cold_ms": round(cold_ms, 1),
              "server_start_s": round(started_s, 2), "first_paint": paint,
              "first_paint_target_ms": COLD_TARGET_MS,
              "first_paint_target_met": all(r["cold_target_met"] for r in paint),
              "baseline": baseline, "monitor": monitor,
              "rounds_measured": {"baseline": baselines, "monitor": monitors},
              "p99_ratio_vs_baseline": round(ratio, 2), "errors": errors,
              "targets": {"p99_ms": P99_TARGET_MS, "ratio": RATIO_TARGET},
              "p99_target_met": mon_p99 < P99_TARGET_MS, "ratio_target_met": ratio < RATIO_TARGET}
    print(f"server: {result['server']}, 127.0.0.1; client: {result['client']} "
          f"(second process); {os.cpu_count()} CPUs, load average at end {load[0]:.2f}")
    print_paint(paint, started_s)
    print(f"monitor cold (first request, computes): {cold_ms:,.0f} ms; world {args.month} = {world:,.0f} t")
    for i, (b, m) in enumerate(zip(baselines, monitors), start=1):
        for name, row in (("/healthz (baseline)", b), (f"/api/v1/monitor?month={args.month}", m)):
            print(f"round {i}  {name:<32} {row['throughput_rps']:>9,.0f} req/s  p50 {row['p50_ms']:>7.2f} ms  "
                  f"p99 {row['p99_ms']:>7.2f} ms  max {row['max_ms']:>8.2f} ms  "
                  f"errors {row['socket_errors'] + row['non_2xx']}")
    print(f"monitor p99 / baseline p99 = {mon_p99:.2f} / {base_p99:.2f} ms = {ratio:.2f}x "
          f"(target < {RATIO_TARGET:g}x: {'met' if result['ratio_target_met'] else 'NOT met'}); "
          f"monitor p99 {mon_p99:.2f} ms (target < {P99_TARGET_MS:g} ms: "
          f"{'met' if result['p99_target_met'] else 'NOT met'}); errors {errors}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if errors:
        raise SystemExit(f"{errors} failed requests during the load")


if __name__ == "__main__":
    main()
