"""China customs (GACC) query-platform exports: CSV or Excel files a user downloads.

The platform (http://stats.customs.gov.cn) has no API; a user runs a query and exports
the table. ``magwatch import --source gacc FILE`` reads one such export:

- encoding GB18030 (a superset of GBK), UTF-8 accepted too; one header row; a trailing
  empty column (every line ends in a comma) is ignored;
- columns by their Chinese names, in any order: 数据年月 (YYYYMM, required), 商品编码
  (8- or 10-digit tariff line, kept as a string, required), 贸易伙伴编码 (GACC's
  3-digit partner code) and/or 贸易伙伴名称 (partner name, exact match), 第一数量 and
  第一计量单位 (first quantity and unit; 千克 = kg fills net weight), and the value in
  美元 (USD) or 人民币 (CNY);
- amounts with thousands separators (``"1,234,567"``);
- breakdown columns (贸易方式 trade mode, 注册地 place of registration) are summed per
  period, commodity and partner, and the note says how many rows were added up.

An unknown partner code is an error naming the code, the row and the column, never a
silent drop; so is a code whose name in the file names another partner. CNY values
keep ``value_usd`` empty (magwatch holds no published CNY/USD rates and does not invent
one). The file does not say whether it is an export or an import query: ``flow``
defaults to X (exports, which is what the platform is used for here); pass ``M`` for
an import query. The vintage is the one given, else the file's modification date.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from magwatch.codes import to_iso3, validate_code
from magwatch.errors import InputError, UnknownCodeError
from magwatch.records import OBSERVATION_SCHEMA
from magwatch.sources import register

PERIOD = "数据年月"
COMMODITY = "商品编码"
PARTNER_CODE = "贸易伙伴编码"
PARTNER_NAME = "贸易伙伴名称"
QUANTITY = "第一数量"
UNIT = "第一计量单位"
USD = "美元"
CNY = "人民币"
BREAKDOWNS = ("贸易方式编码", "贸易方式名称", "注册地编码", "注册地名称")

#: First units of quantity -> (magwatch unit, kg per unit for net weight or None).
UNITS = {"千克": ("kg", 1.0), "公斤": ("kg", 1.0), "克": ("g", 0.001), "吨": ("t", 1000.0),
         "个": ("u", None), "件": ("u", None), "台": ("u", None), "套": ("u", None),
         "对": ("pair", None)}


def _decode(raw: bytes, file: str) -> str:
    """GB18030 first (the platform's encoding), then UTF-8; the header decides."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "strict")
    decoded = []
    for encoding in ("gb18030", "utf-8"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        first = text.split("\n", 1)[0]
        if PERIOD in first or COMMODITY in first:
            return text
        decoded.append(text)
    if not decoded:
        raise InputError("cannot decode the file as GB18030/GBK or UTF-8", file=file)
    return decoded[0]


def _rows_csv(path: Path) -> list[list[str]]:
    text = _decode(path.read_bytes(), str(path))
    return list(csv.reader(io.StringIO(text, newline="")))


def _rows_xlsx(path: Path) -> list[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(f"cannot read the Excel file ({type(exc).__name__})", file=str(path)) from None
    sheet = book.worksheets[0]
    out = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return out


def _number(text: str, *, file: str, row: int, field: str) -> float | None:
    s = str(text).strip().replace(",", "").replace("，", "")
    if s in ("", "-", "--"):
        return None
    try:
        number = float(s)
    except ValueError:
        raise InputError(f"expected a number, got {text!r}", file=file, row=row, field=field) from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"expected a finite, non-negative figure, got {text!r}", file=file,
                         row=row, field=field)
    return number


def _period(text: str, *, file: str, row: int) -> dt.date:
    s = str(text).strip()
    m = re.fullmatch(r"(\d{4})(?:-|年)?(\d{1,2})月?(?:\.0)?", s)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"expected a month YYYYMM, got {text!r}", file=file, row=row, field=PERIOD)
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


class Gacc:
    name = "gacc"
    title = "China customs (GACC) query-platform exports (CSV/Excel files)"

    def read_file(self, path: Path, *, vintage: dt.date | None = None,
                  flow: str | None = None) -> pa.Table:
        path = Path(path)
        file = str(path)
        flow = (flow or "X").upper()
        if flow not in ("X", "M"):
            raise InputError(f"flow must be X or M, got {flow!r}", file=file, field="flow")
        rows = _rows_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _rows_csv(path)
        if not rows:
            raise InputError("the file is empty", file=file)
        header = [h.strip() for h in rows[0]]
        columns = {h: i for i, h in enumerate(header) if h}
        for required in (PERIOD, COMMODITY):
            if required not in columns:
                raise InputError(f"missing column {required!r}; found {', '.join(columns) or 'none'} "
                                 f"(re-export with {required} selected)", file=file, row=0, field=required)
        if PARTNER_CODE not in columns and PARTNER_NAME not in columns:
            raise InputError(f"missing partner column: need {PARTNER_CODE!r} or {PARTNER_NAME!r}",
                             file=file, row=0, field=PARTNER_CODE)
        currencies = [c for c in (USD, CNY) if c in columns]
        if len(currencies) != 1:
            raise InputError(f"need exactly one value column, {USD!r} (USD) or {CNY!r} (CNY); "
                             f"found {currencies or 'none'}", file=file, row=0, field=USD)
        money = currencies[0]
        currency = "USD" if money == USD else "CNY"
        breakdown = [b for b in BREAKDOWNS if b in columns]
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        vintage_note = None
        if vintage is None:
            vintage = dt.datetime.fromtimestamp(path.stat().st_mtime).date()
            vintage_note = "vintage = file modification date (GACC exports carry no release date)"

        groups: dict[tuple[dt.date, str, str], dict[str, Any]] = {}
        for n, raw in enumerate(rows[1:], start=1):
            cells = {h: (raw[i].strip() if i < len(raw) else "") for h, i in columns.items()}
            if not any(cells.values()):
                continue                             # blank line at the end of an export
            period = _period(cells[PERIOD], file=file, row=n)
            commodity = validate_code("CN-CHN", cells[COMMODITY], file=file, row=n, field=COMMODITY)
            partner = self._partner(cells, file=file, row=n)
            value = _number(cells[money], file=file, row=n, field=money)
            quantity = unit = None
            weight = None
            if QUANTITY in cells and cells[QUANTITY] != "":
                quantity = _number(cells[QUANTITY], file=file, row=n, field=QUANTITY)
                unit_text = cells.get(UNIT, "")
                if unit_text not in UNITS:
                    raise InputError(f"unknown unit {unit_text!r}; known: {', '.join(UNITS)}",
                                     file=file, row=n, field=UNIT)
                unit, per_kg = UNITS[unit_text]
                if quantity is not None and per_kg is not None:
                    weight = quantity * per_kg
            key = (period, commodity, partner)
            g = groups.get(key)
            if g is None:
                groups[key] = {"value": value, "quantity": quantity, "unit": unit, "weight": weight,
                               "rows": [n]}
            else:
                if not breakdown:
                    raise InputError(f"a second row for {period:%Y%m}, {commodity}, partner {partner} "
                                     f"(first at row {g['rows'][0]}) and no breakdown column",
                                     file=file, row=n, field=PARTNER_CODE)
                if g["unit"] != unit:
                    raise InputError(f"unit {unit!r} differs from row {g['rows'][0]} ({g['unit']!r})",
                                     file=file, row=n, field=UNIT)
                g["value"] = None if value is None or g["value"] is None else g["value"] + value
                g["quantity"] = None if quantity is None or g["quantity"] is None else g["quantity"] + quantity
                g["weight"] = None if weight is None or g["weight"] is None else g["weight"] + weight
                g["rows"].append(n)

        out = []
        for (period, commodity, partner), g in groups.items():
            notes = [vintage_note]
            if len(g["rows"]) > 1:
                notes.append(f"sum of {len(g['rows'])} rows by {'/'.join(breakdown)} "
                             f"(rows {', '.join(map(str, g['rows']))})")
            if currency == "CNY" and g["value"] is not None:
                notes.append("value in CNY; value_usd left empty (no published rate held)")
            out.append({
                "source": "gacc", "source_ref": "stats.customs.gov.cn", "reporter": "CHN",
                "partner": partner, "flow": flow, "classification": "CN-CHN", "commodity": commodity,
                "period": period, "period_months": 1, "net_weight_kg": g["weight"],
                "value": g["value"], "currency": currency if g["value"] is not None else None,
                "value_usd": g["value"] if currency == "USD" else None,
                "quantity": g["quantity"], "quantity_unit": g["unit"] if g["quantity"] is not None else None,
                "is_estimated": False, "is_confidential": False, "vintage": vintage,
                "vintage_precision": "day", "source_url": None, "source_file": path.name,
                "source_row": g["rows"][0], "source_sha256": sha,
                "note": "; ".join(filter(None, notes)) or None,
            })
        return pa.Table.from_pylist(out, schema=OBSERVATION_SCHEMA)

    @staticmethod
    def _partner(cells: dict[str, str], *, file: str, row: int) -> str:
        code = cells.get(PARTNER_CODE, "")
        name = cells.get(PARTNER_NAME, "")
        if code:
            iso3 = to_iso3(code, "gacc", file=file, row=row, field=PARTNER_CODE)
            if name:
                try:
                    by_name = to_iso3(name, "gacc_name")
                except UnknownCodeError:
                    by_name = None
                if by_name is not None and by_name != iso3:
                    raise InputError(f"partner code {code} is {iso3} but the name {name!r} is {by_name}",
                                     file=file, row=row, field=PARTNER_NAME)
            return iso3
        return to_iso3(name, "gacc_name", file=file, row=row, field=PARTNER_NAME)


register(Gacc())
