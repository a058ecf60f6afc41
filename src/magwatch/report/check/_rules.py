"""The verdict rules: one per claim metric, each comparing the claim's interval with the store's."""

from __future__ import annotations

from magwatch.periods import Month
from magwatch.report.check import _unit_values as unit_values
from magwatch.report.check._lookup import Lookup
from magwatch.report.check._verdict import (CONSISTENT, INCONSISTENT, NOT_CHECKED, UNVERIFIABLE, Figure, Verdict,
                                            _SCOPE_WORDS, _bound_text, _claimed_text, _fmt, _gap, _join,
                                            _overlap, _span)
from magwatch.report.claims import AMONG_WITH_FIGURE, BETWEEN_FIGURES, OF_MONTHS, TextClaim


class Checker(Lookup):
    """Checks claims against one store; caches per-month lookups (:class:`Lookup`)."""

    def check(self, c: TextClaim) -> Verdict:
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

    def _check_level(self, c: TextClaim, claimed: str) -> Verdict:
        f, why = self.level(c, c.metric)
        return self._compare(c, claimed, f, why)

    def _check_change(self, c: TextClaim, claimed: str) -> Verdict:
        f, why = self.change(c, c.metric)
        return self._compare(c, claimed, f, why)

    def _check_unstated_change(self, c: TextClaim, claimed: str) -> Verdict:
        if c.base_period is not None:
            f, why = self.change_against(c, c.base_period)
            return self._compare(c, claimed, f, why)
        return self._either(c, claimed)

    def _check_share(self, c: TextClaim, claimed: str) -> Verdict:
        f, why = self.share(c)
        return self._compare(c, claimed, f, why)

    def _check_ratio(self, c: TextClaim, claimed: str) -> Verdict:
        f, why = self.change(c, "mom_pct" if c.metric == "ratio_mom" else "yoy_pct")
        if f is not None:
            f = Figure(1 + f.value / 100, 1 + f.low / 100, 1 + f.high / 100,
                       f.basis + " (as a ratio: 1 + change/100)", f.sources, f.note)
        return self._compare(c, claimed, f, why)

    def _check_cumulative(self, c: TextClaim, claimed: str) -> Verdict:
        f, why = self.cumulative(c)
        return self._compare(c, claimed, f, why)

    def _compare(self, c: TextClaim, claimed: str, f: Figure | None, why: str) -> Verdict:
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

    def _either(self, c: TextClaim, claimed: str) -> Verdict:
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

    def _rank(self, c: TextClaim, claimed: str) -> Verdict:
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

    def _record(self, c: TextClaim, claimed: str) -> Verdict:
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


    def _record_of_months(self, c: TextClaim, claimed: str, series: dict, cur: float, high: bool) -> Verdict:
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

    def _record_between(self, c: TextClaim, claimed: str, series: dict, cur: float, high: bool) -> Verdict:
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

    def _check_streak(self, c: TextClaim, claimed: str) -> Verdict:
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

    def _check_unit_value(self, c: TextClaim, claimed: str) -> Verdict:
        if c.metric == "unit_value_change_pct":
            return self._unit_value_either(c, claimed)
        if c.metric == "unit_value_usd_kg":
            f, why = unit_values.level(self, c)
        else:
            f, why = unit_values.change(self, c, c.metric)
        return self._compare(c, claimed, f, why)

    def _unit_value_either(self, c: TextClaim, claimed: str) -> Verdict:
        """A unit value's change whose base the text does not state: its m/m or its y/y."""
        found = [(m, *unit_values.change(self, c, m)) for m in ("unit_value_mom_pct", "unit_value_yoy_pct")]
        for metric, f, _ in found:
            if f is not None and _overlap(c.low, c.high, f.low, f.high):
                v = self._compare(c, claimed, f, "")
                word = "month-on-month" if metric == "unit_value_mom_pct" else "year-on-year"
                v.reason = f"base not stated; matches the unit value's {word} change; " + v.reason
                return v
        if all(f is not None for _, f, _ in found):
            v = self._compare(c, claimed, found[0][1], "")
            v.reason = "base not stated; matches neither the unit value's m/m nor its y/y change"
            return v
        return Verdict(c, UNVERIFIABLE, claimed, reason="base not stated (month or year earlier) and "
                       "the store does not give both of the unit value's changes: "
                       + "; ".join(why or f"{m}: available" for m, f, why in found))

    _RULES = {
        "net_weight_t": _check_level, "value_usd": _check_level,
        "unit_value_usd_kg": _check_unit_value, "unit_value_mom_pct": _check_unit_value,
        "unit_value_yoy_pct": _check_unit_value, "unit_value_change_pct": _check_unit_value,
        "mom_pct": _check_change, "yoy_pct": _check_change, "change_pct": _check_unstated_change,
        "share_pct": _check_share, "ratio_mom": _check_ratio, "ratio_yoy": _check_ratio,
        "rank": lambda self, c, claimed: self._rank(c, claimed),
        "record_high": lambda self, c, claimed: self._record(c, claimed),
        "record_low": lambda self, c, claimed: self._record(c, claimed),
        "cumulative_t": _check_cumulative, "streak_fall": _check_streak, "streak_rise": _check_streak,
    }
