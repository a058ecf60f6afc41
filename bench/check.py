"""Benchmark: the claim checker on a 1,000-word article, cold and warm, against extraction alone.

The article is magwatch's own briefs for several months (their prose, real figures from the
bundled store) cut to about 1,000 words. Timed in one process over a fresh copy of the bundled
store: the first check (cold: the store's figures read, the monitor computed for each month the
text names), then the same text again with the same checker (warm: every lookup already made),
and, as the baseline of the same run, extracting the claims without the store.
Target: warm < 0.3 s.

Run: .venv/bin/python bench/check.py [--words N] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import magwatch
from magwatch.report.brief import build
from magwatch.report.check import Checker, check_text
from magwatch.report.claims import extract

MONTHS = ("2025-06", "2025-07", "2025-09", "2025-10", "2025-12")


def article(handle, words: int) -> str:
    """Prose of the briefs of MONTHS, paragraph by paragraph, until ``words`` words."""
    out, count = [], 0
    for month in MONTHS:
        md = build(handle, month, formats=("md",), charts=False, paths=200).markdown
        for para in md.split("\n\n"):
            if para.startswith(("[^", "|", "![", "#")) or not para.strip():
                continue
            out.append(para)
            count += len(para.split())
            if count >= words:
                return "\n\n".join(out)
    return "\n\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with magwatch.open(Path(tmp) / "bench.duckdb") as mw:
            mw.load()
        with magwatch.open(Path(tmp) / "bench.duckdb", read_only=True) as handle:
            text = article(handle, args.words)
            checker = Checker(handle)
            t0 = time.perf_counter()
            verdicts = check_text(handle, text, checker=checker)
            cold = time.perf_counter() - t0
            warm, base = [], []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                check_text(handle, text, checker=checker)
                warm.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                extract(text, known_months=checker.known_months())
                base.append(time.perf_counter() - t0)
    w, b = statistics.median(warm), statistics.median(base)
    print(f"article: {len(text.split())} words, {len(verdicts)} claims")
    print(f"check cold: {cold:.3f} s")
    print(f"check warm: {w:.4f} s (median of {args.rounds})")
    print(f"extract only: {b:.4f} s (median of {args.rounds}); warm check / extract: {w / b:.1f}x")
    print(f"target warm < 0.3 s: {'met' if w < 0.3 else 'not met'}")


if __name__ == "__main__":
    main()
