"""Find numeric claims about rare-earth magnet trade in English text.

A deterministic, rule-based reader. It splits the text into sentences and clauses,
finds figures (tonnes, US dollars, percentage changes, shares, ranks, ratios such as
"about half a year earlier", and records such as "six-month high" or "highest since
January"), and resolves for each one the reporter, partner, commodity and month from
the clause, the sentence and the text around it (a dateline, a month stated earlier).

Nothing here touches the store: :mod:`magwatch.report.check` turns each
:class:`TextClaim` into a verdict. The rules are documented in docs/check.md.

The package, by concept: ``_lexicon`` (words of trade copy), ``_model`` (the claim and the
mentions it is read from), ``_text`` (sentences, clauses, prose of briefs), ``_time`` (publication
date, months, spans), ``_partners``, ``_intervals`` (precision and hedges), ``_scope``,
``_phrases`` (sign and base of a change), and one reader module per claim family
(``_records``, ``_ranks``, ``_figures``), registered in order in :data:`READERS`.
"""

from __future__ import annotations

import datetime as dt

from magwatch.calendar import newest_due, schedule
from magwatch.periods import Month
from magwatch.report.claims._intervals import HEDGE_WIDTH, HEDGES, interval
from magwatch.report.claims._lexicon import (AMONG_WITH_FIGURE, BETWEEN_FIGURES, MAGNET_CODE, MAGNET_WORDS,
                                             OF_MONTHS, RARE_EARTH_WORDS, _TRADE_WORDS)
from magwatch.report.claims._model import TextClaim, _Context, _Sentence, _Taken
from magwatch.report.claims._text import _clauses, _normalise, _plain, split_sentences
from magwatch.report.claims._scope import SCOPES
from magwatch.report.claims._time import (_dateline, _month_mentions, _resolve_month, _set_published,
                                          _span_mentions)
from magwatch.report.claims._partners import _partner_mentions
from magwatch.report.claims._scope import _scope_of
from magwatch.report.claims._records import (_read_record_in, _read_record_n, _read_record_of,
                                             _read_record_since, _read_record_word, _read_streaks)
from magwatch.report.claims._figures import (_read_kg, _read_percentages, _read_ratios, _read_tonnes,
                                             _read_unit_value, _read_usd, unit_value_metric)
from magwatch.report.claims._ranks import _rank_claims


def extract(text: str, *, as_of: str | dt.date | None = None, month: str | None = None,
            known_months: tuple[str, ...] | list[str] = ()) -> list[TextClaim]:
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
    claims: list[TextClaim] = []
    for no, sent in enumerate(split_sentences(raw), start=1):
        s = _sentence(no, sent, ctx)
        scope = _scope_of(sent) or ("other commodity" if re_only else None)
        found = list(_claims_in(s, ctx, s.notes, any_sentence=scope is not None))
        for c in found:
            _finish(c, s, ctx, scope, re_only)
        claims.extend(found)
        _carry(s, ctx)
    return claims


#: A release can come a day or two before the calendar's day: text published that early may be
#: about the month just released.
EARLY_RELEASE = dt.timedelta(days=2)


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
        s.subject_month = str(newest_due(ctx.published + EARLY_RELEASE))
        s.notes.append(f"month: the newest month China customs had published by the publication date "
                       f"({ctx.published_how}; {schedule().rule}, up to {EARLY_RELEASE.days} days early)")
    s.has_subject = bool(subject)
    return s


def _finish(c: TextClaim, s: _Sentence, ctx: _Context, scope: str | None, re_only: bool) -> None:
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


def _claims_in(s: _Sentence, ctx: _Context, snotes: list[str], any_sentence: bool = False):
    """The claims of one sentence, reader by reader (:data:`READERS`, in order); only in sentences
    about trade, unless ``any_sentence`` (a sentence whose scope is reported as not checked)."""
    if not (any_sentence or _TRADE_WORDS.search(s.text) or MAGNET_WORDS.search(s.text)):
        return
    taken = _Taken()
    for reader in READERS:
        yield from (unit_value_metric(c) for c in reader(s, ctx, snotes, taken))


#: The claim families, read in this order: a span one reader takes is not read again (the
#: "six" of "six-month high" is not a figure).
READERS = (_read_record_n, _read_record_in, _read_record_of, _read_record_since, _read_record_word, _read_streaks,
           _rank_claims, _read_tonnes, _read_kg, _read_unit_value, _read_usd, _read_ratios,
           _read_percentages)


__all__ = ["AMONG_WITH_FIGURE", "BETWEEN_FIGURES", "HEDGES", "HEDGE_WIDTH", "MAGNET_CODE", "OF_MONTHS",
           "READERS", "SCOPES", "TextClaim", "extract", "interval", "split_sentences"]
