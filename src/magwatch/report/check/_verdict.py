"""What a check says: verdicts, the store's figure with its rounding interval, and their wording."""

from __future__ import annotations

from dataclasses import dataclass, field
import math

import pyarrow as pa

from magwatch.report.claims import OF_MONTHS, TextClaim

CONSISTENT, INCONSISTENT, UNVERIFIABLE = "consistent", "inconsistent", "unverifiable"
#: A sentence about a scenario, forecast, price or another commodity: not a magnet observation.
NOT_CHECKED = "not checked"

VERDICT_SCHEMA = pa.schema([
    ("sentence_no", pa.int32()), ("claim", pa.string()), ("metric", pa.string()),
    ("partner", pa.string()), ("period", pa.string()), ("verdict", pa.string()),
    ("claimed", pa.string()), ("computed", pa.string()), ("gap", pa.string()),
    ("basis", pa.string()), ("reason", pa.string()), ("sources", pa.string()),
    ("resolved", pa.string()), ("rounded", pa.bool_()), ("reporter", pa.string()),
    ("commodity", pa.string()), ("base", pa.string()), ("months", pa.int32()), ("about", pa.string()),
])


@dataclass
class Figure:
    """A figure from the store with the interval its inputs' rounding allows."""

    value: float
    low: float
    high: float
    basis: str                      # "computed", "observed", or "reported by <outlet>"
    sources: list[dict] = field(default_factory=list)
    note: str = ""


@dataclass
class Verdict:
    claim: TextClaim
    verdict: str
    claimed: str
    computed: str = ""
    gap: str = ""
    basis: str = ""
    reason: str = ""
    sources: list[dict] = field(default_factory=list)
    #: consistent only at the claim's significant figures ("160%" for 157.4%), as news rounds
    rounded: bool = False

    @property
    def label(self) -> str:
        """The verdict as a reader sees it: ``consistent (rounded)`` for a round news figure."""
        return f"{self.verdict} (rounded)" if self.rounded and self.verdict == CONSISTENT else self.verdict

    def as_dict(self) -> dict:
        c = self.claim
        return {"sentence_no": c.sentence_no, "claim": c.text, "metric": c.metric,
                "partner": c.partner, "period": c.period, "verdict": self.verdict,
                "claimed": self.claimed, "computed": self.computed, "gap": self.gap,
                "basis": self.basis, "reason": self.reason,
                "sources": "; ".join(_cite(s) for s in self.sources),
                "resolved": "; ".join(c.resolved + c.problems), "rounded": self.rounded,
                "reporter": c.reporter, "commodity": c.commodity, "base": c.base_period,
                "months": c.months, "about": c.scope or "magnet trade as observed"}


def _cite(s: dict) -> str:
    parts = [s.get("url") or ""]
    if s.get("file"):
        parts.append(f"{s['file']} row {s['row']}" if s.get("row") is not None else s["file"])
    if s.get("vintage"):
        parts.append(f"vintage {s['vintage']}")
    if s.get("basis"):
        parts.append(s["basis"])
    return " | ".join(p for p in parts if p)


def _half_unit(x: float) -> float:
    """Half the rounding unit of a stored figure, read from its decimals (3188.0 -> 0.5)."""
    text = f"{abs(x):.6f}".rstrip("0").rstrip(".")
    return 0.5 * 10 ** -(len(text.split(".")[1]) if "." in text else 0)


def _overlap(a_low, a_high, b_low, b_high) -> bool:
    lo1 = -math.inf if a_low is None else a_low
    hi1 = math.inf if a_high is None else a_high
    return lo1 <= b_high + 1e-9 and b_low <= hi1 + 1e-9


def _fmt(x: float | None, metric: str) -> str:
    if x is None:
        return ""
    if metric in ("mom_pct", "yoy_pct", "change_pct"):
        return f"{x:+,.1f}%"
    if metric == "share_pct":
        return f"{x:,.1f}%"
    if metric in ("net_weight_t", "cumulative_t"):
        return f"{x:,.2f}".rstrip("0").rstrip(".") + " t"
    if metric.startswith("streak"):
        return f"{int(x)} months"
    if metric == "value_usd":
        return f"${x:,.0f}"
    if metric.startswith("ratio"):
        return f"{x:.2f}x"
    if metric == "rank":
        return f"#{int(x)}"
    return f"{x:g}"


def _claimed_text(c: TextClaim) -> str:
    if c.metric in ("record_high", "record_low") and c.qualifier == OF_MONTHS:
        return f"{'highest' if c.metric == 'record_high' else 'lowest'} of the {int(c.value)} months since {c.since}"
    if c.metric in ("record_high", "record_low"):
        word = "high" if c.metric == "record_high" else "low"
        if c.since:
            return f"{word} since {c.since}"
        if c.window_months:
            return f"{c.window_months}-month {word}"
        return f"record {word}"
    base = _fmt(c.value, c.metric)
    return f"{c.qualifier} {base}" if c.qualifier else base


_SCOPE_WORDS = {"scenario": "a modelled scenario", "forecast": "a forecast or expectation",
                "price": "prices", "other commodity": "another commodity (not rare-earth magnets)",
    "importer-side figure": "an importer's own statistics (compare them with `magwatch mirror`; the checker "
                            "reads China's export series)"}


def _bound_text(low: float | None, high: float | None, metric: str) -> str:
    if low is None:
        return f"up to {_fmt(high, metric)}"
    if high is None:
        return f"from {_fmt(low, metric)}"
    return f"{_fmt(low, metric)} to {_fmt(high, metric)}"


def _gap(c: TextClaim, f: Figure) -> str:
    if c.value is None:
        return ""
    d = c.value - f.value
    if c.metric in ("mom_pct", "yoy_pct", "change_pct", "share_pct"):
        return f"{d:+,.1f} points"
    if c.metric.startswith("ratio"):
        return f"{d:+.2f}x"
    if f.value:
        return f"{d:+,.2f} ({d / f.value * 100:+.1f}%)"
    return ""


def _span(months: list[str]) -> str:
    if len(months) <= 3:
        return ", ".join(months)
    return f"{len(months)} months ({months[0]} .. {months[-1]})"


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a and b else a or b


def verdict_table(verdicts: list[Verdict]) -> pa.Table:
    rows = [v.as_dict() for v in verdicts]
    return pa.Table.from_pylist(rows, schema=VERDICT_SCHEMA)
