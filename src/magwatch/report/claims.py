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
import re
from dataclasses import dataclass, field
from functools import lru_cache

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
APPROX = ("about", "around", "roughly", "approximately", "some", "an estimated", "close to",
          "circa", "almost", "nearly", "just over", "just under", "more than", "over", "above",
          "exceeding", "less than", "under", "below", "at least", "up to", "at most")

RISE = ("rose", "rise", "rising", "risen", "up", "jumped", "jump", "jumping", "surged", "surge",
        "surging", "soared", "soar", "climbed", "climb", "gained", "gain", "increased",
        "increase", "increasing", "grew", "growth", "rebounded", "rebound", "higher", "leapt",
        "leaped", "skyrocketed", "spiked", "advanced", "expanded")
FALL = ("fell", "fall", "falling", "fallen", "down", "dropped", "drop", "dropping", "declined",
        "decline", "declining", "slumped", "slump", "plunged", "plunge", "plummeted", "decreased",
        "decrease", "slid", "slide", "tumbled", "sank", "lower", "shrank", "contracted",
        "collapsed", "dipped", "dip", "eased", "retreated", "lost")

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
_APPROX_RE = "|".join(re.escape(a) for a in sorted(APPROX, key=len, reverse=True))
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

    def as_dict(self) -> dict:
        return {"claim": self.text, "sentence_no": self.sentence_no, "metric": self.metric,
                "claimed": self.value, "low": self.low, "high": self.high,
                "qualifier": self.qualifier, "reporter": self.reporter, "partner": self.partner,
                "commodity": self.commodity, "flow": self.flow, "period": self.period,
                "since": self.since, "window_months": self.window_months,
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
    for m in re.finditer(r";|,\s+(?:while|whereas|but|and|with)\s|\s(?:while|whereas)\s|,\s+"
                         r"(?=(?:shipments|exports|sales|volumes?)\b)|:\s", sentence):
        cuts.append(m.start())
    cuts.append(len(sentence))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


# ----------------------------------------------------------------------------- months

def _month_add(period: str, months: int) -> str:
    y, m = int(period[:4]), int(period[5:7])
    n = y * 12 + (m - 1) + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def months_between(a: str, b: str) -> int:
    return (int(b[:4]) * 12 + int(b[5:7])) - (int(a[:4]) * 12 + int(a[5:7]))


@dataclass
class _Context:
    dateline: dt.date | None = None
    year: int | None = None          # last year stated in the text
    month: str | None = None         # last subject month (YYYY-MM)
    partner: str | None = None       # last partner named
    magnets: bool = False            # the text is about magnets


_DATELINE = re.compile(
    rf"^\s*(?:[A-Z][A-Za-z .'/-]{{1,40}},\s*)?(?P<mon>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}})"
    rf"(?:,?\s+(?P<year>(?:19|20)\d\d))?\s*(?:\([A-Za-z .]+\))?\s*[-:]", re.I)
_ISO_DATELINE = re.compile(r"^\s*(?:dateline|date|published|posted)?:?\s*"
                           r"(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b", re.I)


def _dateline(text: str) -> tuple[dt.date | None, int | None, str]:
    """(date, year-if-stated, the dateline text) at the start of the text, if any."""
    head = text.lstrip()[:200]
    m = _ISO_DATELINE.match(head)
    if m:
        d = dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        return d, d.year, m.group(0)
    m = _DATELINE.match(head)
    if m:
        mon = MONTHS[m["mon"].lower()]
        year = int(m["year"]) if m["year"] else None
        return dt.date(year or 2000, mon, int(m["day"])), year, m.group(0)
    return None, None, ""


_MONTH_MENTION = re.compile(
    rf"\b(?P<mon>{_MONTH_RE})\b\.?(?:\s+(?P<year>(?:19|20)\d\d))?(?!-)|\b(?P<iso>(?:19|20)\d\d)-(?P<isom>\d\d)\b"
    rf"|\b(?P<rel>last month|this month|the previous month|the prior month|a month earlier|"
    rf"a month ago|the month before|a year earlier|a year ago|the same month (?:a year earlier|"
    rf"last year|of last year|the previous year)|last year)\b", re.I)
_BASE_BEFORE = re.compile(r"(?:\b(?:from|than|since|compared (?:with|to)|versus|vs\.?|against|over|before|"
                          r"below|above)\s+(?:the\s+)?(?:levels?\s+(?:of|in)\s+)?|\b(?:from|than|compared "
                          r"(?:with|to)|versus|vs\.?|against)\s+(?:about\s+|around\s+|just\s+|only\s+)?"
                          r"\d[\d,.]*\s*(?:t|tonnes|tons|metric tons)\s+(?:in\s+)?)$", re.I)


@dataclass
class _MonthMention:
    start: int
    end: int
    period: str | None        # YYYY-MM when known
    month: int | None         # the calendar month when the year is unknown
    relative: str | None      # "prev" / "year" (relative bases) / "this" / "last"
    base: bool                # preceded by a base word (from, than, since ...)


def _month_mentions(sentence: str, ctx: _Context) -> list[_MonthMention]:
    out = []
    for m in _MONTH_MENTION.finditer(sentence):
        before = sentence[max(0, m.start() - 40):m.start()]
        base = bool(_BASE_BEFORE.search(before))
        if m["rel"]:
            rel = m["rel"].lower()
            kind = ("this" if rel == "this month" else "last" if rel == "last month"
                    else "lastyear" if rel == "last year"
                    else "year" if "year" in rel else "prev")
            out.append(_MonthMention(m.start(), m.end(), None, None, kind, base or kind in ("prev", "year")))
            continue
        if m["iso"]:
            out.append(_MonthMention(m.start(), m.end(), f"{m['iso']}-{m['isom']}", None, None, base))
            continue
        word = m["mon"]
        low = word.lower()
        if low == "may" and not m["year"] and word == "may":
            continue  # the verb "may"
        if low in ("mar", "sep", "dec", "jan", "jun", "jul", "aug", "oct", "nov", "apr", "feb") \
                and word[0].islower():
            continue
        if word[0].islower() and low not in ("may",):
            continue
        if low == "may" and not m["year"] and re.match(r"\s+(?:be|have|not|also|well|still|need|see|"
                                                      r"take|rise|fall|ease|face)\b",
                                                      sentence[m.end():m.end() + 8]):
            continue
        mon = MONTHS[low]
        if m["year"]:
            out.append(_MonthMention(m.start(), m.end(), f"{int(m['year']):04d}-{mon:02d}", mon, None, base))
        else:
            out.append(_MonthMention(m.start(), m.end(), None, mon, None, base))
    return out


def _resolve_month(mm: _MonthMention, ctx: _Context, notes: list[str]) -> str | None:
    if mm.period:
        return mm.period
    if mm.relative in ("this", "last"):
        if ctx.dateline and ctx.dateline.year != 2000:
            d = ctx.dateline
            p = f"{d.year:04d}-{d.month:02d}"
            notes.append("month from the dateline")
            return p if mm.relative == "this" else _month_add(p, -1)
        return None
    if mm.month is None:
        return None
    if ctx.dateline is not None and ctx.year is not None:
        y = ctx.dateline.year if ctx.dateline.year != 2000 else ctx.year
        year = y if mm.month <= ctx.dateline.month else y - 1
        notes.append("year from the dateline")
        return f"{year:04d}-{mm.month:02d}"
    if ctx.month is not None:
        y = int(ctx.month[:4])
        year = y if mm.month <= int(ctx.month[5:7]) + 1 else y - 1
        notes.append("year from a month stated earlier")
        return f"{year:04d}-{mm.month:02d}"
    if ctx.year is not None:
        notes.append("year stated earlier in the text")
        return f"{ctx.year:04d}-{mm.month:02d}"
    return None


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


def _unit_of(s: str, approx: bool) -> float:
    """Half the rounding unit of a number as written ("353" -> 0.5, "3,200" -> 50, "157.5" -> 0.05)."""
    s = s.replace(",", "")
    if "." in s:
        return 0.5 * 10 ** -len(s.split(".")[1])
    digits = s.lstrip("0") or "0"
    zeros = len(digits) - len(digits.rstrip("0")) if digits != "0" else 0
    if not approx and zeros < 2:
        zeros = 0
    return 0.5 * 10 ** zeros


def interval(value: float, number_text: str, qualifier: str | None) -> tuple[float | None, float | None]:
    """The interval a claimed figure allows, from its own rounding and its qualifier."""
    q = (qualifier or "").lower()
    approx = q in ("about", "around", "roughly", "approximately", "some", "an estimated",
                   "close to", "circa", "almost", "nearly", "just over", "just under")
    half = _unit_of(number_text, approx)
    wide = max(half, 0.05 * abs(value)) if approx else half
    if q in ("more than", "over", "above", "exceeding"):
        return value, None
    if q in ("less than", "under", "below"):
        return None, value
    if q == "at least":
        return value - half, None
    if q in ("up to", "at most"):
        return None, value + half
    if q in ("almost", "nearly", "just under"):
        return value - wide, value + half
    if q == "just over":
        return value - half, value + wide
    return value - wide, value + wide


def _qualifier_before(text: str, pos: int) -> str | None:
    m = re.search(rf"\b({_APPROX_RE})\s+(?:\$|US\$|USD\s*)?(?:a\s+|an\s+)?$", text[max(0, pos - 25):pos], re.I)
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
_FOLD_RE = re.compile(r"\b(?P<verb>doubled|tripled|trebled|quadrupled|halved)\b(?P<tail>[^.;]{0,60})", re.I)

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


def _direction(s: _Sentence, a: int, b: int) -> int:
    """+1 rise, -1 fall, 0 unknown from words around [a, b) inside its clause."""
    ci = _clause_of(s, a)
    ca, cb = s.clauses[ci]
    window = s.text[max(ca, a - 45):a].lower()
    words = re.findall(r"[a-z]+", window)
    for w in reversed(words):
        if w in RISE:
            return 1
        if w in FALL:
            return -1
    tail = re.findall(r"[a-z]+", s.text[b:min(cb, b + 30)].lower())[:4]
    for w in tail:
        if w in RISE:
            return 1
        if w in FALL:
            return -1
    return 0


def _base_of_change(s: _Sentence, a: int, b: int, period: str | None) -> str:
    ca, cb = s.clauses[_clause_of(s, a)]
    near = s.text[b:min(len(s.text), b + 70)]
    cut = re.search(r"\d|;|\bwhile\b|\bwhereas\b", near)
    if cut:
        near = near[:cut.start()]
    around = s.text[max(ca, a - 60):cb]
    cut = re.search(r"\d", s.text[b:cb])
    if cut:
        around = s.text[max(ca, a - 60):b + cut.start()]
    for text in (near, around):
        if _YOY.search(text):
            return "yoy_pct"
        if _MOM.search(text):
            return "mom_pct"
    if period:
        for m in s.months:
            if m.base and ca <= m.start < cb and m.start >= a - 60:
                p = m.period or (f"{period[:4]}-{m.month:02d}" if m.month else None)
                if m.month and not m.period and m.month > int(period[5:7]):
                    p = f"{int(period[:4]) - 1:04d}-{m.month:02d}"
                if p == _month_add(period, -1):
                    return "mom_pct"
                if p == _month_add(period, -12):
                    return "yoy_pct"
    return "change_pct"


def _ratio_base(tail: str, period: str | None) -> str | None:
    t = tail.lower()
    if _YOY.search(t) or re.search(r"\b(a year|last year|year-earlier|year-ago|12 months)\b", t):
        return "ratio_yoy"
    if _MOM.search(t) or re.search(r"\b(previous month|a month (?:earlier|ago|before)|last month)\b", t):
        return "ratio_mom"
    if period:
        m = re.search(rf"\b({_MONTH_RE})\b", tail, re.I)
        if m and m.group(1)[0].isupper():
            mon = MONTHS[m.group(1).lower()]
            if mon == int(_month_add(period, -1)[5:7]):
                return "ratio_mom"
    return None


def extract(text: str) -> list[Claim]:
    """Every numeric claim about magnet trade in ``text``, in reading order."""
    raw = _normalise(text)
    ctx = _Context()
    date, year, dl_text = _dateline(raw)
    if date is not None:
        ctx.dateline = date
        ctx.year = year
    ctx.magnets = bool(MAGNET_WORDS.search(raw))
    re_only = not ctx.magnets and bool(RARE_EARTH_WORDS.search(raw))
    if dl_text:
        raw = raw.lstrip()[len(dl_text):]
    claims: list[Claim] = []
    for no, sent in enumerate(split_sentences(raw), start=1):
        notes: list[str] = []
        years = [int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", sent)]
        s = _Sentence(no, sent, _clauses(sent), [], _partner_mentions(sent), None, notes)
        s.months = _month_mentions(sent, ctx)
        subject = [m for m in s.months if not m.base and m.relative not in ("prev", "year", "lastyear")]
        snotes: list[str] = []
        if subject:
            s.subject_month = _resolve_month(subject[0], ctx, snotes)
        if s.subject_month is None and ctx.month and not subject:
            s.subject_month = ctx.month
            snotes.append("month from an earlier sentence")
        if s.subject_month is None and not subject and ctx.dateline is not None and ctx.year:
            s.subject_month = _month_add(f"{ctx.year:04d}-{ctx.dateline.month:02d}", -1)
            snotes.append("month: the month before the dateline (customs data are published a month later)")
        found = list(_claims_in(s, ctx, snotes))
        for c in found:
            if not ctx.magnets:
                if re_only:
                    c.commodity = None
                    c.problems.append("commodity: the text speaks of rare earths, not magnets; "
                                      "only rare-earth magnets (85051110) are checked")
                else:
                    c.resolved.append("commodity assumed: rare-earth magnets (85051110)")
            elif not MAGNET_WORDS.search(sent):
                c.resolved.append("commodity from the text: rare-earth magnets (85051110)")
            if c.period is None:
                c.problems.append("month: not stated and not inferable from the text")
        claims.extend(found)
        # carry context forward
        if subject and s.subject_month:
            ctx.month = s.subject_month
        elif s.subject_month and not ctx.month:
            ctx.month = s.subject_month
        if years and ctx.year is None:
            ctx.year = years[0]
        if s.partners:
            ctx.partner = s.partners[-1].code
    return claims


def _new(s: _Sentence, ctx: _Context, snotes: list[str], text: str, metric: str, value, low, high,
         qualifier, pos: int, end: int, partner: str | None = None, period: str | None = None) -> Claim:
    notes = list(snotes)
    if partner is None:
        partner = _partner_for(s, pos, ctx, notes)
    if period is None:
        period = _month_for(s, pos, end, ctx, notes)
    return Claim(text=text, sentence=s.text, sentence_no=s.no, metric=metric, value=value, low=low,
                 high=high, qualifier=qualifier, partner=partner, period=period,
                 resolved=list(dict.fromkeys(notes)))


def _span_text(sent: str, a: int, b: int) -> str:
    a2 = max(0, a - 30)
    while a2 > 0 and not sent[a2 - 1].isspace():
        a2 -= 1
    b2 = min(len(sent), b + 25)
    while b2 < len(sent) and not sent[b2].isspace():
        b2 += 1
    out = sent[a2:b2].strip(" ,;")
    return ("..." if a2 > 0 else "") + out + ("..." if b2 < len(sent) else "")


def _claims_in(s: _Sentence, ctx: _Context, snotes: list[str]):
    sent = s.text
    if not (_TRADE_WORDS.search(sent) or MAGNET_WORDS.search(sent)):
        return
    taken: list[tuple[int, int]] = []

    def free(a, b):
        return all(b <= x or a >= y for x, y in taken)

    # records first (their numbers are not figures)
    for m in _RECORD_N.finditer(sent):
        n = m["n"].lower()
        n = int(n) if n.isdigit() else NUMBER_WORDS.get(n)
        if n is None:
            continue
        months = n * (12 if m["unit"].lower() == "year" else 1)
        kind = "record_high" if m["kind"].lower() in ("high", "peak") else "record_low"
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), kind, float(months), None, None,
                 None, m.start(), m.end())
        c.window_months = months
        taken.append((m.start(), m.end()))
        yield c
    for m in _RECORD_IN.finditer(sent):
        n = m["n"].lower()
        n = 1 if n == "a" else int(n) if n.isdigit() else NUMBER_WORDS.get(n)
        if n is None or not free(m.start(), m.end()):
            continue
        months = n * (12 if m["unit"].lower().startswith("year") else 1)
        kind = "record_high" if m["kind"].lower() in ("highest", "strongest", "biggest") else "record_low"
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), kind, float(months), None, None,
                 None, m.start(), m.end())
        c.window_months = months
        taken.append((m.start(), m.end()))
        yield c
    for m in _RECORD_SINCE.finditer(sent):
        if not free(m.start(), m.end()):
            continue
        kind = "record_high" if m["kind"].lower() in ("highest", "strongest", "biggest", "most") \
            else "record_low"
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), kind, None, None, None, None,
                 m.start(), m.end())
        if m["mon"]:
            mon = MONTHS[m["mon"].lower()]
            if m["year"]:
                c.since = f"{int(m['year']):04d}-{mon:02d}"
            elif c.period:
                y = int(c.period[:4])
                c.since = f"{y if mon < int(c.period[5:7]) else y - 1:04d}-{mon:02d}"
        elif m["yonly"]:
            c.since = f"{int(m['yonly']):04d}-12"
            c.resolved.append(f"'since {m['yonly']}' read as: the last higher month was in {m['yonly']}")
        elif m["rel"] and c.period:
            c.since = f"{int(c.period[:4]) - 1:04d}-12"
        if c.since is None:
            c.problems.append("the 'since' month could not be resolved")
        elif c.period:
            c.window_months = months_between(c.since, c.period)
        c.value = float(c.window_months) if c.window_months else None
        taken.append((m.start(), m.end()))
        yield c
    for m in _RECORD_WORD.finditer(sent):
        if not free(m.start(), m.end()):
            continue
        kind = "record_high" if m["kind"].lower().startswith(("high", "peak")) else "record_low"
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), kind, None, None, None,
                 m["rec"].lower(), m.start(), m.end())
        if m["rec"].lower().startswith("multi"):
            c.window_months = 24
            c.resolved.append("'multi-year' read as: at least 24 months")
        else:
            c.window_months = None  # the whole record
        c.value = float(c.window_months) if c.window_months else None
        taken.append((m.start(), m.end()))
        yield c

    # ranks
    yield from _rank_claims(s, ctx, snotes, taken)

    # tonnes
    for m in _TONNES.finditer(sent):
        if not free(m.start(), m.end()):
            continue
        if m["unit"].lower() == "t" and re.match(r"\s*\w", sent[m.end():m.end() + 2] or "") is None \
                and False:
            continue
        num = m["num"]
        value = _to_float(num) * (1000 if m["k"] else 1)
        q = _qualifier_before(sent, m.start())
        low, high = interval(_to_float(num), num, q)
        if m["k"]:
            low = None if low is None else low * 1000
            high = None if high is None else high * 1000
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), "net_weight_t", value, low, high,
                 q, m.start(), m.end())
        if _is_base_figure(s, m.start()):
            c.resolved.append("a comparison base")
            own = [mm for mm in s.months if 0 <= mm.start - m.end() <= 12]
            if not own and s.subject_month:
                base = _base_of_change(s, m.start(), m.end(), s.subject_month)
                if base in ("mom_pct", "yoy_pct"):
                    c.period = _month_add(s.subject_month, -1 if base == "mom_pct" else -12)
                    c.resolved.append("month: the comparison month")
        taken.append((m.start(), m.end()))
        yield c
    for m in _KG.finditer(sent):
        if not free(m.start(), m.end()):
            continue
        mult = 1e6 if m["mult"] else 1.0
        value = _to_float(m["num"]) * mult / 1000
        q = _qualifier_before(sent, m.start())
        low, high = interval(_to_float(m["num"]), m["num"], q)
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), "net_weight_t", value,
                 None if low is None else low * mult / 1000, None if high is None else high * mult / 1000,
                 q, m.start(), m.end())
        taken.append((m.start(), m.end()))
        yield c

    # US dollars
    for m in _USD.finditer(sent):
        if not free(m.start(), m.end()):
            continue
        mult = {"million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}.get((m["mult"] or "").lower(), 1)
        if re.match(r"\s*(?:/|per)\s*(?:kg|t|tonne|kilogram)", sent[m.end():m.end() + 12], re.I):
            continue  # a unit price, not a trade value
        q = _qualifier_before(sent, m.start())
        low, high = interval(_to_float(m["num"]), m["num"], q)
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), "value_usd",
                 _to_float(m["num"]) * mult, None if low is None else low * mult,
                 None if high is None else high * mult, q, m.start(), m.end())
        taken.append((m.start(), m.end()))
        yield c

    # ratios ("about half a year earlier", "sevenfold")
    for m in _RATIO.finditer(sent):
        if not free(m.start(), m.end("frac") if m["frac"] else m.end("n")):
            continue
        if m["frac"]:
            r = _FRACTIONS[m["frac"].lower()]
        else:
            n = m["n"].lower()
            r = float(n) if n[0].isdigit() else float(NUMBER_WORDS[n])
        base = _ratio_base(m["tail"] or "", s.subject_month)
        if base is None:
            continue
        q = (m["q"] or "").lower() or None
        low, high = _ratio_interval(r, q, bool(m["frac"]))
        end = m.end("frac") if m["frac"] else m.end("n")
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), end + 20), base, r, low, high, q, m.start(), end)
        if r > 1 and _direction(s, m.start(), end) < 0:
            continue
        taken.append((m.start(), end))
        yield c
    for m in _FOLD_RE.finditer(sent):
        if not free(m.start(), m.end("verb")):
            continue
        base = _ratio_base(m["tail"] or "", s.subject_month)
        if base is None:
            continue
        r = _FOLD[m["verb"].lower()]
        low, high = _ratio_interval(r, None, True)
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end("verb") + 20), base, r, low, high,
                 None, m.start(), m.end("verb"))
        taken.append((m.start(), m.end("verb")))
        yield c

    # percentages
    for m in _PCT_STRICT.finditer(sent):
        if not free(m.start(), m.end()):
            continue
        if re.match(r"\s*(?:percentage\s+)?points?\b|\s*pp\b", sent[m.end():m.end() + 20], re.I):
            continue
        num = m["num"]
        v = _to_float(num)
        before = sent[max(0, m.start() - 40):m.start()]
        after = sent[m.end():m.end() + 60]
        q = _qualifier_before(sent, m.start())
        is_share = bool(_SHARE_AFTER.match(after) or _SHARE_BEFORE.search(before)
                        or re.search(r"\bshare\b", before[-20:], re.I))
        if is_share and not re.match(r"^\s*(?:share\s+)?(?:rise|increase|jump|drop|fall|decline|gain)", after,
                                     re.I):
            low, high = interval(v, num, q)
            yield _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), "share_pct", v, low, high, q,
                       m.start(), m.end())
            taken.append((m.start(), m.end()))
            continue
        sign = -1 if m["sign"] == "-" else 1 if m["sign"] == "+" else 0
        direction = sign or _direction(s, m.start(), m.end())
        if direction == 0:
            continue
        period = s.subject_month
        metric = _base_of_change(s, m.start(), m.end(), period)
        low, high = interval(v, num, q)
        if direction < 0:
            v, low, high = -v, (None if high is None else -high), (None if low is None else -low)
        c = _new(s, ctx, snotes, _span_text(sent, m.start(), m.end()), metric, v, low, high, q,
                 m.start(), m.end())
        if metric == "change_pct":
            c.resolved.append("comparison base not stated")
        taken.append((m.start(), m.end()))
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
        return Claim(text=text, sentence=sent, sentence_no=s.no, metric="rank", value=float(rank),
                     low=float(rank), high=float(rank), partner=code, period=period, resolved=notes)

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


__all__ = ["Claim", "extract", "interval", "months_between", "split_sentences"]
