"""Monthly series for event studies: one figure per partner-month, with its source row.

The series is net weight in tonnes from ``observation_latest`` (monthly spans only).
Where several rows exist for one partner-month, a row with a net weight wins over a
value-only row; among rows with a weight, the latest vintage wins, then the lowest
source row. The other rows are kept as *alternatives* and shown, never averaged.
A month without a weight figure is a gap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from magwatch.errors import ParameterError

DEFAULT_REPORTER = "CHN"
DEFAULT_FLOW = "X"
DEFAULT_COMMODITY = "85051110"


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
class Claim:
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
    claims: dict[dt.date, list[Claim]]
    value_only: dict[dt.date, list[dict[str, Any]]]

    def value(self, period: dt.date) -> float | None:
        p = self.points.get(period)
        return p.net_weight_t if p else None

    @property
    def first(self) -> dt.date | None:
        return min(self.points) if self.points else None

    def reported(self, period: dt.date, metric: str) -> Claim | None:
        for c in self.claims.get(period, []):
            if c.metric == metric:
                return c
        return None


def month(value: dt.date) -> dt.date:
    return dt.date(value.year, value.month, 1)


def shift(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole months from a to b (both first of month)."""
    return (b.year - a.year) * 12 + b.month - a.month


def _period(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def _alt(row: dict[str, Any]) -> dict[str, Any]:
    return {"net_weight_t": row["net_weight_t"], "value_usd": row["value_usd"],
            "source_file": row["source_file"], "source_row": row["source_row"],
            "source_url": row["source_url"], "vintage": row["vintage"]}


def load_series(store, *, partner: str, commodity: str = DEFAULT_COMMODITY,
                reporter: str = DEFAULT_REPORTER, flow: str = DEFAULT_FLOW) -> Series:
    """The monthly net-weight series of one reporter/partner/commodity/flow from the store."""
    partner = (partner or "").strip().upper()
    if not partner:
        raise ParameterError("partner", "is empty")
    commodity = str(commodity).strip()
    rows = store.flows(reporter=reporter, partner=partner, commodity=commodity, flow=flow,
                       months=1).to_pylist()
    grouped: dict[dt.date, list[dict[str, Any]]] = {}
    for r in rows:
        grouped.setdefault(_period(r["period"]), []).append(r)
    points: dict[dt.date, Point] = {}
    value_only: dict[dt.date, list[dict[str, Any]]] = {}
    for period, group in grouped.items():
        weighted = [r for r in group if r["net_weight_t"] is not None]
        if not weighted:
            value_only[period] = [_alt(r) for r in group]
            continue
        weighted.sort(key=lambda r: (-r["vintage"].toordinal(), r["source_row"] or 0))
        best = weighted[0]
        others = [r for r in group if r is not best]
        points[period] = Point(period, float(best["net_weight_t"]), best["source"],
                               best["source_file"], best["source_row"], best["source_url"],
                               best["vintage"], [_alt(r) for r in others])
    claims: dict[dt.date, list[Claim]] = {}
    for c in store.claims(reporter=reporter, partner=partner, commodity=commodity,
                          months=1).to_pylist():
        if c["flow"] != flow or c["metric"] not in ("mom_pct", "yoy_pct"):
            continue
        claims.setdefault(_period(c["period"]), []).append(
            Claim(c["metric"], float(c["value"]), c["source_url"], c["vintage"]))
    return Series(reporter, flow, partner, commodity, points, claims, value_only)


def partners_with_data(store, *, start: dt.date, end: dt.date, commodity: str,
                       reporter: str = DEFAULT_REPORTER, flow: str = DEFAULT_FLOW) -> list[str]:
    rows = store.flows(reporter=reporter, commodity=commodity, flow=flow, months=1,
                       start=start.strftime("%Y-%m"), end=end.strftime("%Y-%m")).to_pylist()
    return sorted({r["partner"] for r in rows if r["net_weight_t"] is not None})


def commodities_with_data(store, *, start: dt.date, end: dt.date, partner: str,
                          reporter: str = DEFAULT_REPORTER, flow: str = DEFAULT_FLOW) -> list[str]:
    rows = store.flows(reporter=reporter, partner=partner, flow=flow, months=1,
                       start=start.strftime("%Y-%m"), end=end.strftime("%Y-%m")).to_pylist()
    return sorted({r["commodity"] for r in rows if r["net_weight_t"] is not None})
