"""Concentration of a reporter's trade across partners, and an importer's dependence.

Herfindahl-Hirschman index (US DOJ/FTC Merger Guidelines 2023, Guideline 1):
HHI = sum of s_i^2 with s_i each partner's share in percent, so 0..10,000
(10,000 = one partner takes everything). Thresholds named by :func:`level`:

* 2010 Horizontal Merger Guidelines section 5.3: below 1,500 unconcentrated,
  1,500-2,500 moderately concentrated, above 2,500 highly concentrated;
* 2023 Merger Guidelines: above 1,800 highly concentrated.

With a world total W and partner figures x_i that do not cover all of it (press
data), the shares s_i = x_i / W are exact but the rest r = 1 - sum(s_i) belongs to
partners without data. The index then lies between ``hhi_min`` = sum(s_i^2) (the
rest spread over many small partners) and ``hhi_max`` = hhi_min + r^2 (the rest a
single partner); the two are equal when the partners cover the total. Without a
world total the index is computed over the partners with data, normalised by
their own sum (``basis`` says so).

Top-1 and top-3 shares are of the world total, among partners with data.

Dependence of an importer on a supplier = the importer's imports from the supplier
/ its imports from the world x 100, from the importer's own statistics (flow M).
"""

from __future__ import annotations

import ibis

from magwatch.analytics.ranks import AGGREGATES, WORLD
from magwatch.analytics.series import GROUP

#: (upper bound, name) under the 2010 Horizontal Merger Guidelines.
HHI_LEVELS_2010 = ((1500.0, "unconcentrated"), (2500.0, "moderately concentrated"),
                   (float("inf"), "highly concentrated"))
#: Above this the 2023 Merger Guidelines call a market highly concentrated.
HHI_HIGH_2023 = 1800.0


def level(hhi: float | None) -> str | None:
    """The 2010-guidelines name of an HHI value (0..10,000)."""
    if hhi is None:
        return None
    for bound, name in HHI_LEVELS_2010:
        if hhi < bound or (bound == 2500.0 and hhi <= bound):
            return name
    return HHI_LEVELS_2010[-1][1]


def hhi(ranked_partners):
    """HHI bounds, top-1 / top-3 shares and coverage per series (one month).

    Takes the output of :func:`magwatch.analytics.ranks.ranked`.
    """
    r = ranked_partners
    total = r.net_weight_kg.sum()
    world_kg = r.world_kg.max()
    share = r.net_weight_kg / r.world_kg            # fraction of the world total
    out = r.group_by([r[k] for k in GROUP]).aggregate(
        partners_with_data=r.partner.count(),
        partners_kg=total,
        world_kg=world_kg,
        sum_sq_world=(share * share).sum(),
        sum_sq_kg=(r.net_weight_kg * r.net_weight_kg).sum(),
        top1_kg=r.net_weight_kg.max(),
        top3_kg=r.net_weight_kg.sum(where=r["rank"] <= 3),
    )
    rest = 1 - out.partners_kg / out.world_kg      # share of the world without partner data
    covered = rest <= 0
    return out.mutate(
        hhi_min=ibis.ifelse(out.world_kg > 0, out.sum_sq_world * 10000,
                            out.sum_sq_kg / (out.partners_kg * out.partners_kg) * 10000),
        hhi_max=ibis.ifelse(out.world_kg > 0,
                            ibis.ifelse(covered, out.sum_sq_world * 10000,
                                        (out.sum_sq_world + rest * rest) * 10000),
                            out.sum_sq_kg / (out.partners_kg * out.partners_kg) * 10000),
        coverage_pct=ibis.ifelse(out.world_kg > 0, out.partners_kg / out.world_kg * 100,
                                 ibis.null("float64")),
        top1_share_pct=ibis.ifelse(out.world_kg > 0, out.top1_kg / out.world_kg * 100,
                                   out.top1_kg / out.partners_kg * 100),
        top3_share_pct=ibis.ifelse(out.world_kg > 0, out.top3_kg / out.world_kg * 100,
                                   out.top3_kg / out.partners_kg * 100),
        basis=ibis.ifelse(out.world_kg > 0, "shares of the world total",
                          "shares of the partners with data (no world total)"),
    ).drop("sum_sq_world", "sum_sq_kg")


def hhi_whole_table(at, aggregates: tuple[str, ...] = AGGREGATES):
    """HHI of every series in a month straight from :func:`changes.at_month` rows (or the
    partner rows of :func:`ranks.ranked`, which are the same rows with ranks added),
    shares of the partners' own sum (for complete data such as Comtrade files).

    With x_i the partners' weights and X their sum, HHI = sum (x_i / X)^2 x 10,000
    = sum x_i^2 / X^2 x 10,000 and the top-1 share = max x_i / X x 100: sums of the
    series' own rows, so one grouped aggregation gives them (no second pass for X).
    A series whose partners sum to zero has no shares, hence no index.
    """
    p = at.filter(~at.partner.isin(list(aggregates)) & at.net_weight_kg.notnull())
    x = p.net_weight_kg
    out = p.group_by([p[k] for k in GROUP]).aggregate(
        partners_with_data=p.partner.count(),
        total_kg=x.sum(),
        _sum_sq=(x * x).sum(),
        _top1=x.max(),
    )
    positive = out.total_kg > 0
    return out.mutate(
        hhi=ibis.ifelse(positive, out._sum_sq / (out.total_kg * out.total_kg) * 10000,
                        ibis.null("float64")),
        top1_share_pct=ibis.ifelse(positive, out._top1 / out.total_kg * 100, ibis.null("float64")),
    ).drop("_sum_sq", "_top1")


def dependence(latest_series, month: int, supplier: str, measure: str = "value_usd"):
    """Each importer's share of imports from ``supplier`` in ``month`` (flow M rows).

    ``latest_series`` is the output of :func:`magwatch.analytics.series.pick`; the
    importer is the reporter, the supplier and ``WLD`` are partners.
    """
    t = latest_series.filter((latest_series.flow == "M") & (latest_series.month == month)
                             & (latest_series.period_months == 1))
    g = t.group_by([t[k] for k in GROUP]).aggregate(
        from_supplier=t[measure].max(where=t.partner == supplier),
        from_world=t[measure].max(where=t.partner == WORLD),
    )
    g = g.filter(g.from_supplier.notnull())
    return g.mutate(supplier=ibis.literal(supplier), dependence_pct=ibis.ifelse(
        g.from_world > 0, g.from_supplier / g.from_world * 100, ibis.null("float64")))
