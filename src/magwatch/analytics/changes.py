"""Changes over time: m/m, y/y, year to date, streaks, "highest / lowest since".

Formulas (percent changes on net weight unless the column says value):

* m/m % = (x[t] / x[t-1] - 1) x 100, y/y % = (x[t] / x[t-12] - 1) x 100;
  absolute changes are x[t] - x[t-1] and x[t] - x[t-12];
* a change exists only when both months have a single-month figure: a missing
  month is a gap, never a zero, so the comparison is absent rather than -100 %;
  a base of zero gives no percentage;
* China publishes January and February as one combined figure
  (``period_months = 2``); such a figure is never split, so February has no
  m/m and March has no m/m unless a single-month February figure exists;
* year to date = the sum of January..t when every month of the span is covered
  (single months, or the combined January-February figure), otherwise absent.

:func:`at_month` works on the one-figure-per-key table of :func:`series.pick`;
:func:`at_month_from_rows` gives the same result straight from the latest-vintage
rows, for one month of many series at once (the whole-table monitor).

Every function takes Ibis tables and returns an Ibis expression.
"""

from __future__ import annotations

import ibis

from magwatch.analytics.figures import preference
from magwatch.analytics.series import GROUP, month_index, monthly
from magwatch.periods import Month

SERIES = (*GROUP, "partner")


def pct(current, base):
    """(current / base - 1) x 100, or null when either is missing or the base is not positive."""
    return ibis.ifelse(base > 0, (current / base - 1) * 100, ibis.null("float64"))


def at_month(series, month: int | None = None):
    """Level, m/m and y/y of every series in one month (``month`` a month index).

    With ``month=None`` the latest month of the whole table is used (a scalar
    reduction inside the aggregate, hence ``as_scalar``). Only the three months
    the comparison needs are read. One row per series with a figure in the month.
    """
    t = monthly(series)
    m = t.month.max().as_scalar() if month is None else ibis.literal(month)
    t = t.filter((t.month == m) | (t.month == m - 1) | (t.month == m - 12))
    now, prev, year_ago = t.month == m, t.month == m - 1, t.month == m - 12
    out = t.group_by([t[k] for k in SERIES]).aggregate(
        month=t.month.max(where=now),
        net_weight_kg=t.net_weight_kg.max(where=now),
        weight_prev=t.net_weight_kg.max(where=prev),
        weight_year_ago=t.net_weight_kg.max(where=year_ago),
        value_usd=t.value_usd.max(where=now),
        value_prev=t.value_usd.max(where=prev),
        value_year_ago=t.value_usd.max(where=year_ago),
    )
    return _changes(out.filter(out.month.notnull()))


#: Months a change needs, as months before the month itself: the month, m/m and y/y bases.
LAGS = (0, 1, 12)
#: Output columns of :func:`at_month` per measure, in the order of ``LAGS``.
LAGGED = {"net_weight_kg": ("net_weight_kg", "weight_prev", "weight_year_ago"),
          "value_usd": ("value_usd", "value_prev", "value_year_ago")}
_FIGURES = (*SERIES, "period", "period_months", "net_weight_kg", "value_usd")


def at_month_from_rows(rows, month: int | None = None, periods=None):
    """:func:`at_month` of :func:`series.pick` of ``rows``, for many series at once.

    ``rows`` are rows of the latest-vintage table, where several sources may hold
    the same key. Same columns and same result as ``at_month(series.pick(rows),
    month)`` (``month=None``: the latest month with a single-month figure), computed
    without sorting every key:

    * the three months are read by their periods (first days of months, as the store
      writes them), a plain column test that lets an engine skip stored blocks of
      other months;
    * one grouped aggregation per series lines the three months up; where each month
      has at most one row, that row's figure is the only candidate;
    * only the series with several rows in some month are aggregated again, choosing
      each month's figure by :func:`figures.preference` (``argmin``): the rule of
      :func:`series.pick` (:data:`figures.RULE`), applied where there is a choice to make.
    """
    t = _three_months(rows, month, _FIGURES, periods)
    by_lag = {lag: t._lag == lag for lag in LAGS}
    aggregates = {"_period": t.period.max(where=by_lag[0])}
    for i, lag in enumerate(LAGS):
        aggregates[f"_rows_{lag}"] = t._lag.count(where=by_lag[lag])
        for measure, names in LAGGED.items():
            aggregates[names[i]] = t[measure].max(where=by_lag[lag])
    one = t.group_by([t[k] for k in SERIES]).aggregate(**aggregates)
    several = ibis.or_(*[one[f"_rows_{lag}"] > 1 for lag in LAGS])
    columns = [name for names in LAGGED.values() for name in names]
    single = one.filter(one._period.notnull(), ~several).select(
        *SERIES, month=month_index(one._period), **{c: one[c] for c in columns})

    d = _three_months(rows, month, (*_FIGURES, "source", "source_ref", "vintage", "source_row"),
                      periods)
    d = d.semi_join(one.filter(one._period.notnull(), several).select(*SERIES), list(SERIES))
    key = preference(d)
    chosen = {"_period": d.period.max(where=d._lag == 0)}
    for i, lag in enumerate(LAGS):
        for measure, names in LAGGED.items():
            chosen[names[i]] = d[measure].argmin(key, where=(d._lag == lag) & d[measure].notnull())
    chosen = d.group_by([d[k] for k in SERIES]).aggregate(**chosen)
    chosen = chosen.select(*SERIES, month=month_index(chosen._period),
                           **{c: chosen[c] for c in columns})
    return _changes(single.union(chosen.cast(single.schema())))


def _three_months(rows, month: int | None, columns, periods=None):
    """Single-month rows of ``month`` and the months 1 and 12 before, with ``_lag`` = 0, 1, 12.

    Built from ``rows`` afresh on each call (columns first), so two calls with other
    columns share no intermediate table an engine would have to materialise.
    """
    if month is None:
        single_months = rows.filter(rows.period_months == 1)
        latest = month_index(single_months.period).max().as_scalar()
        t = rows.select(*columns, _lag=latest - month_index(rows.period))
        return t.filter(t.period_months == 1, t._lag.isin(list(LAGS)))
    if periods is None:
        periods = [Month.from_index(month - lag).first_day for lag in LAGS]
    periods = list(periods)
    lag = ibis.cases(*[(rows.period == p, lag) for p, lag in zip(periods, LAGS)])
    t = rows.select(*columns, _lag=lag)
    return t.filter(t.period_months == 1, t.period.isin(periods))


def unit_value(value, weight):
    """Value per kilogram, or null without a positive weight."""
    return ibis.ifelse(weight > 0, value / weight, ibis.null("float64"))


def _changes(out):
    now = unit_value(out.value_usd, out.net_weight_kg)
    return out.mutate(
        mom_pct=pct(out.net_weight_kg, out.weight_prev),
        yoy_pct=pct(out.net_weight_kg, out.weight_year_ago),
        mom_kg=out.net_weight_kg - out.weight_prev,
        yoy_kg=out.net_weight_kg - out.weight_year_ago,
        value_mom_pct=pct(out.value_usd, out.value_prev),
        value_yoy_pct=pct(out.value_usd, out.value_year_ago),
        unit_value_usd_kg=now,
        # the price signal of a month: the unit value against the month before and the same
        # month a year earlier (both need value and weight in both months)
        unit_value_mom_pct=pct(now, unit_value(out.value_prev, out.weight_prev)),
        unit_value_yoy_pct=pct(now, unit_value(out.value_year_ago, out.weight_year_ago)),
    )


def history(series, measure: str = "net_weight_kg"):
    """Every single-month figure with its m/m and y/y, by joining each month to the
    months one and twelve earlier (gap-correct: a missing base gives null)."""
    t = monthly(series).select(*SERIES, "period", "month", x=monthly(series)[measure])
    t = t.filter(t.x.notnull())
    shifted = {}
    for lag in (1, 12):
        b = t.select(*SERIES, month=t.month + lag, **{f"x_{lag}": t.x})
        shifted[lag] = b
    out = t.left_join(shifted[1], [*SERIES, "month"]).select(t, shifted[1].x_1)
    out = out.left_join(shifted[12], [*SERIES, "month"]).select(out, shifted[12].x_12)
    return out.mutate(mom_pct=pct(out.x, out.x_1), yoy_pct=pct(out.x, out.x_12))


def records(series, month: int, measure: str = "net_weight_kg"):
    """"Highest / lowest since" and streaks for every series with a figure in ``month``.

    * ``higher_before`` / ``lower_before``: the latest earlier month with a larger /
      smaller figure (null: the figure is the highest / lowest in the series so far);
    * ``months_with_data_since``: earlier months with a figure after that month, so a
      statement never claims more history than the store holds;
    * ``first_month`` and ``months_with_data``: the series' span before ``month``;
    * ``streak``: consecutive month-on-month moves in the same direction ending in
      ``month`` (positive = rises, negative = falls); a gap ends a streak.
    """
    h = history(series, measure)
    now = h.filter(h.month == month).select(*SERIES, x_now=h.x, mom_now=h.mom_pct)
    past = h.filter(h.month < month)
    j = past.inner_join(now, list(SERIES))
    stats = j.group_by([j[k] for k in SERIES]).aggregate(
        higher_before=j.month.max(where=j.x > j.x_now),
        lower_before=j.month.max(where=j.x < j.x_now),
        first_month=j.month.min(),
        months_with_data=j.month.count(),
    )
    counted = j.inner_join(stats, list(SERIES))
    since = counted.group_by([counted[k] for k in SERIES]).aggregate(
        months_since_higher=counted.month.count(
            where=counted.higher_before.notnull() & (counted.month > counted.higher_before)),
        months_since_lower=counted.month.count(
            where=counted.lower_before.notnull() & (counted.month > counted.lower_before)),
    )
    # Streak: the latest month up to ``month`` whose move breaks the run (other sign,
    # flat, or no comparison because of a gap); the streak is the months after it.
    upto = h.filter(h.month <= month).inner_join(now, list(SERIES))
    same = ibis.ifelse(upto.mom_now > 0, upto.mom_pct > 0,
                       ibis.ifelse(upto.mom_now < 0, upto.mom_pct < 0, False))
    breaks = upto.mutate(_break=ibis.ifelse(upto.mom_pct.isnull(), True, ~same.fill_null(False)))
    last_break = breaks.group_by([breaks[k] for k in SERIES]).aggregate(
        last_break=breaks.month.max(where=breaks._break),
        mom_now=breaks.mom_now.max(),
        first=breaks.month.min(),
    )
    streak = last_break.mutate(
        streak_len=ibis.ifelse(last_break.last_break.isnull(), month - last_break.first + 1,
                               month - last_break.last_break))
    streak = streak.mutate(streak=ibis.ifelse(
        streak.mom_now > 0, streak.streak_len,
        ibis.ifelse(streak.mom_now < 0, -streak.streak_len, 0)))
    out = now.left_join(stats, list(SERIES)).select(now, *[stats[c] for c in (
        "higher_before", "lower_before", "first_month", "months_with_data")])
    out = out.left_join(since, list(SERIES)).select(out, since.months_since_higher,
                                                   since.months_since_lower)
    out = out.left_join(streak, list(SERIES)).select(out, streak.streak)
    return out


def year_to_date(series, month: int, measure: str = "net_weight_kg"):
    """Year-to-date totals for the year of ``month`` and the year before.

    A total is the sum of the figures covering January..month of that year
    (single months and the combined January-February figure); it is reported
    only when those figures cover every month exactly once (``*_months`` says
    how many months were covered), otherwise null. Returns one row per series.
    ``month`` is a month index or an Ibis integer (a parameter).
    """
    if isinstance(month, int):
        at = Month.from_index(month)
        first, last = Month(at.year, 1).index, at.month - 1       # last = 0 for January
    else:
        last = month % 12                      # month index = year x 12 + month - 1
        first = month - last
    t = series.filter(series[measure].notnull())
    t = t.mutate(first=t.month, end=t.month + t.period_months.cast("int64") - 1)
    parts = {}
    for label, lo in (("ytd", first), ("ytd_prev", first - 12)):
        hi = lo + last
        span = t.filter((t.first >= lo) & (t.end <= hi) & (t.period_months <= 2))
        # Prefer the single months; use a combined figure only where no single month exists.
        singles = span.filter(span.period_months == 1)
        combined = span.filter(span.period_months == 2)
        chosen_singles = singles.select(*SERIES, x=singles[measure], n=ibis.literal(1).cast("int64"))
        chosen_combined = combined.anti_join(
            singles, [*[combined[k] == singles[k] for k in SERIES],
                      (singles.first >= combined.first) & (singles.first <= combined.end)]
        )
        chosen_combined = chosen_combined.select(*SERIES, x=chosen_combined[measure],
                                                 n=chosen_combined.period_months.cast("int64"))
        both = chosen_singles.union(chosen_combined.cast(chosen_singles.schema()))
        parts[label] = both.group_by([both[k] for k in SERIES]).aggregate(
            **{label: both.x.sum(), f"{label}_months": both.n.sum()})
        parts[label] = parts[label].mutate(**{label: ibis.ifelse(
            parts[label][f"{label}_months"] == last + 1, parts[label][label],
            ibis.null("float64"))})
    cur, prev = parts["ytd"], parts["ytd_prev"]
    out = cur.left_join(prev, list(SERIES)).select(cur, prev.ytd_prev, prev.ytd_prev_months)
    return out.mutate(ytd_yoy_pct=pct(out.ytd, out.ytd_prev))
