"""Ranks and shares of destinations (or origins) in one month.

* rank: 1 = the largest net weight among the partners that have a figure in the
  month; aggregates (World, the EU, "areas not specified"...) are not ranked.
  Over partial data (press reports name only a few partners) the rank is a
  "rank among destinations with data", and ``partners_with_data`` says how many.
* share % = partner / World x 100, with World the reporter's own world total for
  the month; without a world total there is no share (never a share of the sum
  of whatever partners happen to be known). Share change is in percentage points
  against the previous month, when both months have partner and world figures.
* ``coverage_pct`` = the sum of the ranked partners / World x 100: how much of the
  total the partner figures explain.

Functions take Ibis tables (the output of :func:`magwatch.analytics.changes.at_month` or
:func:`~magwatch.analytics.changes.at_month_from_rows`) and return Ibis expressions.
"""

from __future__ import annotations

import ibis

from magwatch.analytics.series import GROUP

WORLD = "WLD"
#: Partner codes that are groups of countries, never ranked (magwatch.codes aggregates).
AGGREGATES = ("WLD", "EUU", "XBK", "XCD", "XEI", "XEX", "XFZ", "XLA", "XNF", "XNS", "XPR", "XSC")


def world(at):
    """The world row of each series: its total now and a month earlier."""
    w = at.filter(at.partner == WORLD)
    return w.select(*GROUP, world_kg=w.net_weight_kg, world_prev_kg=w.weight_prev,
                    world_usd=w.value_usd)


def ranked(at, aggregates: tuple[str, ...] = AGGREGATES):
    """Partners (not aggregates) with a net weight in the month, ranked, with shares."""
    p = at.filter(~at.partner.isin(list(aggregates)) & at.net_weight_kg.notnull())
    w = world(at)
    p = p.left_join(w, list(GROUP)).select(p, w.world_kg, w.world_prev_kg, w.world_usd)
    by_group = ibis.window(group_by=[p[k] for k in GROUP])
    by_weight = ibis.window(group_by=[p[k] for k in GROUP], order_by=p.net_weight_kg.desc())
    out = p.mutate(
        rank=ibis.rank().over(by_weight) + 1,
        partners_with_data=p.partner.count().over(by_group),
        share_pct=ibis.ifelse(p.world_kg > 0, p.net_weight_kg / p.world_kg * 100,
                              ibis.null("float64")),
        share_prev_pct=ibis.ifelse(p.world_prev_kg > 0, p.weight_prev / p.world_prev_kg * 100,
                                   ibis.null("float64")),
        value_share_pct=ibis.ifelse(p.world_usd > 0, p.value_usd / p.world_usd * 100,
                                    ibis.null("float64")),
    )
    return out.mutate(share_change_pp=out.share_pct - out.share_prev_pct)


def coverage(ranked_partners):
    """Per series: partners with data, their sum and the share of World they explain."""
    r = ranked_partners
    out = r.group_by([r[k] for k in GROUP]).aggregate(
        partners_with_data=r.partner.count(),
        partners_kg=r.net_weight_kg.sum(),
        world_kg=r.world_kg.max(),
    )
    return out.mutate(coverage_pct=ibis.ifelse(out.world_kg > 0, out.partners_kg / out.world_kg * 100,
                                               ibis.null("float64")))
