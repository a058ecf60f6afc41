"""When: publication date, datelines, month mentions and how a bare month resolves, spans of months."""

from __future__ import annotations

import datetime as dt
import re

from magwatch.periods import MONTH_NAMES, Month
from magwatch.report.claims._lexicon import MONTHS, _MONTH_RE
from magwatch.report.claims._model import _Context, _MonthMention, _Sentence, _SpanMention
from magwatch.report.claims._scope import _scope_of
from magwatch.report.claims._text import split_sentences




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
    rf"\b(?P<mon>{_MONTH_RE})\b\.?(?:'s)?(?:,?\s+(?P<year>\d{{4}})(?!\d|[,.]\d|\s*(?:t\b|tonnes?|tons?|kg|%|per\s*cent)))?(?!-\d)|\b(?P<iso>(?:19|20)\d\d)-(?P<isom>\d\d)\b(?!-\d)"
    rf"|\b(?P<rel>last month|this month|the previous month|the prior month|the preceding month|"
    rf"a month (?:earlier|before|ago)|the month before|a year (?:earlier|before|ago)|the year before|"
    rf"the same (?:month|period) (?:a year (?:earlier|before|ago)|last year|of last year|of the previous year|"
    rf"the previous year|the year before|in \d{{4}})|the year-(?:earlier|ago) (?:month|period|level)|last year)\b", re.I)


_BASE_BEFORE = re.compile(r"(?:\b(?:the|its|their)\s+levels?\s+(?:of|seen in|recorded in)\s+$|"
                          r"\b(?:times|fold|half|third|quarter|fifth|twice|double)\s+(?:of\s+)?(?:the\s+|its\s+)?$|"
                          r"\b(?:from|than|since|compared (?:with|to)|versus|vs\.?|against|over|before|"
                          r"below|above|on)\s+(?:(?:the|its|their)\s+)?(?:(?:levels?|figures?|volumes?|totals?)\s+"
                          r"(?:of|in|for|recorded in|seen in)\s+)?(?:in\s+)?|\b(?:from|than|compared "
                          r"(?:with|to)|versus|vs\.?|against)\s+(?:about\s+|around\s+|just\s+|only\s+)?"
                          r"\d[\d,.]*\s*(?:t|tonnes|tons|metric tons)\s+(?:in\s+)?)$", re.I)


_A_DAY = re.compile(r"\s+\d{1,2}(?:st|nd|rd|th)?\b(?!\s*(?:%|t\b|tonnes|tons|percent|per cent))")


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
        base = bool(_BASE_BEFORE.search(sentence[max(0, m.start() - 45):m.start()])) \
            and not _A_DAY.match(sentence, m.end())   # "on May 5" is a date
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


_OWN_MONTH_GAP = re.compile(r"^\s*(?:(?:shipped|exported|sent|sold|recorded|seen|registered|reported|delivered|"
                           r"left|went|bought|imported)\s+)?(?:in|for|during|of)?\s*$")


def _own_month(s: _Sentence, end: int) -> _MonthMention | None:
    """The month written right after a figure: "353 t in June", "986 tonnes shipped in May 2024"."""
    after = [m for m in s.months if 0 <= m.start - end <= 22 and m.relative is None]
    if after and _OWN_MONTH_GAP.match(s.text[end:after[0].start]):
        return after[0]
    return None


def _month_for(s: _Sentence, pos: int, end: int, ctx: _Context, notes: list[str],
               bases: bool = True) -> str | None:
    """The month a figure at [pos, end) is about. With ``bases`` false (a ratio: "a third of
    March's level") a comparison month right after the figure is its base, not its month."""
    own = _own_month(s, end)
    if own is not None and not (own.base and not bases):
        if own.base and s.subject_month:
            return _base_month(own, s.subject_month)
        return _resolve_month(own, ctx, notes)
    own = [m for m in s.months if 0 <= m.start - end <= 20 and m.relative in ("prev", "year")
           and re.match(r"^\s*(?:in\s+|of\s+)?(?:the\s+)?$|^\s*$", s.text[end:m.start])]
    if own and s.subject_month and bases:
        return _shifted(s.subject_month, -1 if own[0].relative == "prev" else -12)
    if s.subject_month:
        return s.subject_month
    return None


def _shifted(period: str | None, months: int) -> str | None:
    """``period`` (YYYY-MM) shifted by ``months``, or None."""
    return str(Month.parse(period) + months) if period else None


_ORDINAL_COUNT = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                  "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}


_SPAN = re.compile(
    rf"\b(?:(?P<a>{_MONTH_RE})\s*(?:-|to|through|and)\s*(?P<b>{_MONTH_RE})(?:\s+(?P<y1>(?:19|20)\d\d))?"
    rf"(?:\s+combined)?|(?:in\s+)?the first (?P<n>\d{{1,2}}|{'|'.join(_ORDINAL_COUNT)}) months(?: of (?:the year|"
    rf"(?P<y2>(?:19|20)\d\d)))?|(?P<half>the first half|first-half|H1)(?: of)?(?:\s+(?P<y3>(?:19|20)\d\d))?|"
    rf"(?P<q>Q[1-4]|the (?:first|second|third|fourth) quarter|(?:first|second|third|fourth)-quarter)(?: of)?"
    rf"(?:\s+(?P<y4>(?:19|20)\d\d))?|(?P<ytd>year to date|year-to-date|so far this year)|"
    rf"(?P<year_span>(?:the\s+)?(?:whole\s+of\s+|full[- ]year\s+(?:of\s+)?)(?P<y5>(?:19|20)\d\d)|"
    rf"(?P<y6>(?:19|20)\d\d)\s+as\s+a\s+whole|for\s+the\s+(?:full|whole)\s+year(?:\s+(?:of\s+)?(?P<y7>(?:19|20)\d\d))?))\b", re.I)


_QUARTERS = {"q1": 1, "first": 1, "q2": 2, "second": 2, "q3": 3, "third": 3, "q4": 4, "fourth": 4}


def _span_mentions(sentence: str) -> list[_SpanMention]:
    out = []
    for m in _SPAN.finditer(sentence):
        year = next((int(m[g]) for g in ("y1", "y2", "y3", "y4", "y5", "y6", "y7") if m[g]), None)
        if m["year_span"]:          # a calendar year: "the whole of 2018", "2017 as a whole"
            out.append(_SpanMention(m.start(), m.end(), 12, 12, year, m.group(0)))
            continue
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


def _set_published(ctx: _Context, as_of, date: dt.date | None, has_year: bool, body: str) -> None:
    if as_of is not None:
        from magwatch import params

        ctx.published = params.date(as_of, "as_of")
        ctx.published_how = f"--as-of {ctx.published}"
    elif date is not None and has_year:
        ctx.published, ctx.published_how = date, f"dateline {date}"
    # a year in a forecast ("to top 6,500 t in early 2026") says nothing of when the text was written
    observed = " ".join(x for x in split_sentences(body) if _scope_of(x) not in ("forecast", "scenario"))
    years = [int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", observed)]
    if years:
        ctx.year = years[0]
    if date is not None and not has_year and ctx.published is None:
        # the store first: a year the text states is as often the comparison's ("than in August 2024")
        stored = _year_from_store(date, ctx.known)
        year = stored or ctx.year
        if year is not None:
            ctx.published = date.replace(year=year)
            how = "the latest such month in the store" if stored else "a year stated in the text"
            ctx.published_how = f"dateline {date.strftime('%B')} {date.day}, year from {how}"


def _year_from_store(date: dt.date, known: tuple[str, ...]) -> int | None:
    """For a dateline without a year: the latest year whose month before the dateline has a figure."""
    wanted = [k for k in known if (Month.parse(k) + 1).month == date.month]
    return (Month.parse(max(wanted)) + 1).year if wanted else None
