"""Deterministic synthetic Comtrade-shaped monthly trade data, streamed to Parquet.

Rows are reporter x partner x HS6 x month with the canonical observation columns
magwatch stores (net weight in kg, value in USD, vintage). Shape:

* series (reporter, partner, hs6) drawn once from a fixed seed; each series has a
  heavy-tailed (lognormal) level and a random walk month to month;
* ~8 % of series-months are missing (gaps, never zeros);
* partner ``WLD`` carries each reporter x hs6 x month total of the partners
  published that month;
* ~2 % of rows of the first release are revised in a later vintage (same key,
  new figures, vintage a few months later): the file holds both rows, as the
  store's history does;
* written month by month (one row group per month), so memory stays bounded by
  one month whatever ``rows`` is.

This is synthetic data for benchmarks only; nothing here is a real figure.

    python bench/synth.py --rows 2000000 --out /tmp/synth.parquet
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema([
    ("source", pa.string()), ("source_ref", pa.string()), ("reporter", pa.string()),
    ("partner", pa.string()), ("flow", pa.string()), ("classification", pa.string()),
    ("commodity", pa.string()), ("period", pa.date32()), ("period_months", pa.int8()),
    ("net_weight_kg", pa.float64()), ("value_usd", pa.float64()), ("vintage", pa.date32()),
    ("source_url", pa.string()), ("source_file", pa.string()), ("source_row", pa.int64()),
])


def plan(rows: int, months: int, reporters: int = 60, partners: int = 150,
         gap_rate: float = 0.08) -> tuple[int, int, int]:
    """(reporters, partners per reporter x hs6, hs6 codes) giving about ``rows`` rows."""
    per_month = rows / months / (1 - gap_rate)
    hs6 = max(1, int(round(per_month / (reporters * partners))))
    return reporters, partners, hs6


def generate(out: Path, rows: int = 20_000_000, months: int = 36, start: str = "2023-01",
             seed: int = 7, gap_rate: float = 0.08, revision_rate: float = 0.02) -> dict:
    """Write the file; returns counts. Same arguments -> same bytes."""
    rng = np.random.default_rng(seed)
    n_rep, n_par, n_hs = plan(rows, months, gap_rate=gap_rate)
    reporters = np.array([f"R{i:03d}" for i in range(n_rep)])
    partners = np.array([f"P{i:03d}" for i in range(n_par)])
    hs6 = np.array([f"{850000 + i:06d}" for i in range(n_hs)])
    n_series = n_rep * n_par * n_hs
    rep_idx = np.repeat(np.arange(n_rep), n_par * n_hs)
    par_idx = np.tile(np.repeat(np.arange(n_par), n_hs), n_rep)
    hs_idx = np.tile(np.arange(n_hs), n_rep * n_par)
    level = rng.lognormal(mean=9.0, sigma=2.2, size=n_series)          # heavy-tailed kg
    price = rng.lognormal(mean=3.5, sigma=0.6, size=n_series)          # USD per kg
    y0, m0 = int(start[:4]), int(start[5:7])
    writer = pq.ParquetWriter(out, SCHEMA, compression="zstd")
    written = revised = 0
    try:
        for k in range(months):
            year, month = divmod(m0 - 1 + k, 12)
            period = dt.date(y0 + year, month + 1, 1)
            vintage = period + dt.timedelta(days=75)
            level *= rng.lognormal(0.0, 0.15, size=n_series)
            present = rng.random(n_series) >= gap_rate
            idx = np.flatnonzero(present)
            weight = np.round(level[idx], 1)
            value = np.round(weight * price[idx], 0)
            # each batch: (rows published, their figures, vintage, all partner figures of the month)
            batches = [(idx, weight, value, vintage, weight, value)]
            rev = idx[rng.random(idx.size) < revision_rate]
            if rev.size:
                factor = rng.lognormal(0.0, 0.05, size=rev.size)
                pos = np.searchsorted(idx, rev)
                w_rev, v_rev = np.round(weight[pos] * factor, 1), np.round(value[pos] * factor, 0)
                all_w, all_v = weight.copy(), value.copy()
                all_w[pos], all_v[pos] = w_rev, v_rev
                batches.append((rev, w_rev, v_rev, vintage + dt.timedelta(days=120), all_w, all_v))
                revised += rev.size
            all_group = rep_idx[idx] * n_hs + hs_idx[idx]
            for ids, w, v, vin, all_w, all_v in batches:
                # World rows: per reporter x hs6 the sum of all partners of the month (with this
                # batch's revisions applied), published for the groups this batch touches.
                totals_w = np.bincount(all_group, weights=all_w, minlength=n_rep * n_hs)
                totals_v = np.bincount(all_group, weights=all_v, minlength=n_rep * n_hs)
                group = rep_idx[ids] * n_hs + hs_idx[ids]
                has = np.flatnonzero(np.bincount(group, minlength=n_rep * n_hs) > 0)
                n = ids.size + has.size
                table = pa.table({
                    "source": pa.array(["comtrade"] * n, pa.string()),
                    "source_ref": pa.array(["synthetic"] * n, pa.string()),
                    "reporter": np.concatenate([reporters[rep_idx[ids]], reporters[has // n_hs]]),
                    "partner": np.concatenate([partners[par_idx[ids]], np.full(has.size, "WLD")]),
                    "flow": pa.array(["X"] * n, pa.string()),
                    "classification": pa.array(["HS"] * n, pa.string()),
                    "commodity": np.concatenate([hs6[hs_idx[ids]], hs6[has % n_hs]]),
                    "period": pa.array([period] * n, pa.date32()),
                    "period_months": pa.array(np.ones(n, dtype=np.int8)),
                    "net_weight_kg": np.concatenate([w, np.round(totals_w[has], 1)]),
                    "value_usd": np.concatenate([v, totals_v[has]]),
                    "vintage": pa.array([vin] * n, pa.date32()),
                    "source_url": pa.array([None] * n, pa.string()),
                    "source_file": pa.array(["synthetic.parquet"] * n, pa.string()),
                    "source_row": pa.array(np.arange(written, written + n, dtype=np.int64)),
                }, schema=SCHEMA)
                writer.write_table(table)
                written += n
    finally:
        writer.close()
    return {"rows": written, "revised_rows": revised, "series": n_series, "reporters": n_rep,
            "partners": n_par, "hs6": n_hs, "months": months}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(generate(args.out, rows=args.rows, months=args.months, seed=args.seed))


if __name__ == "__main__":
    main()
