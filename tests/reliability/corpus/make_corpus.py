"""Writes the malformed inputs of this folder (run once; the files are kept in the tree).

Every figure here is a test figure in a broken file, not magnet data. Run:
``.venv/bin/python tests/reliability/corpus/make_corpus.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[1] / "sources" / "samples" / "get_C_A_HS_r156_2010_TOTAL.raw.json"
H = "reporter,partner,flow,commodity,period,net_weight_t"
OK = "CHN,USA,X,85051110,2025-06,353"
GACC = "数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,第一数量,第一计量单位,第二数量,第二计量单位,美元,"
EV = "date,actor,event_type,summary,source_url"


def text(name: str, body: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(body.encode(encoding))


def raw(name: str, body: bytes) -> None:
    (HERE / name).write_bytes(body)


def xlsx(name: str, rows: list[list]) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(HERE / name)


def ct_row(period: str, partner: int, weight) -> dict:
    row = json.loads(SAMPLE.read_bytes())["data"][0]
    row.update(freqCode="M", period=period, refPeriodId=int(period + "01"), refYear=int(period[:4]),
               refMonth=int(period[4:]), cmdCode="850511", partnerCode=partner, flowCode="X",
               netWgt=weight, qtyUnitCode=8, qtyUnitAbbr="kg", qty=weight, primaryValue=1000.0,
               cifvalue=None, fobvalue=1000.0)
    return row


def ct(rows, **extra) -> bytes:
    body = {"elapsedTime": "0.1 secs", "count": len(rows), "data": rows, "error": ""}
    body.update(extra)
    return json.dumps(body).encode()


def main() -> None:
    # -- canonical CSV -----------------------------------------------------------------------
    text("csv_utf16.csv", f"{H}\n{OK}\n", "utf-16")
    raw("csv_binary_garbage.csv", bytes(range(256)) * 8)
    text("csv_truncated.csv", f"{H}\n{OK}\nCHN,DEU,X,8505")
    text("csv_unterminated_quote.csv", f'{H}\n{OK}\nCHN,DEU,X,"85051110,2025-06,1\n')
    text("csv_wrong_unit.csv", "reporter,partner,flow,commodity,period,quantity,quantity_unit\n"
         "CHN,USA,X,85051110,2025-06,353,tonnes-ish\n")
    text("csv_duplicate_key.csv", f"{H}\n{OK}\nCHN,DEU,X,85051110,2025-06,1\n{OK}\n")
    text("csv_duplicate_header.csv", "reporter,partner,partner,flow,commodity,period,net_weight_t\n"
         "CHN,USA,DEU,X,85051110,2025-06,353\n")
    text("csv_formula_cell.csv", f"{H}\nCHN,USA,X,85051110,2025-06,=HYPERLINK(\"http://x\")\n")
    text("csv_script_partner.csv", f"{H}\nCHN,<script>alert(1)</script>,X,85051110,2025-06,1\n")
    text("csv_huge_field.csv", f"{H}\nCHN,{'A' * 200_000},X,85051110,2025-06,1\n")
    text("csv_negative_weight.csv", f"{H}\nCHN,USA,X,85051110,2025-06,-353\n")
    text("csv_infinite_weight.csv", f"{H}\nCHN,USA,X,85051110,2025-06,1e999\n")
    text("csv_period_future.csv", f"{H}\nCHN,USA,X,85051110,2999-06,353\n")
    text("csv_month_13.csv", f"{H}\nCHN,USA,X,85051110,2025-13,353\n")
    text("csv_empty.csv", "")
    text("csv_header_only.csv", H + "\n")
    text("csv_semicolons.csv", H.replace(",", ";") + "\n" + OK.replace(",", ";") + "\n")
    text("csv_thousands_separator.csv", f'{H}\nCHN,USA,X,85051110,2025-06,"1,346"\n')
    text("csv_bad_flow.csv", f"{H}\nCHN,USA,export,85051110,2025-06,353\n")
    # -- Excel ---------------------------------------------------------------------------------
    raw("xlsx_not_a_zip.xlsx", b"this is text pretending to be a workbook\n")
    xlsx("xlsx_formula_cell.xlsx", [H.split(","), ["CHN", "USA", "X", "85051110", "2025-06", "=1+1"]])
    xlsx("xlsx_missing_column.xlsx", [["reporter", "partner", "flow", "period", "net_weight_t"],
                                      ["CHN", "USA", "X", "2025-06", 353]])
    xlsx("xlsx_script_partner.xlsx", [H.split(","), ["CHN", "<img src=x onerror=alert(1)>", "X",
                                                     "85051110", "2025-06", 1]])
    xlsx("xlsx_header_only.xlsx", [H.split(",")])
    whole = HERE / "xlsx_formula_cell.xlsx"
    raw("xlsx_truncated.xlsx", whole.read_bytes()[: len(whole.read_bytes()) // 2])
    # -- Parquet -------------------------------------------------------------------------------
    good = {"reporter": ["CHN", "CHN"], "partner": ["USA", "DEU"], "flow": ["X", "X"],
            "commodity": ["85051110", "85051110"], "period": ["2025-06", "2025-06"]}
    pq.write_table(pa.table({**good, "net_weight_kg": ["353000", "lots"]}), HERE / "parquet_text_weight.parquet")
    pq.write_table(pa.table({k: v for k, v in good.items() if k != "period"} | {"net_weight_kg": [1.0, 2.0]}),
                   HERE / "parquet_missing_period.parquet")
    pq.write_table(pa.table({**good, "partner": ["USA", "USA"], "net_weight_kg": [1.0, 2.0]}),
                   HERE / "parquet_duplicate_key.parquet")
    pq.write_table(pa.table({**good, "net_weight_kg": [1.0, -2.0]}), HERE / "parquet_negative.parquet")
    pq.write_table(pa.table({**good, "net_weight_kg": [1.0, float("nan")]}), HERE / "parquet_nan.parquet")
    data = (HERE / "parquet_negative.parquet").read_bytes()
    raw("parquet_truncated.parquet", data[: len(data) // 2])
    raw("parquet_garbage.parquet", b"PAR1" + b"\x00garbage" * 50 + b"PAR1")
    # -- JSON API answers (served on 127.0.0.1 to 'magwatch fetch') -----------------------------
    good_ct = ct([ct_row("202506", 842, 353.0)])
    raw("comtrade_truncated.json", good_ct[: len(good_ct) // 2])
    raw("comtrade_html_page.json", b"<html><body><h1>502 Bad Gateway</h1><script>x()</script></body></html>")
    raw("comtrade_count_mismatch.json", ct([ct_row("202506", 842, 353.0)], count=40))
    raw("comtrade_no_data.json", json.dumps({"elapsedTime": "0.1 secs", "count": 1}).encode())
    raw("comtrade_error_member.json", ct([], error="Internal error: <b>oops</b>"))
    raw("comtrade_latin1.json", good_ct.decode().replace('"C"', '"Cé"').encode("latin-1"))
    raw("comtrade_duplicate_rows.json", ct([ct_row("202506", 842, 353.0), ct_row("202506", 842, 353.0)]))
    raw("census_not_rows.json", b'{"error": "unknown variable"}')
    raw("census_truncated.json", b'[["CTY_CODE","CTY_NAME","GEN_VAL_MO","GEN_QY1_MO","UNIT_QY1","LAST_UPDATE","I_COMMODITY","time"],["5700","CHINA","12')
    raw("census_html_page.json", b"<!DOCTYPE html><html><title>Error</title><p>Invalid query</p></html>")
    raw("comext_not_jsonstat.json", b'{"warning": {"status": 400, "label": "bad"}}')
    raw("comext_truncated.json", b'{"version":"2.0","class":"dataset","id":["freq","reporter"],"size":[1,')
    # -- China customs (GACC) exports ----------------------------------------------------------
    text("gacc_unknown_partner.csv", GACC + "\r\n202506,85051110,稀土永磁铁,777,火星,353000,千克,,,21000000,\r\n", "gb18030")
    text("gacc_missing_period.csv", "商品编码,贸易伙伴编码,第一数量,第一计量单位,美元\r\n85051110,502,353000,千克,21000000\r\n", "gb18030")
    text("gacc_bad_month.csv", GACC + "\r\n202513,85051110,稀土永磁铁,502,美国,353000,千克,,,21000000,\r\n", "gb18030")
    text("gacc_utf16.csv", GACC + "\r\n202506,85051110,稀土永磁铁,502,美国,353000,千克,,,21000000,\r\n", "utf-16")
    text("gacc_negative_amount.csv", GACC + "\r\n202506,85051110,稀土永磁铁,502,美国,-353000,千克,,,21000000,\r\n", "gb18030")
    text("gacc_name_mismatch.csv", GACC + "\r\n202506,85051110,稀土永磁铁,502,德国,353000,千克,,,21000000,\r\n", "gb18030")
    text("gacc_formula_amount.csv", GACC + "\r\n202506,85051110,稀土永磁铁,502,美国,=1+1,千克,,,21000000,\r\n", "gb18030")
    # -- scenario files -----------------------------------------------------------------------
    text("scenario_syntax.toml", 'name = "broken\nstart = 2026-05\n')
    text("scenario_cut_over_one.toml", 'name = "x"\nstart = "2026-05"\nmonths = 6\nimporters = ["USA"]\n'
         '[baseline]\nfrom = "2025-10"\nto = "2025-12"\n[cut]\nlow = 0.5\nhigh = 7.0\nreason = "absurd"\n')
    text("scenario_unknown_importer.toml", 'name = "x"\nstart = "2026-05"\nmonths = 6\nimporters = ["<script>"]\n'
         '[baseline]\nfrom = "2025-10"\nto = "2025-12"\n[cut]\nlow = 0.5\nhigh = 0.7\nreason = "r"\n')
    text("scenario_months_huge.toml", 'name = "x"\nstart = "2026-05"\nmonths = 100000000\nimporters = ["USA"]\n'
         '[baseline]\nfrom = "2025-10"\nto = "2025-12"\n[cut]\nlow = 0.5\nhigh = 0.7\nreason = "r"\n')
    text("scenario_latin1.toml", 'name = "d\xe9j\xe0"\nstart = "2026-05"\n', "latin-1")
    # -- event files --------------------------------------------------------------------------
    text("events_missing_summary.csv", "date,actor,event_type,source_url\n2025-04-04,MOFCOM,export_control,https://example.org\n")
    text("events_bad_date.csv", f"{EV}\n2025-02-30,MOFCOM,export_control,licensing,https://example.org\n")
    text("events_huge_summary.csv", f"{EV}\n2025-04-04,MOFCOM,export_control,{'x' * 5000},https://example.org\n")
    text("events_javascript_url.csv", f"{EV}\n2025-04-04,MOFCOM,export_control,licensing,javascript:alert(1)\n")
    text("events_duplicate_id.csv", "event_id,date,actor,event_type,summary,source_url\n"
         "e1,2025-04-04,MOFCOM,export_control,a,https://example.org/a\n"
         "e1,2025-04-05,MOFCOM,export_control,b,https://example.org/b\n")
    text("events_control_chars.csv", f"{EV}\n2025-04-04,MOF\x07COM,export_control,licensing,https://example.org\n")
    raw("events_gbk_bytes.csv", f"{EV}\n2025-04-04,商务部,export_control,licensing,https://example.org\n".encode("gbk")[:-3] + b"\xff\xfe\n")
    # -- alert rules --------------------------------------------------------------------------
    text("alerts_unknown_kind.toml", '[[rule]]\nname = "a"\nkind = "astrology"\n')
    text("alerts_duplicate_name.toml", '[[rule]]\nname = "a"\nkind = "new_low"\nmonths = 12\npartners = "WLD"\n'
         '[[rule]]\nname = "a"\nkind = "new_low"\nmonths = 12\npartners = "WLD"\n')
    text("alerts_bad_op.toml", '[[rule]]\nname = "a"\nkind = "threshold"\nmetric = "mom_pct"\nop = "; DROP TABLE observation"\nthreshold = 1\npartners = "WLD"\n')
    text("alerts_truncated.toml", '[[rule]]\nname = "a"\nkind = "thresh')


if __name__ == "__main__":
    main()
