"""The partner page draws the partner's own import statistics (the mirror) beside the exports."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

import magwatch
from magwatch.web.app import create_app


def chart_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_bundled_store_says_the_partner_side_is_missing(bundled_db, tmp_path):
    copy = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, copy)
    page = TestClient(create_app(copy, token=None)).get("/partner/USA")
    assert page.status_code == 200
    assert "Mirror: United States' own import statistics" in html.unescape(page.text)
    assert "partner side missing" in page.text
    assert "mirror" not in chart_data(page.text)          # no second line without figures


def test_partner_side_imports_are_drawn_as_a_second_line(bundled_db, tmp_path):
    copy = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, copy)
    # Importer-side test figures (not statistics): US imports from China of HS 850511.
    imports = tmp_path / "us_imports.csv"
    imports.write_text("reporter,partner,flow,commodity,period,net_weight_t\n"
                       "USA,CHN,M,850511,2025-05,60\n"
                       "USA,CHN,M,850511,2025-06,300\n"
                       "USA,CHN,M,850511,2025-07,420\n", encoding="utf-8")
    with magwatch.open(copy) as mw:
        mw.import_file(imports, source="user", vintage="2025-09-01")
    page = TestClient(create_app(copy, token=None)).get("/partner/USA")
    assert page.status_code == 200
    chart = chart_data(page.text)
    drawn = {p: t for p, t in zip(chart["periods"], chart["mirror"]) if t is not None}
    assert drawn and set(drawn.values()) <= {60.0, 300.0, 420.0}
    assert chart["mirror_label"] == "United States' imports from China (mirror)"
    assert "/api/v1/mirror?partner=USA" in page.text
