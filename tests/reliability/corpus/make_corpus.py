"""Writes the malformed inputs of this folder (the files are kept in the tree).

Every figure here is a test figure in a broken file, not magnet data. Run:
``.venv/bin/python tests/reliability/corpus/make_corpus.py``. It writes the same bytes
every time (workbooks get fixed timestamps, export folders a fixed manifest and release
log), so a re-run changes nothing in ``git status``.

An entry ``export_*`` is a folder laid out like ``magwatch export parquet`` writes one
(``magwatch-export.json``, ``observation/period_year=Y/period_month=M/part-0.parquet``,
``release/release.parquet``, ...): a valid two-row export (:func:`export`) with one fault
put into it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import zipfile
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


FIXED_ZIP_TIME = (2025, 7, 20, 0, 0, 0)
FIXED_STAMP = "2025-07-20T00:00:00Z"


def _book_bytes(rows: list[list]) -> bytes:
    """A workbook of ``rows`` with fixed timestamps (openpyxl stamps the time of saving)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return _rezip(buffer.getvalue(), {})


def _rezip(data: bytes, edits: dict) -> bytes:
    """The archive ``data`` with its members edited (name -> function of the old bytes, or
    of None for a new member, returning the new bytes or None to drop it), fixed member
    times and fixed document-property stamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = [i.filename for i in src.infolist()]
        for name in names + [n for n in edits if n not in names]:
            body = src.read(name) if name in names else None
            body = edits[name](body) if name in edits else body
            if body is None:
                continue
            if name == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" +
                              FIXED_STAMP.encode(), body)
            member = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, body)
    return out.getvalue()


def xlsx(name: str, rows: list[list]) -> None:
    raw(name, _book_bytes(rows))


def xlsx_part(name: str, rows: list[list], edits: dict) -> None:
    """A valid workbook of ``rows`` with its members edited (see :func:`_rezip`)."""
    raw(name, _rezip(_book_bytes(rows), edits))


STRINGS = "xl/sharedStrings.xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def shared_strings(xml: bytes) -> dict:
    """Edits adding a shared-string table ``xml`` (its part, relationship and content type)."""
    return {
        STRINGS: lambda old: xml,
        "xl/_rels/workbook.xml.rels": lambda old: old.replace(b"</Relationships>", (
            b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')),
        "[Content_Types].xml": lambda old: old.replace(b"</Types>", (
            f'<Override PartName="/{STRINGS}" ContentType="{STRINGS_TYPE}"/></Types>').encode()),
    }


def sst(*strings: str, doctype: str = "") -> bytes:
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<sst xmlns="http://schemas.openxmlformats'
            f'.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
            f'{items}</sst>').encode()


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
    figures_and_calendar()
    codes_and_text()
    encodings()
    workbook_internals()
    parquet_internals()
    export_folders()



# -- issue #21: absurd figures, calendar and vintage bounds ----------------------------------

KG = "reporter,partner,flow,commodity,period,net_weight_kg"
GACC_ROW = "{month},85051110,稀土永磁铁,502,美国,{amount},千克,,,21000000,"


def gacc(name: str, month: str = "202506", amount: str = "353000", encoding: str = "gb18030") -> None:
    text(name, GACC + "\r\n" + GACC_ROW.format(month=month, amount=amount) + "\r\n", encoding)


def figures_and_calendar() -> None:
    text("csv_weight_1e308_twice.csv", f"{KG}\nCHN,USA,X,85051110,2025-06,1e308\n"
         "CHN,DEU,X,85051110,2025-06,1e308\n")
    text("csv_weight_1e-400.csv", f"{KG}\nCHN,USA,X,85051110,2025-06,1e-400\n")
    text("csv_weight_uint64_max.csv", f"{KG}\nCHN,USA,X,85051110,2025-06,18446744073709551615\n")
    text("csv_weight_decimal38.csv", f"{KG}\nCHN,USA,X,85051110,2025-06,{10 ** 38}\n")
    text("csv_weight_t_1e306.csv", f"{H}\nCHN,USA,X,85051110,2025-06,1e306\n")
    text("csv_weight_underscores.csv", f"{H}\nCHN,USA,X,85051110,2025-06,1_000\n")
    text("csv_value_usd_world_times_100.csv", "reporter,partner,flow,commodity,period,value_usd\n"
         "CHN,USA,X,85051110,2025-06,200000000000000\n")
    text("csv_period_1900.csv", f"{H}\nCHN,USA,X,85051110,1900-01,353\n")
    text("csv_period_months_13.csv", f"{H},period_months\nCHN,USA,X,85051110,2025-06,353,13\n")
    for name, vintage in (("neg_infinity", "-infinity"), ("epoch", "epoch"),
                          ("bc", "2025-07-20 (BC)"), ("0001", "0001-01-01"),
                          ("future", "2099-12-31"), ("1901", "1901-06-30")):
        text(f"csv_vintage_{name}.csv", f"{H},vintage\nCHN,USA,X,85051110,2025-06,353,{vintage}\n")
    gacc("gacc_month_190001.csv", month="190001")
    gacc("gacc_month_209912.csv", month="209912")
    gacc("gacc_month_000006.csv", month="000006")
    gacc("gacc_vintage_before_month_end.csv", month="202507")    # read with vintage 2025-07-20
    gacc("gacc_amount_1e308.csv", amount="1e308")


def codes_and_text() -> None:
    text("csv_reporter_is_partner.csv", f"{H}\nCHN,CHN,X,85051110,2025-06,353\n")
    text("csv_reporter_wld.csv", f"{H}\nWLD,USA,X,85051110,2025-06,353\n")
    text("csv_reporter_bunkers.csv", f"{H}\nXBK,USA,X,85051110,2025-06,353\n")
    text("csv_partner_ussr_2025.csv", f"{H}\nCHN,SUN,X,85051110,2025-06,353\n")
    text("csv_currency_gold.csv", "reporter,partner,flow,commodity,period,value,currency\n"
         "CHN,USA,X,85051110,2025-06,1000,XAU\n")
    url = f"{H},source_url\nCHN,USA,X,85051110,2025-06,353,"
    text("csv_url_javascript.csv", url + "javascript:alert(1)\n")
    text("csv_url_unparseable.csv", url + "http://[::1\n")
    text("csv_url_ftp.csv", url + "ftp://example.org/data.csv\n")
    text("csv_url_credentials.csv", url + '"http://user:secret@example.org/x"\n')
    note = f"{H},note\nCHN,USA,X,85051110,2025-06,353,"
    text("csv_note_ansi.csv", note + "\x1b[31mred\x1b[0m\x1b]0;title\x07\n")
    text("csv_note_bel.csv", note + "ding\x07\n")
    text("csv_note_nul.csv", note + "a\x00b\n")
    text("csv_note_c1_csi.csv", note + "\x9b31mred\n")
    text("csv_source_ref_escape.csv", f"{H},source_ref\nCHN,USA,X,85051110,2025-06,353,\x1b[2J\n")
    text("csv_period_months_text.csv", f"{H},period_months\nCHN,USA,X,85051110,2025-06,353,six\n")
    text("csv_commodity_letters.csv", f"{H}\nCHN,USA,X,8505111O,2025-06,353\n")
    text("csv_flag_maybe.csv", f"{H},is_estimated\nCHN,USA,X,85051110,2025-06,353,maybe\n")
    text("csv_value_no_currency.csv", "reporter,partner,flow,commodity,period,value\n"
         "CHN,USA,X,85051110,2025-06,1000\n")
    text("csv_quantity_no_unit.csv", "reporter,partner,flow,commodity,period,quantity\n"
         "CHN,USA,X,85051110,2025-06,1000\n")
    text("csv_no_figure.csv", "reporter,partner,flow,commodity,period,net_weight_t,note\n"
         "CHN,USA,X,85051110,2025-06,,empty\n")
    text("csv_extra_field.csv", f"{H}\nCHN,USA,X,85051110,2025-06,353,surplus\n")


def encodings() -> None:
    text("csv_utf16_be.csv", f"{H}\n{OK}\n", "utf-16-be")
    text("csv_utf32.csv", f"{H}\n{OK}\n", "utf-32")
    text("csv_bom_in_header.csv", f"reporter,\ufeffpartner,flow,commodity,period,net_weight_t\n{OK}\n")
    text("csv_bom_twice.csv", f"\ufeff\ufeff{H}\n{OK}\n")
    text("csv_bom_in_value.csv", f"{H}\nCHN,\ufeffUSA,X,85051110,2025-06,353\n")
    raw("csv_mixed_encodings.csv", f"{H}\n{OK}\n".encode() + "CHN,德国,X,85051110,2025-06,1\n".encode("gbk")
        + "CHN,法国,X,85051110,2025-06,1\n".encode())
    raw("csv_nul_bytes.csv", f"{H}\n{OK}\n".encode().replace(b",", b"\x00,"))
    text("csv_huge_note.csv", f"{H},note\nCHN,USA,X,85051110,2025-06,353,{'n' * 2_000_000}\n")
    text("csv_bidi_override.csv", f"{H},note\nCHN,USA,X,85051110,2025-06,353,\u202egnp.exe\n")
    text("csv_crlf_lone_cr.csv", f"{H}\rCHN,USA,X,85051110,2025-06,353\rCHN,DEU,X,85051110,2025-06,\r")
    gacc("gacc_utf32.csv", encoding="utf-32")
    raw("gacc_nul_bytes.csv", (GACC + "\r\n" + GACC_ROW.format(month="202506", amount="353000")
                               + "\r\n").encode("gb18030").replace(b"353000", b"353\x00000"))


# -- issue #21: the insides of a workbook and of a Parquet file ------------------------------

SHEET = "xl/worksheets/sheet1.xml"
BOOK_ROWS = [H.split(","), ["CHN", "USA", "X", "85051110", "2025-06", 353]]


def _cell(ref: str, body: str):
    """An edit replacing the cell ``ref`` of the sheet XML with ``body``."""
    return lambda xml: re.sub(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(), body.encode(), xml, count=1)


def workbook_internals() -> None:
    xlsx_part("xlsx_cut_xml.xlsx", BOOK_ROWS, {SHEET: lambda xml: xml[: len(xml) // 2]})
    xlsx_part("xlsx_number_twelve.xlsx", BOOK_ROWS, {SHEET: _cell("F2", '<c r="F2" t="n"><v>twelve</v></c>')})
    xlsx_part("xlsx_shared_string_past_table.xlsx", BOOK_ROWS, {
        SHEET: _cell("B2", '<c r="B2" t="s"><v>9999</v></c>'), **shared_strings(sst("USA"))})
    xlsx_part("xlsx_date_not_a_date.xlsx", BOOK_ROWS,
              {SHEET: _cell("E2", '<c r="E2" t="d"><v>not-a-date</v></c>')})
    xlsx_part("xlsx_no_worksheet.xlsx", BOOK_ROWS, {SHEET: lambda xml: None})
    xlsx_part("xlsx_no_sheets_listed.xlsx", BOOK_ROWS, {
        "xl/workbook.xml": lambda xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", xml)})
    xlsx_part("xlsx_error_cell.xlsx", BOOK_ROWS, {SHEET: _cell("F2", '<c r="F2" t="e"><v>#N/A</v></c>')})
    xlsx_part("xlsx_date_serial_huge.xlsx", [H.split(",") + ["vintage"], BOOK_ROWS[1] + [1]],
              {SHEET: _cell("G2", '<c r="G2" s="0" t="d"><v>99999-12-31T00:00:00</v></c>')})
    xlsx_part("xlsx_no_shared_strings.xlsx", BOOK_ROWS, {SHEET: _cell("B2", '<c r="B2" t="s"><v>0</v></c>')})
    xlsx_part("xlsx_styles_garbage.xlsx", BOOK_ROWS, {"xl/styles.xml": lambda xml: b"<styleSheet><<<"})
    xlsx_part("xlsx_entity_expansion.xlsx", BOOK_ROWS, {SHEET: lambda xml: xml.replace(
        b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;'
        b'&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;'
        b'&c;&c;&c;">]><worksheet', 1).replace(b"<t>USA</t>", b"<t>&d;</t>")})
    xlsx_part("xlsx_external_entity.xlsx", BOOK_ROWS, {
        SHEET: _cell("B2", '<c r="B2" t="s"><v>0</v></c>'),
        **shared_strings(sst("&x;", doctype='<!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/hostname">]>'))})
    noted = [H.split(",") + ["note"], BOOK_ROWS[1] + ["note"]]
    xlsx_part("xlsx_note_c1_csi.xlsx", noted, {     # U+009B is valid XML, and a terminal's CSI
        SHEET: _cell("G2", '<c r="G2" t="s"><v>0</v></c>'), **shared_strings(sst("\u009b31mred"))})
    xlsx_part("xlsx_note_raw_escape.xlsx", noted, {     # ESC is not valid XML 1.0
        SHEET: _cell("G2", '<c r="G2" t="s"><v>0</v></c>'), **shared_strings(sst("\x1b[31mred"))})
    xlsx("xlsx_url_javascript.xlsx", [H.split(",") + ["source_url"],
                                      BOOK_ROWS[1] + ["javascript:alert(document.cookie)"]])
    xlsx("xlsx_weight_1e308_twice.xlsx", [KG.split(","), ["CHN", "USA", "X", "85051110", "2025-06", 1e308],
                                          ["CHN", "DEU", "X", "85051110", "2025-06", 1e308]])
    xlsx("xlsx_vintage_future.xlsx", [H.split(",") + ["vintage"], BOOK_ROWS[1] + [dt.datetime(2099, 12, 31)]])
    data = bytearray(_book_bytes(BOOK_ROWS))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:     # flip bytes of the sheet's
        info = book.getinfo(SHEET)                              # compressed data
    begin = info.header_offset + 30 + len(SHEET) + 4
    data[begin:begin + 8] = bytes(b ^ 0x5A for b in data[begin:begin + 8])
    raw("xlsx_member_crc.xlsx", bytes(data))


def _scramble(data: bytes, seed: int, start: int = 4, end: int | None = None) -> bytes:
    """``data`` with the bytes from ``start`` to ``end`` (by default: to the footer) replaced by
    seeded noise; the footer and its length stay valid."""
    footer = int.from_bytes(data[-8:-4], "little")
    end = len(data) - 8 - footer if end is None else end
    noise, state = bytearray(), seed
    while len(noise) < end - start:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2 ** 64
        noise.append(state >> 56)
    return data[:start] + bytes(noise) + data[end:]


def parquet_internals() -> None:
    good = {"reporter": ["CHN", "CHN"], "partner": ["USA", "DEU"], "flow": ["X", "X"],
            "commodity": ["85051110", "85051110"], "period": ["2025-06", "2025-06"]}
    plain = _written({**good, "net_weight_kg": [1.0, 2.0]}, compression="none")
    raw("parquet_scrambled_page.parquet", _scramble(plain, 21))
    snappy = _written({**good, "net_weight_kg": [1.0, 2.0]}, compression="snappy")
    meta = pq.ParquetFile(pa.BufferReader(snappy)).metadata.row_group(0).column(1)   # partner
    begin = meta.data_page_offset + 12
    raw("parquet_scrambled_snappy_page.parquet", _scramble(snappy, 7, begin, begin + 16))
    tables = {
        "parquet_weight_1e308_twice": {**good, "net_weight_kg": [1e308, 1e308]},
        "parquet_weight_uint64_max": {**good, "net_weight_kg": pa.array([2 ** 64 - 1] * 2, pa.uint64())},
        "parquet_weight_decimal38": {**good, "net_weight_kg": pa.array(
            [10 ** 38 - 1] * 2, pa.decimal128(38, 0))},
        "parquet_vintage_0001": {**good, "net_weight_kg": [1.0, 2.0],
                                 "vintage": pa.array([dt.date(1, 1, 1)] * 2, pa.date32())},
        "parquet_vintage_min_date32": {**good, "net_weight_kg": [1.0, 2.0],
                                       "vintage": pa.array([-2 ** 31, -2 ** 31], pa.int32()).cast(pa.date32())},
        "parquet_partner_invalid_utf8": {**good, "net_weight_kg": [1.0, 2.0],
                                         "partner": pa.array([b"USA", b"\xff\xfe\x00"], pa.binary())},
        "parquet_partner_integer": {**good, "net_weight_kg": [1.0, 2.0], "partner": [842, 276]},
        "parquet_weight_nested": {**good, "net_weight_kg": pa.array([[1.0], [2.0]], pa.list_(pa.float64()))},
        "parquet_zero_rows": {k: pa.array([], pa.string()) for k in good} | {"net_weight_kg": pa.array([], pa.float64())},
        "parquet_column_name_escape": {**good, "net_weight_kg\x1b[2J": [1.0, 2.0]},
        "parquet_note_ansi": {**good, "net_weight_kg": [1.0, 2.0], "note": ["ok", "\x1b[31mred\x1b[0m"]},
        "parquet_note_bytes": {**good, "net_weight_kg": [1.0, 2.0],
                               "note": pa.array([b"ok", b"\x1b[31mred"], pa.binary())},
    }
    for name, columns in tables.items():
        raw(f"{name}.parquet", _written(columns))


def _written(columns: dict, **options) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink, **options)
    return sink.getvalue().to_pybytes()


# -- issue #21: export folders (as 'magwatch export parquet' writes them) --------------------

SHA = "ab" * 32
INGESTED = dt.datetime(2025, 7, 21, 8, 0, 0)
RELEASE_SCHEMA = pa.schema([
    ("release_id", pa.int64()), ("source", pa.string()), ("vintage", pa.date32()),
    ("file_name", pa.string()), ("file_size", pa.int64()), ("sha256", pa.string()),
    ("rows_read", pa.int64()), ("rows_added", pa.int64()), ("claims_read", pa.int64()),
    ("claims_added", pa.int64()), ("ingested_at", pa.timestamp("us")), ("note", pa.string())])
REFERENCE_SCHEMA = pa.schema([("name", pa.string()), ("source_row", pa.int64()),
                              ("record", pa.string()), ("release_id", pa.int64())])


def obs(**changes) -> dict:
    """One exported observation row (a test figure), as magwatch writes it."""
    row = dict(source="user", source_ref="", reporter="CHN", partner="USA", flow="X",
               classification="CN-CHN", commodity="85051110", period=dt.date(2025, 6, 1),
               period_months=1, net_weight_kg=353000.0, value=None, currency=None, value_usd=None,
               quantity=None, quantity_unit=None, is_estimated=False, is_confidential=False,
               vintage=dt.date(2025, 7, 20), vintage_precision="day", source_url=None,
               source_file="corpus.csv", source_row=1, source_sha256=SHA, note=None, release_id=1)
    row.update(changes)
    return row


def claim(**changes) -> dict:
    """One exported reported claim (a test figure): +12.5% y/y."""
    row = dict(source="user", source_ref="", reporter="CHN", partner="USA", flow="X",
               classification="CN-CHN", commodity="85051110", period=dt.date(2025, 6, 1),
               period_months=1, metric="yoy_pct", value=12.5, vintage=dt.date(2025, 7, 20),
               vintage_precision="day", source_url=None, source_file="corpus.csv", source_row=1,
               source_sha256=SHA, note=None, release_id=1)
    row.update(changes)
    return row


def release(**changes) -> dict:
    row = dict(release_id=1, source="user", vintage=dt.date(2025, 7, 20), file_name="corpus.csv",
               file_size=120, sha256=SHA, rows_read=2, rows_added=2, claims_read=0, claims_added=0,
               ingested_at=INGESTED, note=None)
    row.update(changes)
    return row


def _obs_schema(rows: list[dict]) -> pa.Schema:
    from magwatch.records import OBSERVATION_SCHEMA

    schema = OBSERVATION_SCHEMA.append(pa.field("release_id", pa.int64()))
    extra = [k for k in rows[0] if k not in schema.names] if rows else []
    return pa.schema([pa.field(f.name, f.type) for f in schema] + [(k, pa.string()) for k in extra])


def _parquet(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, compression="zstd")


def export(name: str, rows: list[dict] | None = None, releases: list[dict] | None = None,
           manifest: dict | None = None, files: dict | None = None,
           claims: list[dict] | None = None) -> Path:
    """A folder ``name`` like ``magwatch export parquet`` writes: ``rows`` (default two valid
    rows of one release) in their partition folders as part-0.parquet (``files`` maps a
    relative path to a list of rows to write instead), the release log, an empty reference
    table and the manifest (``manifest`` overrides its members)."""
    folder = HERE / name
    shutil.rmtree(folder, ignore_errors=True)
    rows = [obs(), obs(partner="DEU", period=dt.date(2025, 5, 1), source_row=2)] if rows is None else rows
    releases = [release()] if releases is None else releases
    if files is None:
        files = {}
        for row in rows:
            part = f"period_year={row['period'].year}/period_month={row['period'].month}/part-0.parquet"
            files.setdefault(part, []).append(row)
    schema = _obs_schema(rows)
    count = 0
    for table in ("observation", "observation_latest"):
        for part, chunk in sorted(files.items()):
            _parquet(folder / table / part, chunk, schema)
        count = sum(len(chunk) for chunk in files.values())
    from magwatch.records import CLAIM_SCHEMA

    claim_schema = pa.schema([pa.field(f.name, f.type) for f in CLAIM_SCHEMA] + [("release_id", pa.int64())])
    for table in ("claim", "claim_latest"):
        for row in claims or []:
            part = f"period_year={row['period'].year}/period_month={row['period'].month}/part-0.parquet"
            _parquet(folder / table / part, [row], claim_schema)
    _parquet(folder / "release" / "release.parquet", releases, RELEASE_SCHEMA)
    _parquet(folder / "reference" / "reference.parquet", [], REFERENCE_SCHEMA)
    body = {"format": "magwatch-parquet/1", "exported_at": "2025-07-21T09:00:00+00:00",
            "store": "corpus.duckdb", "partition_by": ["period_year", "period_month"],
            "rows": {"observation": count, "observation_latest": count, "claim": len(claims or []),
                     "claim_latest": len(claims or []), "release": len(releases), "reference": 0},
            "tables": {t: {"path": t, "columns": schema.names[:]} for t in
                       ("observation", "observation_latest")}}
    body.update(manifest or {})
    (folder / "magwatch-export.json").write_text(json.dumps(body, indent=2) + "\n")
    return folder


def export_folders() -> None:
    export("export_unknown_partner", rows=[obs(partner="XYZ")])
    export("export_flow_q", rows=[obs(flow="Q")])
    export("export_negative_weight", rows=[obs(net_weight_kg=-353000.0)])
    export("export_provenance_spoof", rows=[obs(source="press", source_url="https://press.example/a")])
    first = obs()
    export("export_second_file_duplicate_key", files={
        "period_year=2025/period_month=6/part-0.parquet": [first, obs(partner="DEU", source_row=2)],
        "period_year=2025/period_month=6/part-1.parquet": [obs(source_row=3, net_weight_kg=1.0)]})
    export("export_manifest_rows_list", manifest={"rows": [2, 2, 0, 0, 1, 0]})
    export("export_release_garbage")
    raw("export_release_garbage/release/release.parquet", b"PAR1" + b"\x13garbage" * 40 + b"PAR1")
    export("export_partition_year_abc", files={
        "period_year=abc/period_month=6/part-0.parquet": [obs()]})
    folder = export("export_partial_data")               # the manifest counts 2 rows, 1 is there
    (folder / "observation" / "period_year=2025" / "period_month=5" / "part-0.parquet").unlink()
    folder = export("export_no_manifest")
    (folder / "magwatch-export.json").unlink()
    folder = export("export_manifest_truncated")
    manifest = (folder / "magwatch-export.json").read_bytes()
    raw("export_manifest_truncated/magwatch-export.json", manifest[: len(manifest) // 3])
    export("export_manifest_other_format", manifest={"format": "magwatch-parquet/9"})
    export("export_manifest_negative_count", manifest={"rows": {
        "observation": -1, "observation_latest": 2, "claim": 0, "claim_latest": 0, "release": 1,
        "reference": 0}})
    export("export_manifest_partitions_traversal", manifest={"partition_by": ["..", "period_month"]})
    folder = export("export_manifest_utf16")
    manifest = (folder / "magwatch-export.json").read_text()
    raw("export_manifest_utf16/magwatch-export.json", manifest.encode("utf-16"))
    export("export_wrong_partition_folder", files={
        "period_year=2025/period_month=5/part-0.parquet": [obs()]})
    export("export_partition_month_13", files={
        "period_year=2025/period_month=13/part-0.parquet": [obs()]})
    folder = export("export_scrambled_page")
    part = folder / "observation" / "period_year=2025" / "period_month=6" / "part-0.parquet"
    part.write_bytes(_scramble(_written({k: [v] for k, v in obs().items()}, compression="none"), 5))
    folder = export("export_release_missing")
    (folder / "release" / "release.parquet").unlink()
    export("export_unknown_release_id", rows=[obs(release_id=99)])
    export("export_vintage_after_ingestion", rows=[obs(vintage=dt.date(2025, 7, 30))])
    export("export_extra_column", rows=[obs(comment="not a column of the format")])
    export("export_note_ansi", rows=[obs(note="\x1b[31mred\x1b[0m\x07")])
    export("export_url_javascript", rows=[obs(source_url="javascript:alert(1)")])
    export("export_not_canonical", rows=[obs(partner="Germany")])
    folder = export("export_stray_csv")
    text("export_stray_csv/observation/period_year=2025/period_month=6/extra.csv", f"{H}\n{OK}\n")
    export("export_ingested_in_future", releases=[release(ingested_at=dt.datetime(2099, 1, 1))])
    export("export_release_file_name_escape", releases=[release(file_name="a\x1b]0;pwned\x07.csv")])
    export("export_weight_infinite", rows=[obs(net_weight_kg=float("inf"))])
    export("export_weight_1e308_twice", rows=[obs(net_weight_kg=1e308),
                                              obs(partner="DEU", net_weight_kg=1e308, source_row=2)])
    export("export_reporter_is_partner", rows=[obs(partner="CHN")])
    export("export_sha_mismatch", rows=[obs(source_sha256="cd" * 32)])
    export("export_release_listed_twice", releases=[release(), release()])
    export("export_period_1900", rows=[obs(period=dt.date(1900, 1, 1))])
    export("export_vintage_precision_unknown", rows=[obs(vintage_precision="roughly")])
    export("export_currency_gold", rows=[obs(value=1000.0, currency="XAU")])
    export("export_claim_rank_negative", claims=[claim(metric="rank", value=-3.0)])
    export("export_claim_rank_fraction", claims=[claim(metric="rank", value=2.5)])
    export("export_claim_share_250", claims=[claim(metric="share_pct", value=250.0)])
    export("export_claim_fall_500", claims=[claim(value=-500.0)])
    export("export_claim_change_1e308", claims=[claim(metric="mom_pct", value=1e308)])
    export("export_claim_unknown_metric", claims=[claim(metric="vibes")])
    export("export_release_note_escape", releases=[release(note="\x1b[2J\x1b]0;owned\x07")])
    export("export_release_source_quote", rows=[obs(source="us'er")], releases=[release(source="us'er")])
    folder = export("export_manifest_deep_nesting")      # json.loads: RecursionError
    text("export_manifest_deep_nesting/magwatch-export.json", "[" * 100_000 + "]" * 100_000)
    folder = export("export_manifest_huge_count")        # int(): ValueError past 4300 digits
    manifest = (folder / "magwatch-export.json").read_text()
    text("export_manifest_huge_count/magwatch-export.json",
         manifest.replace('"observation": 2,', '"observation": 1' + "0" * 5000 + ",", 1))
    folder = export("export_ingested_at_overflow")       # year 294247: no Python datetime holds it
    log = folder / "release" / "release.parquet"
    table = pq.read_table(log)
    stamps = pa.array([2 ** 63 - 1], pa.int64()).cast(pa.timestamp("us"))
    pq.write_table(table.set_column(table.schema.get_field_index("ingested_at"), "ingested_at",
                                    stamps), log, compression="zstd")


if __name__ == "__main__":
    main()
