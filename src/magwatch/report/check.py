"""Verdicts on claims: each figure a text states, recomputed from the store.

A claim is *consistent* when the interval its own wording allows (its rounding and
qualifiers, see :func:`magwatch.report.claims.interval`) overlaps the interval of the
figure in the store (the stored value, widened by the rounding of the figures it was
computed from); *inconsistent* otherwise, with the gap; *unverifiable* when the store
has no figure for that month and partner, or the text does not say what the figure is
about. When no computed value exists but a source reported one (a change or rank that a
source states), the claim is checked against that reported figure, and the verdict says so.

The figures come from the ``Magwatch`` handle (``flows``, ``claims``, ``monitor``): this
module computes no change, share or rank of its own, only the rounding bounds around them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace

import pyarrow as pa

from magwatch.analytics import figures
from magwatch.errors import NoDataError
from magwatch.periods import Month, Span
from magwatch.report.claims import AMONG_WITH_FIGURE, BETWEEN_FIGURES, OF_MONTHS, Claim, extract

CONSISTENT, INCONSISTENT, UNVERIFIABLE = "consistent", "inconsistent", "unverifiable"
#: A sentence about a scenario, forecast, price or another commodity: not a magnet observation.
NOT_CHECKED = "not checked"

VERDICT_SCHEMA = pa.schema([
    ("sentence_no", pa.int32()), ("claim", pa.string()), ("metric", pa.string()),
    ("partner", pa.string()), ("period", pa.string()), ("verdict", pa.string()),
    ("claimed", pa.string()), ("computed", pa.string()), ("gap", pa.string()),
    ("basis", pa.string()), ("reason", pa.string()), ("sources", pa.string()),
    ("resolved", pa.string()), ("rounded", pa.bool_()), ("reporter", pa.string()),
    ("commodity", pa.string()), ("base", pa.string()), ("months", pa.int32()), ("about", pa.string()),
])


@dataclass
class Figure:
    """A figure from the store with the interval its inputs' rounding allows."""

    value: float
    low: float
    high: float
    basis: str                      # "computed", "observed", or "reported by <outlet>"
    sources: list[dict] = field(default_factory=list)
    note: str = ""


@dataclass
class Verdict:
    claim: Claim
    verdict: str
    claimed: str
    computed: str = ""
    gap: str = ""
    basis: str = ""
    reason: str = ""
    sources: list[dict] = field(default_factory=list)
    #: consistent only at the claim's significant figures ("160%" for 157.4%), as news rounds
    rounded: bool = False

    @property
    def label(self) -> str:
        """The verdict as a reader sees it: ``consistent (rounded)`` for a round news figure."""
        return f"{self.verdict} (rounded)" if self.rounded and self.verdict == CONSISTENT else self.verdict

    def as_dict(self) -> dict:
        c = self.claim
        return {"sentence_no": c.sentence_no, "claim": c.text, "metric": c.metric,
                "partner": c.partner, "period": c.period, "verdict": self.verdict,
                "claimed": self.claimed, "computed": self.computed, "gap": self.gap,
                "basis": self.basis, "reason": self.reason,
                "sources": "; ".join(_cite(s) for s in self.sources),
                "resolved": "; ".join(c.resolved + c.problems), "rounded": self.rounded,
                "reporter": c.reporter, "commodity": c.commodity, "base": c.base_period,
                "months": c.months, "about": c.scope or "magnet trade as observed"}


def _cite(s: dict) -> str:
    parts = [s.get("url") or ""]
    if s.get("file"):
        parts.append(f"{s['file']} row {s['row']}" if s.get("row") is not None else s["file"])
    if s.get("vintage"):
        parts.append(f"vintage {s['vintage']}")
    if s.get("basis"):
        parts.append(s["basis"])
    return " | ".join(p for p in parts if p)


def _half_unit(x: float) -> float:
    """Half the rounding unit of a stored figure, read from its decimals (3188.0 -> 0.5)."""
    text = f"{abs(x):.6f}".rstrip("0").rstrip(".")
    return 0.5 * 10 ** -(len(text.split(".")[1]) if "." in text else 0)


def _overlap(a_low, a_high, b_low, b_high) -> bool:
    lo1 = -math.inf if a_low is None else a_low
    hi1 = math.inf if a_high is None else a_high
    return lo1 <= b_high + 1e-9 and b_low <= hi1 + 1e-9


def _fmt(x: float | None, metric: str) -> str:
    if x is None:
        return ""
    if metric in ("mom_pct", "yoy_pct", "change_pct"):
        return f"{x:+,.1f}%"
    if metric == "share_pct":
        return f"{x:,.1f}%"
    if metric in ("net_weight_t", "cumulative_t"):
        return f"{x:,.2f}".rstrip("0").rstrip(".") + " t"
    if metric.startswith("streak"):
        return f"{int(x)} months"
    if metric == "value_usd":
        return f"${x:,.0f}"
    if metric.startswith("ratio"):
        return f"{x:.2f}x"
    if metric == "rank":
        return f"#{int(x)}"
    return f"{x:g}"


def _claimed_text(c: Claim) -> str:
    if c.metric in ("record_high", "record_low") and c.qualifier == OF_MONTHS:
        return f"{'highest' if c.metric == 'record_high' else 'lowest'} of the {int(c.value)} months since {c.since}"
    if c.metric in ("record_high", "record_low"):
        word = "high" if c.metric == "record_high" else "low"
        if c.since:
            return f"{word} since {c.since}"
        if c.window_months:
            return f"{c.window_months}-month {word}"
        return f"record {word}"
    base = _fmt(c.value, c.metric)
    return f"{c.qualifier} {base}" if c.qualifier else base


class Checker:
    """Checks claims against one store; caches per-month lookups."""

    def __init__(self, handle) -> None:
        self.h = handle
        self._monitor: dict[tuple, dict | None] = {}
        self._flows: dict[tuple, list[dict]] = {}
        self._claims: dict[tuple, list[dict]] = {}
        self._known: tuple[str, ...] | None = None

    def known_months(self) -> tuple[str, ...]:
        """Months with a single-month figure of China's magnet exports (for undated text)."""
        if self._known is None:
            rows = figures.chosen(self.h, reporter="CHN", commodity="85051110", flow="X", months=1)
            self._known = tuple(sorted(set(rows.column("period").to_pylist())))
        return self._known

    # ------------------------------------------------------------------ lookups
    def monitor(self, c: Claim, period: str) -> dict | None:
        key = (c.reporter, c.commodity, c.flow, period)
        if key not in self._monitor:
            try:
                self._monitor[key] = self.h.monitor(period, reporter=c.reporter, commodity=c.commodity,
                                                    flow=c.flow)
            except NoDataError:
                self._monitor[key] = None
        return self._monitor[key]

    def flows(self, c: Claim, partner: str) -> list[dict]:
        """The figures that stand for each month of one partner (:func:`figures.chosen`)."""
        key = (c.reporter, c.commodity, c.flow, partner)
        if key not in self._flows:
            self._flows[key] = figures.chosen(self.h, reporter=c.reporter, partner=partner,
                                              commodity=c.commodity, flow=c.flow, months=1).to_pylist()
        return self._flows[key]

    def reported(self, c: Claim, partner: str, period: str, metric: str) -> list[dict]:
        """The reported figure that stands for a partner, month and metric (one rule with the
        observations: :func:`figures.chosen_claims`)."""
        key = (c.reporter, c.commodity, c.flow, partner)
        if key not in self._claims:
            self._claims[key] = figures.chosen_claims(self.h, reporter=c.reporter, partner=partner,
                                                      commodity=c.commodity, flow=c.flow,
                                                      months=1).to_pylist()
        return [r for r in self._claims[key] if r["period"] == period and r["metric"] == metric
                and r["value"] is not None]

    def observation(self, c: Claim, partner: str, period: str, column: str = "net_weight_t") -> dict | None:
        """The chosen figure of one partner and month, with that measure's provenance."""
        return _as_observation(next((r for r in self.flows(c, partner) if r["period"] == period
                                     and r[column] is not None), None), column)

    @staticmethod
    def _obs_source(r: dict, basis: str = "observed") -> dict:
        return {"url": r["source_url"], "file": r["source_file"], "row": r["source_row"],
                "vintage": str(r["vintage"]), "basis": basis}

    @staticmethod
    def _outlet(url: str | None) -> str:
        if not url or "//" not in url:
            return "a source"
        host = url.split("/")[2]
        return host[4:] if host.startswith("www.") else host

    def _reported_figure(self, rows: list[dict]) -> Figure:
        r = rows[0]
        v = float(r["value"])
        h = _half_unit(v)
        outlet = self._outlet(r["source_url"])
        return Figure(v, v - h, v + h, f"reported by {outlet}",
                      [{"url": r["source_url"], "file": f"reported {r['metric']} (claim table)", "row": None,
                        "vintage": str(r["vintage"]), "basis": f"reported by {outlet}"}])

    # ------------------------------------------------------------------ figures
    def level(self, c: Claim, column: str) -> tuple[Figure | None, str]:
        r = self.observation(c, c.partner, c.period, column)
        if r is None:
            what = "tonnage" if column == "net_weight_t" else "US-dollar value"
            return None, f"no data: the store has no {what} for {c.partner} in {c.period}"
        v = float(r[column])
        h = _half_unit(v)
        return Figure(v, v - h, v + h, "observed (a figure the source published)",
                      [self._obs_source(r)]), ""

    def change(self, c: Claim, metric: str) -> tuple[Figure | None, str]:
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

    def share(self, c: Claim) -> tuple[Figure | None, str]:
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

    # ------------------------------------------------------------------ verdicts
    def check(self, c: Claim) -> Verdict:
        claimed = _claimed_text(c)
        if c.scope is not None:
            return Verdict(c, NOT_CHECKED, claimed,
                           reason=f"the sentence is about {_SCOPE_WORDS.get(c.scope, c.scope)}, not magnet trade "
                                  "as observed; not checked against the store")
        if c.problems:
            return Verdict(c, UNVERIFIABLE, claimed, reason="; ".join(c.problems))
        if c.partner is None:
            return Verdict(c, UNVERIFIABLE, claimed, reason="partner: ambiguous")
        rule = self._RULES.get(c.metric)
        if rule is None:
            return Verdict(c, UNVERIFIABLE, claimed, reason=f"no rule for {c.metric}")
        return rule(self, c, claimed)

    def _check_level(self, c: Claim, claimed: str) -> Verdict:
        f, why = self.level(c, c.metric)
        return self._compare(c, claimed, f, why)

    def _check_change(self, c: Claim, claimed: str) -> Verdict:
        f, why = self.change(c, c.metric)
        return self._compare(c, claimed, f, why)

    def _check_unstated_change(self, c: Claim, claimed: str) -> Verdict:
        if c.base_period is not None:
            f, why = self.change_against(c, c.base_period)
            return self._compare(c, claimed, f, why)
        return self._either(c, claimed)

    def _check_share(self, c: Claim, claimed: str) -> Verdict:
        f, why = self.share(c)
        return self._compare(c, claimed, f, why)

    def _check_ratio(self, c: Claim, claimed: str) -> Verdict:
        f, why = self.change(c, "mom_pct" if c.metric == "ratio_mom" else "yoy_pct")
        if f is not None:
            f = Figure(1 + f.value / 100, 1 + f.low / 100, 1 + f.high / 100,
                       f.basis + " (as a ratio: 1 + change/100)", f.sources, f.note)
        return self._compare(c, claimed, f, why)

    def _check_cumulative(self, c: Claim, claimed: str) -> Verdict:
        f, why = self.cumulative(c)
        return self._compare(c, claimed, f, why)

    def _compare(self, c: Claim, claimed: str, f: Figure | None, why: str) -> Verdict:
        if f is None:
            return Verdict(c, UNVERIFIABLE, claimed, reason=why)
        exact = _overlap(c.exact_low if c.exact_low is not None or c.low is None else c.low,
                         c.exact_high if c.exact_high is not None or c.high is None else c.high, f.low, f.high)
        ok = exact or _overlap(c.low, c.high, f.low, f.high)
        computed = _fmt(f.value, c.metric)
        against = "" if f.basis.startswith(("computed", "observed")) else \
            f"against the figure {f.basis}"
        if ok:
            reason = "within the claim's rounding" if exact else \
                (f"consistent as rounded: {_fmt(c.value, c.metric).lstrip('+')} read at its significant figures "
                 f"({_bound_text(c.low, c.high, c.metric)}) covers {computed}")
            reason += f"; {against}" if against else ""
            return Verdict(c, CONSISTENT, claimed, computed, "", f.basis, _join(reason, f.note), f.sources,
                           rounded=not exact)
        reason = (f"the store gives {computed} ({f.low:,.2f} to {f.high:,.2f} allowing for rounding)"
                  + (f"; {against}" if against else ""))
        return Verdict(c, INCONSISTENT, claimed, computed, _gap(c, f), f.basis, _join(reason, f.note), f.sources)

    def _either(self, c: Claim, claimed: str) -> Verdict:
        results = []
        for metric in ("mom_pct", "yoy_pct"):
            f, why = self.change(c, metric)
            results.append((metric, f, why))
        for metric, f, _ in results:
            if f is not None and _overlap(c.low, c.high, f.low, f.high):
                v = self._compare(c, claimed, f, "")
                v.reason = f"base not stated; matches the {'month-on-month' if metric == 'mom_pct' else 'year-on-year'} change; " + v.reason
                return v
        avail = [(m, f) for m, f, _ in results if f is not None]
        if len(avail) == 2:
            v = self._compare(c, claimed, avail[0][1], "")
            v.computed = f"m/m {_fmt(avail[0][1].value, 'mom_pct')}, y/y {_fmt(avail[1][1].value, 'yoy_pct')}"
            v.reason = "base not stated; matches neither the month-on-month nor the year-on-year change"
            v.sources = avail[0][1].sources + avail[1][1].sources
            return v
        return Verdict(c, UNVERIFIABLE, claimed,
                       reason="base not stated (month or year earlier) and only one of the two changes is "
                              "available: " + "; ".join(why or f"{m}: available" for m, f, why in results))

    def _rank(self, c: Claim, claimed: str) -> Verdict:
        mon = self.monitor(c, c.period)
        rep = self.reported(c, c.partner, c.period, "rank")
        rank = int(c.value)
        if mon is None and not rep:
            return Verdict(c, UNVERIFIABLE, claimed, reason=f"no data: the store has no figures for {c.period}")
        known: dict[str, float] = {}
        world = None
        if mon is not None:
            known = {r["partner"]: float(r["net_weight_t"]) for r in mon["partners"]
                     if r.get("net_weight_t") is not None}
            if mon["world"] and mon["world"].get("net_weight_t") is not None:
                world = float(mon["world"]["net_weight_t"])
        mine = known.get(c.partner)
        sources = []
        if mine is not None:
            bigger = sorted((t, p) for p, t in known.items() if t > mine)
            computed_rank = len(bigger) + 1
            residual = None if world is None else world - sum(known.values())
            certain = residual is not None and residual < mine
            obs = self.observation(c, c.partner, c.period)
            if obs:
                sources.append(self._obs_source(obs))
            for t, p in bigger[-3:]:
                o = self.observation(c, p, c.period)
                if o:
                    sources.append(self._obs_source(o, f"observed ({p})"))
            if rank < computed_rank:
                top = ", ".join(f"{p} {t:,.0f} t" for t, p in reversed(bigger))
                return Verdict(c, INCONSISTENT, claimed, f"#{computed_rank} or lower", f"{rank - computed_rank:+d}",
                               "computed", f"{len(bigger)} destination(s) took more than {c.partner} "
                               f"({mine:,.0f} t): {top}", sources)
            if c.qualifier == AMONG_WITH_FIGURE:
                verdict = CONSISTENT if rank == computed_rank else INCONSISTENT
                return Verdict(c, verdict, claimed, f"#{computed_rank} among {len(known)} with a figure",
                               "" if verdict == CONSISTENT else f"{rank - computed_rank:+d}", "computed",
                               f"the claim ranks among the {len(known)} destinations with a figure, as it says",
                               sources)
            if certain:
                verdict = CONSISTENT if rank == computed_rank else INCONSISTENT
                return Verdict(c, verdict, claimed, f"#{computed_rank}",
                               "" if verdict == CONSISTENT else f"{rank - computed_rank:+d}", "computed",
                               f"destinations without a figure total {residual:,.0f} t, less than "
                               f"{c.partner}'s {mine:,.0f} t, so the rank is certain", sources)
        else:
            computed_rank = None
        if rep:
            f = self._reported_figure(rep)
            verdict = CONSISTENT if int(f.value) == rank else INCONSISTENT
            note = f"against the rank {f.basis}"
            if computed_rank is not None:
                note += (f"; computed #{computed_rank} among the {len(known)} destinations with a figure "
                         "(partner figures do not cover the whole total)")
            return Verdict(c, verdict, claimed, f"#{int(f.value)}",
                           "" if verdict == CONSISTENT else f"{rank - int(f.value):+d}", f.basis, note,
                           f.sources + sources)
        if computed_rank is None:
            return Verdict(c, UNVERIFIABLE, claimed,
                           reason=f"no data: no figure and no reported rank for {c.partner} in {c.period}")
        cover = mon["concentration"].get("coverage_pct") if mon.get("concentration") else None
        return Verdict(c, UNVERIFIABLE, claimed, f"#{computed_rank} among {len(known)} with data", "",
                       "computed", f"destinations with a figure cover {cover}% of the total; destinations "
                       "without one could rank higher", sources)

    def _record(self, c: Claim, claimed: str) -> Verdict:
        series = {r["period"]: float(r["net_weight_t"]) for r in self.flows(c, c.partner)
                  if r["net_weight_t"] is not None}
        cur = series.get(c.period)
        high = c.metric == "record_high"
        word = "higher" if high else "lower"
        if cur is None:
            return Verdict(c, UNVERIFIABLE, claimed,
                           reason=f"no data: no figure for {c.partner} in {c.period}")
        if c.qualifier == OF_MONTHS:
            return self._record_of_months(c, claimed, series, cur, high)
        if c.qualifier == BETWEEN_FIGURES and c.since:
            return self._record_between(c, claimed, series, cur, high)
        if c.since is None and c.window_months:
            since = str(Month.parse(c.period) - c.window_months)
        else:
            since = c.since
        earlier = sorted(p for p in series if p < c.period)
        start = since if since is not None else (earlier[0] if earlier else c.period)
        window = [str(m) for m in Month.parse(start).until(Month.parse(c.period))][1:-1]
        if since is None:
            window = [start] + window if earlier else []
        beats = [p for p in window if p in series and (series[p] >= cur if high else series[p] <= cur)]
        last_beat = max((p for p in earlier if (series[p] > cur if high else series[p] < cur)), default=None)
        truth = f"{'highest' if high else 'lowest'} since {last_beat}" if last_beat else \
            f"{'highest' if high else 'lowest'} of the {len(earlier) + 1} months with a figure"
        src = [self._obs_source(r) for r in [self.observation(c, c.partner, c.period)] if r]
        if beats:
            p = beats[-1]
            return Verdict(c, INCONSISTENT, claimed, truth, "", "computed from observed months",
                           f"{p} was {word} or equal ({series[p]:,.1f} t vs {cur:,.1f} t)", src)
        if since is not None and since in series and (series[since] <= cur if high else series[since] >= cur):
            return Verdict(c, INCONSISTENT, claimed, truth, "", "computed from observed months",
                           f"the claim implies {since} was {word}, but it was {series[since]:,.1f} t "
                           f"vs {cur:,.1f} t", src)
        have = [p for p in window if p in series]
        missing = [p for p in window if p not in series]
        if not window:
            return Verdict(c, UNVERIFIABLE, claimed, truth, "", "",
                           "no earlier month has a figure", src)
        if not have or len(missing) > len(window) / 2:
            return Verdict(c, UNVERIFIABLE, claimed, truth, "", "computed from observed months",
                           f"only {len(have)} of the {len(window)} months in the window have a figure", src)
        note = f"all {len(have)} months with a figure in the window were {'lower' if high else 'higher'}"
        if missing:
            note += f"; no figure for {_span(missing)}"
        if since is not None and since not in series:
            note += f"; {since} has no figure, so it cannot be confirmed it was {word}"
        return Verdict(c, CONSISTENT, claimed, truth, "", "computed from observed months", note, src)


    def _record_of_months(self, c: Claim, claimed: str, series: dict, cur: float, high: bool) -> Verdict:
        """"the highest of the N months with a figure since X": X .. the month, X included."""
        window = [p for p in series if c.since <= p <= c.period]
        others = [p for p in window if p != c.period]
        beaten = [p for p in others if (series[p] >= cur if high else series[p] <= cur)]
        word = "highest" if high else "lowest"
        truth = f"{len(window)} months with a figure from {c.since}" + (f"; {beaten[-1]} was {series[beaten[-1]]:,.1f} t"
                                                                       if beaten else f", {word} of them")
        src = [self._obs_source(r) for r in [self.observation(c, c.partner, c.period)] if r]
        ok = not beaten and len(window) == int(c.value)
        return Verdict(c, CONSISTENT if ok else INCONSISTENT, claimed, truth, "" if ok else
                       f"{int(c.value) - len(window):+d} months" if not beaten else "", "computed from observed months",
                       f"among the months with a figure from {c.since} to {c.period}", src)

    def _record_between(self, c: Claim, claimed: str, series: dict, cur: float, high: bool) -> Verdict:
        """"lowest since X (N months with a figure in between)": the N months with a figure between
        X and the month were all higher (lower), and X itself was not."""
        between = [p for p in series if c.since < p < c.period]
        beaten = [p for p in between if (series[p] >= cur if high else series[p] <= cur)]
        since_ok = c.since not in series or (series[c.since] > cur if high else series[c.since] < cur)
        ok = not beaten and since_ok and len(between) == int(c.value)
        word = "higher" if high else "lower"
        why = (f"{beaten[-1]} was {word} or equal ({series[beaten[-1]]:,.1f} t)" if beaten else
               f"{c.since} was not {word} ({series.get(c.since, 0):,.1f} t)" if not since_ok else
               f"{len(between)} months with a figure between {c.since} and {c.period}")
        return Verdict(c, CONSISTENT if ok else INCONSISTENT, claimed, why, "", "computed from observed months",
                       why + ("; months without a figure are not counted" if ok else ""),
                       [self._obs_source(r) for r in [self.observation(c, c.partner, c.period)] if r])

    # ------------------------------------------------------------------ derived figures
    def change_against(self, c: Claim, base: str) -> tuple[Figure | None, str]:
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

    def span_change(self, c: Claim) -> tuple[Figure | None, str]:
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

    def cumulative(self, c: Claim) -> tuple[Figure | None, str]:
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

    def _check_streak(self, c: Claim, claimed: str) -> Verdict:
        """"the fifth consecutive monthly fall": the last n m/m changes to the claim's month all
        fell (rose), and the one before them did not."""
        n, falling = int(c.value), c.metric == "streak_fall"
        series = {r["period"]: float(r["net_weight_t"]) for r in self.flows(c, c.partner)
                  if r["net_weight_t"] is not None}
        month = Month.parse(c.period)
        run = 0
        while True:
            cur, prev = series.get(str(month - run)), series.get(str(month - run - 1))
            if cur is None or prev is None:
                break
            if not ((cur < prev) if falling else (cur > prev)):
                break
            run += 1
        word = "falls" if falling else "rises"
        gap_month = str(month - run) if str(month - run) not in series else str(month - run - 1)
        ended = str(month - run) in series and str(month - run - 1) in series   # the run met a month that broke it
        truth = f"{run} consecutive monthly {word}"
        if run == n and ended:
            return Verdict(c, CONSISTENT, claimed, truth, "", "computed from observed months",
                           f"the {n} months to {c.period} each {'fell' if falling else 'rose'}, and the month "
                           "before them did not")
        if run > n or ended:
            return Verdict(c, INCONSISTENT, claimed, truth, f"{n - run:+d}", "computed from observed months",
                           f"the run of monthly {word} to {c.period} is {run} long")
        return Verdict(c, UNVERIFIABLE, claimed, truth, "", "computed from observed months",
                       f"{run} consecutive monthly {word} to {c.period}, then {gap_month} has no figure")

    _RULES = {
        "net_weight_t": _check_level, "value_usd": _check_level,
        "mom_pct": _check_change, "yoy_pct": _check_change, "change_pct": _check_unstated_change,
        "share_pct": _check_share, "ratio_mom": _check_ratio, "ratio_yoy": _check_ratio,
        "rank": lambda self, c, claimed: self._rank(c, claimed),
        "record_high": lambda self, c, claimed: self._record(c, claimed),
        "record_low": lambda self, c, claimed: self._record(c, claimed),
        "cumulative_t": _check_cumulative, "streak_fall": _check_streak, "streak_rise": _check_streak,
    }


def _as_observation(row: dict | None, column: str) -> dict | None:
    """A chosen figure as a flows-like row: the measure's own provenance under the flows names."""
    if row is None:
        return None
    prefix = figures.MEASURES[column]
    out = {k: row[k] for k in figures.KEY_COLUMNS}
    out.update(net_weight_t=row["net_weight_t"], value_usd=row["value_usd"])
    out.update({p: row[f"{prefix}_{p}"] for p in figures.PROVENANCE})
    return out


_SCOPE_WORDS = {"scenario": "a modelled scenario", "forecast": "a forecast or expectation",
                "price": "prices", "other commodity": "another commodity (not rare-earth magnets)",
    "importer-side figure": "an importer's own statistics (compare them with `magwatch mirror`; the checker "
                            "reads China's export series)"}


def _bound_text(low: float | None, high: float | None, metric: str) -> str:
    if low is None:
        return f"up to {_fmt(high, metric)}"
    if high is None:
        return f"from {_fmt(low, metric)}"
    return f"{_fmt(low, metric)} to {_fmt(high, metric)}"


def _gap(c: Claim, f: Figure) -> str:
    if c.value is None:
        return ""
    d = c.value - f.value
    if c.metric in ("mom_pct", "yoy_pct", "change_pct", "share_pct"):
        return f"{d:+,.1f} points"
    if c.metric.startswith("ratio"):
        return f"{d:+.2f}x"
    if f.value:
        return f"{d:+,.2f} ({d / f.value * 100:+.1f}%)"
    return ""


def _span(months: list[str]) -> str:
    if len(months) <= 3:
        return ", ".join(months)
    return f"{len(months)} months ({months[0]} .. {months[-1]})"


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a and b else a or b


def check_text(handle, text: str, *, as_of: str | dt.date | None = None, month: str | None = None,
               checker: Checker | None = None) -> list[Verdict]:
    """Extract every claim from ``text`` and check each against the store behind ``handle``.

    ``as_of`` is when the text was published and ``month`` the month it is about when it does
    not say (see :func:`magwatch.report.claims.extract`). Pass a :class:`Checker` to reuse its
    lookups across texts.
    """
    checker = checker or Checker(handle)
    claims = extract(text, as_of=as_of, month=month, known_months=checker.known_months())
    return [checker.check(c) for c in claims]


def verdict_table(verdicts: list[Verdict]) -> pa.Table:
    rows = [v.as_dict() for v in verdicts]
    return pa.Table.from_pylist(rows, schema=VERDICT_SCHEMA)


__all__ = ["CONSISTENT", "INCONSISTENT", "NOT_CHECKED", "UNVERIFIABLE", "Checker", "Figure", "Verdict",
           "check_text", "verdict_table"]
