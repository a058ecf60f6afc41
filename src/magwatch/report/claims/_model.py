"""What the reader builds: a text claim, and the sentence, month, span and partner mentions it is read from."""

from __future__ import annotations

from dataclasses import dataclass, field
import datetime as dt

from magwatch.report.claims._lexicon import MAGNET_CODE


@dataclass
class TextClaim:
    """One numeric statement found in a text, with what it is about (a claim read from prose;
    the figures sources reported, kept in the store's claim table, are rows, not this class).

    ``metric`` is one of: ``net_weight_t``, ``value_usd``, ``unit_value_usd_kg`` (with
    ``unit_value_mom_pct`` and ``unit_value_yoy_pct``), ``mom_pct``, ``yoy_pct``,
    ``change_pct`` (a change whose base the text does not state), ``share_pct``, ``rank``,
    ``ratio_mom``, ``ratio_yoy``, ``record_high``, ``record_low``. ``low``/``high`` bound what
    the claim allows given its own rounding and qualifiers (None = unbounded).
    """

    text: str
    sentence: str
    sentence_no: int
    metric: str
    value: float | None
    low: float | None
    high: float | None
    qualifier: str | None = None
    reporter: str | None = "CHN"
    partner: str | None = None
    commodity: str | None = MAGNET_CODE
    flow: str = "X"
    period: str | None = None
    since: str | None = None
    window_months: int | None = None
    resolved: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: the interval read at the last digit written ("160" as 159.5-160.5); low/high read it
    #: at its significant figures ("160" as 155-165)
    exact_low: float | None = None
    exact_high: float | None = None
    #: the comparison month of a change or ratio (YYYY-MM), when the text names one
    base_period: str | None = None
    #: months a cumulative figure covers (period = the first of them)
    months: int = 1
    #: what a sentence outside magnet observations is about ("scenario", "price", ...)
    scope: str | None = None

    def as_dict(self) -> dict:
        return {"claim": self.text, "sentence_no": self.sentence_no, "metric": self.metric,
                "claimed": self.value, "low": self.low, "high": self.high,
                "qualifier": self.qualifier, "reporter": self.reporter, "partner": self.partner,
                "commodity": self.commodity, "flow": self.flow, "period": self.period,
                "since": self.since, "window_months": self.window_months,
                "base_period": self.base_period, "months": self.months, "scope": self.scope,
                "resolved": "; ".join(self.resolved), "problems": "; ".join(self.problems),
                "sentence": self.sentence}


@dataclass
class _Context:
    published: dt.date | None = None   # when the text was published (--as-of or its dateline)
    published_how: str = ""            # which rule gave it
    year: int | None = None            # first year stated in the text
    month: str | None = None           # last subject month (YYYY-MM)
    default_month: str | None = None   # --month: the month the text is about when it does not say
    known: tuple[str, ...] = ()        # months with a figure in the store, for undated text
    partner: str | None = None         # last partner named
    magnets: bool = False              # the text is about magnets


@dataclass
class _MonthMention:
    start: int
    end: int
    period: str | None        # YYYY-MM when known
    month: int | None         # the calendar month when the year is unknown
    relative: str | None      # "prev" / "year" (relative bases) / "this" / "last" / "lastyear"
    base: bool                # preceded by a base word (from, than, since ...)


@dataclass
class _PartnerMention:
    start: int
    end: int
    code: str


@dataclass
class _Sentence:
    no: int
    text: str
    clauses: list[tuple[int, int]]
    months: list[_MonthMention]
    partners: list[_PartnerMention]
    subject_month: str | None
    notes: list[str]
    spans: list = field(default_factory=list)
    has_subject: bool = False


@dataclass
class _SpanMention:
    start: int
    end: int
    last_month: int | None     # calendar month the span ends in (None: the subject month, year to date)
    months: int | None         # its length (None: to the subject month)
    year: int | None
    text: str


class _Taken:
    """Spans of a sentence already read as part of a claim (a record's number is not a figure)."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in self.spans)

    def add(self, a: int, b: int) -> None:
        self.spans.append((a, b))
