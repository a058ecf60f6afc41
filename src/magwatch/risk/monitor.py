"""The monthly risk view behind ``magwatch risk --month``: dependence, concentration, indices.

Indices are fed from the bundled ``risk_inputs.csv`` and ``market_structure.csv``. When a
required input is not in the data the index is reported as not computed, naming the
missing input; where every missing term only adds non-negative amounts, a lower bound
computed from the inputs that exist is shown beside it, labelled as a bound.
"""

from __future__ import annotations

from magwatch.analytics.reader import Reader
from magwatch.errors import ParameterError
from magwatch.periods import Month
from magwatch.risk import dependence
from magwatch.risk.citations import Cited, number, reference_rows
from magwatch.risk.indices import (
    INDICES, MissingInput, hhi_bounds, hhi_wgi_t, wgi_0_10,
)

LREE = {"Lanthanum", "Cerium", "Praseodymium", "Neodymium", "Samarium"}
WGI_DIMENSIONS = ("VA", "PV", "GE", "RQ", "RL", "CC")


def _risk_rows(handle: Reader | None):
    return reference_rows("risk_inputs", handle)


def wgi_scores(handle: Reader | None = None, year: str = "2019") -> tuple[dict[str, float], Cited]:
    """Mean of the six WGI estimates per country, rescaled to 0..10 (10 = poorest)."""
    ref = _risk_rows(handle)
    values: dict[str, dict[str, float]] = {}
    rows = []
    for n, r in ref.numbered():
        if r["assessment"] == "WGI" and r["year"] == year and r["parameter"].endswith("_estimate"):
            values.setdefault(r["material"], {})[r["parameter"][4:6]] = float(r["value"])
            rows.append(n)
    scores = {c: wgi_0_10(sum(v.values()) / 6) for c, v in values.items() if len(v) == 6}
    cite = Cited("WGI", {c: round(s, 3) for c, s in scores.items()}, "0..10 (10 = poorest)",
                 "computed", ref.file, (min(rows), max(rows)) if rows else (), None,
                 f"WGI {year} (2020 release via DW): mean of the six estimates, rescaled "
                 "(2.5 - mean)/5*10; rows give the first and last row read")
    return scores, cite


def eu_sr_inputs(material: str, handle: Reader | None = None) -> dict[str, Cited]:
    """EU SR inputs for one material from risk_inputs.csv; absent inputs are simply absent."""
    ref = _risk_rows(handle)

    def param(assessment, mat, name):
        found = ref.find(assessment=assessment, material=mat, parameter=name)
        return found[0] if found else (None, None)

    inputs: dict[str, Cited] = {}
    n, stage = param("EU_CRM_2023", material, "bottleneck_stage")
    if stage is None:
        raise ParameterError("material", f"{material!r} has no EU_CRM_2023 rows in {ref.file}")
    stage_name = stage["value"].lower()
    for key, pname, scale in (("IR", f"IR_{stage_name}", 100.0), ("EoL_RIR", "EoL_RIR", 100.0),
                              ("SI_SR", "SI_SR", 1.0)):
        m, row = param("EU_CRM_2023", material, pname)
        if row is not None and number(row["value"]) is not None:
            inputs[key] = Cited(key, number(row["value"]) / scale, "fraction", "reported", ref.file,
                                (m,), row["source_url"], f"{pname} of the 2023 EU CRM study")
    m, row = param("EU_CRM_2023", material, f"supply_mix_used_{stage_name}")
    if row is not None:
        inputs["supply_mix"] = Cited("supply_mix", row["value"], "", "reported", ref.file, (m,),
                                     row["source_url"], f"bottleneck stage {stage['value']} (row {n})")
    group = "LREE" if material in LREE or material == "LREE" else "HREE"
    shares = {}
    share_rows = []
    for m, r in ref.numbered():
        if r["assessment"] == "EU_CRM_2020" and r["material"] == group and \
                r["parameter"].startswith("share_") and r["parameter"] != "share_listed_total":
            shares[r["parameter"][6:]] = float(r["value"]) / 100.0
            share_rows.append(m)
    if shares:
        inputs["shares_GS"] = Cited("shares_GS", shares, "fraction of global supply", "reported",
                                    ref.file, tuple(share_rows), None,
                                    f"EU CRM 2020 {group} shares (DW copy; whole %, stage not stated; "
                                    "not the 2023 bottleneck-stage mix)")
    scores, cite = wgi_scores(handle)
    inputs["WGI"] = cite.__class__(**{**cite.__dict__, "value": scores})
    t_rows = ref.find(assessment="EU_CRM_2023", material=group, parameter="t_listed")
    if t_rows:
        inputs["t"] = Cited("t", {}, "trade parameter", "assumption", ref.file, (t_rows[0][0],), None,
                            "t = 1 for every supplier: CritMAT lists no non-default t for this "
                            "group (implied, not stated)")
    return inputs


def eu_sr_row(material: str, handle: Reader | None = None) -> dict:
    inputs = eu_sr_inputs(material, handle)
    plugin = INDICES["eu_sr"]
    try:
        result = plugin.compute(inputs)
        return {"index": "EU_SR", "subject": material, "value": result.value, "lower_bound": None,
                "status": "computed", "formula": plugin.formula,
                "inputs": [c.as_row() for c in result.inputs]}
    except MissingInput as exc:
        missing = [str(exc)]
    bound, bound_note = None, None
    if all(k in inputs for k in ("shares_GS", "IR", "EoL_RIR", "SI_SR", "supply_mix")):
        wgi = inputs["WGI"].value
        covered = {c: s for c, s in inputs["shares_GS"].value.items() if c in wgi}
        left_out = sorted(set(inputs["shares_GS"].value) - set(covered))
        gs = hhi_wgi_t(covered, wgi)
        ir = inputs["IR"].value
        eus_part = gs * (1 - ir / 2) if inputs["supply_mix"].value == "GSonly" else 0.0
        bound = (gs * ir / 2 + eus_part) * (1 - inputs["EoL_RIR"].value) * inputs["SI_SR"].value
        bound_note = (f"lower bound: suppliers without a WGI score left out ({', '.join(left_out)}: "
                      f"{100 * sum(inputs['shares_GS'].value[c] for c in left_out):.0f}% of supply)"
                      + ("; EU-sourcing term left out (no EU sourcing shares in the data)"
                         if inputs["supply_mix"].value == "GS+EU" else ""))
    return {"index": "EU_SR", "subject": material, "value": None, "lower_bound": bound,
            "status": "not computed: " + "; ".join(missing), "note": bound_note,
            "formula": plugin.formula, "inputs": [c.as_row() for c in inputs.values()]}


def geopolrisk_rows(handle: Reader | None = None) -> list[dict]:
    """GeoPolRisk: the library's worked case from risk_inputs.csv, and the US magnet bound."""
    ref = _risk_rows(handle)
    out = []
    case = {r["parameter"]: (n, r) for n, r in ref.numbered() if r["assessment"] == "GeoPolRisk_test"}
    if case:
        def c(name, key):
            n, r = case[key]
            return Cited(name, float(r["value"]), r["unit"], "reported", ref.file, (n,), r["source_url"])
        inputs = {"HHI_production": c("HHI_production", "HHI_global_production"),
                  "weighted_imports": c("weighted_imports", "import_numerator_sum_g_i_f_i"),
                  "total_imports": c("total_imports", "total_imports_USA"),
                  "domestic_production": c("domestic_production", "domestic_production_USA")}
        res = INDICES["geopolrisk_weighted"].compute(inputs)
        out.append({"index": "GeoPolRisk", "subject": "natural graphite, USA 2022 (geopolrisk-py test case)",
                    "value": res.value, "lower_bound": None, "status": "computed",
                    "formula": res.formula, "inputs": [x.as_row() for x in res.inputs]})
    # US sintered NdFeB, Q1 2025: only the China term is known (values, not tonnes)
    imports = reference_rows("partner_imports_monthly", handle)
    chn = imports.find(period="2025-Q1", importer="USA", exporter="CHN",
                       code_scope="HTS 8505110070 (sintered NdFeB)")
    wld = imports.find(period="2025-Q1", importer="USA", exporter="WLD",
                       code_scope="HTS 8505110070 (sintered NdFeB)")
    g = ref.find(assessment="WGI_PV_geopolrisk", year="2022", material="CHN",
                 parameter="WGI_PV_geopolrisk_normalized")
    market = reference_rows("market_structure", handle)
    magnets = market.find(metric="china_share_permanent_magnet_manufacturing_pct")
    if chn and wld and g and magnets:
        f_chn, total = float(chn[0][1]["value_usd"]), float(wld[0][1]["value_usd"])
        g_chn = float(g[0][1]["value"])
        s = float(magnets[0][1]["value"]) / 100.0
        low, _ = hhi_bounds({"CHN": s})
        bound = low * g_chn * f_chn / total
        out.append({"index": "GeoPolRisk", "subject": "sintered NdFeB magnets, USA 2025-Q1",
                    "value": None, "lower_bound": bound,
                    "status": "not computed: missing input g_i and f_i for non-Chinese suppliers "
                              "(the source gives only the China and world totals)",
                    "note": "lower bound: China term only, HHI_prod >= s_CHN^2; import values "
                            "(USD) stand in for quantities",
                    "formula": INDICES["geopolrisk"].formula,
                    "inputs": [
                        Cited("f_CHN", f_chn, "USD", "reported", imports.file, (chn[0][0],),
                              chn[0][1]["source_url"]).as_row(),
                        Cited("F", total, "USD", "reported", imports.file, (wld[0][0],),
                              wld[0][1]["source_url"]).as_row(),
                        Cited("g_CHN", g_chn, "0..1", "reported", ref.file, (g[0][0],),
                              g[0][1]["source_url"], "WGI political stability 2022, normalised").as_row(),
                        Cited("HHI_production_min", low, "0..1", "computed", market.file,
                              (magnets[0][0],), magnets[0][1]["source_url"],
                              f"China {s:.0%} of magnet manufacturing squared; other producers "
                              "not split").as_row()]})
    return out


def risk_report(handle: Reader, month: str | None = None) -> dict:
    """Dependence, concentration and index rows as known for ``month`` (default: latest)."""
    if month is None:
        rows = handle.flows(reporter="CHN", flow="X", partner="WLD").to_pylist()
        month = max((r["period"] for r in rows if r["net_weight_t"] is not None), default=None)
        if month is None:
            from magwatch.errors import NoDataError

            raise NoDataError("no China export observations in the store: run `magwatch load`")
    at = Month.parse(month, "month")
    return {
        "month": str(at),
        "exports_by_partner": dependence.export_shares(handle, str(at)),
        "importer_dependence": dependence.importer_dependence(handle, at.year),
        "china_stage_shares": dependence.china_stage_shares(handle),
        "indices": [eu_sr_row("Neodymium", handle), eu_sr_row("Dysprosium", handle),
                    *(r for r in geopolrisk_rows(handle) if is_magnet_subject(r["subject"]))],
    }


def is_magnet_subject(subject: str) -> bool:
    """Whether an index row is about magnets or a magnet element (the library's natural-graphite
    test case is kept out of the monthly view; it stays in the tests and docs/risk.md)."""
    words = subject.lower()
    return any(w in words for w in ("magnet", "ndfeb", "neodymium", "dysprosium", "terbium",
                                    "praseodymium", "samarium"))


__all__ = ["eu_sr_inputs", "eu_sr_row", "geopolrisk_rows", "risk_report", "wgi_scores"]
