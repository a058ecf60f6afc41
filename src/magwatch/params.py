"""Parameters as users give them (CLI options, API queries, Python arguments), checked once.

Each function returns the normalised value or raises ParameterError naming the
parameter, so every interface refuses bad input with the same one-line message.
"""

from __future__ import annotations

import datetime as dt

from magwatch.errors import ParameterError
from magwatch.periods import Month


def month(value: str | dt.date | None, parameter: str = "month") -> dt.date | None:
    """``YYYY-MM`` (or anything :meth:`Month.parse` reads) → the first day of that month
    (None passes through)."""
    if value is None:
        return None
    return Month.parse(value, parameter).first_day


#: The months a query may name (API, dashboard): HS, the classification every source codes its
#: goods in, began in January 1988; the last is December of the year QUERY_YEARS_AHEAD after
#: today's (a month further out is a typo, and no window around it can leave the calendar).
FIRST_QUERY_MONTH = Month(1988, 1)
QUERY_YEARS_AHEAD = 5


def query_months(today: dt.date | None = None) -> tuple[Month, Month]:
    """The first and last month a query may name (:data:`FIRST_QUERY_MONTH` to December of
    the year :data:`QUERY_YEARS_AHEAD` after ``today``'s)."""
    year = (today or dt.date.today()).year + QUERY_YEARS_AHEAD
    return FIRST_QUERY_MONTH, Month(year, 12)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def query_month(value: str | dt.date | None, parameter: str = "month", *,
                today: dt.date | None = None) -> Month | None:
    """A month a query names, held to :func:`query_months` (None or blank passes through).

    Anything else, a month outside the range included, raises ParameterError stating the range.
    """
    if _blank(value):
        return None
    first, last = query_months(today)
    try:
        found = Month.parse(value, parameter)
    except ParameterError:
        found = None
    if found is None or not first <= found <= last:
        raise ParameterError(parameter, f"expected YYYY-MM from {first} to {last}, got {value!r}")
    return found


def query_day(value: str | dt.date | None, parameter: str = "date", *, months: bool = False,
              today: dt.date | None = None) -> dt.date | None:
    """A day a query names (``YYYY-MM-DD``; with ``months`` also ``YYYY-MM``, its first day),
    inside the months of :func:`query_months` (None or blank passes through)."""
    if _blank(value):
        return None
    first, last = query_months(today)
    text = str(value).strip()
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(text)
    except ValueError:
        day = None
        if months and len(text) <= 7:
            try:
                day = Month.parse(text, parameter).first_day
            except ParameterError:
                pass
    if day is None or not first.first_day <= day <= last.last_day:
        shape = "YYYY-MM-DD or YYYY-MM" if months else "YYYY-MM-DD"
        raise ParameterError(parameter, f"expected {shape} from {first.first_day} to "
                             f"{last.last_day}, got {value!r}")
    return day


def query_event(value: str | dt.date | None, parameter: str = "event") -> None:
    """An event named by id or by date: a date (``YYYY-MM-DD``) is held to :func:`query_months`."""
    import re

    if isinstance(value, dt.date) or re.fullmatch(r"\s*-?\d+-\d+-\d+\s*", str(value or "")):
        query_day(value, parameter)


def check_query(*, months: dict | None = None, days: dict | None = None,
                days_or_months: dict | None = None) -> None:
    """Every month and day a query names (parameter name -> value) held to the one range of
    :func:`query_months`; the first out of it raises ParameterError naming it and the range."""
    for name, value in (months or {}).items():
        query_month(value, name)
    for name, value in (days or {}).items():
        query_day(value, name)
    for name, value in (days_or_months or {}).items():
        query_day(value, name, months=True)


def date(value: str | dt.date | None, parameter: str = "date") -> dt.date | None:
    """``YYYY-MM-DD`` → a date (None passes through)."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(parameter, f"expected a date YYYY-MM-DD, got {value!r}") from None


def country(value: str | None, parameter: str = "partner", *, default: str | None = None) -> str:
    """An ISO3 code or aggregate (WLD, EUU, ...) that the concordance knows, or a country
    name or alias it knows (``Germany``, ``U.S.``, ``South Korea``, ``德国``) as its code."""
    from magwatch.codes import countries

    text = (value or default or "").strip()
    code = text.upper() if countries.is_known(text.upper()) else countries.from_name(text)
    if code is None:
        close = countries.suggest(text)
        hint = f"; did you mean {close} ({countries.name(close)})?" if close else \
            " (an ISO3 code such as DEU, or a name such as Germany)"
        raise ParameterError(parameter, f"unknown country {value!r}{hint}")
    return code


def commodity(value: str | int, parameter: str = "commodity") -> str:
    """A commodity code: digits, kept as text so leading zeros stay."""
    code = str(value).strip()
    if not code.isdigit():
        raise ParameterError(parameter, f"expected digits, got {value!r}")
    return code


def flow(value: str, parameter: str = "flow") -> str:
    """X (export) or M (import)."""
    code = str(value).strip().upper()
    if code not in ("X", "M"):
        raise ParameterError(parameter, f"expected X or M, got {value!r}")
    return code


def source_name(value: str, parameter: str = "source") -> str:
    """A source name as stored with releases: lower-case letters, digits, '-' and '_'."""
    import re

    name = str(value).strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
        raise ParameterError(parameter, f"expected a source name such as press or comtrade, got {value!r}")
    return name


def metric(value: str, parameter: str = "metric") -> str:
    """One of the reported-claim metrics (magwatch.records.CLAIM_METRICS)."""
    from magwatch.records import CLAIM_METRICS

    name = str(value).strip()
    if name not in CLAIM_METRICS:
        raise ParameterError(parameter, f"expected one of {', '.join(CLAIM_METRICS)}, got {value!r}")
    return name
