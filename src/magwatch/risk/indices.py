"""Supply-risk indices with their published formulas, as pluggable modules.

Each index is a :class:`RiskIndex`: it names its formula and its required inputs and
computes from a mapping of :class:`~magwatch.risk.citations.Cited` inputs, so every
result lists the inputs it used and where each came from. A required input that
is absent raises :class:`MissingInput` naming it; nothing is silently defaulted.

Formulas (docs/risk.md; shared/docs/anchors.md section 4):

* HHI = sum_i s_i^2 with shares as fractions (0..1); DOJ/FTC Merger Guidelines 2023.
* EU CRM supply risk (EC 2017 Guidelines, doi:10.2873/769526; JRC doi:10.2760/73303):
  SR = [HHI_WGI,t(GS) * IR/2 + HHI_WGI,t(EUS) * (1 - IR/2)] * (1 - EoL_RIR) * SI_SR,
  HHI_WGI,t = sum_c S_c^2 * WGI_c * t_c, WGI_c on 0..10 (10 = poorest governance).
  When the assessment used global supply only (``GSonly``) the EUS term is HHI_WGI,t(GS).
* GeoPolRisk (geopolrisk-py): GPR = HHI_prod * sum_i(g_i * f_i) / (F + p).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from magwatch.errors import InputError, ParameterError
from magwatch.risk.citations import Cited

SHARE_TOLERANCE = 1e-6


class MissingInput(InputError):
    """A required index input is absent; the message names it and what was looked for."""

    def __init__(self, index: str, name: str, detail: str = "") -> None:
        self.index = index
        self.input = name
        super().__init__(f"{index}: missing input {name}" + (f" ({detail})" if detail else ""),
                         field=name)


def _check_shares(shares: Mapping[str, float], what: str) -> None:
    total = 0.0
    for key, s in shares.items():
        if s is None or not math.isfinite(s) or s < 0 or s > 1 + SHARE_TOLERANCE:
            raise ParameterError(what, f"share of {key} must be a fraction 0..1, got {s!r}")
        total += s
    if total > 1 + 1e-4:
        raise ParameterError(what, f"shares sum to {total:.4f} > 1")


def hhi(shares: Mapping[str, float]) -> float:
    """Herfindahl-Hirschman index of fractional shares (0..1; x10,000 for the points scale)."""
    _check_shares(shares, "shares")
    return sum(s * s for s in shares.values())


def hhi_bounds(known: Mapping[str, float]) -> tuple[float, float]:
    """HHI range when only some shares are known and the rest (1 - sum) is unsplit.

    Lowest when the rest is spread over infinitely many small suppliers (sum s^2);
    highest when it is one supplier (sum s^2 + rest^2).
    """
    _check_shares(known, "shares")
    rest = max(0.0, 1.0 - sum(known.values()))
    base = sum(s * s for s in known.values())
    return base, base + rest * rest


def hhi_wgi_t(shares: Mapping[str, float], wgi: Mapping[str, float],
              trade: Mapping[str, float] | None = None) -> float:
    """sum_c S_c^2 * WGI_c * t_c; a supplier without a WGI score is an error naming it."""
    _check_shares(shares, "shares")
    total = 0.0
    for country, s in shares.items():
        if country not in wgi:
            raise MissingInput("HHI_WGI,t", f"WGI_{country}", "governance score 0..10")
        t = 1.0 if trade is None else trade.get(country, 1.0)
        total += s * s * wgi[country] * t
    return total


def wgi_0_10(mean_estimate: float) -> float:
    """Rescale a WGI estimate (-2.5 best-worst 2.5 reversed) to 0..10, 10 = poorest governance."""
    return (2.5 - mean_estimate) / 5.0 * 10.0


def eu_supply_risk(*, hhi_gs: float, ir: float, eol_rir: float, si_sr: float,
                   hhi_eus: float | None = None, supply_mix: str = "GS+EU") -> float:
    """EU CRM supply risk from its terms (IR, EoL_RIR and SI_SR as fractions 0..1)."""
    for name, v in (("IR", ir), ("EoL_RIR", eol_rir), ("SI_SR", si_sr)):
        if v is None or not 0 <= v <= 1:
            raise ParameterError(name, f"expected a fraction 0..1, got {v!r}")
    if supply_mix == "GSonly":
        eus = hhi_gs
    elif supply_mix == "GS+EU":
        if hhi_eus is None:
            raise MissingInput("EU_SR", "HHI_WGI_t_EUS", "EU sourcing shares by country")
        eus = hhi_eus
    else:
        raise ParameterError("supply_mix", f"expected GS+EU or GSonly, got {supply_mix!r}")
    return (hhi_gs * ir / 2 + eus * (1 - ir / 2)) * (1 - eol_rir) * si_sr


def geopolrisk(*, hhi_production: float, weighted_imports: float, total_imports: float,
               domestic_production: float) -> float:
    """GeoPolRisk = HHI * sum(g_i f_i) / (F + p)."""
    denominator = total_imports + domestic_production
    if denominator <= 0:
        raise ParameterError("total_imports", "total imports plus domestic production must be > 0")
    return hhi_production * weighted_imports / denominator


@dataclass
class IndexResult:
    index: str
    value: float
    formula: str
    inputs: list[Cited] = field(default_factory=list)
    kind: str = "computed"
    note: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {"index": self.index, "value": self.value, "kind": self.kind,
                "formula": self.formula, "note": self.note,
                "inputs": [c.as_row() for c in self.inputs]}


class RiskIndex(ABC):
    """Base of a pluggable index: ``required`` inputs, ``formula`` text, ``evaluate``."""

    name: str = ""
    formula: str = ""
    required: tuple[str, ...] = ()

    def compute(self, inputs: Mapping[str, Cited]) -> IndexResult:
        for name in self.required_for(inputs):
            if name not in inputs or inputs[name].value is None:
                raise MissingInput(self.name, name)
        value = self.evaluate({k: v.value for k, v in inputs.items()})
        used = [inputs[k] for k in self.required_for(inputs)]
        return IndexResult(self.name, value, self.formula, used)

    def required_for(self, inputs: Mapping[str, Cited]) -> tuple[str, ...]:
        return self.required

    @abstractmethod
    def evaluate(self, values: Mapping[str, Any]) -> float:
        """The index value from plain input values (each subclass gives its formula)."""


class EUSupplyRisk(RiskIndex):
    name = "EU_SR"
    formula = ("SR = [HHI_WGI,t(GS)*IR/2 + HHI_WGI,t(EUS)*(1-IR/2)] * (1-EoL_RIR) * SI_SR; "
               "HHI_WGI,t = sum S_c^2*WGI_c*t_c")
    required = ("shares_GS", "WGI", "IR", "EoL_RIR", "SI_SR", "supply_mix")

    def required_for(self, inputs):
        mix = inputs.get("supply_mix")
        extra = ("shares_EUS",) if mix is not None and mix.value == "GS+EU" else ()
        return self.required + extra + (("t",) if "t" in inputs else ())

    def evaluate(self, v):
        trade = v.get("t")
        gs = hhi_wgi_t(v["shares_GS"], v["WGI"], trade)
        eus = hhi_wgi_t(v["shares_EUS"], v["WGI"], trade) if v["supply_mix"] == "GS+EU" else None
        return eu_supply_risk(hhi_gs=gs, hhi_eus=eus, ir=v["IR"], eol_rir=v["EoL_RIR"],
                              si_sr=v["SI_SR"], supply_mix=v["supply_mix"])


class GeoPolRisk(RiskIndex):
    name = "GeoPolRisk"
    formula = "GPR = HHI_prod * sum_i(g_i * f_i) / (F + p)"
    required = ("HHI_production", "g", "imports_by_partner", "total_imports", "domestic_production")

    def evaluate(self, v):
        weighted = 0.0
        for partner, f in v["imports_by_partner"].items():
            if partner not in v["g"]:
                raise MissingInput(self.name, f"g_{partner}", "political-stability score 0..1")
            weighted += v["g"][partner] * f
        return geopolrisk(hhi_production=v["HHI_production"], weighted_imports=weighted,
                          total_imports=v["total_imports"],
                          domestic_production=v["domestic_production"])


class GeoPolRiskPrecomputed(RiskIndex):
    """GeoPolRisk when the import numerator sum(g_i f_i) is given already weighted."""

    name = "GeoPolRisk"
    formula = "GPR = HHI_prod * N / (F + p), N = sum_i(g_i * f_i)"
    required = ("HHI_production", "weighted_imports", "total_imports", "domestic_production")

    def evaluate(self, v):
        return geopolrisk(hhi_production=v["HHI_production"], weighted_imports=v["weighted_imports"],
                          total_imports=v["total_imports"], domestic_production=v["domestic_production"])


#: The registry: an index is added by putting an instance here.
INDICES: dict[str, RiskIndex] = {
    "eu_sr": EUSupplyRisk(),
    "geopolrisk": GeoPolRisk(),
    "geopolrisk_weighted": GeoPolRiskPrecomputed(),
}


def compute(index: str, inputs: Mapping[str, Cited]) -> IndexResult:
    try:
        plugin = INDICES[index]
    except KeyError:
        raise ParameterError("index", f"unknown index {index!r}; known: {', '.join(INDICES)}") from None
    return plugin.compute(inputs)


__all__ = ["INDICES", "EUSupplyRisk", "GeoPolRisk", "GeoPolRiskPrecomputed", "IndexResult",
           "MissingInput", "RiskIndex", "compute", "eu_supply_risk", "geopolrisk", "hhi",
           "hhi_bounds", "hhi_wgi_t", "wgi_0_10"]
