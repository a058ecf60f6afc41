"""magwatch.periods: the one month type (parsing, arithmetic, words) and spans of months."""

from __future__ import annotations

import datetime as dt

import pytest

from magwatch import params
from magwatch.errors import ParameterError
from magwatch.periods import Month, Span, month_range, today_month


# -- parsing -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2025-06", (2025, 6)),
    ("2025-6", (2025, 6)),
    (" 2025-06 ", (2025, 6)),
    ("202506", (2025, 6)),
    ("2025-06-01", (2025, 6)),
    ("2026-04-01 00:00:00", (2026, 4)),          # an Excel date as text
    ("2026-04-01T00:00:00", (2026, 4)),
    ("1900-01", (1900, 1)),
    ("2199-12", (2199, 12)),
])
def test_parse_text(text, expected):
    m = Month.parse(text)
    assert (m.year, m.month) == expected


def test_parse_dates_and_months():
    assert Month.parse(dt.date(2025, 6, 17)) == Month(2025, 6)
    assert Month.parse(dt.datetime(2026, 4, 1, 0, 0)) == Month(2026, 4)
    assert Month.parse(202506) == Month(2025, 6)             # a number cell in a sheet
    m = Month(2024, 2)
    assert Month.parse(m) is m


@pytest.mark.parametrize("bad", ["", "2025", "2025-13", "2025-00", "2025-06-15", "June 2025",
                                 "2025/06", "20250", "2025-06-01 12:00:00", None, 2025.5])
def test_parse_refuses_bad_values_naming_the_parameter(bad):
    with pytest.raises(ParameterError) as info:
        Month.parse(bad, "from")
    assert info.value.parameter == "from"
    assert str(info.value) == f"parameter 'from': expected YYYY-MM, got {bad!r}"


@pytest.mark.parametrize("far", ["9999-12", "1899-12", "2200-01", dt.date(9999, 12, 1)])
def test_parse_refuses_far_months(far):
    with pytest.raises(ParameterError, match="parameter 'month': year must be 1900 to 2199"):
        Month.parse(far)


def test_optional():
    assert Month.optional(None) is None
    assert Month.optional("  ") is None
    assert Month.optional("2025-01") == Month(2025, 1)
    with pytest.raises(ParameterError, match="'to'"):
        Month.optional("soon", "to")


def test_constructor_checks_the_month():
    with pytest.raises(ValueError):
        Month(2025, 13)
    with pytest.raises(ValueError):
        Month(2025, 0)


# -- params.month: the same parser, a date out ------------------------------------------------

def test_params_month_returns_the_first_day():
    assert params.month("2025-06") == dt.date(2025, 6, 1)
    assert params.month("202506", "from") == dt.date(2025, 6, 1)
    assert params.month(dt.date(2025, 6, 17)) == dt.date(2025, 6, 1)
    assert params.month(None) is None


@pytest.mark.parametrize("bad", ["9999-12", "2025-13", "x", ""])
def test_params_month_refuses_in_one_line(bad):
    with pytest.raises(ParameterError) as info:
        params.month(bad, "period")
    assert info.value.parameter == "period" and "\n" not in str(info.value)


# -- arithmetic ------------------------------------------------------------------------------

def test_adding_and_subtracting_months_across_year_ends():
    assert Month(2024, 12) + 1 == Month(2025, 1)
    assert Month(2025, 1) - 1 == Month(2024, 12)
    assert Month(2025, 3) - 12 == Month(2024, 3)
    assert Month(2025, 1) - 13 == Month(2023, 12)
    assert Month(2024, 11) + 14 == Month(2026, 1)
    assert Month(2025, 6) + 0 == Month(2025, 6)
    assert Month(2025, 6) + (-6) == Month(2024, 12)


def test_months_between():
    assert Month(2025, 1) - Month(2024, 12) == 1
    assert Month(2024, 12) - Month(2025, 1) == -1
    assert Month(2026, 3) - Month(2024, 3) == 24
    assert Month(2025, 6) - Month(2025, 6) == 0


def test_arithmetic_may_step_past_the_parse_bounds():
    assert Month.parse("2199-12") + 1 == Month(2200, 1)
    assert Month.parse("1900-01") - 24 == Month(1898, 1)


def test_index_round_trips():
    for m in (Month(1900, 1), Month(2024, 12), Month(2025, 1), Month(2199, 12)):
        assert Month.from_index(m.index) == m
    assert Month(2025, 1).index - Month(2024, 12).index == 1
    assert Month.from_index(2025 * 12) == Month(2025, 1)


def test_until_is_inclusive_and_crosses_years():
    assert Month(2024, 11).until(Month(2025, 2)) == [Month(2024, 11), Month(2024, 12),
                                                     Month(2025, 1), Month(2025, 2)]
    assert Month(2025, 6).until(Month(2025, 6)) == [Month(2025, 6)]
    assert Month(2025, 6).until(Month(2025, 5)) == []
    assert [str(m) for m in month_range("2025-11", "202601")] == ["2025-11", "2025-12", "2026-01"]


def test_first_and_last_day():
    assert Month(2025, 6).first_day == dt.date(2025, 6, 1)
    assert Month(2024, 2).last_day == dt.date(2024, 2, 29)
    assert Month(2025, 2).last_day == dt.date(2025, 2, 28)
    assert Month(2025, 12).last_day == dt.date(2025, 12, 31)
    assert Month.of(dt.date(2025, 12, 31)) == Month(2025, 12)


def test_today_month():
    assert today_month(dt.date(2026, 1, 31)) == Month(2026, 1)


# -- words -----------------------------------------------------------------------------------

def test_text_and_labels():
    m = Month(2025, 6)
    assert str(m) == "2025-06" and f"{m}" == "2025-06"
    assert str(Month(1999, 1)) == "1999-01"
    assert repr(m) == "Month(2025-06)"
    assert m.name == "June"
    assert m.label() == "June 2025"
    assert m.label(short=True) == "Jun 2025"
    assert Month(2024, 12).label() == "December 2024"


def test_span_labels():
    assert Span(Month(2025, 1), 2).label() == "January–February 2025"
    assert Span(Month(2025, 1), 2).label(short=True) == "Jan–Feb 2025"
    assert Span(Month(2024, 11), 3).label() == "November 2024–January 2025"
    assert Span(Month(2025, 6)).label() == "June 2025"
    assert Span(Month(2025, 1), 12).label() == "2025"
    assert Span(Month(2025, 4), 12).label() == "April 2025–March 2026"
    assert str(Span(Month(2025, 1), 2)) == "2025-01+2"
    assert str(Span(Month(2025, 3))) == "2025-03"


def test_span_months():
    jan_feb = Span(Month(2025, 1), 2)
    assert jan_feb.last == Month(2025, 2)
    assert list(jan_feb) == [Month(2025, 1), Month(2025, 2)]
    assert Month(2025, 2) in jan_feb
    assert Month(2025, 3) not in jan_feb and Month(2024, 12) not in jan_feb
    assert list(Span(Month(2024, 12), 2)) == [Month(2024, 12), Month(2025, 1)]
    with pytest.raises(ValueError):
        Span(Month(2025, 1), 0)


# -- ordering and hashing --------------------------------------------------------------------

def test_ordering():
    assert Month(2024, 12) < Month(2025, 1) < Month(2025, 2)
    assert Month(2025, 10) > Month(2025, 9)          # not text order of "10" vs "9"
    assert sorted([Month(2025, 1), Month(2024, 12), Month(2025, 10), Month(2025, 2)]) == [
        Month(2024, 12), Month(2025, 1), Month(2025, 2), Month(2025, 10)]
    assert max(Month(2023, 12), Month(2024, 1)) == Month(2024, 1)


def test_hashing_and_equality():
    assert Month.parse("2025-06") == Month.parse("202506") == Month.parse(dt.date(2025, 6, 30))
    assert len({Month(2025, 6), Month.parse("2025-06"), Month(2025, 7)}) == 2
    assert {Month(2025, 6): "x"}[Month.parse("202506")] == "x"
    assert Month(2025, 6) != "2025-06"
    assert Month(2025, 6) != Month(2024, 6)


# -- far months through the handle: one-line ParameterErrors, never a ValueError -----------------

@pytest.mark.parametrize("call", [
    lambda mw: mw.monitor("9999-12"),
    lambda mw: mw.explain("9999-12"),
    lambda mw: mw.risk(month="9999-12"),
    lambda mw: mw.brief("9999-12"),
    lambda mw: mw.flows(period="9999-12"),
    lambda mw: mw.mirror("USA", start="9999-12"),
    lambda mw: mw.event_study("9999-12-31"),
    lambda mw: mw.events(start="9999-12"),
], ids=["monitor", "explain", "risk", "brief", "flows", "mirror", "event_study", "events"])
def test_far_months_are_refused_by_every_entry(mw, call):
    with pytest.raises(ParameterError) as info:
        call(mw)
    assert "1900 to 2199" in str(info.value) and "\n" not in str(info.value)
