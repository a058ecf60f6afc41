"""Dependence and concentration: who depends on China for magnets, and how concentrated supply is.

* Importer side: China's share of each importer's magnet imports, from partner-side
  figures where the bundled data has them (reported share, or CHN/WLD values of the
  same period and scope, computed); importers without such figures are absent, not guessed.
* Supplier HHI per importer: only China's share is known, so the HHI is a range:
  s^2 (rest spread thinly) to s^2 + (1-s)^2 (rest one supplier).
* China's share of world supply by stage (mining, separation/refining, metal, magnets)
  from market_structure.csv; a stage without a figure says "no data".
* Monthly: each partner's share of China's exports in a month (computed from observations).
"""

from __future__ import annotations

from magwatch.analytics import figures
from magwatch.analytics.reader import Reader
from magwatch.codes import MAGNET_LINE, name as country_name
from magwatch.risk.citations import number, reference_rows
from magwatch.risk.indices import hhi_bounds

STAGES = (
    ("mining", "china_share_RE_mining_pct"),
    ("separation", "china_share_RE_separation_pct"),
    ("refining", "china_share_RE_refining_pct"),
    ("metal", None),
    ("magnets", "china_share_permanent_magnet_manufacturing_pct"),
)


def _year(period: str) -> int:
    return int(period[:4])


def importer_dependence(handle: Reader | None = None, year: int | None = None) -> list[dict]:
    """Latest China share of each importer's magnet imports per reported scope, up to ``year``."""
    ref = reference_rows("partner_imports_monthly", handle)
    best: dict[str, dict] = {}
    for n, r in ref.numbered():
        period = r["period"]
        y = _year(period.split("/")[-1])
        if year is not None and y > year:
            continue
        share = number(r["exporter_share_pct_reported"])
        kind = "reported"
        how = "exporter share as reported"
        if r["exporter"] == "CHN" and share is None and number(r["value_usd"]) is not None:
            total = [(m, t) for m, t in ref.numbered() if t["importer"] == r["importer"]
                     and t["exporter"] == "WLD" and t["period"] == period
                     and t["code_scope"] == r["code_scope"] and number(t["value_usd"])]
            if total:
                m, t = total[0]
                share = 100.0 * number(r["value_usd"]) / number(t["value_usd"])
                kind, how = "computed", f"value from CHN / value from WLD (rows {n} and {m})"
        if share is None:
            continue
        key = (r["importer"], r["code_scope"])
        if key not in best or y >= best[key]["year"]:
            low, high = hhi_bounds({"CHN": share / 100.0})
            best[key] = {"importer": r["importer"], "importer_name": country_name(r["importer"]),
                         "year": y, "period": period, "china_share_pct": share,
                         "hhi_low": low, "hhi_high": high, "kind": kind, "how": how,
                         "scope": r["code_scope"], "where": f"{ref.file} row {n}",
                         "source_url": r["source_url"]}
    return sorted(best.values(), key=lambda row: -row["china_share_pct"])


def china_stage_shares(handle: Reader | None = None) -> list[dict]:
    ref = reference_rows("market_structure", handle)
    out = []
    for stage, metric in STAGES:
        found = ref.find(metric=metric) if metric else []
        if not found:
            out.append({"stage": stage, "china_share_pct": None, "year": None, "kind": "no data",
                        "where": "no figure in market_structure.csv", "source_url": None})
            continue
        n, r = max(found, key=lambda item: item[1]["year"])
        out.append({"stage": stage, "china_share_pct": float(r["value"]), "year": int(r["year"]),
                    "kind": "reported", "where": f"{ref.file} row {n}", "source_url": r["source_url"],
                    "note": r["note"]})
    return out


def export_shares(handle: Reader, month: str) -> list[dict]:
    """Partner shares of China's magnet exports in ``month`` (computed; partners observed only)."""
    rows = figures.chosen(handle, reporter="CHN", commodity=MAGNET_LINE, flow="X", start=month,
                          end=month).to_pylist()
    primary = {r["partner"]: {"net_weight_t": r["net_weight_t"], "source_file": r["weight_source_file"],
                              "source_row": r["weight_source_row"], "source_url": r["weight_source_url"]}
               for r in rows if r["net_weight_t"] is not None}
    world = primary.get("WLD")
    out = []
    for partner, r in sorted(primary.items(), key=lambda kv: -kv[1]["net_weight_t"]):
        if partner == "WLD":
            continue
        share = 100.0 * r["net_weight_t"] / world["net_weight_t"] if world else None
        out.append({"partner": partner, "net_weight_t": r["net_weight_t"], "share_of_world_pct": share,
                    "kind": "computed" if world else "no data (world total not released)",
                    "where": f"{r['source_file']} rows {r['source_row']}"
                             + (f",{world['source_row']}" if world else ""),
                    "source_url": r["source_url"]})
    return out


__all__ = ["china_stage_shares", "export_shares", "importer_dependence"]
