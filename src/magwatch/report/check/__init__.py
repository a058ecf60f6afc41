"""Verdicts on claims: each figure a text states, recomputed from the store.

A claim is *consistent* when the interval its own wording allows (its rounding and
qualifiers, see :func:`magwatch.report.claims.interval`) overlaps the interval of the
figure in the store (the stored value, widened by the rounding of the figures it was
computed from); *inconsistent* otherwise, with the gap; *unverifiable* when the store
has no figure for that month and partner, or the text does not say what the figure is
about. When no computed value exists but a source reported one (a change or rank that a
source states), the claim is checked against that reported figure, and the verdict says so.

The figures come from the ``Magwatch`` handle (``flows``, ``claims``, ``monitor``): this
package computes no change, share or rank of its own, only the rounding bounds around them.

By concept: ``_verdict`` (what a check says and its wording), ``_lookup`` (what is read from the
store and derived from it, with rounding intervals), ``_rules`` (the :class:`Checker`: one
verdict rule per claim metric).
"""

from __future__ import annotations

import datetime as dt

from magwatch.analytics.reader import Reader
from magwatch.report.check._rules import Checker
from magwatch.report.check._verdict import (CONSISTENT, INCONSISTENT, NOT_CHECKED, UNVERIFIABLE, VERDICT_SCHEMA,
                                            Figure, Verdict, verdict_table)
from magwatch.report.claims import extract


def check_text(handle: Reader, text: str, *, as_of: str | dt.date | None = None, month: str | None = None,
               checker: Checker | None = None) -> list[Verdict]:
    """Extract every claim from ``text`` and check each against the store behind ``handle``.

    ``as_of`` is when the text was published and ``month`` the month it is about when it does
    not say (see :func:`magwatch.report.claims.extract`). Pass a :class:`Checker` to reuse its
    lookups across texts.
    """
    checker = checker or Checker(handle)
    claims = extract(text, as_of=as_of, month=month, known_months=checker.known_months())
    return [checker.check(c) for c in claims]


__all__ = ["CONSISTENT", "INCONSISTENT", "NOT_CHECKED", "UNVERIFIABLE", "VERDICT_SCHEMA", "Checker", "Figure",
           "Verdict", "check_text", "verdict_table"]
