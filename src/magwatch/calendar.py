"""The release calendar: which month each source should have published by a given day.

Statistics come out on a lag after the month they describe. The rules below are the
usual publication lags (docs/sources.md, ../shared/docs/sources.md), not promises; a
release can come a day or two early or late:

* **China customs (GACC)**: the commodity-by-country detail for a month comes out around
  the 20th of the following month (the bundled June 2025 figures are dated 2025-07-20).
  The press figures bundled with magwatch report these numbers, so they count as this
  calendar's months.
* **US Census**: the FT-900 release, about five weeks (35 days) after the month ends.
* **Eurostat Comext**: detailed extra-EU figures around the middle (15th) of the second
  month after the month (member states send them about six weeks after month end).
* **UN Comtrade, China as reporter**: 12 to 18 months after the month; the calendar
  uses the earliest, 12 months after the month ends.

Every function takes ``today`` as a parameter, so the answer is fixed in tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from magwatch.errors import ParameterError
from magwatch.periods import Month


@dataclass(frozen=True)
class Schedule:
    """When one source publishes a month: ``due(month)`` is the expected publication day."""

    source: str
    label: str
    rule: str
    due: Callable[[Month], dt.date]


SCHEDULES = {s.source: s for s in (
    Schedule("gacc", "China customs", "country detail around the 20th of the following month",
             lambda m: (m + 1).first_day.replace(day=20)),
    Schedule("census", "US Census", "FT-900 about 5 weeks after the month ends",
             lambda m: m.last_day + dt.timedelta(days=35)),
    Schedule("comext", "Eurostat Comext", "detail around the 15th of the second month after",
             lambda m: (m + 2).first_day.replace(day=15)),
    Schedule("comtrade", "UN Comtrade (China reporting)", "12 to 18 months after the month",
             lambda m: (m + 12).last_day),
)}
#: Sources whose figures are another source's months: the press reports China customs.
ALIASES = {"press": "gacc"}


def schedule(source: str = "gacc") -> Schedule:
    name = ALIASES.get(source, source)
    if name not in SCHEDULES:
        raise ParameterError("source", f"no release calendar for {source!r}; "
                                       f"known: {', '.join(SCHEDULES)}")
    return SCHEDULES[name]


def due_date(month: Month | str, source: str = "gacc") -> dt.date:
    """The day ``month`` of ``source`` is expected to be out."""
    return schedule(source).due(Month.parse(month))


def newest_due(today: dt.date, source: str = "gacc") -> Month:
    """The newest month of ``source`` that should be out on ``today``."""
    rule = schedule(source)
    month = Month.of(today)
    while rule.due(month) > today:
        month = month - 1
    return month


def status(today: dt.date, have: Month | str | None, source: str = "gacc") -> dict[str, object]:
    """Which month should be out by ``today``, whether the store has it, and what comes next."""
    rule, due = schedule(source), newest_due(today, source)
    have_month = Month.parse(have) if have is not None else None
    behind = (due - have_month) if have_month is not None and have_month < due else 0
    return {
        "source": rule.source, "label": rule.label, "rule": rule.rule,
        "newest_in_store": str(have_month) if have_month else None,
        "newest_due": str(due), "due_since": rule.due(due).isoformat(),
        "up_to_date": have_month is not None and have_month >= due,
        "months_behind": behind if have_month is not None else None,
        "next_month": str(due + 1), "next_due": rule.due(due + 1).isoformat(),
    }


def line(state: dict[str, object]) -> str:
    """One sentence for readers, from :func:`status`."""
    due = Month.parse(state["newest_due"]).label()
    tail = f"{due} is the newest {state['label']} month due by today"
    have = state["newest_in_store"]
    if have is None:
        return f"No {state['label']} months in the store; {tail}."
    text = f"Data to {Month.parse(have).label()}; {tail}"
    if state["up_to_date"]:
        return text + "."
    behind = state["months_behind"]
    return text + f" ({behind} month{'s' if behind != 1 else ''} not yet in the store)."


__all__ = ["SCHEDULES", "Schedule", "due_date", "line", "newest_due", "schedule", "status"]
