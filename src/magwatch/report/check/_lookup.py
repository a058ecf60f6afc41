"""What the checker reads from the store: the chosen figures, reported figures and monitor rows
behind a claim, and the figures derived from them (changes, shares, totals over months) with the
interval their inputs' rounding allows. No verdict is reached here."""

from __future__ import annotations

from dataclasses import replace

from magwatch.analytics import figures
from magwatch.analytics.reader import Reader
from magwatch.codes import MAGNET_LINE
from magwatch.errors import NoDataError
from magwatch.periods import Month, Span
from magwatch.records import outlet
from magwatch.report.check._verdict import Figure, _half_unit, _span
from magwatch.report.claims import TextClaim


class Lookup:
    """One store's figures for claims, each lookup made once per key and kept."""

    def __init__(self, handle: Reader) -> None:
        self.h = handle
        self._monitor: dict[tuple, dict | None] = {}
        self._flows: dict[tuple, list[dict]] = {}
        self._claims: dict[tuple, list[dict]] = {}
        self._known: tuple[str, ...] | None = None

    def known_months(self) -> tuple[str, ...]:
        """Months with a single-month figure of China's magnet exports (for undated text)."""
        if self._known is None:
            rows = figures.chosen(self.h, reporter="CHN", commodity=MAGNET_LINE, flow="X", months=1)
            self._known = tuple(sorted(set(rows.column("period").to_pylist())))
        return self._known

    # ------------------------------------------------------------------ lookups
    def monitor(self, c: TextClaim, period: str) -> dict | None:
        key = (c.reporter, c.commodity, c.flow, period)
        if key not in self._monitor:
            try:
                self._monitor[key] = self.h.monitor(period, reporter=c.reporter, commodity=c.commodity,
                                                    flow=c.flow).to_dict()
            except NoDataError:
                self._monitor[key] = None
        return self._monitor[key]

    def flows(self, c: TextClaim, partner: str) -> list[dict]:
        """The figures that stand for each month of one partner (:func:`figures.chosen`)."""
        key = (c.reporter, c.commodity, c.flow, partner)
        if key not in self._flows:
            self._flows[key] = figures.chosen(self.h, reporter=c.reporter, partner=partner,
                                              commodity=c.commodity, flow=c.flow, months=1).to_pylist()
        return self._flows[key]

    def reported(self, c: TextClaim, partner: str, period: str, metric: str) -> list[dict]:
        """The reported figure that stands for a partner, month and metric (one rule with the
        observations: :func:`figures.chosen_claims`)."""
        key = (c.reporter, c.commodity, c.flow, partner)
        if key not in self._claims:
            self._claims[key] = figures.chosen_claims(self.h, reporter=c.reporter, partner=partner,
                                                      commodity=c.commodity, flow=c.flow,
                                                      months=1).to_pylist()
        return [r for r in self._claims[key] if r["period"] == period and r["metric"] == metric
                and r["value"] is not None]

    def observation(self, c: TextClaim, partner: str, period: str, column: str = "net_weight_t") -> dict | None:
        """The chosen figure of one partner and month, with that measure's provenance."""
        return _as_observation(next((r for r in self.flows(c, partner) if r["period"] == period
                                     and r[column] is not None), None), column)

    @staticmethod
    def _obs_source(r: dict, basis: str = "observed") -> dict:
        return {"url": r["source_url"], "file": r["source_file"], "row": r["source_row"],
                "vintage": str(r["vintage"]), "basis": basis}

    @staticmethod
    def _outlet(url: str | None) -> str:
        return outlet(url)

    def _reported_figure(self, rows: list[dict]) -> Figure:
        r = rows[0]
        v = float(r["value"])
        h = _half_unit(v)
        outlet = self._outlet(r["source_url"])
        return Figure(v, v - h, v + h, f"reported by {outlet}",
                      [{"url": r["source_url"], "file": f"reported {r['metric']} (claim table)", "row": None,
                        "vintage": str(r["vintage"]), "basis": f"reported by {outlet}"}])

    def level(self, c: TextClaim, column: str) -> tuple[Figure | None, str]:
        r = self.observation(c, c.partner, c.period, column)
        if r is None:
            what = "tonnage" if column == "net_weight_t" else "US-dollar value"
            return None, f"no data: the store has no {what} for {c.partner} in {c.period}"
        v = float(r[column])
        h = _half_unit(v)
        return Figure(v, v - h, v + h, "observed (a figure the source published)",
                      [self._obs_source(r)]), ""

    def change(self, c: TextClaim, metric: str) -> tuple[Figure | None, str]:
        """m/m or y/y % for the claim's partner and month: computed when possible, else reported."""
        if c.months > 1:
            return self.span_change(c)
        mon = self.monitor(c, c.period)
        row = None
        if mon is not None:
            rows = [mon["world"]] + mon["partners"] + mon.get("groups", [])
            row = next((r for r in rows if r and r.get("partner") == c.partner), None)
        basis_text = (row or {}).get("basis", {}).get(metric, "") if row else ""
        if row is not None and row.get(metric) is not None and basis_text.startswith("computed"):
            months = -1 if metric == "mom_pct" else -12
            cur = self.observation(c, c.partner, c.period)
            base = self.observation(c, c.partner, str(Month.parse(c.period) + months))
            v = float(row[metric])
            low, high = v - 0.05, v + 0.05
            sources = []
            if cur and base:
                a, b = float(cur["net_weight_t"]), float(base["net_weight_t"])
                ha, hb = _half_unit(a), _half_unit(b)
                if b - hb > 0:
                    low = min(low, ((a - ha) / (b + hb) - 1) * 100)
                    high = max(high, ((a + ha) / (b - hb) - 1) * 100)
                sources = [self._obs_source(cur, "observed"), self._obs_source(base, "observed (base)")]
            return Figure(v, low, high, "computed", sources, basis_text), ""
        rep = self.reported(c, c.partner, c.period, metric)
        if rep:
            f = self._reported_figure(rep)
            f.note = basis_text or "no computed value: a base month has no figure in the store"
            return f, ""
        word = "month-on-month" if metric == "mom_pct" else "year-on-year"
        if basis_text:
            return None, f"{word}: {basis_text}"
        if mon is None:
            return None, f"no data: the store has no figures for {c.period}"
        return None, f"no data: no {word} figure for {c.partner} in {c.period}"

    def share(self, c: TextClaim) -> tuple[Figure | None, str]:
        mon = self.monitor(c, c.period)
        if mon is not None:
            rows = mon["partners"] + mon.get("groups", [])
            row = next((r for r in rows if r.get("partner") == c.partner), None)
            if row is not None and row.get("share_pct") is not None:
                v = float(row["share_pct"])
                low, high = v - 0.05, v + 0.05
                cur = self.observation(c, c.partner, c.period)
                world = self.observation(c, "WLD", c.period)
                sources = []
                if cur and world:
                    a, w = float(cur["net_weight_t"]), float(world["net_weight_t"])
                    ha, hw = _half_unit(a), _half_unit(w)
                    low = min(low, (a - ha) / (w + hw) * 100)
                    high = max(high, (a + ha) / (w - hw) * 100)
                    sources = [self._obs_source(cur), self._obs_source(world, "observed (world total)")]
                return Figure(v, low, high, "computed", sources,
                              (row.get("basis") or {}).get("share_pct", "")), ""
        rep = self.reported(c, c.partner, c.period, "share_pct")
        if rep:
            return self._reported_figure(rep), ""
        if mon is None:
            return None, f"no data: the store has no figures for {c.period}"
        return None, f"no data: no share for {c.partner} in {c.period} (no figure for it or for the world total)"

    def change_against(self, c: TextClaim, base: str) -> tuple[Figure | None, str]:
        """% change from a named month other than m-1 or m-12 ("53% less than in April"):
        (x[t] / x[base] - 1) x 100 from the two chosen figures, widened by their rounding."""
        cur, old = self.observation(c, c.partner, c.period), self.observation(c, c.partner, base)
        if cur is None or old is None:
            missing = c.period if cur is None else base
            return None, f"no data: no tonnage for {c.partner} in {missing} (the change compares {c.period} with {base})"
        a, b = float(cur["net_weight_t"]), float(old["net_weight_t"])
        if b <= 0:
            return None, f"no change: the base month {base} has no positive figure"
        ha, hb = _half_unit(a), _half_unit(b)
        v = (a / b - 1) * 100
        return Figure(v, ((a - ha) / (b + hb) - 1) * 100, ((a + ha) / (b - hb) - 1) * 100,
                      f"computed from {c.period} and {base} (x / base - 1)",
                      [self._obs_source(cur), self._obs_source(old, f"observed (base {base})")]), ""

    def span_change(self, c: TextClaim) -> tuple[Figure | None, str]:
        """y/y % of a total over months: the two totals (:meth:`cumulative`) compared, widened by
        their rounding; else a y/y change a source reported for that span."""
        base = replace(c, period=str(Month.parse(c.period) - 12))
        (cur, why), (old, why_old) = self.cumulative(c), self.cumulative(base)
        span = Span(Month.parse(c.period), c.months)
        if cur is not None and old is not None and old.low > 0:
            v = (cur.value / old.value - 1) * 100
            return Figure(v, (cur.low / old.high - 1) * 100, (cur.high / old.low - 1) * 100,
                          f"computed: {span.label()} against the same months a year earlier",
                          cur.sources + [dict(s, basis=f"{s['basis']} (base)") for s in old.sources]), ""
        rows = [r for r in figures.chosen_claims(self.h, reporter=c.reporter, partner=c.partner,
                                                 commodity=c.commodity, flow=c.flow, months=c.months).to_pylist()
                if r["period"] == c.period and r["metric"] == "yoy_pct" and r["value"] is not None]
        if rows:
            f = self._reported_figure(rows)
            f.note = f"no computed value: {why or why_old}"
            return f, ""
        return None, why or why_old

    def cumulative(self, c: TextClaim) -> tuple[Figure | None, str]:
        """A total over months: the stored figure for that span if a source published one, else the
        sum of the chosen single-month figures when every month has one."""
        span = Span(Month.parse(c.period), c.months)
        best = figures.figure(self.h, reporter=c.reporter, partner=c.partner, commodity=c.commodity,
                              flow=c.flow, period=c.period, months=c.months)
        if best is not None:
            v = float(best["net_weight_t"])
            h = _half_unit(v)
            return Figure(v, v - h, v + h, f"observed ({span.label()} total the source published)",
                          [self._obs_source(best)]), ""
        found = {str(m): self.observation(c, c.partner, str(m)) for m in span}
        missing = [m for m, r in found.items() if r is None]
        if missing:
            return None, (f"no data: no {span.label()} total in the store, and {_span(missing)} "
                          f"{'has' if len(missing) == 1 else 'have'} no monthly figure to add up")
        values = [float(r["net_weight_t"]) for r in found.values()]
        total, slack = sum(values), sum(_half_unit(v) for v in values)
        return Figure(total, total - slack, total + slack, f"computed: the sum of {len(values)} monthly figures",
                      [self._obs_source(r) for r in found.values()]), ""


def _as_observation(row: dict | None, column: str) -> dict | None:
    """A chosen figure as a flows-like row: the measure's own provenance under the flows names."""
    if row is None:
        return None
    prefix = figures.MEASURES[column]
    out = {k: row[k] for k in figures.KEY_COLUMNS}
    out.update(net_weight_t=row["net_weight_t"], value_usd=row["value_usd"])
    out.update({p: row[f"{prefix}_{p}"] for p in figures.PROVENANCE})
    return out
