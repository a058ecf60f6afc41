"""Readers of ranks: top destination, second-largest after Germany, lists."""

from __future__ import annotations

import re

from magwatch.report.claims._lexicon import AMONG_WITH_FIGURE, ORDINALS
from magwatch.report.claims._model import TextClaim, _Context, _Sentence
from magwatch.report.claims._text import _clause_of, _span_text
from magwatch.report.claims._time import _month_for
from magwatch.report.claims._partners import _parse_list


_RANK_NOUN = r"(?:destination|buyer|market|importer|recipient|customer|purchaser|export market)s?"


_RANK_PHRASE = re.compile(
    rf"\b(?:the\s+)?(?:(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    rf"1st|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)[- ](?:largest|biggest|top|leading|most important)|"
    rf"(?P<top>top|largest|biggest|leading|main|No\.?\s?1|number one))\s+{_RANK_NOUN}\b", re.I)


_TOP_LIST = re.compile(
    rf"\b(?:the\s+)?(?:top|largest|biggest|main|leading)\s+(?:(?P<n>\w+)\s+)?{_RANK_NOUN}\s*"
    r"(?:were|was|are|:|included|being)\s+(?P<list>[^.;]+)", re.I)


_FOLLOWED = re.compile(r"\bfollowed by\s+(?P<list>[^.;]+)", re.I)


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
        taken.add(a, b)
        among = AMONG_WITH_FIGURE if _AMONG.search(sent) else None
        if among:
            notes.append("rank stated among the destinations with a figure")
        return TextClaim(text=text, sentence=sent, sentence_no=s.no, metric="rank", value=float(rank),
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
