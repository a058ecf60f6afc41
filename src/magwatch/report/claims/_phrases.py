"""Comparison phrases: a change's sign and its base month, shares, base figures."""

from __future__ import annotations

import re

from magwatch.report.claims._lexicon import AFTER_FALL, AFTER_RISE, FALL, MONTHS, RISE, _MONTH_RE, _NUM
from magwatch.report.claims._model import _MonthMention, _Sentence
from magwatch.report.claims._text import _clause_of
from magwatch.report.claims._time import _base_month, _shifted


_MOM = re.compile(r"\b(m/m|mom|month[- ]on[- ]month|month[- ]over[- ]month|from (?:the )?(?:previous|prior|"
                  r"preceding) month|from a month (?:earlier|ago|before)|on the month|sequential(?:ly)?|"
                  r"than (?:in )?the previous month|compared (?:with|to) the previous month|"
                  r"from last month|over the previous month|vs\.? (?:the )?previous month)\b", re.I)


_YOY = re.compile(r"\b(y/y|yoy|year[- ]on[- ]year|year[- ]over[- ]year|from a year (?:earlier|ago|before)|"
                  r"(?:than|from|on|versus|compared (?:with|to)) (?:the same (?:month|period) )?(?:a|last|"
                  r"the previous) year|a year (?:earlier|ago)|on the year|annual(?:ly)?|from the same month"
                  r"|year-earlier|from the year-ago)\b", re.I)


_SHARE_AFTER = re.compile(r"^\s*(?:share\b|of\s+(?:the\s+)?[\d,.]+\s*(?:t|tonnes|tons|metric tons)\b|of\s+(?:china'?s\s+|the\s+|all\s+|its\s+|total\s+|overall\s+|"
                          r"june'?s\s+|the month'?s\s+|[a-z]+'s\s+)*(?:total|exports|shipments|sales|"
                          r"outbound|volume|overseas|the total|magnet exports))", re.I)


_SHARE_BEFORE = re.compile(r"\b(share(?:\s+(?:of|was|at|to|rose to|fell to|of china's exports was))?|"
                           r"accounted for|accounting for|took|taking|made up|making up|absorbed|"
                           r"received|represented|representing)\s+(?:about\s+|around\s+|roughly\s+|"
                           r"nearly\s+|almost\s+|some\s+|more than\s+|over\s+|less than\s+|just over\s+)?$",
                           re.I)


def _is_base_figure(s: _Sentence, pos: int) -> bool:
    """A figure introduced as the comparison base ("up from 46 t", "compared with 689 t")."""
    before = s.text[max(0, pos - 30):pos].lower()
    return bool(re.search(r"(?:from|than|compared (?:with|to)|versus|vs\.?|against)\s+(?:about\s+|around\s+|"
                          r"roughly\s+|just\s+|only\s+|some\s+)?(?:\$|us\$)?$", before))


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


_NEXT_CHANGE = re.compile(rf"(?:{_NUM})\s*(?:%|percent|per cent)|;|\bwhile\b|\bwhereas\b|\bbut\b", re.I)


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
    # past a tonnage up to the next change: "slipped 7.5% to 2,691 t in January from December"
    cut = _NEXT_CHANGE.search(s.text, b)
    clause_end = min(cut.start() if cut else cb, cb, b + 120)
    windows = ((b, after_end, "after"), (max(ca, a - 60), a, "before"), (after_end, clause_end, "after"))
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
            if period and base == _shifted(period, -1):
                return "mom_pct", base, rule
            if period and base == _shifted(period, -12):
                return "yoy_pct", base, rule
            if period and base < period:
                return "change_pct", base, rule
    return "change_pct", None, "comparison base not stated"


def _ratio_base(tail: str, period: str | None) -> str | None:
    # past a base tonnage ("a tenth of the 689 tonnes shipped in May 2024"), up to the next figure or clause
    tail = re.sub(rf"^\s*of\s+(?:the\s+)?(?:about\s+|some\s+)?(?:{_NUM})\s*(?:metric\s+)?(?:tonnes|tons|t)\b",
                  " of ", tail, flags=re.I)
    tail = re.split(r"\d|,|;", tail, maxsplit=1)[0]
    t = tail.lower()
    if _YOY.search(t) or re.search(r"\b(a year|last year|year-earlier|year-ago|12 months)\b", t):
        return "ratio_yoy"
    if _MOM.search(t) or re.search(r"\b(previous month|a month (?:earlier|ago|before)|last month|"
                                   r"the month before)\b", t):
        return "ratio_mom"
    if period:
        based = r"\b(?:from|than|on|of|versus|compared (?:with|to))\s+(?:the\s+)?(?:level\s+of\s+)?"
        m = re.search(based + rf"(?P<mon>{_MONTH_RE})\b(?:'s)?(?:\s+(?P<year>(?:19|20)\d\d))?", tail, re.I) or \
            re.search(rf"\b(?P<mon>{_MONTH_RE})\b(?:'s)?(?:\s+(?P<year>(?:19|20)\d\d))?", tail, re.I)
        if m and m["mon"][0].isupper():
            mm = _MonthMention(0, 0, f"{m['year']}-{MONTHS[m['mon'].lower()]:02d}" if m["year"] else None,
                               MONTHS[m["mon"].lower()], None, True)
            base = _base_month(mm, period)
            if base == _shifted(period, -1):
                return "ratio_mom"
            if base == _shifted(period, -12):
                return "ratio_yoy"
    return None


def _is_share(s: _Sentence, a: int, b: int) -> bool:
    before = s.text[max(0, a - 40):a]
    after = s.text[b:b + 60]
    shared = bool(_SHARE_AFTER.match(after) or _SHARE_BEFORE.search(before)
                  or re.search(r"\bshare\b", before[-20:], re.I))
    return shared and not re.match(r"^\s*(?:share\s+)?(?:rise|increase|jump|drop|fall|decline|gain)", after, re.I)
