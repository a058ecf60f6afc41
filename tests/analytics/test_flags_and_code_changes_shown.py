"""Flags and code changes where the figures show: ``monitor --format json`` and the brief (the
partner page: tests/web/test_partner_flags.py). Every figure here is TEST DATA written by the tests (the files' names and notes say
so), not trade statistics; the one line given a validity date is patched for the test."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import magwatch
from magwatch.codes import commodities

FLAGGED = """reporter,partner,flow,commodity,period,net_weight_t,flag,flag_raw,note
CHN,WLD,X,85051110,2025-05,100,,,TEST DATA
CHN,JPN,X,85051110,2025-05,40,,,TEST DATA
CHN,DEU,X,85051110,2025-05,30,,,TEST DATA
CHN,WLD,X,85051110,2025-06,110,provisional,,TEST DATA
CHN,JPN,X,85051110,2025-06,45,estimated,,TEST DATA
CHN,DEU,X,85051110,2025-06,,confidential,OBS_FLAG=c,TEST DATA
CHN,KOR,X,85051110,2025-06,,below_threshold,,TEST DATA
"""

#: Germany's imports from China in the undivided EU line and in its successor (test figures).
SPLIT = """reporter,partner,flow,classification,commodity,period,net_weight_t,note
DEU,CHN,M,CN-EU,85051100,2016-12,50,TEST DATA
DEU,CHN,M,CN-EU,85051110,2025-05,40,TEST DATA
DEU,CHN,M,CN-EU,85051110,2025-06,45,TEST DATA
DEU,WLD,M,CN-EU,85051110,2025-06,90,TEST DATA
"""


def store_of(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    db = tmp_path / f"{path.stem}.duckdb"
    with magwatch.open(db) as mw:
        mw.import_file(path, vintage="2025-07-20")
    return db


@pytest.fixture
def flagged_db(tmp_path):
    return store_of(tmp_path, "flags_test_figures.csv", FLAGGED)


def test_monitor_json_gives_each_entry_its_flag(flagged_db, cli):
    code, out, err = cli(flagged_db, "monitor", "--month", "2025-06", "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    assert (got["world"]["flag"], got["world"]["flag_text"]) == ("provisional", "provisional")
    partners = {e["partner"]: e for e in got["partners"]}
    assert partners["JPN"]["flag"] == "estimated" and partners["JPN"]["net_weight_t"] == 45.0
    deu, kor = partners["DEU"], partners["KOR"]
    assert deu["net_weight_t"] is None and deu["flag_text"] == "suppressed (confidential)"
    assert deu["flag_raw"] == "OBS_FLAG=c" and kor["flag_text"] == "suppressed (below threshold)"
    assert "not a zero" in deu["basis"]["net_weight_t"]
    assert any(n.startswith("Germany: suppressed (confidential)") for n in got["notes"])
    assert not any("DEU" in line for line in got["lacks"])   # not 'without a figure here'
    assert not any(n.startswith("code change: ") for n in got["notes"])


def test_brief_tables_and_notes_show_flags(flagged_db):
    from magwatch.report import brief

    with magwatch.open(flagged_db, read_only=True) as mw:
        text = brief.build(mw, "2025-06", formats=("md",), scenario=None).markdown
    assert "| - | Germany | suppressed (confidential) | - | - | - |" in text
    assert "45 t[^" in text and "(estimated)" in text
    assert "- Germany: suppressed (confidential) in user" in text
    assert "- World: the figure is provisional" in text
    assert "| Germany | 0" not in text


def test_a_series_beside_its_predecessor_line_says_it_crosses_a_code_change(tmp_path, cli):
    db = store_of(tmp_path, "split_test_figures.csv", SPLIT)
    code, out, err = cli(db, "monitor", "--month", "2025-06", "--reporter", "DEU", "--flow", "M",
                         "--commodity", "85051110", "--format", "json")
    assert code == 0, err
    [note] = [n for n in json.loads(out)["notes"] if n.startswith("code change: ")]
    assert note.startswith("code change: the store also holds CN-EU 85051100, the line 85051110 "
                           "came from")
    assert "not confirmed" in note


@pytest.fixture
def dated_line(monkeypatch):
    """China's magnet line given a valid_from of 2025-06-01: a TEST DATE, not its real
    validity (which no source confirms; commodities.csv keeps it unknown)."""
    lines = dict(commodities._lines())
    key = ("CN-CHN", "85051110")
    lines[key] = commodities._Line(*[getattr(lines[key], f) for f in (
        "classification", "code", "description", "source", "verified", "note")],
        valid_from=dt.date(2025, 6, 1), validity_note="test date")
    monkeypatch.setattr(commodities, "_lines", lambda: lines)


def test_months_before_a_lines_valid_from_are_noted_in_monitor_and_brief(tmp_path, dated_line):
    from magwatch.report import brief

    db = store_of(tmp_path, "flags_test_figures.csv", FLAGGED)
    with magwatch.open(db, read_only=True) as mw:
        [note] = [n for n in mw.monitor("2025-06").to_dict()["notes"] if "code change" in n]
        text = brief.build(mw, "2025-06", formats=("md",), scenario=None).markdown
    assert note == ("code change: CN-CHN 85051110 is valid from 2025-06-01; the series has months "
                    "before it (from 2025-05): they are of another code")
    assert "## Flags and code changes" in text and f"- Code change: {note[13:]}." in text


def test_commodity_lines_carry_dates_and_lineage():
    split = commodities.validity("CN-EU", "85051100")
    assert split["successors"] == ["85051110", "85051190"]
    assert split["valid_from"] is None and split["valid_to"] is None      # not confirmed
    assert "not confirmed" in split["note"]
    assert commodities.validity("CN-EU", "85051110")["predecessors"] == ["85051100"]
    assert commodities.NEXT_HS_EDITION == ("HS 2028", dt.date(2028, 1, 1))
    for (classification, code), line in commodities._lines().items():
        assert line.valid_from is None and line.valid_to is None, (classification, code)
        assert line.validity_note, (classification, code)
    late = commodities.crossings("HS", "850511", dt.date(2027, 1, 1), dt.date(2028, 3, 1))
    assert late == ["months from 2028-01 are under HS 2028, which takes effect on 2028-01-01; "
                    "whether it changes HS 850511 is not confirmed"]
