"""The event registry: bundled timeline + scope mapping, validation, CSV import, chart hooks."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import pytest

import magwatch
from magwatch.bundled import data_dir
from magwatch.errors import InputError, ParameterError
from magwatch.events.registry import EVENT_TYPES, chart_events, scope_path


def _bundled_rows():
    with (data_dir() / "rare_earth_events.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _scope_rows():
    with scope_path().open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def test_every_bundled_event_has_one_explicit_scope_row():
    bundled, scope = _bundled_rows(), _scope_rows()
    assert [int(r["source_row"]) for r in scope] == list(range(1, len(bundled) + 1))
    assert [r["date"] for r in scope] == [r["date"] for r in bundled]
    assert len({r["event_id"] for r in scope}) == len(scope)
    for r in scope:
        assert r["basis"] in ("stated", "inferred") and r["reasoning"].strip(), r


def test_registry_is_seeded_from_the_bundled_timeline(mw):
    events = mw.events().to_pylist()
    assert len(events) == len(_bundled_rows())
    assert all(e["origin"] == "bundled" and e["scope_basis"] in ("stated", "inferred") for e in events)
    april = next(e for e in events if e["event_id"] == "ev-2025-04-04")
    assert april["event_date"] == dt.date(2025, 4, 4) and april["event_type"] == "export_control"
    assert april["partners"] == ["ALL"] and april["commodities"] == ["85051110"]
    assert "Dy" in april["elements"] and april["source_row"] == 11
    assert april["source_url"].startswith("https://hklaw.com/")
    assert {e["event_type"] for e in events} <= set(EVENT_TYPES)
    assert mw.events().num_rows == len(events)          # seeding is idempotent


def test_filters(mw):
    june = mw.events(start="2025-06", end="2025-06").column("event_id")
    assert june == ["ev-2025-06-05", "ev-2025-06-10", "ev-2025-06-19", "ev-2025-06-26"]
    licences = mw.events(event_type="licence").column("event_type")
    assert licences and set(licences) == {"license"}
    japan = mw.events(partner="JPN").to_pylist()
    ids = {e["event_id"] for e in japan}
    assert "ev-2026-01-08" in ids and "ev-2025-06-10" not in ids   # USA-only event left out
    assert {e["touches_partner"] for e in japan} <= {"yes", "all", "unspecified"}
    with pytest.raises(ParameterError, match="'type'"):
        mw.events(event_type="coup")
    with pytest.raises(ParameterError, match="'from'"):
        mw.events(start="June")


def test_add_event_validates_and_is_idempotent(mw):
    row = mw.add_event(date="2026-02-01", actor="Test ministry", event_type="tariff",
                       summary="<script>alert(1)</script> & duty on magnets",
                       source_url="https://example.org/a", partners="usa;jpn",
                       commodities="85051110", elements="nd;DY")
    assert row["added"] and row["event_id"].startswith("u-2026-02-01-")
    stored = mw.events(start="2026-02-01", end="2026-02-01").to_pylist()[0]
    assert stored["summary"] == "<script>alert(1)</script> & duty on magnets"   # text, verbatim
    assert stored["partners"] == ["USA", "JPN"] and stored["elements"] == ["Nd", "Dy"]
    assert stored["scope_basis"] == "user"
    again = mw.add_event(date="2026-02-01", actor="Test ministry", event_type="tariff",
                         summary="<script>alert(1)</script> & duty on magnets",
                         source_url="https://example.org/a")
    assert not again["added"]


@pytest.mark.parametrize("field,value,match", [
    ("event_type", "embargo", "'event_type'"),
    ("date", "2025-13-01", "'date'"),
    ("summary", "two\nlines", "'summary'"),
    ("summary", "", "'summary'"),
    ("source_url", "javascript:alert(1)", "'source_url'"),
    ("partners", "USA;XXX", "'partners'"),
    ("partners", "ALL;USA", "'partners'"),
    ("commodities", "8505.11", "'commodities'"),
    ("elements", "Qq", "'elements'"),
    ("event_id", "bad id!", "'event_id'"),
])
def test_add_event_rejects_bad_values_naming_the_field(mw, field, value, match):
    fields = dict(date="2026-02-01", actor="x", event_type="other", summary="ok")
    fields[field] = value
    before = mw.events().num_rows
    with pytest.raises(ParameterError, match=match):
        mw.add_event(**fields)
    assert mw.events().num_rows == before


def test_existing_id_with_other_content_is_refused(mw):
    with pytest.raises(ParameterError, match="already exists"):
        mw.add_event(date="2025-06-10", actor="x", event_type="other", summary="other text",
                     event_id="ev-2025-06-10")


def _write(path, rows):
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_import_csv(mw, tmp_path):
    path = _write(tmp_path / "events.csv", [
        "date,actor,event_type,summary,source_url,partners,commodities",
        "2026-02-10,EU Commission,trade_deal,EU and China agree a magnet dialogue,https://example.org/b,EUU,85051110",
        "2026-03-01,Japan METI,investment,Stockpile of heavy rare earths,,JPN,NONE",
    ])
    result = mw.import_events(path)
    assert result == {"rows": 2, "added": 2, "skipped": 0}
    assert mw.import_events(path) == {"rows": 2, "added": 0, "skipped": 2}
    rows = mw.events(start="2026-02-10").to_pylist()
    stockpile = next(r for r in rows if r["actor"] == "Japan METI")
    assert stockpile["commodities"] == [] and stockpile["source_file"] == "events.csv"


@pytest.mark.parametrize("lines,where", [
    (["date,actor,event_type,summary", "2026-02-10,a,tariff,ok", "2026-02-31,b,tariff,bad day"],
     "row 2, field 'date'"),
    (["date,actor,event_type,summray", "2026-02-10,a,tariff,ok"], "field 'summray'"),
    (["date,actor,summary", "2026-02-10,a,ok"], "field 'event_type'"),
    (["date,actor,event_type,summary", "2026-02-10,a,tariff,ok,extra"], "row 1"),
    (["date,actor,event_type,summary,event_id", "2026-02-10,a,tariff,ok,x1",
      "2026-02-11,a,tariff,ok,x1"], "row 2, field 'event_id'"),
    (["date,actor,event_type,summary"], "no event rows"),
])
def test_import_errors_name_file_row_field_and_store_nothing(mw, tmp_path, lines, where):
    path = _write(tmp_path / "bad.csv", lines)
    before = mw.events().num_rows
    with pytest.raises(InputError) as err:
        mw.import_events(path)
    message = str(err.value)
    assert "bad.csv" in message and where in message and "\n" not in message
    assert mw.events().num_rows == before


def test_import_missing_and_binary_files(mw, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        mw.import_events(tmp_path / "absent.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"date,actor\n\xff\xfe\x00")
    with pytest.raises(InputError, match="UTF-8"):
        mw.import_events(binary)


def test_chart_hook_returns_events_in_range(mw):
    marks = chart_events(mw.store, "2025-04-01", "2025-04-30", partner="USA")
    assert [m["date"] for m in marks] == sorted(m["date"] for m in marks)
    ids = [m["event_id"] for m in marks]
    assert "ev-2025-04-04" in ids and "ev-2025-04-09" in ids
    assert all(len(m["label"]) <= 60 for m in marks)


def test_read_only_store_lists_bundled_events(bundled_db, tmp_path):
    copy = tmp_path / "ro.duckdb"
    shutil.copy(bundled_db, copy)
    with magwatch.open(copy, read_only=True) as ro:
        assert ro.events().num_rows == len(_bundled_rows())
