"""Who: partner names in copy and which destination a figure is about."""

from __future__ import annotations

from functools import lru_cache
import re

from magwatch.report.claims._lexicon import PARTNER_ALIASES, PRONOUN_START, WORLD_WORDS
from magwatch.report.claims._model import _Context, _PartnerMention, _Sentence
from magwatch.report.claims._text import _clause_of


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


def _partner_mentions(sentence: str) -> list[_PartnerMention]:
    pat, names = _partner_table()
    out = []
    for m in pat.finditer(sentence):
        word = m.group(1)
        key = word.lower()
        if key in ("us",) and word not in ("US",):
            continue  # the pronoun "us"
        if key == "us" and sentence[m.end(1):m.end(1) + 1] == "$":
            continue  # US$, the currency
        if key in ("eu", "uk") and word != word.upper():
            continue
        if key == "bloc" and "bloc" not in sentence.lower():
            continue
        out.append(_PartnerMention(m.start(1), m.end(1), names[key]))
    return out


#: a breakdown that follows a total: "totalled 22,319 t, with the United States accounting for ..."
_BREAKDOWN = re.compile(r",\s*(?:with|of which|including)\b", re.I)


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
    if after and not _BREAKDOWN.search(s.text[pos:after[0].start]) and (not WORLD_WORDS.search(s.text[a:pos])
                  or re.fullmatch(r"[\d,.]*[^\d]*\b(?:to|for|bound for|destined for)\s+(?:the\s+)?",
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


def _parse_list(text: str) -> list[tuple[int, str]]:
    """Partners named in a list ("Germany, the US, Vietnam and South Korea") in order."""
    cut = re.split(r"\b(?:while|whereas|but|which|as|after|according)\b|\bwith\b(?!\s+(?:about\s+|some\s+)?\d)"
                   r"|\(|\s-\s", text)[0]
    out = []
    for p in _partner_mentions(cut):
        if not out or out[-1][1] != p.code:
            out.append((p.start, p.code))
    return out
