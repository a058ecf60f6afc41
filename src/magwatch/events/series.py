"""Monthly series for event studies: one figure per partner-month, with its source row.

The series is net weight in tonnes from ``observation_latest`` (monthly spans only).
Where several rows exist for one partner-month, the figure is the one
:mod:`magwatch.analytics.figures` chooses (the rule every part of magwatch uses: a row
with a net weight, official before press, latest vintage, lowest source row). The other
rows are kept as *alternatives* and shown, never averaged. A month without a weight
figure is a gap (a month with only a value is listed in ``value_only``). Reported m/m
and y/y changes are the claims the same rule chooses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from magwatch.analytics import figures
from magwatch.codes import MAGNET_LINE
from magwatch.errors import ParameterError
from magwatch.periods import Month
from magwatch.store import Store

DEFAULT_REPORTER = "CHN"
DEFAULT_FLOW = "X"
DEFAULT_COMMODITY = MAGNET_LINE


@dataclass
class Point:
    """One partner-month figure and where it came from."""

    period: dt.date
    net_weight_t: float
    source: str
    source_file: str | None
    source_row: int | None
    source_url: str | None
    vintage: dt.date
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    def ref(self) -> dict[str, Any]:
        return {"source": self.source, "source_file": self.source_file,
                "source_row": self.source_row, "source_url": self.source_url,
                "vintage": self.vintage}


@dataclass
class ReportedFigure:
    """A change a source reported for one month (m/m or y/y), kept as reported."""

    metric: str
    value: float
    source_url: str | None
    vintage: dt.date


@dataclass
class Series:
    reporter: str
    flow: str
    partner: str
    commodity: str
    points: dict[dt.date, Point]
    claims: dict[dt.date, list[ReportedFigure]]
    value_only: dict[dt.date, list[dict[str, Any]]]

    def value(self, period: dt.date) -> float | None:
        p = self.points.get(period)
        return p.net_weight_t if p else None

    @property
    def first(self) -> dt.date | None:
        return min(self.points) if self.points else None

    def reported(self, period: dt.date, metric: str) -> ReportedFigure | None:
        for c in self.claims.get(period, []):
            if c.metric == metric:
                return c
        return None


def _point(row: dict[str, Any], group: list[dict[str, Any]]) -> Point:
    """The chosen weight of a month (a :func:`figures.chosen` row) with the month's other rows."""
    best = (row["weight_source"], row["weight_source_ref"])
    others = [_alt(r) for r in group if (r["source"], r["source_ref"]) != best]
    return Point(Month.parse(row["period"]).first_day, float(row["net_weight_t"]),
                 row["weight_source"], row["weight_source_file"], row["weight_source_row"],
                 row["weight_source_url"], row["weight_vintage"], others)


def _alt(row: dict[str, Any]) -> dict[str, Any]:
    return {"net_weight_t": row["net_weight_t"], "value_usd": row["value_usd"],
            "source_file": row["source_file"], "source_row": row["source_row"],
            "source_url": row["source_url"], "vintage": row["vintage"]}


def load_series(store: Store, *, partner: str, commodity: str = DEFAULT_COMMODITY,
                reporter: str = DEFAULT_REPORTER, flow: str = DEFAULT_FLOW) -> Series:
    """The monthly net-weight series of one reporter/partner/commodity/flow from the store.

    Each month's figure is :func:`magwatch.analytics.figures.chosen` (the one rule of which
    figure stands for a key and month); each reported m/m and y/y is
    :func:`~magwatch.analytics.figures.chosen_claims`.
    """
    partner = (partner or "").strip().upper()
    if not partner:
        raise ParameterError("partner", "is empty")
    commodity = str(commodity).strip()
    key = dict(reporter=reporter, partner=partner, commodity=commodity, flow=flow, months=1)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for r in store.flows(**key).to_pylist():
        grouped.setdefault(r["period"], []).append(r)
    points: dict[dt.date, Point] = {}
    value_only: dict[dt.date, list[dict[str, Any]]] = {}
    for row in figures.chosen(store, **key).to_pylist():
        group = grouped.get(row["period"], [])
        if row["net_weight_t"] is None:
            value_only[Month.parse(row["period"]).first_day] = [_alt(r) for r in group]
        else:
            point = _point(row, group)
            points[point.period] = point
    claims: dict[dt.date, list[ReportedFigure]] = {}
    for c in figures.chosen_claims(store, **key).to_pylist():
        if c["metric"] in ("mom_pct", "yoy_pct"):
            claims.setdefault(Month.parse(c["period"]).first_day, []).append(
                ReportedFigure(c["metric"], float(c["value"]), c["source_url"], c["vintage"]))
    return Series(reporter, flow, partner, commodity, points, claims, value_only)


def partners_with_data(store: Store, *, start: dt.date, end: dt.date, commodity: str,
                       reporter: str = DEFAULT_REPORTER, flow: str = DEFAULT_FLOW) -> list[str]:
    rows = figures.chosen(store, reporter=reporter, commodity=commodity, flow=flow, months=1,
                          start=Month.of(start), end=Month.of(end)).to_pylist()
    return sorted({r["partner"] for r in rows if r["net_weight_t"] is not None})


def commodities_with_data(store: Store, *, start: dt.date, end: dt.date, partner: str,
                          reporter: str = DEFAULT_REPORTER, flow: str = DEFAULT_FLOW) -> list[str]:
    rows = store.flows(reporter=reporter, partner=partner, flow=flow, months=1,
                       start=str(Month.of(start)), end=str(Month.of(end))).to_pylist()
    return sorted({r["commodity"] for r in rows if r["net_weight_t"] is not None})
