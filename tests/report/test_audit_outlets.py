"""The fourth pass of the bundled data (data/SOURCES.md): the new press rows with their
provenance, and the rounding-level disagreements between outlets explained by the audit.

Every figure below is copied from data/SOURCES.md and the bundled CSV files, which cite
the article each was read in."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from magwatch.analytics.audit import explain_outlets

KCS = "https://www.newswire.co.kr/newsRead.php?no=507654"
JOGMEC = "http://mric.jogmec.go.jp/news_flash/20140213/34601/"

#: The 8 rows appended to china_magnet_exports_monthly.csv: (period, partner) -> (t, URL).
NEW_EXPORT_ROWS = {
    ("2025-08", "EUU"): (2582.0, "https://www.mademagnet.com/China-s-Rare-Earth-Magnet-Exports-To-EU-"
                                 "Surge-As-Europe-Accelerates-Local-Production-id45322685.html"),
    ("2025-06", "JPN"): (131.0, "https://www.gifu-np.co.jp/articles/-/572730"),
    ("2016-07", "WLD"): (2339.0, "http://www2.jxwxt.com/news/show-1003.aspx"),
    ("2013-12", "USA"): (206.517, JOGMEC),
    ("2013-12", "HKG"): (181.518, JOGMEC),
    ("2013-12", "KOR"): (132.281, JOGMEC),
    ("2013-12", "DEU"): (195.619, JOGMEC),
    ("2013-12", "THA"): (106.273, JOGMEC),
}

#: The 4 rows appended to partner_imports_monthly.csv (Korea Customs, USD).
NEW_KOREA_ROWS = {"2005": 139000000.0, "2007": 161000000.0, "2009": 118000000.0,
                  "2010-01/2010-09": 120000000.0}

#: SOURCES.md, fourth pass, "Rounding-level disagreements between outlets":
#: (period, partner, metric, second outlet's print) -> the start of the audit's reason.
DISAGREEMENTS = {
    ("2025-06", "WLD", "outlet_net_weight_t", 3187.0):
        "consistent (rounded and truncated): timeslive.co.za 3,188 t, gifu-np.co.jp 3,187 t",
    ("2025-06", "USA", "outlet_net_weight_t", 352.0):
        "consistent (rounded and truncated): timeslive.co.za 353 t, gifu-np.co.jp 352 t",
    ("2025-06", "USA", "outlet_net_weight_t", 352.8):
        "consistent (rounded): timeslive.co.za 353 t, jisuxw.com 352.8 t",
    ("2025-07", "USA", "outlet_net_weight_t", 620.0):
        "consistent (rounded and truncated): kitco.com 619 t, poland.co.pl 620 t",
    ("2025-09", "VNM", "outlet_net_weight_t", 457.0):
        "consistent (rounded and truncated): asiacity.news 456 t, an outlet not named",
    ("2025-09", "DEU", "outlet_yoy_pct", 27.8):
        "consistent (rounded and truncated): asiacity.news +27.9%, poland.co.pl +27.8%",
    ("2025-12", "JPN", "outlet_yoy_pct", 31.6):
        "consistent (computed from rounded tonnes): goldsea.com +31.4%, an outlet not named",
    ("2025-12", "WLD", "outlet_net_weight_t", 5950.0):
        "consistent (rounded): goldsea.com 5,952 t, tsunagifinance.com about 5,950 t",
}

#: Earlier passes' rounding differences whose second outlet has a URL (SOURCES.md first pass
#: item 5, third pass contradiction 6): the same explanations.
EARLIER = {
    ("2025-08", "USA", "outlet_net_weight_t", 589.0):
        "consistent (rounded and truncated): samarium.dev 590 t, asiacity.news 589 t",
    ("2025-09", "USA", "outlet_net_weight_t", 420.5):
        "consistent (truncated): asiacity.news 420 t, snmnews.com 420.5 t; 420.5 t cut (not rounded)",
    ("2025-10", "DEU", "outlet_net_weight_t", 1119.0):
        "consistent (rounded and truncated): tw.news.yahoo.com 1,118 t, snmnews.com 1,119 t",
    ("2025-11", "JPN", "outlet_net_weight_t", 304.0):
        "consistent (rounded and truncated): samarium.dev 305 t, novaist.jp 304 t",
}


@pytest.fixture(scope="module")
def audited(handle):
    return handle.audit().to_pylist()


def test_each_new_export_row_is_stored_with_its_source(handle):
    rows = handle.store.con.execute(
        "SELECT strftime(period, '%Y-%m'), partner, net_weight_kg, source_url, source_file "
        "FROM observation_latest WHERE source = 'press' AND reporter = 'CHN' "
        "AND source_file = 'china_magnet_exports_monthly.csv' AND source_row BETWEEN 100 AND 107"
    ).fetchall()
    found = {(p, partner): (kg, url) for p, partner, kg, url, _ in rows}
    assert len(rows) == 8
    for key, (tonnes, url) in NEW_EXPORT_ROWS.items():
        kg, stored_url = found[key]
        assert kg == pytest.approx(tonnes * 1000, abs=1e-6), key
        assert stored_url == url, key


def test_new_rows_reported_changes_are_claims(handle):
    claims = {(str(r["period"])[:7], r["partner"], r["metric"]): r["value"]
              for r in handle.claims().to_pylist() if r["source"] == "press"}
    assert claims[("2025-08", "EUU", "mom_pct")] == 21.0
    assert claims[("2016-07", "WLD", "mom_pct")] == 5.6
    assert claims[("2016-07", "WLD", "yoy_pct")] == 25.3
    assert ("2025-06", "JPN", "mom_pct") not in claims     # "about 5.1x" is not made a percentage


def test_korea_import_rows_kept_with_their_source_and_shown_as_mirror_context(handle):
    records = handle.store.reference("partner_imports_monthly").to_pylist()
    korea = {r["period"]: r for r in records if r["importer"] == "KOR" and r["source_url"] == KCS}
    assert set(korea) == set(NEW_KOREA_ROWS)
    for period, usd in NEW_KOREA_ROWS.items():
        assert float(korea[period]["value_usd"]) == usd and korea[period]["currency"] == "USD"
        assert korea[period]["net_weight_t"] == ""                     # values only, no tonnage
    context = handle.mirror("KOR").to_dict()["context"]
    shown = {c["period"]: c for c in context if c["source_url"] == KCS}
    assert set(shown) == set(NEW_KOREA_ROWS)
    assert all(c["label"].startswith("context only") for c in shown.values())


def test_audit_explains_every_listed_disagreement(audited):
    outlets = {(r["period"], r["partner"], r["metric"], r["reported"]): r for r in audited
               if r["metric"].startswith("outlet_")}
    assert set(outlets) == set(DISAGREEMENTS) | set(EARLIER)
    for key, start in {**DISAGREEMENTS, **EARLIER}.items():
        row = outlets[key]
        assert row["status"] == "outlets differ", key
        assert row["reason"].startswith(start), (key, row["reason"])


def test_audit_sets_each_print_beside_the_primary_figure(audited):
    by = {(r["period"], r["partner"], r["metric"], r["reported"]): r for r in audited}
    assert by[("2025-06", "WLD", "outlet_net_weight_t", 3187.0)]["computed"] == 3188.0
    assert by[("2025-12", "WLD", "outlet_net_weight_t", 5950.0)]["computed"] == 5952.0
    assert by[("2025-09", "DEU", "outlet_yoy_pct", 27.8)]["computed"] == 27.9
    jpn = by[("2025-12", "JPN", "outlet_yoy_pct", 31.6)]
    assert jpn["computed"] == 31.4 and "+30.9% to +32.0%" in jpn["reason"]


def test_a_second_outlet_is_never_chosen_as_the_figure(handle):
    june = handle.monitor("2025-06").to_dict()
    assert june["world"]["net_weight_t"] == 3188.0
    usa = next(e for e in june["partners"] if e["partner"] == "USA")
    assert usa["net_weight_t"] == 353.0
    sept = handle.monitor("2025-09").to_dict()
    assert next(e for e in sept["partners"] if e["partner"] == "DEU")["yoy_pct"] == 27.9
    dec = handle.monitor("2025-12").to_dict()
    assert next(e for e in dec["partners"] if e["partner"] == "JPN")["yoy_pct"] == 31.4
    assert dec["world"]["net_weight_t"] == 5952.0
    for month, code, tonnes in (("2025-08", "USA", 590.0), ("2025-09", "USA", 420.0),
                                ("2025-10", "DEU", 1118.0), ("2025-11", "JPN", 305.0)):
        row = next(e for e in handle.monitor(month).to_dict()["partners"] if e["partner"] == code)
        assert row["net_weight_t"] == tonnes, (month, code)


def test_explanations_name_what_is_not_rounding():
    assert explain_outlets(3188, 3100, "t", outlets=("a", "b")).startswith("unexplained: a 3,188 t, b 3,100 t")
    assert explain_outlets(353, 353, "t", outlets=("a", "b")).startswith("same figure")
    assert explain_outlets(352.8, 352, "t", outlets=("a", "b")).startswith("consistent (truncated)")
    # half up, as published figures round: 420.5 t is not "420 t rounded", and 620 t as printed
    # is to the tonne, not to the ten
    assert explain_outlets(420, 420.5, "t", outlets=("a", "b")).startswith("consistent (truncated)")
    assert explain_outlets(619, 620, "t", outlets=("a", "b")).startswith("consistent (rounded and truncated)")
    assert explain_outlets(5952, 5950, "t", outlets=("a", "b")).startswith("unexplained")
    assert explain_outlets(5952, 5950, "t", outlets=("a", "b"), about_b=True).startswith("consistent (rounded)")
    # 31.4 % and 33.0 % cannot both come from 280 t over one base rounded to the tonne
    assert explain_outlets(31.4, 33.0, "%", outlets=("a", "b"), current_t=280.0).startswith("unexplained")


def test_cli_audit_shows_each_explanation(bundled_db, tmp_path, cli):
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    code, out, err = cli(copy, "audit", "--format", "csv")
    assert code == 0, err
    for (period, partner, metric, _), start in DISAGREEMENTS.items():
        line = next((ln for ln in out.splitlines() if ln.startswith(f"{period},CHN,{partner},")
                     and f",{metric}," in ln and start in ln), None)
        assert line is not None, (period, partner, metric)


def test_outlet_claims_dated_by_their_article(handle):
    kyodo = [r for r in handle.claims().to_pylist() if r["metric"] == "outlet_net_weight_t"
             and r["source_url"] == "https://www.gifu-np.co.jp/articles/-/572730"]
    assert {r["partner"] for r in kyodo} == {"WLD", "USA"}
    assert all(r["vintage"] == dt.date(2025, 7, 31) for r in kyodo)     # '2025-07': month precision
