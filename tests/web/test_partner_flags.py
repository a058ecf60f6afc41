"""The partner page shows each observation's flag, the months a source withheld, and the code
changes its series crosses. Every figure here is TEST DATA written by the test (the file's name
and notes say so), not trade statistics; the validity date given to China's line is a test date."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

import magwatch
from magwatch.codes import commodities

ROWS = """reporter,partner,flow,commodity,period,net_weight_t,flag,flag_raw,note
CHN,WLD,X,85051110,2025-05,100,,,TEST DATA
CHN,DEU,X,85051110,2025-05,30,,,TEST DATA
CHN,JPN,X,85051110,2025-05,40,,,TEST DATA
CHN,WLD,X,85051110,2025-06,110,provisional,,TEST DATA
CHN,JPN,X,85051110,2025-06,45,estimated,,TEST DATA
CHN,DEU,X,85051110,2025-06,,confidential,OBS_FLAG=c,TEST DATA
"""


def test_partner_page_shows_flags_withheld_months_and_code_changes(tmp_path, monkeypatch):
    lines = dict(commodities._lines())
    key = ("CN-CHN", "85051110")
    lines[key] = commodities._Line(*[getattr(lines[key], f) for f in (
        "classification", "code", "description", "source", "verified", "note")],
        valid_from=dt.date(2025, 6, 1), validity_note="test date")
    monkeypatch.setattr(commodities, "_lines", lambda: lines)
    path = tmp_path / "flags_test_figures.csv"
    path.write_text(ROWS, encoding="utf-8")
    with magwatch.open(tmp_path / "s.duckdb") as mw:
        mw.import_file(path, vintage="2025-07-20")
    from magwatch.web.app import create_app

    client = TestClient(create_app(tmp_path / "s.duckdb", token=None), raise_server_exceptions=False)
    page = client.get("/partner/DEU")
    assert page.status_code == 200
    assert "June 2025 suppressed (confidential) (user)" in page.text
    assert '<th scope="col" class="secondary">Flag</th>' in page.text and "(OBS_FLAG=c)" in page.text
    assert ("Code change: CN-CHN 85051110 is valid from 2025-06-01; the series has months before "
            "it (from 2025-05): they are of another code.") in page.text
    japan = client.get("/partner/JPN").text
    assert "<td class=\"secondary\">estimated</td>" in japan
