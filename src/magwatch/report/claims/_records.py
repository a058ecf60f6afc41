"""Readers of records and streaks: six-month high, highest since, fifth consecutive fall."""

from __future__ import annotations

import re

from magwatch.periods import Month
from magwatch.report.claims._lexicon import (BETWEEN_FIGURES, MONTHS, NUMBER_WORDS, OF_MONTHS, ORDINALS,
                                             _MONTH_RE)
from magwatch.report.claims._model import TextClaim
from magwatch.report.claims._text import _span_text
from magwatch.report.claims._time import _latest_named
from magwatch.report.claims._phrases import _direction
from magwatch.report.claims._build import _new


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


def _since_of(c: TextClaim, m: re.Match) -> None:
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
        c.window_months = Month.parse(c.period) - Month.parse(c.since)


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
                       r"tenth)\s+(?:(?:straight|consecutive|successive)\s+)?month(?:\s+in\s+a\s+row)?|"
                       r"\b(?:a|the)\s+(?P<n2>second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\s+"
                       r"(?:monthly\s+)?(?P<kind3>fall|decline|drop|decrease|rise|increase|gain)s?\s+in\s+a\s+row", re.I)


def _read_streaks(s, ctx, snotes, taken):
    """"the fifth consecutive monthly fall", "fell for a third straight month"."""
    for m in list(_STREAK.finditer(s.text)) + list(_IN_A_ROW.finditer(s.text)):
        if not taken.free(m.start(), m.end()):
            continue
        g = m.groupdict()
        n = (g.get("n") or g.get("n2")).lower()
        n = ORDINALS.get(n) or int(re.sub(r"\D", "", n) or 0)
        kind_word = (g.get("kind2") or g.get("kind") or g.get("kind3") or "").lower()
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
