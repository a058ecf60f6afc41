"""Unit values: the outlier rule against the series, the oxide comparisons, values in EUR and CNY.

Figures written into files here are test figures (not trade data); the oxide prices are the real
rows of the bundled re_prices.csv, cited by row.
"""

from __future__ import annotations

import csv
import json

import pytest

from magwatch.analytics import unit_values as uv
from magwatch.bundled import data_dir

HEADER = "reporter,partner,flow,commodity,period,net_weight_t,value_usd\n"


@pytest.fixture(scope="module")
def prices():
    def rows(name):
        with (data_dir() / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    return uv.prices(rows("re_prices"), rows("magnet_intensity"))


# -- against the series (test figures) -----------------------------------------------------

def test_a_unit_value_far_from_its_trailing_median_is_flagged():
    steady = [50, 51, 49, 52, 50, 48, 50.5]          # test figures, USD/kg
    z, basis, flags = uv.against_series(80, steady)
    assert z == pytest.approx(16.0, abs=0.1)
    assert basis.startswith("computed: robust z of ln(unit value) against the median and MAD of "
                            "its 7 months with a unit value in the 24 months before")
    assert flags == ["unit value 80.00 USD/kg is 16.0 robust SD above the median 50.00 USD/kg of "
                     "its 7 months with a unit value in the 24 months before"]
    z, _, flags = uv.against_series(51.5, steady)
    assert abs(z) < uv.THRESHOLD and flags == []


def test_too_little_history_or_no_spread_gives_no_z():
    assert uv.against_series(80, [50, 51]) == (
        None, "none: 2 months with a unit value in the 24 months before (needs 6)", [])
    z, basis, flags = uv.against_series(80, [50] * 7)
    assert z is None and "a MAD of zero" in basis and flags == []


# -- against oxide prices (real re_prices rows) ---------------------------------------------

def test_the_content_cost_uses_the_months_usd_quotes_and_the_cited_share(prices):
    assert (prices.share, prices.share_row) == (0.3, 2)       # magnet_intensity.csv row 2
    out, basis, flags = uv.against_content(12.0, "2024-04", prices)
    assert (out["oxide_low"], out["oxide_high"], out["rows"]) == (52.0, 55.0, [8, 9])
    assert (out["content_cost_low"], out["content_cost_high"], out["below"]) == (15.6, 16.5, True)
    assert "re_prices.csv rows 8, 9" in basis and "magnet_intensity.csv row 2" in basis
    assert flags and "below the cost of its NdPr content" in flags[0]
    assert uv.against_content(40.0, "2024-04", prices)[2] == []


def test_a_price_floor_is_not_a_market_quote(prices):
    out, _, _ = uv.against_content(40.0, "2025-07", prices)
    assert out["rows"] == [52] and out["oxide_high"] == 63.0      # not the $110/kg floor (row 53)


def test_a_month_quoted_only_in_cny_or_not_at_all_says_so(prices):
    assert uv.against_content(40.0, "2025-11", prices)[:2] == (
        None, "none: re_prices.csv quotes NdPr oxide for 2025-11 only in CNY/t, and magwatch holds "
              "no exchange rate: no comparison of levels")
    assert uv.against_content(40.0, "2025-05", prices)[1] == \
        "none: re_prices.csv has no NdPr oxide quote for 2025-05"
    assert uv.against_content(40.0, "2025-05", uv.Prices())[1].startswith("none: no oxide prices")


def test_a_unit_value_moving_against_the_oxide_is_flagged(prices):
    out, basis, flags = uv.against_move(-20.0, "m/m", "2025-08", "2025-07", prices)
    assert (out["market"], out["unit"]) == ("China domestic (SMM)", "CNY/t")
    assert (out["oxide_change_low_pct"], out["oxide_change_high_pct"]) == (14.7, 34.2)
    assert out["against"] and flags == [
        "unit value -20.0% m/m while NdPr oxide (China domestic (SMM), CNY/t) moved +14.7% to "
        "+34.2% from 2025-07 to 2025-08"]
    assert "exchange rate's change between the months is not removed" in basis
    assert uv.against_move(-5.0, "m/m", "2025-08", "2025-07", prices)[2] == []
    assert uv.against_move(20.0, "m/m", "2025-08", "2025-07", prices)[2] == []
    assert uv.against_move(-20.0, "m/m", "2025-11", "2025-10", prices)[1] == \
        "none: no market in re_prices.csv quotes NdPr oxide in both 2025-10 and 2025-11"


# -- in the monitor ----------------------------------------------------------------------------

def _entry(result, partner):
    return next(e for e in [result["world"]] + result["partners"] + result["groups"]
                if e and e["partner"] == partner)


def test_the_monitor_flags_a_test_series(mw, tmp_path):
    """US imports of sintered NdFeB (8505110070) from Japan, test figures: 50 $/kg for 8 months,
    then 20 $/kg in August 2025 while NdPr oxide rose (a series no release computes ahead)."""
    lines = [f"USA,JPN,M,8505110070,{m},100,{5_000_000 + i * 10_000}" for i, m in enumerate(
        ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"])]
    lines.append("USA,JPN,M,8505110070,2025-08,100,2000000")
    (tmp_path / "jpn.csv").write_text(HEADER + "\n".join(lines) + "\n")
    mw.import_file(tmp_path / "jpn.csv", vintage="2025-09-20")
    result = mw.monitor("2025-08", reporter="USA", commodity="8505110070", flow="M").to_dict()
    jpn = _entry(result, "JPN")
    assert jpn["unit_value_usd_kg"] == 20.0 and jpn["unit_value_mom_pct"] == pytest.approx(-60.6, abs=0.1)
    assert jpn["unit_value_z"] < -uv.THRESHOLD
    assert jpn["oxide"]["mom"]["against"] and jpn["oxide"]["level"] is None
    assert "only in CNY/t" in jpn["basis"]["oxide_level"]
    assert len(jpn["unit_value_flags"]) == 2
    assert {"partner": "JPN", "reasons": jpn["unit_value_flags"]} in result["unit_value_flags"]


def test_the_monitor_compares_a_level_with_the_content_cost(mw, tmp_path):
    (tmp_path / "jpn.csv").write_text(HEADER + "USA,JPN,M,8505110070,2024-04,10,120000\n"
                                      "USA,JPN,M,8505110050,2024-04,10,120000\n")
    mw.import_file(tmp_path / "jpn.csv", vintage="2024-05-20")
    jpn = _entry(mw.monitor("2024-04", reporter="USA", commodity="8505110070", flow="M").to_dict(),
                 "JPN")
    assert jpn["unit_value_usd_kg"] == 12.0 and jpn["oxide"]["level"]["below"]
    assert jpn["basis"]["unit_value_z"].startswith("none: 0 months")
    smco = _entry(mw.monitor("2024-04", reporter="USA", commodity="8505110050", flow="M").to_dict(),
                  "JPN")                                  # samarium-cobalt: no NdPr oxide
    assert smco["oxide"] is None and "not a rare-earth magnet line" in smco["basis"]["oxide_level"]


@pytest.mark.parametrize("reporter, currency", [("DEU", "EUR"), ("CHN", "CNY")])
def test_a_value_in_another_currency_is_shown_unconverted(mw, tmp_path, reporter, currency):
    """Imports (flow M) with a value in EUR or CNY only (test figures)."""
    (tmp_path / "v.csv").write_text("reporter,partner,flow,commodity,period,net_weight_t,value,currency\n"
                                    f"{reporter},ESP,M,85051110,2025-06,20,900000,{currency}\n")
    mw.import_file(tmp_path / "v.csv", vintage="2025-07-20")
    result = mw.monitor("2025-06", reporter=reporter, flow="M").to_dict()
    esp = _entry(result, "ESP")
    assert (esp["value_usd"], esp["unit_value_usd_kg"]) == (None, None)
    assert (esp["value_local"], esp["value_currency"], esp["unit_value_local_kg"]) == \
        (900000.0, currency, 45.0)
    assert esp["basis"]["value_local"] == (f"observed: value in {currency}, not converted to USD "
                                           "(magwatch holds no exchange rate); no USD unit value is "
                                           "made from it")
    assert any(s["role"] == f"value ({currency})" for s in esp["sources"])
    assert any(f"values in {currency} are shown as published, not converted to USD" in n
               for n in result["notes"])


def test_the_bundled_store_says_why_nothing_is_judged(mw):
    world = mw.monitor("2025-11").to_dict()["world"]
    assert world["unit_value_usd_kg"] == 49.07 and world["unit_value_z"] is None
    assert world["basis"]["unit_value_z"] == \
        "none: 1 month with a unit value in the 24 months before (needs 6)"
    assert "only in CNY/t" in world["basis"]["oxide_level"] and world["unit_value_flags"] == []


def test_monitor_json_carries_the_unit_value_fields(bundled_db, tmp_path, cli):
    import shutil

    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    ran = cli(db, "monitor", "--month", "2025-11", "--format", "json")
    assert ran.returncode == 0, ran.stderr
    data = json.loads(ran.stdout)
    assert "unit_value_flags" in data
    usa = next(e for e in data["partners"] if e["partner"] == "USA")
    for key in ("unit_value_usd_kg", "unit_value_mom_pct", "unit_value_yoy_pct", "unit_value_z",
                "unit_value_flags", "oxide", "value_local", "value_currency"):
        assert key in usa
    assert usa["unit_value_usd_kg"] == 45.96 and "oxide_level" in usa["basis"]


def test_a_price_cell_that_is_no_number_is_no_quote():
    rows = [{"date": "2024-04-11", "material": "NdPr oxide", "price": "n/a", "price_low": "",
             "price_high": "", "unit": "USD/kg", "market": "test market", "source_url": ""},
            {"date": "2024-04-18", "material": "NdPr oxide", "price": "50", "price_low": "",
             "price_high": "", "unit": "USD/kg", "market": "test market", "source_url": ""}]
    p = uv.prices(rows, [])                       # test rows, not prices
    assert [q.row for q in p.quotes] == [2] and p.share is None
    assert uv.against_content(10.0, "2024-04", p)[1] == \
        "none: magnet_intensity.csv gives no NdPr share of a magnet's weight"


def test_the_monitor_text_lists_the_unit_value_flags(mw, cli, tmp_path):
    lines = [f"USA,JPN,M,8505110070,{m},100,{5_000_000 + i * 10_000}" for i, m in enumerate(
        ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"])]
    lines.append("USA,JPN,M,8505110070,2025-08,100,2000000")          # test figures
    (tmp_path / "jpn.csv").write_text(HEADER + "\n".join(lines) + "\n")
    mw.import_file(tmp_path / "jpn.csv", vintage="2025-09-20")
    db = mw.store.path
    mw.close()
    ran = cli(db, "monitor", "--month", "2025-08", "--reporter", "USA", "--commodity", "8505110070",
              "--flow", "M")
    assert ran.returncode == 0, ran.stderr
    flagged = [line for line in ran.stdout.splitlines() if line.startswith("unit value JPN: ")]
    assert len(flagged) == 1 and "robust SD below the median" in flagged[0]
    assert "moved +14.7% to +34.2% from 2025-07 to 2025-08" in flagged[0]
