"""The partner page's unit values: the bundled store's months and a test series with flags.

The figures written here are test figures (not trade data); oxide prices are the bundled
re_prices.csv rows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import magwatch
from magwatch.web.app import create_app

HEADER = "reporter,partner,flow,commodity,period,net_weight_t,value_usd\n"


@pytest.fixture(scope="module")
def client(bundled_db: Path, tmp_path_factory) -> TestClient:
    folder = tmp_path_factory.mktemp("unitvalues")
    copy = folder / "store.duckdb"
    shutil.copy(bundled_db, copy)
    lines = [f"USA,JPN,M,8505110070,{m},100,{5_000_000 + i * 10_000}" for i, m in enumerate(
        ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"])]
    lines.append("USA,JPN,M,8505110070,2025-08,100,2000000")
    (folder / "jpn.csv").write_text(HEADER + "\n".join(lines) + "\n")
    (folder / "eur.csv").write_text("reporter,partner,flow,commodity,period,net_weight_t,value,currency\n"
                                    "DEU,CHN,M,85051110,2025-06,20,900000,EUR\n")
    with magwatch.open(copy) as mw:
        mw.import_file(folder / "jpn.csv", vintage="2025-09-20")
        mw.import_file(folder / "eur.csv", vintage="2025-07-20")
    return TestClient(create_app(copy, token=None), raise_server_exceptions=False)


def _table(page: str) -> str:
    return re.search(r'<table id="unit-values">.*?</table>', page, re.S).group(0)


def test_the_bundled_partner_page_shows_its_unit_values(client):
    table = _table(client.get("/partner/USA").text)
    assert "November 2025" in table and "45.96" in table and "51.72" in table
    assert "only in CNY/t, and magwatch holds no exchange rate" in table
    assert not re.search(r"\b\d{4}-\d{2}\b", re.sub(r"<[^>]+>", "", table))      # no month codes


def test_a_flagged_month_shows_its_flags(client):
    page = client.get("/partner/JPN", params={"reporter": "USA", "commodity": "8505110070",
                                              "flow": "M"}).text
    table = _table(page)
    assert "20.00" in table and "-60.6%" in table
    assert table.count('class="flag"') == 2
    assert "robust SD below the median 50.35 USD/kg" in table
    assert "moved +14.7% to +34.2% from July 2025 to August 2025" in table     # months in words


def test_a_value_in_euro_is_shown_unconverted(client):
    page = client.get("/partner/CHN", params={"reporter": "DEU", "flow": "M"}).text
    table = _table(page)
    assert "Value 900,000 EUR (45.00 EUR per kg), not converted to USD" in table
    assert "magwatch holds no exchange rate" in table
