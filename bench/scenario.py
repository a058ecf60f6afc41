"""Benchmark: the vectorised scenario Monte Carlo against a pure-Python loop, same run.

Size: 100,000 paths x 24 months x 20 importers x 6 sectors (288 million simulated cells).
The loop (magwatch.risk.scenario.simulate_loop) runs on a slice of paths with the same
draws; every cell of the slice is compared with the vectorised result, then the time per
cell of both is compared. Targets (2-core machine): >= 50x per cell, full run < 10 s,
peak memory < 4 GB. The model numbers here are synthetic sizes for timing, not data.

Run: .venv/bin/python bench/scenario.py [--paths N] [--loop-paths N]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from magwatch.risk.scenario import Alternative, Model, draw, simulate, simulate_chunk, simulate_loop


def bench_model(importers: int = 20, sectors: int = 6, months: int = 24) -> Model:
    rng = np.random.default_rng(2025)
    split = rng.random((importers, sectors))
    split /= split.sum(axis=1, keepdims=True)
    return Model(importers=[f"I{i:02d}" for i in range(importers)],
                 sectors=[f"s{s}" for s in range(sectors)], months=months,
                 baseline=rng.uniform(50, 2500, importers), split=split,
                 cut_low=np.full(importers, 0.4), cut_high=np.full(importers, 0.95),
                 cover_low=np.full((importers, sectors), 2.0), cover_high=np.full((importers, sectors), 8.0),
                 delay_low=30, delay_mode=45, delay_high=130, restored_low=0.25, restored_high=0.6,
                 duration=6.0, growth=0.05, subst_low=0.0, subst_high=0.05, subst_from=3,
                 alternatives=[Alternative(i, 80.0, 2.0, 3.0, 12.0, 0.0, 0.5) for i in range(0, importers, 4)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--loop-paths", type=int, default=100)
    args = ap.parse_args()
    model = bench_model()
    n_i, n_s, n_t = len(model.importers), len(model.sectors), model.months

    # baseline: the pure-Python loop on a slice, with the draws of the full run
    d = draw(model, args.paths, seed=1)
    t0 = time.perf_counter()
    loop = simulate_loop(model, d, range(args.loop_paths), range(n_i))
    loop_s = time.perf_counter() - t0
    loop_cells = args.loop_paths * n_i * n_s * n_t
    vec = simulate_chunk(model, d, slice(0, args.loop_paths))
    worst = max(abs(float(vec.shortfall[i, s, t, p]) - v) for (p, i, s, t), v in loop["shortfall"].items())
    if worst > 1e-3:
        raise SystemExit(f"vectorised and loop results differ by {worst} t")
    del d, vec, loop

    # full vectorised run: simulate every path and compute the P10/P50/P90 per cell
    t0 = time.perf_counter()
    sim = simulate(model, args.paths, seed=1)
    sim_s = time.perf_counter() - t0
    q = sim.quantiles()
    full_s = time.perf_counter() - t0
    cells = args.paths * n_i * n_s * n_t
    per_loop, per_vec = loop_s / loop_cells, sim_s / cells
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"cells: {cells:,} ({args.paths:,} paths x {n_t} months x {n_i} importers x {n_s} sectors)")
    print(f"loop baseline: {loop_cells:,} cells in {loop_s:.2f} s = {per_loop * 1e9:,.0f} ns/cell; "
          f"all {loop_cells:,} cells equal to the vectorised run (max diff {worst:.2e} t)")
    print(f"vectorised:    {cells:,} cells in {sim_s:.2f} s = {per_vec * 1e9:,.1f} ns/cell")
    print(f"ratio per cell: {per_loop / per_vec:,.0f}x  (target >= 50x)  "
          f"{'OK' if per_loop / per_vec >= 50 else 'MISSED'}")
    print(f"full run incl. quantiles: {full_s:.2f} s  (target < 10 s)  {'OK' if full_s < 10 else 'MISSED'}")
    print(f"peak memory: {peak_gb:.2f} GB  (target < 4 GB)  {'OK' if peak_gb < 4 else 'MISSED'}")
    print(f"check: P50 total shortfall month 6 = {np.quantile(sim.total[6], 0.5):,.1f} t; q shape {q.shape}")


if __name__ == "__main__":
    main()
