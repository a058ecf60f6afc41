"""Surges and collapses: robust z-scores against a series' own history.

Two scores for a series' figure in month t, both on logarithms so a doubling and
a halving weigh the same:

* **change score**: d_t = ln x_t - ln x_{t-1} (only when both months have a figure)
  against the earlier d of the same series:
  z = (d_t - median(d)) / (1.4826 x MAD(d)), MAD = median |d - median(d)|;
* **seasonal score**: ln x_t against ln x of the same calendar month in earlier
  years: z = (ln x_t - median) / (1.4826 x MAD).

1.4826 x MAD estimates the standard deviation of normally distributed data, so a z
reads as "robust standard deviations". A score needs at least ``min_history``
earlier changes (default 6) or ``min_years`` earlier same months (default 3) and a
MAD above zero; otherwise it is null and the reason says how much history there is.
Besides the score, the change is compared with the largest rise and fall the
series has recorded ("largest m/m rise in the series").

Functions take Ibis tables (output of :func:`magwatch.analytics.series.pick`) and
return Ibis expressions.
"""

from __future__ import annotations

import ibis

from magwatch.analytics.changes import SERIES, history
from magwatch.analytics.series import monthly

MAD_TO_SD = 1.4826
#: |z| at or above this is flagged as a surge (z > 0) or a collapse (z < 0).
THRESHOLD = 3.0


def _robust(now, past, value: str, score: str, minimum: int):
    stats = past.group_by([past[k] for k in SERIES]).aggregate(
        _median=past[value].median(), _n=past[value].count(),
        _max=past[value].max(), _min=past[value].min())
    dev = past.inner_join(stats, list(SERIES))
    dev = dev.mutate(_abs=(dev[value] - dev._median).abs())
    mad = dev.group_by([dev[k] for k in SERIES]).aggregate(_mad=dev._abs.median())
    out = now.left_join(stats, list(SERIES)).select(now, stats._median, stats._n, stats._max,
                                                    stats._min)
    out = out.left_join(mad, list(SERIES)).select(out, mad._mad)
    usable = (out._n >= minimum) & (out._mad > 0)
    return out.mutate(**{
        score: ibis.ifelse(usable, (out[f"{value}_now"] - out._median) / (out._mad * MAD_TO_SD),
                           ibis.null("float64")),
        f"{score}_history": out._n.fill_null(0),
        f"{score}_max": out._max,
        f"{score}_min": out._min,
        f"{score}_median": out._median,
    }).drop("_median", "_n", "_max", "_min", "_mad")


def change_scores(series, month: int, min_history: int = 6):
    """Robust z of the log m/m change in ``month`` against the series' earlier changes."""
    h = history(series)
    h = h.filter(h.x_1.notnull() & (h.x > 0) & (h.x_1 > 0))
    h = h.mutate(d=h.x.ln() - h.x_1.ln())
    now = h.filter(h.month == month).select(*SERIES, d_now=h.d)
    past = h.filter(h.month < month)
    return _robust(now, past, "d", "change_z", min_history)


def seasonal_scores(series, month: int, min_years: int = 3):
    """Robust z of ln(figure) in ``month`` against the same calendar month in earlier years."""
    t = monthly(series)
    t = t.filter(t.net_weight_kg > 0)
    t = t.mutate(lx=t.net_weight_kg.ln())
    now = t.filter(t.month == month).select(*SERIES, lx_now=t.lx)
    past = t.filter((t.month < month) & (t.month % 12 == month % 12))
    return _robust(now, past, "lx", "seasonal_z", min_years)


def flag(change_z: float | None, seasonal_z: float | None, d_now: float | None,
         d_max: float | None, d_min: float | None, history_n: int, years_n: int,
         threshold: float = THRESHOLD, min_history: int = 6) -> list[str]:
    """Plain-language reasons for one series' figure (empty when nothing stands out).

    "Largest rise / fall in the series" needs ``min_history`` earlier changes.
    """
    reasons = []
    enough = history_n >= min_history
    if d_now is not None and enough and d_max is not None and d_now > d_max and d_now > 0:
        reasons.append(f"largest m/m rise in the series ({history_n} earlier m/m changes)")
    if d_now is not None and enough and d_min is not None and d_now < d_min and d_now < 0:
        reasons.append(f"largest m/m fall in the series ({history_n} earlier m/m changes)")
    if change_z is not None and abs(change_z) >= threshold:
        word = "above" if change_z > 0 else "below"
        reasons.append(f"m/m change {abs(change_z):.1f} robust SD {word} the series' usual change")
    if seasonal_z is not None and abs(seasonal_z) >= threshold:
        word = "above" if seasonal_z > 0 else "below"
        reasons.append(f"{abs(seasonal_z):.1f} robust SD {word} its seasonal norm "
                       f"({years_n} earlier years of the same month)")
    return reasons
