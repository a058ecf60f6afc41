"""Find numeric claims about rare-earth magnet trade in English text.

A deterministic, rule-based reader. It splits the text into sentences and clauses,
finds figures (tonnes, US dollars, percentage changes, shares, ranks, ratios such as
"about half a year earlier", and records such as "six-month high" or "highest since
January"), and resolves for each one the reporter, partner, commodity and month from
the clause, the sentence and the text around it (a dateline, a month stated earlier).

Nothing here touches the store: :mod:`magwatch.report.check` turns each
:class:`Claim` into a verdict. The rules are documented in docs/check.md.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

from magwatch.periods import MONTH_NAMES, Month, Span

MAGNET_CODE = "85051110"

MONTHS = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for name in names}

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
                "fourteen": 14, "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20,
                "twenty-four": 24, "thirty-six": 36}

ORDINALS = {"first": 1, "top": 1, "largest": 1, "biggest": 1, "leading": 1, "1st": 1,
            "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
            "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
            "ninth": 9, "9th": 9, "tenth": 10, "10th": 10}

# Approximation words and bounds, with how they shape the claimed interval.

RISE = ("rose", "rise", "rising", "risen", "up", "jumped", "jump", "jumping", "surged", "surge",
        "surging", "soared", "soar", "climbed", "climb", "gained", "gain", "increased",
        "increase", "increasing", "grew", "growth", "rebounded", "rebound", "higher", "leapt",
        "leaped", "skyrocketed", "spiked", "advanced", "expanded", "climbing", "soaring", "jumping",
        "rallied", "recovered", "edged up", "leaping", "growing", "advancing", "expanding", "rises",
        "jumps", "climbs", "gains", "surges", "soars", "increases", "grows", "higher", "more")
FALL = ("fell", "fall", "falling", "fallen", "down", "dropped", "drop", "dropping", "declined",
        "decline", "declining", "slumped", "slump", "plunged", "plunge", "plummeted", "decreased",
        "decrease", "slid", "slide", "tumbled", "sank", "lower", "shrank", "contracted",
        "collapsed", "dipped", "dip", "eased", "retreated", "lost", "slipped", "slip", "slipping",
        "plunging", "plummeting", "slumping", "tumbling", "sliding", "sinking", "shed", "contracting",
        "shrinking", "falls", "drops", "declines", "slips", "plunges", "tumbles", "decreases", "less",
        "cratered", "nosedived", "fewer")

# Partner names as they appear in copy, beyond the official short names.
PARTNER_ALIASES = {
    "us": "USA", "u.s.": "USA", "usa": "USA", "united states": "USA", "america": "USA",
    "american": "USA", "american buyers": "USA", "the states": "USA",
    "germany": "DEU", "german": "DEU", "south korea": "KOR", "korea": "KOR", "korean": "KOR",
    "republic of korea": "KOR", "japan": "JPN", "japanese": "JPN", "vietnam": "VNM",
    "viet nam": "VNM", "vietnamese": "VNM", "india": "IND", "indian": "IND",
    "thailand": "THA", "thai": "THA", "mexico": "MEX", "mexican": "MEX", "italy": "ITA",
    "italian": "ITA", "netherlands": "NLD", "the netherlands": "NLD", "dutch": "NLD",
    "poland": "POL", "france": "FRA", "french": "FRA", "spain": "ESP", "taiwan": "TWN",
    "hong kong": "HKG", "philippines": "PHL", "malaysia": "MYS", "indonesia": "IDN",
    "united kingdom": "GBR", "uk": "GBR", "britain": "GBR", "british": "GBR", "canada": "CAN",
    "brazil": "BRA", "turkey": "TUR", "russia": "RUS", "australia": "AUS", "singapore": "SGP",
    "czech republic": "CZE", "czechia": "CZE", "hungary": "HUN", "austria": "AUT",
    "european union": "EUU", "eu": "EUU", "eu-27": "EUU", "the eu": "EUU", "bloc": "EUU",
}
# Words that make a clause about the world total when no partner is named.
WORLD_WORDS = re.compile(
    r"\b(total|overall|world|worldwide|global|globally|all destinations|in all|altogether|"
    r"china'?s (?:rare[- ]earth )?(?:permanent )?magnet exports|china'?s exports|exports of rare[- ]earth"
    r"(?: permanent)? magnets|rare[- ]earth (?:permanent )?magnet exports|shipments abroad|"
    r"china exported|china shipped|outbound shipments)\b", re.I)
MAGNET_WORDS = re.compile(r"\b(magnets?|ndfeb|neodymium[- ]iron[- ]boron|8505\.?11(?:\.?10)?)\b", re.I)
RARE_EARTH_WORDS = re.compile(r"\brare[- ]earths?\b", re.I)
PRONOUN_START = re.compile(r"^(they|it|this|that|those|these|such shipments|the figure|the volume|"
                           r"its|their)\b", re.I)

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))


@dataclass
class Claim:
    """One numeric statement found in the text, with what it is about.

    ``metric`` is one of: ``net_weight_t``, ``value_usd``, ``mom_pct``, ``yoy_pct``,
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


# ----------------------------------------------------------------------------- text shape

def _normalise(text: str) -> str:
    text = (text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", " - ")
            .replace("\u00a0", " ").replace("\u2009", " ").replace("\u2019", "'")
            .replace("\u201c", '"').replace("\u201d", '"'))
    text = re.sub(r"\bU\.\s?S\.(?=\s|,|;|'|$)", "US", text)
    text = re.sub(r"\bU\.\s?S\.\s?A\.", "USA", text)
    text = re.sub(r"\bU\.\s?K\.", "UK", text)
    text = re.sub(r"\b(No)\.\s?(\d)", r"\1 \2", text)
    text = re.sub(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.", r"\1", text)
    return text


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (after normalising abbreviations such as U.S. and Jan.)."""
    out = []
    for para in re.split(r"\n\s*\n", _normalise(text)):
        para = " ".join(para.split())
        for s in re.split(r"(?<=[.!?])\s+(?=[\"'(]?[A-Z0-9$])", para):
            s = s.strip()
            if s:
                out.append(s)
    return out


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) spans of the clauses of a sentence."""
    cuts = [0]
    for m in re.finditer(r";|,\s+(?:while|whereas|but|and)\s|\s(?:while|whereas)\s|,\s+"
                         r"(?=(?:shipments|exports|sales|volumes?)\b)|:\s|,?\s+followed by\s", sentence):
        cuts.append(m.start())
    cuts.append(len(sentence))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


# ----------------------------------------------------------------------------- months

def _month_add(period: str, months: int) -> str:
    return str(Month.parse(period) + months)


def months_between(a: str, b: str) -> int:
    return Month.parse(b) - Month.parse(a)


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


_DAY_MONTH = rf"(?:(?P<mon>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?|(?P<day2>\d{{1,2}})\s+(?P<mon2>{_MONTH_RE}))"
_DATELINE = re.compile(
    rf"^\s*(?:(?:published|updated|posted|dateline|date)\s*(?:on\s*)?:?\s*)?"
    rf"(?:[A-Z][A-Za-z .'/-]{{1,40}},\s*)?{_DAY_MONTH}(?:,?\s+(?P<year>(?:19|20)\d\d))?\s*"
    rf"(?:\([A-Za-z .]+\)|/[^/\n]{{1,40}}/)?\s*(?:-+|:|\||\n)", re.I)
_ISO_DATELINE = re.compile(r"^\s*(?:(?:dateline|date|published|posted|updated)\s*(?:on\s*)?:?\s*)?"
                           r"(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b[^\n]{0,20}?(?:-+|:|\||\n|\.\s|$)", re.I)
_MONTH_DATELINE = re.compile(rf"^\s*(?P<mon>{_MONTH_RE})\s+(?P<year>(?:19|20)\d\d)\s*(?:-+|:|\||\n)", re.I)


def _dateline(text: str) -> tuple[dt.date | None, bool, str]:
    """(date, whether the year is stated, the dateline text) at the start of the text, if any.

    Wire and web forms: "BEIJING, July 20 (Reuters) -", "July 20, 2025 -", "20 July 2025 -",
    "SHANGHAI, Aug 20, 2025 /wire/ --", "Published 2025-07-20", and a month header "August
    2025 -" (read as the month's last day). A date without a year carries year 2000 until the
    year is known.
    """
    head = text.lstrip()[:200]
    m = _ISO_DATELINE.match(head)
    if m:
        try:
            return dt.date(int(m["y"]), int(m["m"]), int(m["d"])), True, m.group(0)
        except ValueError:
            return None, False, ""
    m = _DATELINE.match(head)
    if m:
        mon = MONTHS[(m["mon"] or m["mon2"]).lower()]
        day = int(m["day"] or m["day2"])
        try:
            return dt.date(int(m["year"] or 2000), mon, day), bool(m["year"]), m.group(0)
        except ValueError:
            return None, False, ""
    m = _MONTH_DATELINE.match(head)
    if m:
        month = Month(int(m["year"]), MONTHS[m["mon"].lower()])
        return month.last_day, True, m.group(0)
    return None, False, ""


_MONTH_MENTION = re.compile(
    rf"\b(?P<mon>{_MONTH_RE})\b\.?(?:'s)?(?:,?\s+(?P<year>(?:19|20)\d\d))?(?!-\d)|\b(?P<iso>(?:19|20)\d\d)-(?P<isom>\d\d)\b(?!-\d)"
    rf"|\b(?P<rel>last month|this month|the previous month|the prior month|the preceding month|"
    rf"a month (?:earlier|before|ago)|the month before|a year (?:earlier|before|ago)|the year before|"
    rf"the same (?:month|period) (?:a year (?:earlier|before|ago)|last year|of last year|of the previous year|"
    rf"the previous year|the year before|in \d{{4}})|the year-(?:earlier|ago) (?:month|period|level)|last year)\b", re.I)
_BASE_BEFORE = re.compile(r"(?:\b(?:the|its|their)\s+levels?\s+(?:of|seen in|recorded in)\s+$|"
                          r"\b(?:times|fold|half|third|quarter|fifth|twice|double)\s+(?:of\s+)?(?:the\s+|its\s+)?$|"
                          r"\b(?:from|than|since|compared (?:with|to)|versus|vs\.?|against|over|before|"
                          r"below|above)\s+(?:(?:the|its|their)\s+)?(?:(?:levels?|figures?|volumes?|totals?)\s+"
                          r"(?:of|in|for|recorded in|seen in)\s+)?(?:in\s+)?|\b(?:from|than|compared "
                          r"(?:with|to)|versus|vs\.?|against)\s+(?:about\s+|around\s+|just\s+|only\s+)?"
                          r"\d[\d,.]*\s*(?:t|tonnes|tons|metric tons)\s+(?:in\s+)?)$", re.I)


@dataclass
class _MonthMention:
    start: int
    end: int
    period: str | None        # YYYY-MM when known
    month: int | None         # the calendar month when the year is unknown
    relative: str | None      # "prev" / "year" (relative bases) / "this" / "last" / "lastyear"
    base: bool                # preceded by a base word (from, than, since ...)


_VERB_MAY = re.compile(r"\s+(?:be|have|not|also|well|still|need|see|take|rise|fall|ease|face|"
                       r"continue|remain|soon|yet|only|even|prove|help|want|come|go|get|make)\b")


def _relative_kind(rel: str) -> str:
    rel = rel.lower()
    if rel == "this month":
        return "this"
    if rel == "last month":
        return "last"
    if rel == "last year":
        return "lastyear"
    return "year" if "year" in rel else "prev"


def _month_mentions(sentence: str, ctx: _Context) -> list[_MonthMention]:
    out = []
    for m in _MONTH_MENTION.finditer(sentence):
        base = bool(_BASE_BEFORE.search(sentence[max(0, m.start() - 45):m.start()]))
        if m["rel"]:
            kind = _relative_kind(m["rel"])
            out.append(_MonthMention(m.start(), m.end(), None, None, kind, base or kind in ("prev", "year")))
            continue
        if m["iso"]:
            if 1 <= int(m["isom"]) <= 12:
                out.append(_MonthMention(m.start(), m.end(), f"{m['iso']}-{m['isom']}", None, None, base))
            continue
        word = m["mon"]
        if word[0].islower():
            continue  # "may" the verb, "mar", "sep" ...; month names are capitalised
        if word == "May" and not m["year"] and _VERB_MAY.match(sentence[m.end():m.end() + 10]) \
                and m.start() > 0:
            continue  # "May rise", "May be"
        mon = MONTHS[word.lower()]
        period = f"{int(m['year']):04d}-{mon:02d}" if m["year"] else None
        out.append(_MonthMention(m.start(), m.end(), period, mon, None, base))
    return out


def _latest_named(month: int, on_or_before: Month) -> Month:
    """The latest month with calendar number ``month`` on or before ``on_or_before``."""
    year = on_or_before.year if month <= on_or_before.month else on_or_before.year - 1
    return Month(year, month)


def _resolve_month(mm: _MonthMention, ctx: _Context, notes: list[str]) -> str | None:
    """The month (YYYY-MM) a subject mention means, with the rule that resolved it in ``notes``.

    A month with its year is itself. A bare month name is the latest such month on or before
    the publication date (--as-of or the dateline); without one, on or before the month the
    text spoke of last (or --month); else in the year the text states; else the latest such
    month with a figure in the store, stated as an assumption.
    """
    if mm.period:
        return mm.period
    if mm.relative in ("this", "last"):
        if ctx.published is None:
            return None
        here = Month.of(ctx.published)
        notes.append(f"'{'this' if mm.relative == 'this' else 'last'} month' from the publication date "
                     f"({ctx.published_how})")
        return str(here if mm.relative == "this" else here - 1)
    if mm.month is None:
        return None
    if ctx.published is not None:
        notes.append(f"year: the latest {MONTH_NAMES[mm.month - 1]} on or before the publication date "
                     f"({ctx.published_how})")
        return str(_latest_named(mm.month, Month.of(ctx.published)))
    anchor = ctx.month or ctx.default_month
    if anchor is not None:
        notes.append("year from a month stated earlier" if ctx.month else "year from --month")
        return str(_latest_named(mm.month, Month.parse(anchor) + 1))
    if ctx.year is not None:
        notes.append("year stated earlier in the text")
        return f"{ctx.year:04d}-{mm.month:02d}"
    named = [k for k in ctx.known if int(k[5:7]) == mm.month]
    if named:
        notes.append(f"assumed: the text gives no date or year; read as the latest {MONTH_NAMES[mm.month - 1]} "
                     f"with a figure in the store ({max(named)})")
        return max(named)
    return None


def _base_month(mm: _MonthMention, subject: str | None) -> str | None:
    """The month a comparison mention means, relative to the subject month: "from May" in a
    June text is the May before it; "than in June" in a June text is June a year before."""
    if mm.period:
        return mm.period
    if subject is None:
        return None
    here = Month.parse(subject)
    if mm.relative == "prev":
        return str(here - 1)
    if mm.relative == "year":
        return str(here - 12)
    if mm.month is None:
        return None
    return str(_latest_named(mm.month, here - 1))


# ----------------------------------------------------------------------------- partners

@lru_cache(maxsize=1)
def _partner_table() -> tuple[re.Pattern, dict[str, str]]:
    names: dict[str, str] = {}
    try:
        from magwatch.codes import countries

        for code in countries.known_codes():
            if len(code) == 3 and code.isalpha() and code not in ("WLD", "CHN"):
                try:
                    nm = countries.name(code).lower()
                except Exception:
                    continue
                if len(nm) > 3 and "(" not in nm:
                    names.setdefault(nm, code)
    except Exception:  # the concordance is optional for parsing
        pass
    names.update(PARTNER_ALIASES)
    alts = sorted(names, key=len, reverse=True)
    pat = re.compile(r"(?<![\w-])(?:the\s+)?(" + "|".join(re.escape(a) for a in alts) + r")(?![\w-])",
                     re.I)
    return pat, names


@dataclass
class _PartnerMention:
    start: int
    end: int
    code: str


def _partner_mentions(sentence: str) -> list[_PartnerMention]:
    pat, names = _partner_table()
    out = []
    for m in pat.finditer(sentence):
        word = m.group(1)
        key = word.lower()
        if key in ("us",) and word not in ("US",):
            continue  # the pronoun "us"
        if key in ("eu", "uk") and word != word.upper():
            continue
        if key == "bloc" and "bloc" not in sentence.lower():
            continue
        out.append(_PartnerMention(m.start(1), m.end(1), names[key]))
    return out


# ----------------------------------------------------------------------------- numbers

def _to_float(s: str) -> float:
    return float(s.replace(",", ""))


def _unit_of(s: str, approx: bool = False) -> float:
    """Half the rounding unit of a number as written, at its significant figures.

    "353" -> 0.5, "157.5" -> 0.05, "3,200" -> 50, "160" -> 5: trailing zeros of a whole
    number are read as rounding (news rounds 157.4% to "160%"). ``approx`` is kept for
    callers; the unit does not depend on it.
    """
    s = s.replace(",", "")
    if "." in s:
        return 0.5 * 10 ** -len(s.split(".")[1])
    digits = s.lstrip("0") or "0"
    zeros = len(digits) - len(digits.rstrip("0")) if digits != "0" else 0
    return 0.5 * 10 ** zeros


def _exact_unit(s: str) -> float:
    """Half the unit of the last digit written, reading trailing zeros as exact ("160" -> 0.5)."""
    s = s.replace(",", "")
    return 0.5 * 10 ** -len(s.split(".")[1]) if "." in s else 0.5


#: Hedges and how each shapes the interval a figure allows: (side, widen).
#: side "both" = value +/- width; "below" = up to the value (nearly 1,250 t: at most 1,250 t
#: plus its rounding); "above" = from the value up; "min"/"max" = one-sided bounds.
#: widen True = the width is the larger of the rounding and 5% of the value.
HEDGES: dict[str, tuple[str, bool]] = {
    "about": ("both", True), "around": ("both", True), "roughly": ("both", True),
    "approximately": ("both", True), "some": ("both", True), "an estimated": ("both", True),
    "circa": ("both", True), "close to": ("both", True),
    "almost": ("below", True), "nearly": ("below", True), "just under": ("below", True),
    "just over": ("above", True), "just above": ("above", True),
    "more than": ("min", False), "over": ("min", False), "above": ("min", False),
    "exceeding": ("min", False),
    "less than": ("max", False), "under": ("max", False), "below": ("max", False),
    "at least": ("min_rounded", False), "up to": ("max_rounded", False), "at most": ("max_rounded", False),
}
#: How much wider than its rounding a hedged figure may be, as a share of the value.
HEDGE_WIDTH = 0.05


def interval(value: float, number_text: str, qualifier: str | None, *,
             exact: bool = False) -> tuple[float | None, float | None]:
    """The interval a claimed figure allows, from its own rounding and its hedge (:data:`HEDGES`).

    With ``exact`` the number is read at its last written digit ("160" is 159.5-160.5);
    otherwise at its significant figures ("160" is 155-165), as news copy rounds.
    """
    side, widen = HEDGES.get((qualifier or "").lower(), ("both", False))
    half = _exact_unit(number_text) if exact else _unit_of(number_text)
    wide = max(half, HEDGE_WIDTH * abs(value)) if widen else half
    if side == "min":
        return value, None
    if side == "max":
        return None, value
    if side == "min_rounded":
        return value - half, None
    if side == "max_rounded":
        return None, value + half
    if side == "below":
        return value - wide, value + half
    if side == "above":
        return value - half, value + wide
    return value - wide, value + wide


_HEDGE_RE = "|".join(re.escape(a) for a in sorted(HEDGES, key=len, reverse=True))


def _qualifier_before(text: str, pos: int) -> str | None:
    m = re.search(rf"\b({_HEDGE_RE})\s+(?:\$|US\$|USD\s*)?(?:a\s+|an\s+)?$", text[max(0, pos - 25):pos], re.I)
    return m.group(1).lower() if m else None


_TONNES = re.compile(rf"(?P<num>{_NUM})\s*(?P<k>thousand\s+|k\s*)?(?:metric\s+)?"
                     r"(?P<unit>tonnes|tons|tonne|ton|mt|t)\b(?!\s*/)", re.I)
_KG = re.compile(rf"(?P<num>{_NUM})\s*(?P<mult>million\s+)?(?:kilograms|kg)\b", re.I)
_USD = re.compile(rf"(?:US\$|\$|USD\s*)(?P<num>{_NUM})\s*(?P<mult>million|billion|mn|bn|m\b)?", re.I)
_PCT_STRICT = re.compile(rf"(?P<sign>[+-])?(?P<num>{_NUM})\s*(?:%|\s?percent\b|\s?per cent\b)", re.I)

_MOM = re.compile(r"\b(m/m|mom|month[- ]on[- ]month|month[- ]over[- ]month|from (?:the )?(?:previous|prior|"
                  r"preceding) month|from a month (?:earlier|ago|before)|on the month|sequential(?:ly)?|"
                  r"than (?:in )?the previous month|compared (?:with|to) the previous month|"
                  r"from last month|over the previous month|vs\.? (?:the )?previous month)\b", re.I)
_YOY = re.compile(r"\b(y/y|yoy|year[- ]on[- ]year|year[- ]over[- ]year|from a year (?:earlier|ago|before)|"
                  r"(?:than|from|on|versus|compared (?:with|to)) (?:the same (?:month|period) )?(?:a|last|"
                  r"the previous) year|a year (?:earlier|ago)|on the year|annual(?:ly)?|from the same month"
                  r"|year-earlier|from the year-ago)\b", re.I)
_SHARE_AFTER = re.compile(r"^\s*(?:share\b|of\s+(?:china'?s\s+|the\s+|all\s+|its\s+|total\s+|overall\s+|"
                          r"june'?s\s+|the month'?s\s+|[a-z]+'s\s+)*(?:total|exports|shipments|sales|"
                          r"outbound|volume|overseas|the total|magnet exports))", re.I)
_SHARE_BEFORE = re.compile(r"\b(share(?:\s+(?:of|was|at|to|rose to|fell to|of china's exports was))?|"
                           r"accounted for|accounting for|took|taking|made up|making up|absorbed|"
                           r"received|represented|representing)\s+(?:about\s+|around\s+|roughly\s+|"
                           r"nearly\s+|almost\s+|some\s+|more than\s+|over\s+|less than\s+|just over\s+)?$",
                           re.I)

_FRACTIONS = {"half": 0.5, "one-half": 0.5, "a third": 1 / 3, "one-third": 1 / 3, "one third": 1 / 3,
              "two-thirds": 2 / 3, "two thirds": 2 / 3, "a quarter": 0.25, "one-quarter": 0.25,
              "one quarter": 0.25, "three-quarters": 0.75, "a fifth": 0.2, "one-fifth": 0.2,
              "a tenth": 0.1, "one-tenth": 0.1, "one tenth": 0.1, "twice": 2.0, "double": 2.0,
              "three times": 3.0, "four times": 4.0, "five times": 5.0}
_FOLD = {"doubled": 2.0, "tripled": 3.0, "trebled": 3.0, "quadrupled": 4.0, "halved": 0.5}
_RATIO = re.compile(
    r"\b(?P<q>about|around|roughly|nearly|almost|more than|less than|just over|just under|some|only)?\s*"
    r"(?:(?P<frac>half|one-half|a third|one-third|one third|two-thirds|two thirds|a quarter|one-quarter|"
    r"one quarter|three-quarters|a fifth|one-fifth|a tenth|one-tenth|one tenth|twice|double|three times|"
    r"four times|five times)|(?P<n>\d+(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten)"
    r"[- ]?(?:fold|times))\b(?P<tail>[^.;]{0,60})", re.I)
_FOLD_RE = re.compile(r"\b(?:(?P<q>more than|nearly|almost|about|roughly|just over|just under)\s+)?"
                      r"(?P<verb>doubled|tripled|trebled|quadrupled|halved)\b(?P<tail>[^.;]{0,60})", re.I)

_RANK_NOUN = r"(?:destination|buyer|market|importer|recipient|customer|purchaser|export market)s?"
_RANK_PHRASE = re.compile(
    rf"\b(?:the\s+)?(?:(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    rf"1st|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)[- ](?:largest|biggest|top|leading|most important)|"
    rf"(?P<top>top|largest|biggest|leading|main|No\.?\s?1|number one))\s+{_RANK_NOUN}\b", re.I)
_TOP_LIST = re.compile(
    rf"\b(?:the\s+)?(?:top|largest|biggest|main|leading)\s+(?:(?P<n>\w+)\s+)?{_RANK_NOUN}\s*"
    r"(?:were|was|are|:|included|being)\s+(?P<list>[^.;]+)", re.I)
_FOLLOWED = re.compile(r"\bfollowed by\s+(?P<list>[^.;]+)", re.I)

_RECORD_N = re.compile(
    rf"\b(?P<n>\d+|{'|'.join(NUMBER_WORDS)})[- ](?P<unit>month|year)[- ](?P<kind>high|low|peak|trough)s?\b",
    re.I)
_RECORD_IN = re.compile(
    r"\b(?P<kind>highest|lowest|strongest|weakest|biggest|smallest)\s+(?:level\s+|monthly\s+(?:figure|total|"
    r"volume)\s+|figure\s+|volume\s+|total\s+)?(?:in|for)\s+(?:(?:nearly|almost|more than|over|about)\s+)?"
    rf"(?P<n>\d+|{'|'.join(NUMBER_WORDS)}|a)\s+(?P<unit>months?|years?)\b", re.I)
_RECORD_SINCE = re.compile(
    r"\b(?P<kind>highest|lowest|strongest|weakest|biggest|smallest|most|least)\b[^.;]{0,40}?\bsince\s+"
    rf"(?:at least\s+)?(?:(?P<mon>{_MONTH_RE})\.?\s*(?P<year>(?:19|20)\d\d)?|(?P<yonly>(?:19|20)\d\d)"
    r"|(?P<rel>last year|the start of the year))\b", re.I)
_RECORD_WORD = re.compile(r"\b(?:(?:a|the|new|fresh)\s+)?(?P<rec>record|all-time|multi-year|multiyear|"
                          r"historic(?:al)?)[- ](?P<kind>high|low|peak|trough|highs|lows)\b", re.I)
_TRADE_WORDS = re.compile(r"\b(export|exports|exported|shipment|shipments|shipped|import|imports|imported|"
                          r"buyer|buyers|destination|destinations|sales|sold|purchases|bought|volume|"
                          r"volumes|tonnes|tons|customs|took|trade|magnets?)\b", re.I)


# ----------------------------------------------------------------------------- extraction

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


def _clause_of(s: _Sentence, pos: int) -> int:
    for i, (a, b) in enumerate(s.clauses):
        if a <= pos < b:
            return i
    return len(s.clauses) - 1


def _partner_for(s: _Sentence, pos: int, ctx: _Context, notes: list[str],
                 prefer_after: bool = False) -> str | None:
    ci = _clause_of(s, pos)
    a, b = s.clauses[ci]
    inside = [p for p in s.partners if a <= p.start < b]
    before = [p for p in inside if p.start < pos]
    after = [p for p in inside if p.start >= pos]
    if prefer_after and after:
        return after[0].code
    if before:
        return before[-1].code
    if after and (not WORLD_WORDS.search(s.text[a:pos])
                  or re.search(r"\b(?:to|for|bound for|destined for)\s+(?:the\s+)?$",
                               s.text[pos:after[0].start])):
        return after[0].code
    clause_text = s.text[a:b]
    if WORLD_WORDS.search(clause_text):
        notes.append("partner: world total (the clause speaks of the total)")
        return "WLD"
    for j in range(ci - 1, -1, -1):
        pa, pb = s.clauses[j]
        prev = [p for p in s.partners if pa <= p.start < pb]
        if prev:
            notes.append("partner from an earlier clause")
            return prev[-1].code
        if WORLD_WORDS.search(s.text[pa:pb]):
            return "WLD"
    if PRONOUN_START.match(s.text) and ctx.partner and not WORLD_WORDS.search(s.text):
        notes.append("partner from the previous sentence")
        return ctx.partner
    notes.append("partner: world total (no destination named)")
    return "WLD"


def _month_for(s: _Sentence, pos: int, end: int, ctx: _Context, notes: list[str]) -> str | None:
    """The month a figure at [pos, end) is about."""
    after = [m for m in s.months if 0 <= m.start - end <= 12 and m.relative is None]
    if after and re.match(r"^\s*(?:in|for|during|of)?\s*$", s.text[end:after[0].start]):
        if after[0].base and s.subject_month:
            return _base_month(after[0], s.subject_month)
        return _resolve_month(after[0], ctx, notes)
    own = [m for m in s.months if 0 <= m.start - end <= 20 and m.relative in ("prev", "year")
           and re.match(r"^\s*(?:in\s+|of\s+)?(?:the\s+)?$|^\s*$", s.text[end:m.start])]
    if own and s.subject_month:
        return _month_add(s.subject_month, -1 if own[0].relative == "prev" else -12)
    if s.subject_month:
        return s.subject_month
    return None


def _is_base_figure(s: _Sentence, pos: int) -> bool:
    """A figure introduced as the comparison base ("up from 46 t", "compared with 689 t")."""
    before = s.text[max(0, pos - 30):pos].lower()
    return bool(re.search(r"(?:from|than|compared (?:with|to)|versus|vs\.?|against)\s+(?:about\s+|around\s+|"
                          r"roughly\s+|just\s+|only\s+|some\s+)?(?:\$|us\$)?$", before))


#: Words right after a percentage that give its direction ("38% lower", "a 160% increase").
AFTER_RISE = ("higher", "above", "up", "increase", "rise", "jump", "gain", "surge", "growth", "rebound",
              "more", "larger", "bigger", "greater", "climb", "leap", "advance")
AFTER_FALL = ("lower", "below", "down", "decrease", "decline", "drop", "fall", "plunge", "slump",
              "contraction", "less", "fewer", "smaller", "slide", "dip", "cut", "reduction", "lose", "loss")


def _direction(s: _Sentence, a: int, b: int) -> int:
    """+1 rise, -1 fall, 0 unknown, for the figure at [a, b).

    The word right after the figure decides first ("38% lower", "a 160% increase", "5.2% less
    than"), then the nearest direction word before it in its clause ("slipped 4.7%"), then the
    next few words after it.
    """
    ca, cb = s.clauses[_clause_of(s, a)]
    following = re.findall(r"[a-z]+", s.text[b:min(len(s.text), b + 25)].lower())[:2]
    for w in following:
        if w in AFTER_RISE and not (w == "more" and "than" not in following + ["than"]):
            return 1
        if w in AFTER_FALL:
            return -1
    for w in reversed(re.findall(r"[a-z]+", s.text[max(ca, a - 45):a].lower())):
        if w in RISE:
            return 1
        if w in FALL:
            return -1
    for w in re.findall(r"[a-z]+", s.text[b:min(cb, b + 30)].lower())[:4]:
        if w in RISE:
            return 1
        if w in FALL:
            return -1
    return 0


_NEXT_FIGURE = re.compile(rf"(?:{_NUM})\s*(?:%|percent|per cent|t\b|tonnes|tons|metric)|;|\bwhile\b|\bwhereas\b"
                          r"|\bbut\b", re.I)


def _base_of_change(s: _Sentence, a: int, b: int, period: str | None) -> tuple[str, str | None, str]:
    """(metric, base month, rule) of a change at [a, b): m/m, y/y, a change against another named
    month (``change_pct`` with its base), or ``change_pct`` with no base when the text names none.

    The base is read after the figure up to the next figure ("from May", "than in September",
    "year-over-year", "the same month last year", "above July 2024"), then before it in its clause
    ("Compared with June 2024, exports fell 5%").
    """
    ca, cb = s.clauses[_clause_of(s, a)]
    cut = _NEXT_FIGURE.search(s.text, b)
    after_end = min(cut.start() if cut else len(s.text), b + 80)
    windows = ((b, after_end, "after"), (max(ca, a - 60), a, "before"))
    for lo, hi, where in windows:
        text = s.text[lo:hi]
        if _YOY.search(text):
            return "yoy_pct", _shifted(period, -12), f"base: a year earlier (the phrase {where} the figure)"
        if _MOM.search(text):
            return "mom_pct", _shifted(period, -1), f"base: the previous month (the phrase {where} the figure)"
        for m in s.months:
            if not (lo <= m.start < hi and m.base):
                continue
            base = _base_month(m, period)
            if base is None:
                continue
            rule = f"base: {s.text[m.start:m.end]} -> {base}"
            if period and base == _month_add(period, -1):
                return "mom_pct", base, rule
            if period and base == _month_add(period, -12):
                return "yoy_pct", base, rule
            if period and base < period:
                return "change_pct", base, rule
    return "change_pct", None, "comparison base not stated"


def _shifted(period: str | None, months: int) -> str | None:
    return _month_add(period, months) if period else None


def _ratio_base(tail: str, period: str | None) -> str | None:
    t = tail.lower()
    if _YOY.search(t) or re.search(r"\b(a year|last year|year-earlier|year-ago|12 months)\b", t):
        return "ratio_yoy"
    if _MOM.search(t) or re.search(r"\b(previous month|a month (?:earlier|ago|before)|last month|"
                                   r"the month before)\b", t):
        return "ratio_mom"
    if period:
        m = re.search(rf"\b(?P<mon>{_MONTH_RE})\b(?:'s)?(?:\s+(?P<year>(?:19|20)\d\d))?", tail, re.I)
        if m and m["mon"][0].isupper():
            mm = _MonthMention(0, 0, f"{m['year']}-{MONTHS[m['mon'].lower()]:02d}" if m["year"] else None,
                               MONTHS[m["mon"].lower()], None, True)
            base = _base_month(mm, period)
            if base == _month_add(period, -1):
                return "ratio_mom"
            if base == _month_add(period, -12):
                return "ratio_yoy"
    return None


# ----------------------------------------------------------------------------- scope

#: What a sentence is about when it is not an observed magnet figure: (scope, pattern), first match wins.
SCOPES = (
    ("importer-side figure", re.compile(r"\breports? imports from China\b", re.I)),
    ("scenario", re.compile(r"\b(?:scenarios?|P10|P50|P90|modell?ed|simulat\w*|paths|time-to-survive|"
                            r"shortfall|stress test)\b", re.I)),
    ("forecast", re.compile(r"\b(?:expect(?:s|ed|ing)? (?:to|that|exports|shipments|a|an|the)|forecasts?\b|"
                            r"forecaster|projected|projects? (?:that|exports)|predict\w*|outlook|"
                            r"(?:will|could|would|may|might) (?:likely )?(?:reach|rise|fall|recover|climb|"
                            r"drop|top|exceed|hit|be|return)|is set to|are set to|on track to|estimates? (?:that|for "
                            r"next))", re.I)),
    ("price", re.compile(r"\b(?:prices?|priced|quotes?|per (?:kilogram|kg|tonne|ton)|/kg|oxide|"
                         r"price index)\b", re.I)),
    ("other commodity", re.compile(
        r"\b(?:rare[- ]earths?(?! (?:permanent )?magnets?)(?: elements?| metals?| ores?| oxides?)?|"
        r"17 (?:rare[- ]earth )?elements|ndpr|graphite|gallium|germanium|antimony|tungsten|lithium|cobalt)\b",
        re.I)),
)


def _scope_of(sentence: str) -> str | None:
    """What the sentence is about when not magnet trade as observed (see :data:`SCOPES`)."""
    for scope, pattern in SCOPES:
        if pattern.search(sentence) and not (scope == "forecast" and re.search(
                r"\b(?:than|as) expected\b", sentence, re.I)):
            if scope == "other commodity" and MAGNET_WORDS.search(sentence):
                continue
            if scope == "price" and not re.search(r"\bprice|/kg|per (?:kilogram|kg|tonne|ton)|oxide", sentence, re.I):
                continue
            return scope
    return None


# ----------------------------------------------------------------------------- spans of months

_ORDINAL_COUNT = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                  "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_SPAN = re.compile(
    rf"\b(?:(?P<a>{_MONTH_RE})\s*(?:-|to|through|and)\s*(?P<b>{_MONTH_RE})(?:\s+(?P<y1>(?:19|20)\d\d))?"
    rf"(?:\s+combined)?|(?:in\s+)?the first (?P<n>\d{{1,2}}|{'|'.join(_ORDINAL_COUNT)}) months(?: of (?:the year|"
    rf"(?P<y2>(?:19|20)\d\d)))?|(?P<half>the first half|first-half|H1)(?: of)?(?:\s+(?P<y3>(?:19|20)\d\d))?|"
    rf"(?P<q>Q[1-4]|the (?:first|second|third|fourth) quarter|(?:first|second|third|fourth)-quarter)(?: of)?"
    rf"(?:\s+(?P<y4>(?:19|20)\d\d))?|(?P<ytd>year to date|year-to-date|so far this year))\b", re.I)
_QUARTERS = {"q1": 1, "first": 1, "q2": 2, "second": 2, "q3": 3, "third": 3, "q4": 4, "fourth": 4}


@dataclass
class _SpanMention:
    start: int
    end: int
    last_month: int | None     # calendar month the span ends in (None: the subject month, year to date)
    months: int | None         # its length (None: to the subject month)
    year: int | None
    text: str


def _span_mentions(sentence: str) -> list[_SpanMention]:
    out = []
    for m in _SPAN.finditer(sentence):
        year = next((int(m[g]) for g in ("y1", "y2", "y3", "y4") if m[g]), None)
        if m["a"]:
            if not (m["a"][0].isupper() and m["b"][0].isupper()):
                continue
            first, last = MONTHS[m["a"].lower()], MONTHS[m["b"].lower()]
            if first != 1 or last <= first:
                continue  # only spans from January: what cumulative statistics report
            out.append(_SpanMention(m.start(), m.end(), last, last, year, m.group(0)))
        elif m["n"]:
            n = int(m["n"]) if m["n"].isdigit() else _ORDINAL_COUNT[m["n"].lower()]
            if 1 < n <= 12:
                out.append(_SpanMention(m.start(), m.end(), n, n, year, m.group(0)))
        elif m["half"]:
            out.append(_SpanMention(m.start(), m.end(), 6, 6, year, m.group(0)))
        elif m["q"]:
            q = _QUARTERS[re.sub(r"^the |-quarter$| quarter$", "", m["q"].lower())]
            if q == 1:
                out.append(_SpanMention(m.start(), m.end(), 3, 3, year, m.group(0)))
        else:
            out.append(_SpanMention(m.start(), m.end(), None, None, year, m.group(0)))
    return out


def _span_period(sp: _SpanMention, s: _Sentence, ctx: _Context, notes: list[str]) -> tuple[str | None, int]:
    """(first month, months) of a cumulative span: January of its year through its last month."""
    if sp.last_month is None:
        if not s.subject_month:
            return None, 1
        end = Month.parse(s.subject_month)
        notes.append(f"'{sp.text}': January to {end.label()}")
        return str(Month(end.year, 1)), end.month
    if sp.year is not None:
        return f"{sp.year:04d}-01", sp.months or 1
    end_text = _resolve_month(_MonthMention(sp.start, sp.end, None, sp.last_month, None, False), ctx, notes)
    if end_text is None:
        return None, sp.months or 1
    return f"{end_text[:4]}-01", sp.months or 1


# ----------------------------------------------------------------------------- extraction

def extract(text: str, *, as_of: str | dt.date | None = None, month: str | None = None,
            known_months: tuple[str, ...] | list[str] = ()) -> list[Claim]:
    """Every numeric claim about magnet trade in ``text``, in reading order.

    ``as_of`` is when the text was published (else its dateline, if any); ``month`` the month it
    is about when it does not say; ``known_months`` the months with a figure in the store, used
    only for text with no date at all (a bare "June" is then the latest June in the store).
    """
    raw = _plain(_normalise(text))
    ctx = _Context(known=tuple(sorted(known_months)))
    if month is not None:
        ctx.default_month = str(Month.parse(month, "month"))
    date, has_year, dl_text = _dateline(raw)
    if dl_text:
        raw = raw.lstrip()[len(dl_text):]
    _set_published(ctx, as_of, date, has_year, raw)
    ctx.magnets = bool(MAGNET_WORDS.search(raw))
    re_only = not ctx.magnets and bool(RARE_EARTH_WORDS.search(raw))
    claims: list[Claim] = []
    for no, sent in enumerate(split_sentences(raw), start=1):
        s = _sentence(no, sent, ctx)
        scope = _scope_of(sent) or ("other commodity" if re_only else None)
        found = list(_claims_in(s, ctx, s.notes, any_sentence=scope is not None))
        for c in found:
            _finish(c, s, ctx, scope, re_only)
        claims.extend(found)
        _carry(s, ctx)
    return claims


def _plain(text: str) -> str:
    """The prose of a text: HTML tags dropped, Markdown footnote definitions (sources, not
    sentences) and footnote marks removed."""
    if re.match(r"\s*<(?:!doctype|html|body|div|p|article|section|h1)\b", text, re.I):
        text = re.sub(r"<(?:script|style)\b.*?</(?:script|style)>", " ", text, flags=re.I | re.S)
        text = re.sub(r"</(?:p|div|h\d|li|tr|section|article|table|br)\s*>|<br\s*/?>", "\n\n", text, flags=re.I)
        text = re.sub(r"<sup[^>]*>.*?</sup>", "", text, flags=re.I | re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"(?m)^\s*\[\^[^\]]+\]:.*(?:\n(?!\s*\n)(?!\s*\[\^).*)*", "", text)
    text = re.sub(r"\[\^[^\]]+\]", "", text)
    text = re.sub(r"(?m)(?:^\s*\|.*\|\s*$\n?)+", lambda m: _table_sentences(m.group(0)), text)
    text = re.sub(r"(?m)^\s*!\[[^\]]*\]\([^)]*\)\s*$", "", text)
    return re.sub(r"(?m)^\s*#+\s*(.*)$", r"\1.", text)


#: Table columns read as a figure's measure: header -> how the cell is written in a sentence.
_TABLE_MEASURES = {"m/m": "{} m/m", "y/y": "{} y/y", "share": "{} share", "net weight": "{}",
                   "value": "{}", "tonnes": "{}"}


def _table_sentences(block: str) -> str:
    """A Markdown table as sentences, one a row: "Germany: 1,118 t; -13.2% m/m; 20.4% share."

    Only columns whose header names a measure are read (net weight, m/m, y/y, share); a rank
    column is left out, since a table does not say which rank (computed or reported) it shows.
    """
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.strip().splitlines()]
    if len(rows) < 3 or not re.fullmatch(r"[\s:|-]+", "|".join(rows[1])):
        return block
    header = [h.lower() for h in rows[0]]
    out = []
    for row in rows[2:]:
        cells = dict(zip(header, row))
        subject = cells.get("destination") or cells.get("partner") or row[0]
        parts = [_TABLE_MEASURES[h].format(v) for h, v in cells.items()
                 if h in _TABLE_MEASURES and re.search(r"\d", v)]
        if parts:
            out.append(f"{subject}: {'; '.join(parts)}.")
    return "\n\n" + "\n\n".join(out) + "\n\n"


def _set_published(ctx: _Context, as_of, date: dt.date | None, has_year: bool, body: str) -> None:
    if as_of is not None:
        from magwatch import params

        ctx.published = params.date(as_of, "as_of")
        ctx.published_how = f"--as-of {ctx.published}"
    elif date is not None and has_year:
        ctx.published, ctx.published_how = date, f"dateline {date}"
    years = [int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", body)]
    if years:
        ctx.year = years[0]
    if date is not None and not has_year and ctx.published is None:
        year = ctx.year or _year_from_store(date, ctx.known)
        if year is not None:
            ctx.published = date.replace(year=year)
            how = "a year stated in the text" if ctx.year else "the latest such month in the store"
            ctx.published_how = f"dateline {date.strftime('%B')} {date.day}, year from {how}"


def _year_from_store(date: dt.date, known: tuple[str, ...]) -> int | None:
    """For a dateline without a year: the latest year whose month before the dateline has a figure."""
    wanted = [k for k in known if (Month.parse(k) + 1).month == date.month]
    return (Month.parse(max(wanted)) + 1).year if wanted else None


def _sentence(no: int, sent: str, ctx: _Context) -> _Sentence:
    s = _Sentence(no, sent, _clauses(sent), [], _partner_mentions(sent), None, [])
    s.months = _month_mentions(sent, ctx)
    s.spans = _span_mentions(sent)
    in_span = [(sp.start, sp.end) for sp in s.spans]
    subject = [m for m in s.months if not m.base and m.relative not in ("prev", "year", "lastyear")
               and not any(a <= m.start < b for a, b in in_span)]
    if subject:
        s.subject_month = _resolve_month(subject[0], ctx, s.notes)
    elif ctx.month:
        s.subject_month = ctx.month
        s.notes.append("month from an earlier sentence")
    elif ctx.default_month:
        s.subject_month = ctx.default_month
        s.notes.append("month from --month")
    elif ctx.published is not None:
        s.subject_month = str(Month.of(ctx.published) - 1)
        s.notes.append(f"month: the month before the publication date ({ctx.published_how}); customs "
                       "data are published a month later")
    s.has_subject = bool(subject)
    return s


def _finish(c: Claim, s: _Sentence, ctx: _Context, scope: str | None, re_only: bool) -> None:
    if scope is not None:
        c.scope = scope
        c.resolved.append(f"about: {scope}, not an observed magnet figure")
    elif not ctx.magnets:
        c.resolved.append("commodity assumed: rare-earth magnets (85051110)")
    elif not MAGNET_WORDS.search(s.text):
        c.resolved.append("commodity from the text: rare-earth magnets (85051110)")
    if re_only:
        c.commodity = None
    if c.period is None and scope is None:
        c.problems.append("month: not stated and not inferable from the text (give --as-of or --month)")


def _carry(s: _Sentence, ctx: _Context) -> None:
    """Context the next sentence inherits: its subject month and its last partner."""
    if s.has_subject and s.subject_month:
        ctx.month = s.subject_month
    elif s.subject_month and not ctx.month:
        ctx.month = s.subject_month
    if s.partners:
        ctx.partner = s.partners[-1].code


def _new(s: _Sentence, ctx: _Context, snotes: list[str], text: str, metric: str, value, bounds,
         qualifier, pos: int, end: int, partner: str | None = None, period: str | None = None) -> Claim:
    notes = list(snotes)
    if partner is None:
        partner = _partner_for(s, pos, ctx, notes)
    if period is None:
        period = _month_for(s, pos, end, ctx, notes)
    low, high, elow, ehigh = bounds if len(bounds) == 4 else (*bounds, *bounds)
    return Claim(text=text, sentence=s.text, sentence_no=s.no, metric=metric, value=value, low=low,
                 high=high, qualifier=qualifier, partner=partner, period=period,
                 resolved=list(dict.fromkeys(notes)), exact_low=elow, exact_high=ehigh)


def _bounds(value: float, num: str, q: str | None, scale: float = 1.0, negate: bool = False):
    """(low, high, exact_low, exact_high) of a figure as written, scaled and signed."""
    out = []
    for exact in (False, True):
        lo, hi = interval(value, num, q, exact=exact)
        lo = None if lo is None else lo * scale
        hi = None if hi is None else hi * scale
        if negate:
            lo, hi = (None if hi is None else -hi), (None if lo is None else -lo)
        out += [lo, hi]
    return tuple(out)


def _span_text(sent: str, a: int, b: int) -> str:
    a2 = max(0, a - 30)
    while a2 > 0 and not sent[a2 - 1].isspace():
        a2 -= 1
    b2 = min(len(sent), b + 25)
    while b2 < len(sent) and not sent[b2].isspace():
        b2 += 1
    out = sent[a2:b2].strip(" ,;")
    return ("..." if a2 > 0 else "") + out + ("..." if b2 < len(sent) else "")


class _Taken:
    """Spans of a sentence already read as part of a claim (a record's number is not a figure)."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in self.spans)

    def add(self, a: int, b: int) -> None:
        self.spans.append((a, b))

    # lists of spans are what older readers appended to
    def append(self, span: tuple[int, int]) -> None:
        self.spans.append(span)


def _claims_in(s: _Sentence, ctx: _Context, snotes: list[str], any_sentence: bool = False):
    """The claims of one sentence, reader by reader (:data:`READERS`, in order); only in sentences
    about trade, unless ``any_sentence`` (a sentence whose scope is reported as not checked)."""
    if not (any_sentence or _TRADE_WORDS.search(s.text) or MAGNET_WORDS.search(s.text)):
        return
    taken = _Taken()
    for reader in READERS:
        yield from reader(s, ctx, snotes, taken)


def _read_record_n(s, ctx, snotes, taken):
    """"six-month high", "nine-month low"."""
    for m in _RECORD_N.finditer(s.text):
        n = m["n"].lower()
        n = int(n) if n.isdigit() else NUMBER_WORDS.get(n)
        if n is None:
            continue
        months = n * (12 if m["unit"].lower() == "year" else 1)
        kind = "record_high" if m["kind"].lower() in ("high", "peak") else "record_low"
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), kind, float(months), (None, None),
                 None, m.start(), m.end())
        c.window_months = months
        taken.add(m.start(), m.end())
        yield c


def _read_record_in(s, ctx, snotes, taken):
    """"highest in nearly five years", "lowest in a year"."""
    for m in _RECORD_IN.finditer(s.text):
        n = m["n"].lower()
        n = 1 if n == "a" else int(n) if n.isdigit() else NUMBER_WORDS.get(n)
        if n is None or not taken.free(m.start(), m.end()):
            continue
        months = n * (12 if m["unit"].lower().startswith("year") else 1)
        kind = "record_high" if m["kind"].lower() in ("highest", "strongest", "biggest") else "record_low"
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), kind, float(months), (None, None),
                 None, m.start(), m.end())
        c.window_months = months
        taken.add(m.start(), m.end())
        yield c


_RECORD_OF = re.compile(
    rf"\b(?P<kind>highest|lowest)\s+of\s+the\s+(?P<n>\d+)\s+months(?:\s+with\s+a\s+figure)?\s+since\s+"
    rf"(?P<mon>{_MONTH_RE})\s+(?P<year>(?:19|20)\d\d)\b", re.I)
#: qualifier of a record over the months with a figure, counted from a month on (inclusive)
OF_MONTHS = "of the months with a figure"
#: qualifier of "highest since X (N months with a figure in between)": only months with a figure count
BETWEEN_FIGURES = "months with a figure in between"


def _read_record_of(s, ctx, snotes, taken):
    """"the highest of the 22 months with a figure since December 2016": among the months with a
    figure from that month on (itself included), this one is the highest, and there are 22."""
    for m in _RECORD_OF.finditer(s.text):
        kind = "record_high" if m["kind"].lower() == "highest" else "record_low"
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), kind, float(m["n"]), (None, None),
                 OF_MONTHS, m.start(), m.end())
        c.since = f"{int(m['year']):04d}-{MONTHS[m['mon'].lower()]:02d}"
        taken.add(m.start(), m.end())
        yield c


def _read_record_since(s, ctx, snotes, taken):
    """"highest since January", "lowest since 2020"."""
    for m in _RECORD_SINCE.finditer(s.text):
        if not taken.free(m.start(), m.end()):
            continue
        kind = "record_high" if m["kind"].lower() in ("highest", "strongest", "biggest", "most") \
            else "record_low"
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), kind, None, (None, None), None,
                 m.start(), m.end())
        _since_of(c, m)
        c.value = float(c.window_months) if c.window_months else None
        between = re.match(r"\s*\((?P<k>\d+) months? with a figure in between\)", s.text[m.end():])
        if between:
            c.qualifier, c.value = BETWEEN_FIGURES, float(between["k"])
        taken.add(m.start(), m.end())
        yield c


def _since_of(c: Claim, m: re.Match) -> None:
    if m["mon"]:
        mon = MONTHS[m["mon"].lower()]
        if m["year"]:
            c.since = f"{int(m['year']):04d}-{mon:02d}"
        elif c.period:
            c.since = str(_latest_named(mon, Month.parse(c.period) - 1))
    elif m["yonly"]:
        c.since = f"{int(m['yonly']):04d}-12"
        c.resolved.append(f"'since {m['yonly']}' read as: the last higher month was in {m['yonly']}")
    elif m["rel"] and c.period:
        c.since = f"{int(c.period[:4]) - 1:04d}-12"
    if c.since is None:
        c.problems.append("the 'since' month could not be resolved")
    elif c.period:
        c.window_months = months_between(c.since, c.period)


def _read_record_word(s, ctx, snotes, taken):
    """"record high", "multi-year low"."""
    for m in _RECORD_WORD.finditer(s.text):
        if not taken.free(m.start(), m.end()):
            continue
        kind = "record_high" if m["kind"].lower().startswith(("high", "peak")) else "record_low"
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), kind, None, (None, None),
                 m["rec"].lower(), m.start(), m.end())
        if m["rec"].lower().startswith("multi"):
            c.window_months = 24
            c.resolved.append("'multi-year' read as: at least 24 months")
        c.value = float(c.window_months) if c.window_months else None
        taken.add(m.start(), m.end())
        yield c


_STREAK = re.compile(
    r"\b(?P<n>second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d{1,2}(?:st|nd|rd|th))\s+"
    r"(?:consecutive|straight|successive)\s+(?:monthly\s+)?(?P<kind>fall|decline|drop|decrease|rise|increase|"
    r"gain|month(?:ly)?(?:\s+of\s+(?P<kind2>declines?|falls?|drops?|decreases?|growth|gains?|increases?|rises?))?)",
    re.I)
_IN_A_ROW = re.compile(r"\b(?:for|in)\s+(?:a|the)\s+(?P<n>second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
                       r"tenth)\s+(?:(?:straight|consecutive|successive)\s+)?month(?:\s+in\s+a\s+row)?", re.I)


def _read_streaks(s, ctx, snotes, taken):
    """"the fifth consecutive monthly fall", "fell for a third straight month"."""
    for m in list(_STREAK.finditer(s.text)) + list(_IN_A_ROW.finditer(s.text)):
        if not taken.free(m.start(), m.end()):
            continue
        n = m["n"].lower()
        n = ORDINALS.get(n) or int(re.sub(r"\D", "", n) or 0)
        kind_word = (m.groupdict().get("kind2") or m.groupdict().get("kind") or "").lower()
        if kind_word.startswith("month") or not kind_word:
            direction = _direction(s, m.start(), m.end())
        else:
            direction = 1 if kind_word.rstrip("s") in ("rise", "increase", "gain", "growth") else -1
        if direction == 0 or n < 2:
            continue
        metric = "streak_rise" if direction > 0 else "streak_fall"
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), metric, float(n),
                 (float(n), float(n)), None, m.start(), m.end())
        taken.add(m.start(), m.end())
        yield c


def _read_tonnes(s, ctx, snotes, taken):
    """Tonnages: "353 tonnes", "3.188 thousand tonnes", "about 350 t"; a cumulative total when its
    clause names a span of months ("January-November shipments totalled 51,440 t")."""
    for m in _TONNES.finditer(s.text):
        if not taken.free(m.start(), m.end()):
            continue
        num = m["num"]
        scale = 1000.0 if m["k"] else 1.0
        q = _qualifier_before(s.text, m.start())
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), "net_weight_t",
                 _to_float(num) * scale, _bounds(_to_float(num), num, q, scale), q, m.start(), m.end())
        if _is_base_figure(s, m.start()):
            _as_base(c, s, m)
        else:
            _as_cumulative(c, s, ctx, m.start())
        taken.add(m.start(), m.end())
        yield c


def _as_base(c: Claim, s: _Sentence, m: re.Match) -> None:
    c.resolved.append("a comparison base")
    own = [mm for mm in s.months if 0 <= mm.start - m.end() <= 12]
    if not own and s.subject_month:
        metric, base, _ = _base_of_change(s, m.start(), m.end(), s.subject_month)
        if base is not None:
            c.period = base
            c.resolved.append("month: the comparison month")


def _as_cumulative(c: Claim, s: _Sentence, ctx: _Context, pos: int) -> None:
    ca, cb = s.clauses[_clause_of(s, pos)]
    spans = [sp for sp in s.spans if ca <= sp.start < cb] or \
        [sp for sp in s.spans if not s.has_subject
         or re.search(r"\b(?:total|cumulative|combined|so far)", s.text, re.I)]
    if not spans:
        return
    period, months = _span_period(spans[0], s, ctx, c.resolved)
    if months > 1 and period:
        c.metric, c.period, c.months = "cumulative_t", period, months
        c.resolved.append(f"a total over {Span(Month.parse(period), months).label()}")


def _read_kg(s, ctx, snotes, taken):
    for m in _KG.finditer(s.text):
        if not taken.free(m.start(), m.end()):
            continue
        mult = 1e6 if m["mult"] else 1.0
        q = _qualifier_before(s.text, m.start())
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), "net_weight_t",
                 _to_float(m["num"]) * mult / 1000, _bounds(_to_float(m["num"]), m["num"], q, mult / 1000),
                 q, m.start(), m.end())
        taken.add(m.start(), m.end())
        yield c


def _read_usd(s, ctx, snotes, taken):
    for m in _USD.finditer(s.text):
        if not taken.free(m.start(), m.end()):
            continue
        mult = {"million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}.get((m["mult"] or "").lower(), 1)
        if re.match(r"\s*(?:/|per)\s*(?:kg|t|tonne|kilogram)", s.text[m.end():m.end() + 12], re.I):
            continue  # a unit price, not a trade value
        q = _qualifier_before(s.text, m.start())
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), "value_usd",
                 _to_float(m["num"]) * mult, _bounds(_to_float(m["num"]), m["num"], q, mult), q,
                 m.start(), m.end())
        taken.add(m.start(), m.end())
        yield c


_FRACTION_SHARE = re.compile(r"^\s*(?:of\s+(?:china'?s\s+|the\s+|all\s+|its\s+|total\s+|overall\s+)*"
                             r"(?:total|exports|shipments|sales|outbound|volume|magnet exports|the total)\b)", re.I)


def _read_ratios(s, ctx, snotes, taken):
    """Multiples and fractions: "about half their level a year earlier", "5.1 times May's", and
    fractions of the total ("a quarter of the total") as shares."""
    for m in _RATIO.finditer(s.text):
        end = m.end("frac") if m["frac"] else m.end("n")
        if not taken.free(m.start(), end):
            continue
        if m["frac"]:
            r = _FRACTIONS[m["frac"].lower()]
        else:
            n = m["n"].lower()
            r = float(n) if n[0].isdigit() else float(NUMBER_WORDS[n])
        q = (m["q"] or "").lower() or None
        low, high = _ratio_interval(r, q, bool(m["frac"]))
        if m["frac"] and r < 1 and _FRACTION_SHARE.match(m["tail"] or ""):
            c = _new(s, ctx, snotes, _span_text(s.text, m.start(), end + 20), "share_pct", r * 100,
                     (low * 100, high * 100) if high is not None else (low * 100 if low else None, None), q,
                     m.start(), end)
            taken.add(m.start(), end)
            yield c
            continue
        base = _ratio_base(m["tail"] or "", s.subject_month)
        if base is None or (r > 1 and _direction(s, m.start(), end) < 0):
            continue
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), end + 20), base, r, (low, high), q, m.start(), end)
        taken.add(m.start(), end)
        yield c
    for m in _FOLD_RE.finditer(s.text):
        if not taken.free(m.start(), m.end("verb")):
            continue
        base = _ratio_base(m["tail"] or "", s.subject_month)
        if base is None:
            continue
        r = _FOLD[m["verb"].lower()]
        q = (m["q"] or "").lower() or None
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end("verb") + 20), base, r,
                 _ratio_interval(r, q, True), q, m.start(), m.end("verb"))
        taken.add(m.start(), m.end("verb"))
        yield c


def _is_share(s: _Sentence, a: int, b: int) -> bool:
    before = s.text[max(0, a - 40):a]
    after = s.text[b:b + 60]
    shared = bool(_SHARE_AFTER.match(after) or _SHARE_BEFORE.search(before)
                  or re.search(r"\bshare\b", before[-20:], re.I))
    return shared and not re.match(r"^\s*(?:share\s+)?(?:rise|increase|jump|drop|fall|decline|gain)", after, re.I)


def _read_percentages(s, ctx, snotes, taken):
    """Percentages: shares of the total, and changes with their sign and base."""
    for m in _PCT_STRICT.finditer(s.text):
        if not taken.free(m.start(), m.end()):
            continue
        if re.match(r"\s*(?:percentage\s+)?points?\b|\s*pp\b", s.text[m.end():m.end() + 20], re.I):
            continue
        num, v = m["num"], _to_float(m["num"])
        q = _qualifier_before(s.text, m.start())
        if _is_share(s, m.start(), m.end()):
            yield _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), "share_pct", v,
                       _bounds(v, num, q), q, m.start(), m.end())
            taken.add(m.start(), m.end())
            continue
        direction = (-1 if m["sign"] == "-" else 1 if m["sign"] == "+" else 0) or _direction(s, m.start(), m.end())
        if direction == 0:
            continue
        metric, base, rule = _base_of_change(s, m.start(), m.end(), s.subject_month)
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), metric, v * direction,
                 _bounds(v, num, q, negate=direction < 0), q, m.start(), m.end())
        c.base_period = base
        c.resolved.append(rule)
        taken.add(m.start(), m.end())
        yield c


def _ratio_interval(r: float, q: str | None, word: bool) -> tuple[float | None, float | None]:
    """Fractions and multiples in words are approximate by nature: +/-15% (+/-20% with 'about')."""
    if q in ("more than", "just over"):
        return r, (r * 1.2 if q == "just over" else None)
    if q in ("less than", "just under", "only") and q != "only":
        return (r * 0.8 if q == "just under" else None), r
    if q in ("nearly", "almost"):
        return r * 0.85, r
    tol = 0.20 if q in ("about", "around", "roughly", "some") else 0.15
    if not word:
        tol = 0.05 if q is None else 0.10
    return r * (1 - tol), r * (1 + tol)


def _parse_list(text: str) -> list[tuple[int, str]]:
    """Partners named in a list ("Germany, the US, Vietnam and South Korea") in order."""
    cut = re.split(r"\b(?:while|whereas|but|with|which|as|after|according)\b|\(|\s-\s", text)[0]
    out = []
    for p in _partner_mentions(cut):
        if not out or out[-1][1] != p.code:
            out.append((p.start, p.code))
    return out


#: qualifier of a rank stated among the destinations with a figure only
AMONG_WITH_FIGURE = "among the destinations with a figure"
_AMONG = re.compile(r"\bamong the (?:\d+ )?destinations with (?:a figure|data)\b", re.I)


def _rank_claims(s: _Sentence, ctx: _Context, snotes: list[str], taken: list):
    sent = s.text
    seen: set[tuple[str, int]] = set()

    def make(code: str, rank: int, a: int, b: int, text: str):
        if (code, rank) in seen:
            return None
        seen.add((code, rank))
        notes = list(snotes)
        period = _month_for(s, a, b, ctx, notes)
        taken.append((a, b))
        among = AMONG_WITH_FIGURE if _AMONG.search(sent) else None
        if among:
            notes.append("rank stated among the destinations with a figure")
        return Claim(text=text, sentence=sent, sentence_no=s.no, metric="rank", value=float(rank),
                     low=float(rank), high=float(rank), partner=code, period=period, resolved=notes,
                     exact_low=float(rank), exact_high=float(rank), qualifier=among)

    for m in _TOP_LIST.finditer(sent):
        items = _parse_list(m["list"])
        base = m.start("list")
        for i, (pos, code) in enumerate(items, start=1):
            c = make(code, i, base + pos, base + pos + 1, _span_text(sent, m.start(), m.end()))
            if c:
                yield c
    for m in _RANK_PHRASE.finditer(sent):
        rank = ORDINALS.get((m["ord"] or "").lower()) if m["ord"] else 1
        if rank is None:
            continue
        if re.search(r"\b(?:one of|among)\s+(?:the\s+)?$", sent[max(0, m.start() - 15):m.start()], re.I):
            continue
        if re.match(r"\s*(?:were|was|are|:|included)", sent[m.end():m.end() + 12]) and \
                _TOP_LIST.match(sent, m.start()):
            continue
        ca, cb = s.clauses[_clause_of(s, m.start())]
        before = [p for p in s.partners if ca <= p.start < m.start()]
        after = [p for p in s.partners if m.end() <= p.start < cb]
        code = None
        if re.match(r"\s*(?:was|were|is|remained)\s", sent[m.end():m.end() + 10]) and after:
            code = after[0].code
        elif before:
            code = before[-1].code
        elif after and re.match(r"\s*(?:,\s*)?(?:the\s+)?$", sent[m.end():after[0].start]):
            code = after[0].code
        else:
            # "..., the top destination" referring to the subject of the sentence
            prior = [p for p in s.partners if p.start < m.start()]
            code = prior[-1].code if prior else None
        if code is None:
            continue
        c = make(code, rank, m.start(), m.end(), _span_text(sent, m.start(), m.end()))
        if c:
            yield c
        behind = re.match(r"\s*(?:only\s+|just\s+)?(?:after|behind)\s+(?P<list>[^.;]+)", sent[m.end():])
        if behind and rank > 1:
            above = _parse_list(behind["list"])
            if len(above) == rank - 1:
                base = m.end() + behind.start("list")
                for i, (pos, code2) in enumerate(above, start=1):
                    c = make(code2, i, base + pos, base + pos + 1, _span_text(sent, m.start(), m.end() + behind.end()))
                    if c:
                        yield c
        fol = _FOLLOWED.search(sent, m.end())
        if fol and fol.start() - m.end() <= 40 and rank == 1:
            for i, (pos, code2) in enumerate(_parse_list(fol["list"]), start=2):
                base = fol.start("list")
                c = make(code2, i, base + pos, base + pos + 1, _span_text(sent, fol.start(), fol.end()))
                if c:
                    yield c
    # "Germany first, the US second"
    for m in re.finditer(r"(?P<who>(?:the\s+)?[A-Z][\w.]*(?:\s+[A-Z]\w+)?)\s+(?:was\s+|came\s+|ranked\s+|"
                         r"in\s+)?(?P<ord>first|second|third|fourth|fifth)\b(?!\s*[- ](?:largest|biggest|"
                         r"top|leading|half|quarter))", sent):
        ps = [p for p in s.partners if m.start() <= p.start < m.start("ord")]
        if not ps:
            continue
        c = make(ps[-1].code, ORDINALS[m["ord"].lower()], m.start(), m.end(),
                 _span_text(sent, m.start(), m.end()))
        if c:
            yield c


#: The claim families, read in this order: a span one reader takes is not read again (the
#: "six" of "six-month high" is not a figure).
READERS = (_read_record_n, _read_record_in, _read_record_of, _read_record_since, _read_record_word, _read_streaks,
           _rank_claims, _read_tonnes, _read_kg, _read_usd, _read_ratios, _read_percentages)

__all__ = ["HEDGES", "Claim", "extract", "interval", "months_between", "split_sentences"]
