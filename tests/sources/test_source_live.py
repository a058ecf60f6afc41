"""Live calls to the real statistics APIs. Skipped by default; run with ``pytest -m live``.

Comtrade and Census need ``COMTRADE_API_KEY`` / ``CENSUS_API_KEY`` (Comtrade falls back to
the keyless preview when the key is unset); Comext needs no key. Each test fetches one
small batch into a temporary store and checks the canonical shape, not particular figures.
"""

from __future__ import annotations

import os

import pytest

import magwatch

pytestmark = pytest.mark.live


def _fetch(tmp_path, source, **query):
    with magwatch.open(tmp_path / "live.duckdb") as mw:
        report = mw.fetch(source, **query)
        rows = mw.flows(source=source, months=0).to_pylist()
    return report, rows


def test_live_comtrade_china_exports_850511_2023(tmp_path):
    report, rows = _fetch(tmp_path, "comtrade", reporter="CHN", commodity="850511", flow="X",
                          start="2023-01", end="2023-01", freq="A")
    assert report.batches
    assert all(r["reporter"] == "CHN" and r["commodity"] == "850511" for r in rows)


@pytest.mark.skipif(not os.environ.get("CENSUS_API_KEY"), reason="needs CENSUS_API_KEY")
def test_live_census_us_imports_from_china(tmp_path):
    report, rows = _fetch(tmp_path, "census", partner="CHN", commodity="850511", flow="M",
                          start="2024-01", end="2024-03")
    assert rows and {r["partner"] for r in rows} == {"CHN"}
    assert all(r["vintage_precision"] in ("day", "month") for r in rows)


def test_live_comext_eu_imports_from_china(tmp_path):
    report, rows = _fetch(tmp_path, "comext", start="2024-01", end="2024-03")
    assert rows and {r["reporter"] for r in rows} == {"EUU"}
    assert all(r["currency"] == "EUR" and r["value_usd"] is None for r in rows)
