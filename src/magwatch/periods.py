"""Months: the one calendar type of magwatch.

Trade statistics are monthly. A :class:`Month` is a calendar month (year and month),
parsed once from what users and files give (``2025-06``, ``202506``, a date, an Excel
date on the first of a month), with the arithmetic the analytics need (``m - 1``,
``m - 12``, months between two months, ranges) and the words readers see
("June 2025"). A :class:`Span` is a run of months that a source reports as one figure,
such as China's combined January–February (first month and length, as the store keeps
``period`` and ``period_months``).

Every other module parses, formats and shifts months through this one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterator, Union

from magwatch.errors import ParameterError

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
#: The first and last years a parsed month may have (HS began in 1988; far-future months are
#: typos). Arithmetic may step beyond them (to any year a ``datetime.date`` can hold), so a
#: window around an accepted month never fails.
MIN_YEAR, MAX_YEAR = 1900, 2199

_TEXT = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})|(\d{2}))(?:-01(?:[T ]00:00(?::00(?:\.0+)?)?)?)?\s*$")

MonthLike = Union["Month", str, dt.date, None]


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month. Ordered, hashable, and printed as ``YYYY-MM``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1 to 12, got {self.month}")
        if not dt.MINYEAR <= self.year <= dt.MAXYEAR:
            raise ValueError(f"year must be {dt.MINYEAR} to {dt.MAXYEAR}, got {self.year}")

    # ------------------------------------------------------------------ making one
    @classmethod
    def parse(cls, value: MonthLike | "Month", parameter: str = "month") -> "Month":
        """A month from ``YYYY-MM``, ``YYYYMM``, ``YYYY-MM-01``, a date or a Month.

        Anything else raises :class:`ParameterError` naming ``parameter``.
        """
        if isinstance(value, Month):
            return value
        if isinstance(value, dt.datetime):
            value = value.date()
        try:
            if isinstance(value, dt.date):
                return cls(value.year, value.month)._checked(value, parameter)
            m = _TEXT.match(str(value)) if value is not None else None
            if m:
                return cls(int(m[1]), int(m[2] or m[3]))._checked(value, parameter)
        except ValueError:                      # month 0 or 13
            pass
        raise ParameterError(parameter, f"expected YYYY-MM, got {value!r}")

    def _checked(self, value: object, parameter: str) -> "Month":
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise ParameterError(parameter, f"year must be {MIN_YEAR} to {MAX_YEAR}, got {value!r}")
        return self

    @classmethod
    def optional(cls, value: MonthLike, parameter: str = "month") -> "Month | None":
        """:meth:`parse`, with None (or an empty string) passing through as None."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return cls.parse(value, parameter)

    @classmethod
    def from_index(cls, index: int) -> "Month":
        """The inverse of :attr:`index`; arithmetic that leaves the years a date can hold
        raises :class:`ParameterError` (a month parameter too far out), never ValueError."""
        if not dt.MINYEAR <= index // 12 <= dt.MAXYEAR:
            raise ParameterError("month", f"month arithmetic left the calendar: year {index // 12} "
                                 f"is outside {dt.MINYEAR} to {dt.MAXYEAR}")
        return cls(index // 12, index % 12 + 1)

    @classmethod
    def of(cls, day: dt.date) -> "Month":
        """The month a day falls in."""
        return cls(day.year, day.month)

    # ------------------------------------------------------------------ reading it
    @property
    def index(self) -> int:
        """Months since year 0: a portable integer for month arithmetic."""
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def name(self) -> str:
        """The month's English name: ``June``."""
        return MONTH_NAMES[self.month - 1]

    def label(self, *, short: bool = False) -> str:
        """Words for readers: ``June 2025`` (``Jun 2025`` with ``short``)."""
        name = self.name[:3] if short else self.name
        return f"{name} {self.year}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __repr__(self) -> str:
        return f"Month({self})"

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, months: int) -> "Month":
        if not isinstance(months, int):
            return NotImplemented
        return Month.from_index(self.index + months)

    def __sub__(self, other: "int | Month"):
        """``m - 3`` is a Month three months earlier; ``m - n`` the months from n to m."""
        if isinstance(other, Month):
            return self.index - other.index
        if isinstance(other, int):
            return Month.from_index(self.index - other)
        return NotImplemented

    def until(self, last: "Month") -> list["Month"]:
        """This month through ``last``, inclusive (empty when ``last`` is earlier)."""
        return [self + k for k in range(last - self + 1)]


def month_range(first: MonthLike, last: MonthLike) -> list[Month]:
    """Every month from ``first`` to ``last``, inclusive."""
    return Month.parse(first, "from").until(Month.parse(last, "to"))


@dataclass(frozen=True, order=True)
class Span:
    """Consecutive months reported as one figure: ``Span(Month(2025, 1), 2)`` is January–February."""

    first: Month
    months: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.months <= 12:
            raise ValueError(f"a span is 1 to 12 months, got {self.months}")

    @property
    def last(self) -> Month:
        return self.first + (self.months - 1)

    def __iter__(self) -> Iterator[Month]:
        return iter(self.first.until(self.last))

    def __contains__(self, month: object) -> bool:
        return isinstance(month, Month) and self.first <= month <= self.last

    def label(self, *, short: bool = False) -> str:
        """``June 2025``, ``January–February 2025``, ``November 2024–January 2025``, ``2025`` for a
        calendar year."""
        if self.months == 1:
            return self.first.label(short=short)
        if self.months == 12 and self.first.month == 1:
            return str(self.first.year)
        a, b = self.first, self.last
        cut = 3 if short else None
        if a.year == b.year:
            return f"{a.name[:cut]}–{b.name[:cut]} {b.year}"
        return f"{a.label(short=short)}–{b.label(short=short)}"

    def __str__(self) -> str:
        return str(self.first) if self.months == 1 else f"{self.first}+{self.months}"


def today_month(today: dt.date | None = None) -> Month:
    """The month of ``today`` (the system date by default)."""
    return Month.of(today or dt.date.today())


__all__ = ["MONTH_NAMES", "Month", "Span", "month_range", "today_month"]
