"""China customs (GACC) query-platform exports: CSV or Excel files a user downloads.

The platform (http://stats.customs.gov.cn) has no API; a user runs a query and exports
the table. ``magwatch import --source gacc FILE`` reads one such export:

- the platform's bytes: GB18030/GBK (UTF-8 accepted too), one header row, fields
  separated by a comma or by TAB then comma (``\\t,``), a trailing empty field on every
  line, text quoted and codes not, ``?`` for a missing unit, thousands separators in
  amounts (``"1,234,567"``);
- columns by their Chinese names or by the English names of the platform's English
  interface (``Date of data``, ``Commodity code``, ``US dollar``...), in any order:
  数据年月 (YYYYMM, required), 商品编码 (tariff line, a string, required), 贸易伙伴编码
  and/or 贸易伙伴名称 (partner), 第一数量 and 第一计量单位 (first quantity and unit), and
  the value in 美元 (USD) or 人民币 (CNY);
- a unit is read from its name (千克 = kg fills net weight); a unit code, where the file
  has one, is only checked against the name: code 01 is both 个 and 头;
- cumulative (累计) columns are never read as a month: with monthly columns beside them
  they are left out (the note says so); alone they give a year-to-date figure
  (January to the month, ``period_months`` = the month's number);
- trade mode (贸易方式) and registration place (注册地, the province where the trader is
  registered) are dimensions: :meth:`Gacc.read_rows` keeps them per row; the store's
  record has no column for them, so :meth:`Gacc.read_file` sums them per period, line
  and partner and the note names the rows and codes added up.

An unknown partner code is an error naming the code, the row and the column, never a
silent drop; so is a code whose name in the file names another partner, and a trade-mode
code whose name is the platform's name of another mode. CNY values keep ``value_usd``
empty (no published CNY/USD rate is held). The file does not say whether it is an export
or an import query: ``flow`` defaults to X; pass ``M`` for an import query. The vintage
is the one given, else the file's modification date.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from magwatch.codes import to_iso3, validate_code
from magwatch.codes.tables import read_table
from magwatch.errors import InputError, UnknownCodeError
from magwatch.records import OBSERVATION_SCHEMA
from magwatch.sources import checked_figure, register
from magwatch.store.normalise import CEILINGS, FIRST_PERIOD

PERIOD = "数据年月"
COMMODITY = "商品编码"
COMMODITY_NAME = "商品名称"
PARTNER_CODE = "贸易伙伴编码"
PARTNER_NAME = "贸易伙伴名称"
MODE_CODE = "贸易方式编码"
MODE_NAME = "贸易方式名称"
PLACE_CODE = "注册地编码"
PLACE_NAME = "注册地名称"
QUANTITY = "第一数量"
UNIT = "第一计量单位"
UNIT_CODE = "第一计量单位编码"
USD = "美元"
CNY = "人民币"
BREAKDOWNS = (MODE_CODE, MODE_NAME, PLACE_CODE, PLACE_NAME)
FIGURES = (QUANTITY, "第二数量", USD, CNY)
CUMULATIVE = "累计"
NO_UNIT = "?"

#: Headers of the platform's English interface -> the Chinese names. From the English
#: export recorded in turbanisch/chinautils (inst/extdata/english-full.csv) and that
#: package's header table (data-raw/cc_variable_names.R, both spellings of
#: "Supplementary"). Matched without regard to case or repeated spaces.
ENGLISH_HEADERS = {
    "date of data": PERIOD, "commodity code": COMMODITY, "commodity": COMMODITY_NAME,
    "trading partner code": PARTNER_CODE, "trading partner": PARTNER_NAME,
    "customs regime code": MODE_CODE, "customs regime": MODE_NAME,
    "locations of importers and exporters code": PLACE_CODE,
    "locations of importers and exporters": PLACE_NAME,
    "quantity": QUANTITY, "unit": UNIT,
    "supplementary quantity": "第二数量", "supplimentary quantity": "第二数量",
    "supplementary unit": "第二计量单位", "supplimentary unit": "第二计量单位",
    "us dollar": USD, "renminbi yuan": CNY,
}

#: Extra schema of :meth:`Gacc.read_rows`: one record per exported row, with its dimensions.
DETAIL_SCHEMA = pa.schema(list(OBSERVATION_SCHEMA) + [
    pa.field("trade_mode", pa.string()), pa.field("trade_mode_name", pa.string()),
    pa.field("registration_place", pa.string()), pa.field("registration_place_name", pa.string()),
])

@dataclass(frozen=True)
class Unit:
    name: str
    unit: str
    kg_per_unit: float | None
    codes: frozenset[str]


@functools.cache
def units() -> dict[str, Unit]:
    """Unit names (Chinese and English) -> the unit, with the codes seen for that name."""
    out: dict[str, Unit] = {}
    for r in read_table("gacc_units.csv"):
        kg = float(r["kg_per_unit"]) if r["kg_per_unit"] else None
        codes = frozenset({r["code"]} if r["code"] else set())
        for name in filter(None, (r["name_zh"], r["name_en"].lower())):
            out[name] = Unit(r["name_zh"], r["unit"], kg, codes)
    return out


@functools.cache
def trade_modes() -> dict[str, dict[str, str]]:
    """Trade-mode code -> its row in gacc_trade_modes.csv (names, confirmed)."""
    return {r["code"]: r for r in read_table("gacc_trade_modes.csv")}


# -- bytes to rows -------------------------------------------------------------------------

def _known_header(line: str) -> bool:
    folded = line.lower()
    return any(h in line for h in (PERIOD, COMMODITY)) or "commodity code" in folded


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
        if _known_header(text.split("\n", 1)[0]):
            return text
        decoded.append(text)
    if not decoded:
        raise InputError("cannot decode the file as GB18030/GBK or UTF-8", file=file)
    return decoded[0]


def _rows_csv(path: Path) -> list[list[str]]:
    """CSV rows, comma-separated. In the platform's ``\\t,`` bytes each field keeps the TAB
    before its comma (after a closing quote too); every cell is stripped where it is read."""
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


def read_rows_of(path: Path) -> list[list[str]]:
    """The file's rows as lists of text cells (CSV in the platform's bytes, or Excel)."""
    path = Path(path)
    rows = _rows_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _rows_csv(path)
    if not rows:
        raise InputError("the file is empty", file=str(path))
    return rows


# -- the header ----------------------------------------------------------------------------

def canonical_header(text: str) -> tuple[str, bool]:
    """A header cell's Chinese column name and whether it is a cumulative (累计) column."""
    s = re.sub(r"\s+", " ", str(text).strip())
    cumulative = CUMULATIVE in s or "cumulative" in s.lower()
    if cumulative:
        s = s.replace(CUMULATIVE, "")
        s = re.sub(r"(?i)cumulative", "", s).strip(" _-()（）")
    return ENGLISH_HEADERS.get(s.lower(), s), cumulative


@dataclass
class Layout:
    """Which column holds what: monthly columns, the cumulative ones, the value column."""

    columns: dict[str, int]
    cumulative: dict[str, int]
    money: str
    currency: str
    year_to_date: bool
    breakdown: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        """The columns read: for a year-to-date file the figures come from cumulative columns
        only, so a monthly quantity is never paired with a cumulative value."""
        if not self.year_to_date:
            return self.columns
        fixed = {k: i for k, i in self.columns.items() if k not in FIGURES}
        return {**fixed, **self.cumulative}


def _refuse_parameter_list(names: dict[str, int], file: str) -> None:
    if UNIT_CODE in names and "年份" in names and PERIOD not in names:
        raise InputError("this is the platform's commodity-parameter list (商品参数导出: units per "
                         "tariff line), not a trade export; export a trade query instead",
                         file=file, row=0, field=COMMODITY)


def _columns(header: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    monthly: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    for i, h in enumerate(header):
        name, is_cumulative = canonical_header(h)
        if name:
            (cumulative if is_cumulative else monthly).setdefault(name, i)
    return monthly, cumulative


def _money(monthly: dict[str, int], cumulative: dict[str, int], file: str) -> tuple[str, bool]:
    """The value column (美元 or 人民币) and whether it is cumulative."""
    for columns, ytd in ((monthly, False), (cumulative, True)):
        found = [c for c in (USD, CNY) if c in columns]
        if len(found) > 1:
            raise InputError(f"need exactly one value column, {USD!r} (USD) or {CNY!r} (CNY); "
                             f"found {found}", file=file, row=0, field=USD)
        if found:
            return found[0], ytd
    raise InputError(f"need exactly one value column, {USD!r} (USD) or {CNY!r} (CNY); found none",
                     file=file, row=0, field=USD)


MISSING_HINT = {
    PERIOD: "the platform leaves the month out of single-month downloads: query a range of "
            "months; magwatch does not guess the month",
    COMMODITY: f"re-export with {COMMODITY} selected",
}


def _english(name: str) -> str:
    return next((e for e, zh in ENGLISH_HEADERS.items() if zh == name), name).capitalize()


def layout(header: list[str], file: str) -> Layout:
    """The layout of a header row; InputError names a missing or doubled column."""
    monthly, cumulative = _columns(header)
    _refuse_parameter_list(monthly, file)
    for required in (PERIOD, COMMODITY):
        if required not in monthly:
            raise InputError(f"missing column {required!r} ({_english(required)}); found "
                             f"{', '.join(monthly) or 'none'} ({MISSING_HINT[required]})",
                             file=file, row=0, field=required)
    if PARTNER_CODE not in monthly and PARTNER_NAME not in monthly:
        raise InputError(f"missing partner column: need {PARTNER_CODE!r} or {PARTNER_NAME!r}",
                         file=file, row=0, field=PARTNER_CODE)
    money, ytd = _money(monthly, cumulative, file)
    return Layout(monthly, cumulative, money, "USD" if money == USD else "CNY", ytd,
                  [b for b in BREAKDOWNS if b in monthly])


# -- one row -------------------------------------------------------------------------------

def _number(text: str, *, file: str, row: int, field: str) -> float | None:
    s = str(text).strip().replace(",", "").replace("，", "")
    if s in ("", "-", "--"):
        return None
    return checked_figure(s, text, file=file, row=row, field=field)


def _period(text: str, *, file: str, row: int) -> dt.date:
    s = str(text).strip()
    m = re.fullmatch(r"(\d{4})(?:-|年)?(\d{1,2})月?(?:\.0)?", s)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"expected a month YYYYMM, got {text!r}", file=file, row=row, field=PERIOD)
    # the bounds of every import (docs/import.md): HS began in 1988; no month after this one
    last = dt.date.today().replace(day=1)
    if not (FIRST_PERIOD.year, 1) <= (int(m.group(1)), int(m.group(2))) <= (last.year, last.month):
        raise InputError(f"month out of range ({FIRST_PERIOD:%Y%m} to {last:%Y%m}), got {text!r}",
                         file=file, row=row, field=PERIOD)
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def unit_of(name: str, code: str | None, *, file: str, row: int, field: str = UNIT) -> Unit | None:
    """The unit a name stands for (``?`` = none); a code is checked against the name, never read alone."""
    name = str(name).strip()
    code = (code or "").strip() or None
    if name in ("", NO_UNIT):
        if code not in (None, NO_UNIT):
            raise InputError(f"unit code {code!r} without a unit name: a code alone is ambiguous "
                             f"(01 is both 个 and 头); re-export with the unit name", file=file,
                             row=row, field=field)
        return None
    unit = units().get(name) or units().get(name.lower())
    if unit is None:
        raise InputError(f"unknown unit {name!r}; known: {', '.join(sorted(units()))}",
                         file=file, row=row, field=field)
    if code is not None and unit.codes and code not in unit.codes:
        raise InputError(f"unit code {code!r} does not go with {name!r} (code "
                         f"{'/'.join(sorted(unit.codes))})", file=file, row=row, field=UNIT_CODE)
    return unit


@dataclass
class Quantity:
    quantity: float | None = None
    unit: str | None = None
    weight_kg: float | None = None
    note: str | None = None


def _quantity(cells: dict[str, str], *, file: str, row: int) -> Quantity:
    text = cells.get(QUANTITY, "")
    if text == "":
        return Quantity()
    quantity = _number(text, file=file, row=row, field=QUANTITY)
    unit = unit_of(cells.get(UNIT, ""), cells.get(UNIT_CODE), file=file, row=row)
    if unit is None:
        if quantity:
            return Quantity(note=f"first quantity {text} has no unit ('?'); not stored")
        return Quantity()
    weight = quantity * unit.kg_per_unit if quantity is not None and unit.kg_per_unit else None
    return Quantity(quantity, unit.unit, weight)


def _partner(cells: dict[str, str], *, file: str, row: int) -> str:
    code = cells.get(PARTNER_CODE, "")
    name = cells.get(PARTNER_NAME, "")
    if code:
        iso3 = to_iso3(code, "gacc", file=file, row=row, field=PARTNER_CODE)
        if name:
            try:
                by_name = to_iso3(name, "gacc_name")
            except UnknownCodeError:
                by_name = None        # an English name, or a spelling not in the list
            if by_name is not None and by_name != iso3:
                raise InputError(f"partner code {code} is {iso3} but the name {name!r} is {by_name}",
                                 file=file, row=row, field=PARTNER_NAME)
        return iso3
    return to_iso3(name, "gacc_name", file=file, row=row, field=PARTNER_NAME)


def trade_mode(code: str, name: str, *, file: str, row: int) -> tuple[str | None, str | None]:
    """A trade-mode code and name; a name that is the platform's name of another code is an error."""
    code, name = code.strip() or None, name.strip() or None
    if name is not None:
        owners = [c for c, r in trade_modes().items() if name in (r["name_zh"], r["name_en"])]
        if owners and code is not None and code not in owners:
            raise InputError(f"trade mode {code} is named {name!r}, the platform's name of mode "
                             f"{'/'.join(owners)}", file=file, row=row, field=MODE_NAME)
    return code, name


@dataclass
class Line:
    """One exported row, parsed."""

    row: int
    period: dt.date
    months: int
    commodity: str
    partner: str
    value: float | None
    quantity: Quantity
    mode: tuple[str | None, str | None]
    place: tuple[str | None, str | None]


def parse_line(raw: list[str], lay: Layout, n: int, file: str) -> Line | None:
    """One data row (``n`` = 1-based data row); None for a blank line."""
    columns = lay.figures()
    cells = {h: (raw[i].strip() if i < len(raw) else "") for h, i in columns.items()}
    if not any(cells.values()):
        return None                                  # blank line at the end of an export
    period = _period(cells[PERIOD], file=file, row=n)
    months = 1
    if lay.year_to_date:
        period, months = dt.date(period.year, 1, 1), period.month
    commodity = validate_code("CN-CHN", cells[COMMODITY], file=file, row=n, field=COMMODITY)
    mode = trade_mode(cells.get(MODE_CODE, ""), cells.get(MODE_NAME, ""), file=file, row=n)
    place = (cells.get(PLACE_CODE) or None, cells.get(PLACE_NAME) or None)
    return Line(n, period, months, commodity, _partner(cells, file=file, row=n),
                _number(cells[lay.money], file=file, row=n, field=lay.money),
                _quantity(cells, file=file, row=n), mode, place)


# -- rows to records -----------------------------------------------------------------------

def _plus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


@dataclass
class Group:
    """The rows of one period, line and partner, added up over the breakdown columns."""

    first: Line
    lines: list[Line]
    value: float | None
    quantity: float | None
    weight: float | None

    def add(self, line: Line, *, file: str) -> None:
        if line.quantity.unit != self.first.quantity.unit:
            raise InputError(f"unit {line.quantity.unit!r} differs from row {self.first.row} "
                             f"({self.first.quantity.unit!r})", file=file, row=line.row, field=UNIT)
        self.value = _plus(self.value, line.value)
        self.quantity = _plus(self.quantity, line.quantity.quantity)
        self.weight = _plus(self.weight, line.quantity.weight_kg)
        self.lines.append(line)


def group_lines(lines: list[Line], lay: Layout, file: str) -> dict[tuple, Group]:
    """Lines summed per period, line and partner; a repeated row is an error."""
    groups: dict[tuple, Group] = {}
    seen: dict[tuple, int] = {}
    for line in lines:
        key = (line.period, line.months, line.commodity, line.partner)
        detail = key + (line.mode, line.place)
        if detail in seen:
            why = ("with the same trade mode and registration place" if lay.breakdown
                   else "and no breakdown column")
            raise InputError(f"a second row for {line.period:%Y%m}, {line.commodity}, partner "
                             f"{line.partner} (first at row {seen[detail]}) {why}",
                             file=file, row=line.row, field=PARTNER_CODE)
        seen[detail] = line.row
        if key in groups:
            groups[key].add(line, file=file)
        else:
            q = line.quantity
            groups[key] = Group(line, [line], line.value, q.quantity, q.weight_kg)
    return groups


def _sum_note(g: Group, lay: Layout) -> str | None:
    if len(g.lines) < 2:
        return None
    modes = sorted({ln.mode[0] for ln in g.lines if ln.mode[0]})
    places = sorted({ln.place[0] for ln in g.lines if ln.place[0]})
    parts = [f"sum of {len(g.lines)} rows by {'/'.join(lay.breakdown)} "
             f"(rows {', '.join(str(ln.row) for ln in g.lines)})"]
    if modes:
        parts.append(f"trade modes {', '.join(modes)}")
    if places:
        parts.append(f"registration places {', '.join(places)}")
    return "; ".join(parts)


def _notes(g: Group, lay: Layout, vintage_note: str | None) -> str | None:
    notes = [vintage_note, _sum_note(g, lay)]
    notes += [ln.quantity.note for ln in g.lines if ln.quantity.note]
    if lay.year_to_date:
        year = g.first.period.year
        notes.append(f"cumulative (累计) figure: {year}-01 to {year}-{g.first.months:02d}")
    elif lay.cumulative:
        notes.append(f"cumulative (累计) columns not read: {', '.join(lay.cumulative)}")
    if lay.currency == "CNY" and g.value is not None:
        notes.append("value in CNY; value_usd left empty (no published rate held)")
    return "; ".join(filter(None, notes)) or None


@dataclass(frozen=True)
class FileFacts:
    """What every record of one file shares."""

    file_name: str
    sha256: str
    flow: str
    vintage: dt.date
    vintage_note: str | None


def _check_ceilings(record: dict, lay: Layout, line: Line, file: str) -> dict:
    """The figures of ``record`` finite and below the ceilings of every import (docs/import.md);
    a sum of rows that overflows is refused like one absurd row."""
    for column, field_name in (("net_weight_kg", QUANTITY), ("quantity", QUANTITY),
                               ("value", lay.money), ("value_usd", lay.money)):
        figure = record[column]
        if figure is not None and not (math.isfinite(figure) and figure < CEILINGS[column]):
            raise InputError(f"{column} {figure:g} is above the ceiling of {CEILINGS[column]:g} "
                             f"no real month reaches (docs/import.md)", file=file,
                             row=line.row, field=field_name)
    return record


def _record(facts: FileFacts, lay: Layout, line: Line, value: float | None,
            quantity: float | None, weight: float | None, note: str | None) -> dict:
    unit = line.quantity.unit if quantity is not None else None
    return {
        "source": "gacc", "source_ref": "stats.customs.gov.cn", "reporter": "CHN",
        "partner": line.partner, "flow": facts.flow, "classification": "CN-CHN",
        "commodity": line.commodity, "period": line.period, "period_months": line.months,
        "net_weight_kg": weight, "value": value,
        "currency": lay.currency if value is not None else None,
        "value_usd": value if lay.currency == "USD" else None,
        "quantity": quantity, "quantity_unit": unit,
        "is_estimated": False, "is_confidential": False, "vintage": facts.vintage,
        "vintage_precision": "day", "source_url": None, "source_file": facts.file_name,
        "source_row": line.row, "source_sha256": facts.sha256, "note": note,
    }


# -- the commodity-parameter export (商品参数导出) -------------------------------------------

@dataclass(frozen=True)
class CommodityUnits:
    """One line of the platform's commodity-parameter export: a tariff line's units in a year."""

    code: str
    name: str
    year: int
    first_unit_code: str | None
    first_unit: str | None
    second_unit_code: str | None
    second_unit: str | None


PARAMETER_HEADER = ("商品编码", "商品名称", "年份", "第一计量单位编码", "第一计量单位名称",
                    "第二计量单位编码", "第二计量单位名称")


def read_commodity_parameters(path: Path) -> list[CommodityUnits]:
    """The platform's 商品参数导出 file: every line, ``?`` read as no unit."""
    path = Path(path)
    file = str(path)
    rows = read_rows_of(path)
    header = tuple(h.strip() for h in rows[0] if h.strip())
    if header != PARAMETER_HEADER:
        raise InputError(f"not a commodity-parameter export: header {', '.join(header)}",
                         file=file, row=0)
    out = []
    for n, raw in enumerate(rows[1:], start=1):
        cells = [c.strip() for c in raw[:len(PARAMETER_HEADER)]]
        if not any(cells):
            continue
        if len(cells) < len(PARAMETER_HEADER) or not cells[2].isdigit():
            raise InputError(f"expected {len(PARAMETER_HEADER)} fields with a year, got {raw!r}",
                             file=file, row=n)
        code = validate_code("CN-CHN", cells[0], file=file, row=n, field=COMMODITY)
        first = _parameter_unit(cells[3], cells[4], file=file, row=n, field="第一计量单位名称")
        second = _parameter_unit(cells[5], cells[6], file=file, row=n, field="第二计量单位名称")
        out.append(CommodityUnits(code, cells[1], int(cells[2]), *first, *second))
    return out


def _parameter_unit(code: str, name: str, *, file: str, row: int,
                    field: str) -> tuple[str | None, str | None]:
    """A (code, name) unit pair of the parameter list; ``?`` = none; a known name's code is checked."""
    if name == NO_UNIT or (name == "" and code in ("", NO_UNIT)):
        if code not in ("", NO_UNIT):
            raise InputError(f"unit code {code!r} without a unit name", file=file, row=row, field=field)
        return None, None
    known = units().get(name)
    if known is not None and known.codes and code not in known.codes:
        raise InputError(f"unit code {code!r} does not go with {name!r} (code "
                         f"{'/'.join(sorted(known.codes))})", file=file, row=row, field=field)
    return code, name


# -- the source ----------------------------------------------------------------------------

def _check_vintage(vintage: dt.date, lines: list[Line], file: str, *, stated: bool) -> None:
    """The bounds of every import (docs/import.md): a vintage not after today, and on or after
    the end of every period it dates (a month's figure is published after the month)."""
    hint = "" if stated else " (it is the file's modification date; give the release date with --vintage)"
    if vintage > dt.date.today():
        raise InputError(f"vintage {vintage} is in the future (after {dt.date.today()}); is the "
                         f"year a typo?{hint}", file=file, field="vintage")
    for line in lines:
        last = line.period.month + line.months - 1            # the last month the row covers
        end = dt.date(line.period.year + last // 12, last % 12 + 1, 1)
        if vintage < end:
            raise InputError(f"vintage {vintage} is before the end of the period "
                             f"{line.period:%Y-%m}: a month's figure is published after it{hint}",
                             file=file, row=line.row, field="vintage")


class Gacc:
    name = "gacc"
    title = "China customs (GACC) query-platform exports (CSV/Excel files)"

    def _parse(self, path: Path, vintage: dt.date | None,
               flow: str | None) -> tuple[FileFacts, Layout, list[Line]]:
        path = Path(path)
        file = str(path)
        flow = (flow or "X").upper()
        if flow not in ("X", "M"):
            raise InputError(f"flow must be X or M, got {flow!r}", file=file, field="flow")
        rows = read_rows_of(path)
        lay = layout(rows[0], file)
        lines = [ln for n, raw in enumerate(rows[1:], start=1)
                 if (ln := parse_line(raw, lay, n, file)) is not None]
        note = None
        if vintage is None:
            vintage = dt.datetime.fromtimestamp(path.stat().st_mtime).date()
            note = "vintage = file modification date (GACC exports carry no release date)"
        _check_vintage(vintage, lines, file, stated=note is None)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        return FileFacts(path.name, sha, flow, vintage, note), lay, lines

    def read_rows(self, path: Path, *, vintage: dt.date | None = None,
                  flow: str | None = None) -> pa.Table:
        """Every exported row with its trade mode and registration place (:data:`DETAIL_SCHEMA`)."""
        facts, lay, lines = self._parse(path, vintage, flow)
        out = []
        for ln in lines:
            q = ln.quantity
            record = _record(facts, lay, ln, ln.value, q.quantity, q.weight_kg,
                             "; ".join(filter(None, [facts.vintage_note, q.note])) or None)
            record.update(trade_mode=ln.mode[0], trade_mode_name=ln.mode[1],
                          registration_place=ln.place[0], registration_place_name=ln.place[1])
            out.append(_check_ceilings(record, lay, ln, str(path)))
        return pa.Table.from_pylist(out, schema=DETAIL_SCHEMA)

    def read_file(self, path: Path, *, vintage: dt.date | None = None,
                  flow: str | None = None) -> pa.Table:
        """Observations: one per period, line and partner (breakdown rows added up)."""
        facts, lay, lines = self._parse(path, vintage, flow)
        groups = group_lines(lines, lay, str(path))
        out = [_check_ceilings(_record(facts, lay, g.first, g.value, g.quantity, g.weight,
                                       _notes(g, lay, facts.vintage_note)), lay, g.first, str(path))
               for g in groups.values()]
        return pa.Table.from_pylist(out, schema=OBSERVATION_SCHEMA)


register(Gacc())
