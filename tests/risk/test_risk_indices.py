import math

import pytest

from magwatch.risk.citations import Cited, reference_rows
from magwatch.risk.indices import (
    MissingInput, compute, eu_supply_risk, geopolrisk, hhi, hhi_bounds, hhi_wgi_t, wgi_0_10,
)


def test_hhi_hand_example():
    # 50/30/20 -> 0.25 + 0.09 + 0.04 = 0.38 (3,800 points)
    assert hhi({"A": 0.5, "B": 0.3, "C": 0.2}) == pytest.approx(0.38)


def test_hhi_bounds_with_unsplit_rest():
    low, high = hhi_bounds({"CHN": 0.9})
    assert low == pytest.approx(0.81)
    assert high == pytest.approx(0.82)


def test_wgi_rescale_ends():
    assert wgi_0_10(2.5) == 0 and wgi_0_10(-2.5) == 10 and wgi_0_10(0) == 5


def test_eu_sr_hand_example():
    # shares 0.8/0.2, WGI 6 and 2, t = 1: HHI_WGI = 0.64*6 + 0.04*2 = 3.92
    gs = hhi_wgi_t({"X": 0.8, "Y": 0.2}, {"X": 6.0, "Y": 2.0})
    assert gs == pytest.approx(3.92)
    # EU sourcing 0.5/0.5 -> 0.25*6 + 0.25*2 = 2.0; IR 0.8, EoL 0.1, SI 0.9
    eus = hhi_wgi_t({"X": 0.5, "Y": 0.5}, {"X": 6.0, "Y": 2.0})
    sr = eu_supply_risk(hhi_gs=gs, hhi_eus=eus, ir=0.8, eol_rir=0.1, si_sr=0.9)
    assert sr == pytest.approx((3.92 * 0.4 + 2.0 * 0.6) * 0.9 * 0.9)
    assert eu_supply_risk(hhi_gs=gs, ir=0.8, eol_rir=0.1, si_sr=0.9, supply_mix="GSonly") == \
        pytest.approx(3.92 * 0.9 * 0.9)


def test_trade_parameter_scales_a_country():
    assert hhi_wgi_t({"X": 1.0}, {"X": 5.0}, {"X": 1.1}) == pytest.approx(5.5)


def test_missing_wgi_is_an_error_naming_it():
    with pytest.raises(MissingInput, match="WGI_RUS"):
        hhi_wgi_t({"CHN": 0.9, "RUS": 0.1}, {"CHN": 6.0})


def test_registry_missing_input_names_it():
    with pytest.raises(MissingInput, match="SI_SR"):
        compute("eu_sr", {"shares_GS": Cited("shares_GS", {"X": 1.0}), "WGI": Cited("WGI", {"X": 5}),
                          "IR": Cited("IR", 1.0), "EoL_RIR": Cited("EoL_RIR", 0.0),
                          "supply_mix": Cited("supply_mix", "GSonly")})


def test_geopolrisk_reproduces_library_test_case():
    ref = reference_rows("risk_inputs")
    case = {r["parameter"]: float(r["value"]) for _, r in ref.find(assessment="GeoPolRisk_test")}
    value = geopolrisk(hhi_production=case["HHI_global_production"],
                       weighted_imports=case["import_numerator_sum_g_i_f_i"],
                       total_imports=case["total_imports_USA"],
                       domestic_production=case["domestic_production_USA"])
    # the library's own import-risk column times its HHI
    assert value == pytest.approx(case["HHI_global_production"] * case["import_risk_WTA"], rel=1e-9)
    assert math.isclose(value, 0.27497, rel_tol=1e-4)


def test_geopolrisk_plugin_weights_partners():
    res = compute("geopolrisk", {
        "HHI_production": Cited("HHI_production", 0.5), "g": Cited("g", {"A": 0.6, "B": 0.2}),
        "imports_by_partner": Cited("f", {"A": 30.0, "B": 70.0}),
        "total_imports": Cited("F", 100.0), "domestic_production": Cited("p", 0.0)})
    assert res.value == pytest.approx(0.5 * (0.6 * 30 + 0.2 * 70) / 100)
    assert [c.name for c in res.inputs][0] == "HHI_production"
