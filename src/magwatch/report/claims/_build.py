"""Making a claim from a figure found in a sentence."""

from __future__ import annotations

from magwatch.report.claims._model import TextClaim, _Context, _Sentence
from magwatch.report.claims._time import _month_for
from magwatch.report.claims._partners import _partner_for


def _new(s: _Sentence, ctx: _Context, snotes: list[str], text: str, metric: str, value, bounds,
         qualifier, pos: int, end: int, partner: str | None = None, period: str | None = None,
         bases: bool = True) -> TextClaim:
    notes = list(snotes)
    if partner is None:
        partner = _partner_for(s, pos, ctx, notes)
    if period is None:
        period = _month_for(s, pos, end, ctx, notes, bases)
    low, high, elow, ehigh = bounds if len(bounds) == 4 else (*bounds, *bounds)
    return TextClaim(text=text, sentence=s.text, sentence_no=s.no, metric=metric, value=value, low=low,
                 high=high, qualifier=qualifier, partner=partner, period=period,
                 resolved=list(dict.fromkeys(notes)), exact_low=elow, exact_high=ehigh)
