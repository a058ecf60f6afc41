"""The release calendar, on fixed days (magwatch.calendar)."""

from __future__ import annotations

import datetime as dt

import pytest

from magwatch import calendar
from magwatch.errors import ParameterError
from magwatch.periods import Month


@pytest.mark.parametrize("today, due", [
    (dt.date(2025, 7, 19), "2025-05"),     # June's detail is not out before the 20th
    (dt.date(2025, 7, 20), "2025-06"),     # the bundled June 2025 figures are dated 2025-07-20
    (dt.date(2025, 7, 21), "2025-06"),
    (dt.date(2026, 1, 5), "2025-11"),      # across a year end
    (dt.date(2026, 1, 20), "2025-12"),
])
def test_china_customs_month_due_on_the_20th_of_the_next_month(today, due):
    assert str(calendar.newest_due(today)) == due


def test_due_dates_of_each_source():
    june = Month.parse("2025-06")
    assert calendar.due_date(june, "gacc") == dt.date(2025, 7, 20)
    assert calendar.due_date(june, "press") == dt.date(2025, 7, 20)      # press reports GACC
    assert calendar.due_date(june, "census") == dt.date(2025, 8, 4)       # 35 days after 30 June
    assert calendar.due_date(june, "comext") == dt.date(2025, 8, 15)
    assert calendar.due_date(june, "comtrade") == dt.date(2026, 6, 30)


def test_newest_due_of_other_sources():
    assert str(calendar.newest_due(dt.date(2025, 8, 3), "census")) == "2025-05"
    assert str(calendar.newest_due(dt.date(2025, 8, 4), "census")) == "2025-06"
    assert str(calendar.newest_due(dt.date(2025, 8, 14), "comext")) == "2025-05"
    assert str(calendar.newest_due(dt.date(2026, 6, 30), "comtrade")) == "2025-06"


def test_status_says_whether_the_store_has_the_due_month():
    behind = calendar.status(dt.date(2026, 12, 2), "2026-03")
    assert behind["newest_due"] == "2026-10" and behind["due_since"] == "2026-11-20"
    assert behind["up_to_date"] is False and behind["months_behind"] == 7
    assert behind["next_month"] == "2026-11" and behind["next_due"] == "2026-12-20"
    assert calendar.line(behind) == ("Data to March 2026; October 2026 is the newest China customs "
                                     "month due by today (7 months not yet in the store).")
    current = calendar.status(dt.date(2025, 7, 21), "2025-06")
    assert current["up_to_date"] is True and current["months_behind"] == 0
    assert calendar.line(current) == ("Data to June 2025; June 2025 is the newest China customs "
                                      "month due by today.")
    one = calendar.status(dt.date(2025, 7, 21), "2025-05")
    assert calendar.line(one).endswith("(1 month not yet in the store).")


def test_empty_store_and_unknown_source():
    empty = calendar.status(dt.date(2025, 7, 21), None)
    assert empty["up_to_date"] is False and empty["months_behind"] is None
    assert calendar.line(empty).startswith("No China customs months in the store; June 2025")
    with pytest.raises(ParameterError, match="no release calendar for 'nbs'"):
        calendar.newest_due(dt.date(2025, 7, 21), "nbs")
