"""Readers of figures: tonnages, values, multiples and fractions, percentages."""

from __future__ import annotations

import re

from magwatch.periods import Month, Span
from magwatch.report.claims._lexicon import NUMBER_WORDS, _NUM
from magwatch.report.claims._model import TextClaim, _Context, _Sentence
from magwatch.report.claims._text import _clause_of, _span_text
from magwatch.report.claims._intervals import _bounds, _qualifier_before, _ratio_interval, _to_float
from magwatch.report.claims._time import _own_month, _span_period
from magwatch.report.claims._phrases import (_base_of_change, _direction, _is_base_figure, _is_share,
                                             _ratio_base)
from magwatch.report.claims._build import _new


_TONNES = re.compile(rf"(?P<num>{_NUM})\s*(?P<k>thousand\s+|k\s*)?(?:metric\s+)?"
                     r"(?P<unit>tonnes|tons|tonne|ton|mt|t)\b(?!\s*/)", re.I)


_KG = re.compile(rf"(?P<num>{_NUM})\s*(?P<mult>million\s+)?(?:kilograms|kg)\b", re.I)


_USD = re.compile(rf"(?:US\$|\$|USD\s*)(?P<num>{_NUM})\s*(?P<mult>million|billion|mn|bn|m\b)?", re.I)


#: A unit value: "a unit value of US$45.96 per kilogram" (only in a sentence naming a unit value).
UNIT_VALUE_WORDS = re.compile(r"\bunit values?\b", re.I)
_UNIT_VALUE = re.compile(rf"(?:US\$|\$|USD\s*)(?P<num>{_NUM})\s*(?:/|per|a)\s*(?:kilogram|kg)\b", re.I)


_PCT_STRICT = re.compile(rf"(?P<sign>[+-])?(?P<num>{_NUM})\s*(?:%|\s?percent\b|\s?per cent\b)", re.I)


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
    r"[- ]?(?:fold|times))\b(?=(?P<tail>[^.;]{0,60}))", re.I)    # the tail is looked at, not taken


_FOLD_RE = re.compile(r"\b(?:(?P<q>more than|nearly|almost|about|roughly|just over|just under)\s+)?"
                      r"(?P<verb>doubled|tripled|trebled|quadrupled|halved)\b(?=(?P<tail>[^.;]{0,60}))", re.I)


_WORLD_TAIL = re.compile(r"^\s*(?:of\s+)?(?:magnets\s+)?(?:that\s+)?(?:china|it)\s+(?:exported|shipped|sold)\b|"
                         r"^\s*(?:in total|overall|in all|worldwide|globally)\b", re.I)


def _is_world_total(s, a: int, b: int) -> bool:
    """A tonnage written as the total: "of the 3,091 tonnes China exported", "3,188 t in total"."""
    return bool(_WORLD_TAIL.match(s.text[b:b + 40])) and bool(
        re.search(r"\bof\s+(?:the\s+)?(?:about\s+|some\s+)?$", s.text[max(0, a - 15):a], re.I)
        or re.match(r"^\s*(?:in total|overall|in all)\b", s.text[b:b + 20], re.I))


def _share_holder(c, s, ctx, pos: int) -> None:
    """A share belongs to a destination, never to the total it is a share of: a clause that names
    only the total ("and took 24% of China's exports") takes the destination named before it."""
    if c.partner != "WLD":
        return
    before = [p for p in s.partners if p.start < pos and p.code != "WLD"]
    holder = before[-1].code if before else ctx.partner
    if holder:
        c.partner = holder
        c.resolved.append("partner: the destination named before the share (a share is of the total)")


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
        if _is_world_total(s, m.start(), m.end()) and c.partner != "WLD":
            c.partner = "WLD"
            c.resolved.append("partner: world total (the figure is the total: 'of the ... tonnes China exported')")
        if _is_base_figure(s, m.start()):
            _as_base(c, s, m)
        elif _own_month(s, m.end()) is None:      # "877 tonnes left in January" is that month's
            _as_cumulative(c, s, ctx, m.start())
        taken.add(m.start(), m.end())
        yield c


def _as_base(c: TextClaim, s: _Sentence, m: re.Match) -> None:
    c.resolved.append("a comparison base")
    own = [mm for mm in s.months if 0 <= mm.start - m.end() <= 12]
    if not own and s.subject_month:
        metric, base, _ = _base_of_change(s, m.start(), m.end(), s.subject_month)
        if base is not None:
            c.period = base
            c.resolved.append("month: the comparison month")


def _as_cumulative(c: TextClaim, s: _Sentence, ctx: _Context, pos: int) -> None:
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


def _read_unit_value(s, ctx, snotes, taken):
    """US dollars per kilogram in a sentence about a unit value (value over net weight); its
    changes in the same sentence are the unit value's (:func:`unit_value_metric`)."""
    if not UNIT_VALUE_WORDS.search(s.text):
        return
    for m in _UNIT_VALUE.finditer(s.text):
        if not taken.free(m.start(), m.end()):
            continue
        q = _qualifier_before(s.text, m.start())
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), "unit_value_usd_kg",
                 _to_float(m["num"]), _bounds(_to_float(m["num"]), m["num"], q, 1), q,
                 m.start(), m.end())
        taken.add(m.start(), m.end())
        yield c


def unit_value_metric(c: TextClaim) -> TextClaim:
    """A m/m or y/y change read in a sentence about a unit value is the unit value's change."""
    if c.metric in ("mom_pct", "yoy_pct", "change_pct") and UNIT_VALUE_WORDS.search(c.sentence):
        c.metric = f"unit_value_{c.metric}"
        c.resolved.append("a change of the unit value (value over net weight)")
    return c


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


def _fold_interval(r: float, q: str | None) -> tuple[float | None, float | None]:
    """A fold verb's interval. "More than halved" divides by more than two: the qualifier of a
    fall bounds the factor it divides by (below 0.5x), not the ratio."""
    if r >= 1:
        return _ratio_interval(r, q, True)
    low, high = _ratio_interval(1 / r, q, True)
    return (1 / high if high else None), (1 / low if low else None)


_BY_BEFORE = re.compile(r"\bby\s+(?:about\s+|around\s+|roughly\s+|nearly\s+|almost\s+|more than\s+|"
                        r"less than\s+|just over\s+|just under\s+|some\s+)?$", re.I)


def _fraction_change(s, ctx, snotes, m: re.Match, r: float, q: str | None, end: int) -> TextClaim | None:
    """A change written as a fraction: "dropped by a third from September" is a change of -33%."""
    direction = _direction(s, m.start(), end)
    if direction == 0:
        return None
    low, high = _ratio_interval(r, q, True)
    pct = [None if x is None else x * 100 * direction for x in (low, high)]
    bounds = tuple(pct) if direction > 0 else (pct[1], pct[0])
    metric, base, rule = _base_of_change(s, m.start(), end, s.subject_month)
    c = _new(s, ctx, snotes, _span_text(s.text, m.start(), end + 20), metric, r * 100 * direction, bounds, q,
             m.start(), end, bases=False)
    c.base_period = base
    c.resolved += [rule, f"'by {m['frac']}' read as a change of {r * 100 * direction:+.1f}%"]
    return c


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
        if r < 1 and _BY_BEFORE.search(s.text[max(0, m.start() - 12):m.start("frac") if m["frac"] else m.start()]):
            c = _fraction_change(s, ctx, snotes, m, r, q, end)
        else:
            base = _ratio_base(m["tail"] or "", s.subject_month)
            if base is None or (r > 1 and _direction(s, m.start(), end) < 0):
                continue
            c = _new(s, ctx, snotes, _span_text(s.text, m.start(), end + 20), base, r, (low, high), q,
                     m.start(), end, bases=False)
        if c is None:
            continue
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
                 _fold_interval(r, q), q, m.start(), m.end("verb"), bases=False)
        taken.add(m.start(), m.end("verb"))
        yield c


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
            c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), "share_pct", v,
                     _bounds(v, num, q), q, m.start(), m.end())
            _share_holder(c, s, ctx, m.start())
            taken.add(m.start(), m.end())
            yield c
            continue
        direction = (-1 if m["sign"] == "-" else 1 if m["sign"] == "+" else 0) or _direction(s, m.start(), m.end())
        if direction == 0:
            continue
        metric, base, rule = _base_of_change(s, m.start(), m.end(), s.subject_month)
        c = _new(s, ctx, snotes, _span_text(s.text, m.start(), m.end()), metric, v * direction,
                 _bounds(v, num, q, negate=direction < 0), q, m.start(), m.end())
        c.base_period = base
        c.resolved.append(rule)
        if metric in ("yoy_pct", "change_pct"):
            _as_span_change(c, s, ctx, m.start(), m.end())
        taken.add(m.start(), m.end())
        yield c


_SAME_SPAN_BEFORE = re.compile(r"\b(?:than|from|on|over|versus|compared (?:with|to)|against)\s+(?:in\s+)?(?:the\s+)?"
                               r"(?:same\s+(?:period|months?|span)\s*(?:(?:of|in)\s+(?P<y1>(?:19|20)\d\d)|a year "
                               r"(?:earlier|before|ago)|last year|of last year|the year before)?|(?P<y2>(?:19|20)\d\d)\b)",
                               re.I)


def _as_span_change(c: TextClaim, s: _Sentence, ctx: _Context, a: int, b: int) -> None:
    """A year-on-year change of a total over months: "in the first seven months ... 3.4% more
    than in the same period of 2023", "the full year 2019 ... 12% more than in 2018"."""
    ca, _ = s.clauses[_clause_of(s, a)]
    spans = [sp for sp in s.spans if sp.start < a and (sp.start >= ca or not s.has_subject)]
    if not spans:
        return
    period, months = _span_period(spans[-1], s, ctx, c.resolved)
    if months <= 1 or period is None:
        return
    tail = s.text[b:b + 60]
    named = _SAME_SPAN_BEFORE.search(tail)
    year = int(named["y1"] or named["y2"]) if named and (named["y1"] or named["y2"]) else None
    if c.metric != "yoy_pct" and not named:
        return
    if year is not None and year != int(period[:4]) - 1:
        return
    c.metric, c.period, c.months = "yoy_pct", period, months
    c.resolved = [r for r in c.resolved if r != "comparison base not stated"]
    c.base_period = str(Month.parse(period) - 12)
    c.resolved.append(f"a change of the total over {Span(Month.parse(period), months).label()} "
                      "against the same months a year earlier")
