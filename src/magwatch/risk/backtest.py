"""Back-test: the April 2025 licensing scenario with only what was known before April 2025.

The scenario file ``scenarios/backtest-2025-04.toml`` takes its baseline from
observations whose vintage is on or before 2025-04-03 (the day before MOFCOM
Announcement No.18) and otherwise only the licence rules announced with it; sizes
nobody knew yet (the cut, inventories) are wide priors stated in the file. The
comparison then reads what happened from the store and the bundled disruption
reports: a hit is an observation inside the P10-P90 band (or a first reported
stoppage inside the predicted P10-P90 run-out window); everything else is a miss.
"""

from __future__ import annotations

import numpy as np

from magwatch.analytics.reader import Reader
from magwatch.periods import Month
from magwatch.analytics import figures
from magwatch.risk import scenario as scenario_mod
from magwatch.risk.citations import reference_rows

BACKTEST = "backtest-2025-04"
#: First reported stoppage or production cut per importer, as (region, kinds).
OUTCOME_REGIONS = {"USA": ("USA",), "EUU": ("EU", "DEU"), "JPN": ("JPN",), "IND": ("IND",)}


def _observed(handle: Reader, month: str) -> dict | None:
    """China's world magnet exports in ``month``: the figure :mod:`magwatch.analytics.figures`
    chooses (None without one)."""
    return figures.figure(handle, reporter="CHN", partner="WLD", flow="X", period=month,
                          commodity=scenario_mod.BASELINE_COMMODITY)


def backtest(handle: Reader, *, paths: int = 20_000, seed: int = 0) -> dict:
    scn = scenario_mod.resolve(BACKTEST, handle)
    model = scn.model
    sim = scenario_mod.simulate(model, paths, seed)
    d = scenario_mod.draw(model, paths, seed)
    level = scenario_mod.supply_level(model, d, slice(0, paths))
    labels = scn.months()
    exports = []
    w = model.importers.index("WLD")
    for t, month in enumerate(labels[:3]):
        predicted = model.baseline[w] * level[:, w, t]
        p10, p50, p90 = np.quantile(predicted, scenario_mod.QUANTILES)
        obs = _observed(handle, month)
        row = {"check": f"China world exports {month}", "predicted_p10": float(p10), "predicted_p50": float(p50),
               "predicted_p90": float(p90), "observed": obs["net_weight_t"] if obs else None,
               "unit": "t", "observed_source": f"{obs['source_file']} row {obs['source_row']}"
               if obs else "no data"}
        row["outcome"] = "no data" if obs is None else (
            "hit" if p10 <= obs["net_weight_t"] <= p90 else
            "miss (observed above band)" if obs["net_weight_t"] > p90 else "miss (observed below band)")
        exports.append(row)
    claims = figures.chosen_claims(handle, partner="WLD", metric="yoy_pct", start="2025-05",
                                   end="2025-05").to_pylist()
    if claims:
        exports.append({"check": "reported May 2025 y/y (against May 2024, a base not in the data)",
                        "observed": claims[0]["value"], "unit": "% y/y",
                        "observed_source": claims[0]["source_url"], "outcome": "context only: the "
                        "model predicts against its Jul-Oct 2024 baseline, not May 2024"})
    disruptions = reference_rows("downstream_disruptions", handle)
    onsets = []
    for imp, regions in OUTCOME_REGIONS.items():
        if imp not in model.importers:
            continue
        i = model.importers.index(imp)
        s = model.sectors.index("conventional_vehicles")
        tts = sim.tts[:, i, s]
        lo, mid, hi = np.quantile(tts, scenario_mod.QUANTILES)
        first = None
        for n, r in disruptions.numbered():
            if r["region_or_country"] in regions and r["kind"] in ("stoppage", "cut") and \
                    r["sector"].startswith("automotive"):
                if first is None or r["date"] < first[1]["date"]:
                    first = (n, r)
        observed_month = None
        outcome = "no data: no stoppage or cut reported"
        if first:
            date = first[1]["date"]
            observed_month = Month.parse(date[:7], "date") - Month.of(scn.start)
            day = int(date[8:10]) if len(date) >= 10 else 15
            observed_month += (day - 1) / 30.0
            outcome = "hit" if lo <= observed_month <= hi + 1e-9 else (
                "miss (reported later than predicted)" if observed_month > hi
                else "miss (reported earlier than predicted)")
        onsets.append({"check": f"{imp} automotive: first run-out (months after 2025-04-01)",
                       "predicted_p10": float(lo), "predicted_p50": float(mid), "predicted_p90": float(hi),
                       "observed": observed_month, "unit": "months",
                       "observed_source": (f"{disruptions.file} row {first[0]}: {first[1]['date']} "
                                           f"{first[1]['company_or_body']}") if first else "no data",
                       "outcome": outcome})
    return {"scenario": scn.name, "paths": paths, "seed": seed,
            "inputs": [c.as_row() for c in scn.inputs], "checks": exports + onsets}


__all__ = ["backtest"]
