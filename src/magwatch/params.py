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


def date(value: str | dt.date | None, parameter: str = "date") -> dt.date | None:
    """``YYYY-MM-DD`` → a date (None passes through)."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(parameter, f"expected a date YYYY-MM-DD, got {value!r}") from None


def country(value: str | None, parameter: str = "partner", *, default: str | None = None) -> str:
    """An ISO3 code or aggregate (WLD, EUU, ...) that the concordance knows."""
    from magwatch.codes import is_known

    code = (value or default or "").strip().upper()
    if not is_known(code):
        raise ParameterError(parameter, f"unknown ISO3 code {value!r}")
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
