"""Eurostat Comext (dataset DS-045409): EU members' trade by CN8 line, JSON-stat 2.0.

- Endpoint ``/statistics/1.0/data/DS-045409`` on the Comext dissemination host, no key.
  Parameters repeat for several values (``reporter=DE&reporter=FR``); ``time=YYYY-MM``
  selects months. Defaults: reporter ``EU27_2020`` (EUU), partner ``CN`` (CHN), product
  ``85051110``, flow 1 (imports).
- One call per calendar year; HTTP 413 (``EXTRACTION_TOO_BIG``) splits the batch
  (months halved, then reporters); HTTP 404 means a valid query with no data.
- Normalise: the JSON-stat ``value`` object is sparse and keyed by the row-major flat
  index over ``id``/``size``; ``QUANTITY_IN_100KG`` x 100 = kg; ``VALUE_IN_EUROS`` is
  EUR. ``value_usd`` stays empty: magwatch holds no published monthly EUR/USD rates yet,
  and it does not invent one. Reporter and partner codes through
  ``to_iso3(code, "comext")`` (``EL`` = Greece, ``EU27_2020`` = EUU); partner aggregates
  (``WORLD``, ``EXT_EU27_2020``...) are dropped. Vintage = the answer's ``updated``.
- Revisions: Comext restates earlier months in each monthly release; the last
  :attr:`Comext.revision_window_months` months are fetched again on every run.
- An SDMX-CSV answer (``DATAFLOW,LAST UPDATE,freq,...,TIME_PERIOD,OBS_VALUE``, one row per
  indicator and month) is read too: ``LAST UPDATE`` (dd/mm/yy) is the vintage, an empty
  ``OBS_VALUE`` a gap. ``magwatch import --source comext FILE`` reads such an answer or a
  bulk file (``full_v2_YYYYMM``: the current 18-column ``REPORTER,PARTNER,...`` layout or the
  older 19-column ``DECLARANT,...`` one): quantities there are kg, not 100 kg, ``VALUE_NAC``
  (national currency) is not read, the rows of one key are summed over the statistical
  procedure, and only the CN8 lines of heading 8505 are kept.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa

from magwatch.codes import MAGNET_LINE, is_aggregate, to_iso3
from magwatch.codes import validate_code
from magwatch.errors import InputError, ParameterError, SourceError, UnknownCodeError
from magwatch.records import OBSERVATION_SCHEMA, WITHHELD_FLAGS, strongest_flag
from magwatch.sources import (ApiSource, Fetched, Query, Request, Split, checked_figure,
                              commodity_parameter, month_chunks, register, too_soon)
from magwatch.sources.http import SourceClient, json_answer

DATASET = "DS-045409"
FLOW_CODES = {"M": "1", "X": "2"}
FLOW_NAMES = {v: k for k, v in FLOW_CODES.items()}
INDICATORS = ("VALUE_IN_EUROS", "QUANTITY_IN_100KG")


def comext_code(code: str, parameter: str) -> str:
    """A Comext reporter/partner code from a canonical code or a Comext code."""
    text = str(code).strip().upper()
    special = {"EUU": "EU27_2020", "WLD": "WORLD", "GRC": "EL"}
    if text in special:
        return special[text]
    if len(text) == 3:
        import pycountry

        country = pycountry.countries.get(alpha_3=text)
        if country is None:
            raise ParameterError(parameter, f"no Comext code for {code!r}")
        return country.alpha_2
    try:
        to_iso3(text, "comext")
    except UnknownCodeError:
        raise ParameterError(parameter, f"unknown Comext code {code!r}; give ISO3 (DEU) or "
                             f"Comext codes (DE, EL, EU27_2020)") from None
    return text


def _vintage(updated: Any) -> dt.date | None:
    if not isinstance(updated, str):
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", updated)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


# -- cells: one reporter, partner, product, flow and month, from any of the formats --------

#: (reporter code, partner code, product, flow code "1"/"2", first day of the month)
CellKey = tuple[str, str, str, str, dt.date]


@dataclass
class Cell:
    """What a source gave for one key: net weight in kg and value in EUR (None = a gap)."""

    rows: list[int] = field(default_factory=list)
    values: dict[str, float | None] = field(default_factory=dict)
    notes: set[str] = field(default_factory=set)
    vintage: dt.date | None = None
    flags: set[str] = field(default_factory=set)        # the source's flag text, 'OBS_FLAG=c'

    def put(self, what: str, value: float | None, row: int, *, where: str) -> None:
        """One indicator from one row; the same indicator twice is an error."""
        if what in self.values:
            raise InputError(f"a second {what} figure for the same reporter, partner, product, "
                             f"flow and month (first at row {self.rows[0]})", file=where, row=row)
        self.values[what] = value
        if row not in self.rows:
            self.rows.append(row)

    def add(self, what: str, value: float | None, row: int) -> None:
        """A bulk row's figure, added to the others of its key (a gap stays a gap)."""
        if what in self.values:
            old = self.values[what]
            self.values[what] = None if old is None or value is None else old + value
        else:
            self.values[what] = value
        if row not in self.rows:
            self.rows.append(row)


#: Indicator -> (what, factor to kg or EUR). SUPPLEMENTARY_QUANTITY is not read.
INDICATOR_UNITS = {"QUANTITY_IN_100KG": ("kg", 100.0), "VALUE_IN_EUROS": ("eur", 1.0)}
SKIPPED_INDICATORS = ("SUPPLEMENTARY_QUANTITY",)


#: Eurostat's flag codes (https://ec.europa.eu/eurostat/web/main/data/database, "Flags"):
#: observation status e estimated, i imputed by Eurostat (s before 27 January 2025), p
#: provisional, r revised (in the list before 27 January 2025); confidentiality status C
#: confidential (c before), N not for publication, P non-statistical secrecy. Other codes (b
#: break, d definition differs, u low reliability...) are kept as the source's text without a
#: flag. Case matters: P is secrecy, p provisional.
EUROSTAT_FLAGS = {"C": "confidential", "c": "confidential", "N": "suppressed", "P": "suppressed",
                  "e": "estimated", "i": "estimated", "s": "estimated", "p": "provisional",
                  "r": "revised"}
#: Columns a Comext file may carry its flags in (none in the recorded sample; read if present).
FLAG_COLUMNS = ("OBS_FLAG", "OBS_STATUS", "CONF_STATUS", "FLAG")


def row_flags(cells: dict[str, str]) -> set[str]:
    """The flag text of one row, by column (``{'OBS_FLAG=c'}``); empty cells say nothing."""
    return {f"{name}={cells[name].strip()}" for name in FLAG_COLUMNS
            if cells.get(name, "").strip()}


def cell_flag(raw: set[str]) -> str | None:
    """The flag of a cell from its rows' flag text (each character one Eurostat code)."""
    return strongest_flag(EUROSTAT_FLAGS.get(ch) for text in raw for ch in text.split("=", 1)[1])


def _figure(text: str, *, where: str, row: int, field: str) -> float | None:
    """A figure as the files print it (``21659.13``, ``7056391.0``); empty = a gap, not zero."""
    s = str(text).strip()
    if s == "":
        return None
    return checked_figure(s, text, file=where, row=row, field=field)


def _month(text: str, pattern: str, *, where: str, row: int, field: str) -> dt.date:
    m = re.fullmatch(pattern, str(text).strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"expected a month ({'YYYY-MM' if '-' in pattern else 'YYYYMM'}), got "
                         f"{text!r}", file=where, row=row, field=field)
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def last_update(text: str, *, where: str, row: int) -> dt.date:
    """SDMX-CSV ``LAST UPDATE``: day/month/two-digit year (``13/02/26 11:00:00`` = 2026-02-13)."""
    m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{2})(?: \d{2}:\d{2}(?::\d{2})?)?", str(text).strip())
    try:
        if m is None:
            raise ValueError
        return dt.date(2000 + int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        raise InputError(f"expected dd/mm/yy hh:mm:ss, got {text!r}", file=where, row=row,
                         field="LAST UPDATE") from None


# -- JSON-stat -------------------------------------------------------------------------------

def _dimension_codes(body: dict, ids: list[str], sizes: list[int]) -> list[list[str]]:
    codes: list[list[str]] = []
    for d, n in zip(ids, sizes):
        index = body["dimension"][d]["category"]["index"]
        if isinstance(index, list):
            ordered = list(index)
        else:
            ordered = [None] * n
            for code, pos in index.items():
                ordered[pos] = code
        codes.append(ordered)
    return codes


def jsonstat_cells(body: dict, url: str) -> tuple[dict[CellKey, Cell], dt.date | None]:
    """Cells of a JSON-stat 2.0 dataset (the sparse ``value`` object by row-major flat index)."""
    ids: list[str] = body["id"]
    sizes: list[int] = body["size"]
    if len(ids) != len(sizes):
        raise SourceError(f"comext: 'id' and 'size' differ in length in {url}")
    needed = {"reporter", "partner", "product", "flow", "indicators", "time"}
    if not needed <= set(ids):
        raise SourceError(f"comext: dimensions {sorted(needed - set(ids))} missing in {url}")
    codes = _dimension_codes(body, ids, sizes)
    values = body.get("value") or {}
    cells: dict[CellKey, Cell] = {}
    for flat, value in (values.items() if isinstance(values, dict) else enumerate(values)):
        if value is None:
            continue
        i, coord = int(flat), {}
        for d, n, labels in zip(reversed(ids), reversed(sizes), reversed(codes)):
            coord[d] = labels[i % n]
            i //= n
        m = re.fullmatch(r"(\d{4})-?M?(\d{2})", str(coord["time"]))
        if m is None:
            raise SourceError(f"comext: time {coord['time']!r} in {url} is not a month (YYYY-MM)")
        key = (coord["reporter"], coord["partner"], str(coord["product"]), coord["flow"],
               dt.date(int(m.group(1)), int(m.group(2)), 1))
        what, factor = INDICATOR_UNITS.get(coord["indicators"], (None, None))
        if what is not None:
            cells.setdefault(key, Cell()).values[what] = float(value) * factor
            if what == "kg":
                cells[key].notes.add("net weight = QUANTITY_IN_100KG x 100")
    return cells, _vintage(body.get("updated"))


# -- SDMX-CSV --------------------------------------------------------------------------------

SDMX_COLUMNS = ("DATAFLOW", "LAST UPDATE", "FREQ", "REPORTER", "PARTNER", "PRODUCT", "FLOW",
                "INDICATORS", "TIME_PERIOD", "OBS_VALUE")


def _sdmx_columns(header: list[str], where: str) -> dict[str, int]:
    columns = {h.strip().upper(): i for i, h in enumerate(header)}
    missing = [c for c in SDMX_COLUMNS if c not in columns]
    if missing:
        raise InputError(f"SDMX-CSV without column(s) {', '.join(missing)}", file=where, row=0,
                         field=missing[0])
    return columns


def _dataset(dataflow: str, where: str, row: int) -> str:
    """``ESTAT:DS-045409(1.0)`` -> ``DS-045409``."""
    m = re.fullmatch(r"(?:[A-Z]+:)?([A-Za-z]+-\d+)(?:\([\d.]+\))?", dataflow.strip())
    if m is None:
        raise InputError(f"unexpected DATAFLOW {dataflow!r}", file=where, row=row, field="DATAFLOW")
    return m.group(1).upper()


def _sdmx_row(raw: list[str], col: dict[str, int], n: int,
              where: str) -> tuple[CellKey, str, float | None, dt.date, str, set[str]] | None:
    """(key, what, figure, LAST UPDATE, dataset, flag text) of one SDMX-CSV row; None for a
    row not read."""
    cells = {name: (raw[i].strip() if i < len(raw) else "") for name, i in col.items()}
    if not any(cells.values()):
        return None
    if cells["FREQ"] != "M":
        raise InputError(f"only monthly data (freq M) is read, got {cells['FREQ']!r}", file=where,
                         row=n, field="freq")
    indicator = cells["INDICATORS"]
    if indicator in SKIPPED_INDICATORS:
        return None
    if indicator not in INDICATOR_UNITS:
        raise InputError(f"unknown indicator {indicator!r}; known: {', '.join(INDICATOR_UNITS)}",
                         file=where, row=n, field="indicators")
    period = _month(cells["TIME_PERIOD"], r"(\d{4})-M?(\d{2})", where=where, row=n, field="TIME_PERIOD")
    key = (cells["REPORTER"], cells["PARTNER"], cells["PRODUCT"], cells["FLOW"], period)
    what, factor = INDICATOR_UNITS[indicator]
    value = _figure(cells["OBS_VALUE"], where=where, row=n, field="OBS_VALUE")
    flags = row_flags(cells)
    if cell_flag(flags) in WITHHELD_FLAGS:
        value = None            # a withheld cell has no figure, whatever OBS_VALUE prints
    return (key, what, None if value is None else value * factor,
            last_update(cells["LAST UPDATE"], where=where, row=n), _dataset(cells["DATAFLOW"], where, n),
            flags)


def sdmx_csv_cells(rows: Iterable[list[str]], where: str) -> tuple[dict[CellKey, Cell], str]:
    """Cells of an SDMX-CSV answer (one row per indicator and month) and its dataset id."""
    rows = iter(rows)
    col = _sdmx_columns(next(rows), where)
    cells: dict[CellKey, Cell] = {}
    datasets: set[str] = set()
    for n, raw in enumerate(rows, start=1):
        parsed = _sdmx_row(raw, col, n, where)
        if parsed is None:
            continue
        key, what, value, vintage, dataset, flags = parsed
        datasets.add(dataset)
        cell = cells.setdefault(key, Cell())
        cell.put(what, value, n, where=where)
        cell.flags |= flags
        cell.vintage = max(vintage, cell.vintage or vintage)
        if what == "kg":
            cell.notes.add("net weight = QUANTITY_IN_100KG x 100")
    if len(datasets) > 1:
        raise InputError(f"rows of several datasets ({', '.join(sorted(datasets))})", file=where)
    return cells, (datasets.pop() if datasets else DATASET)


# -- bulk files ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BulkLayout:
    """Where a bulk layout keeps each figure. Bulk quantities are kg (the API's are 100 kg)."""

    name: str
    header: tuple[str, ...]
    reporter: str
    partner: str
    breakdown: str
    value: str
    kg: str


BULK_LAYOUTS = {
    # full_v2_YYYYMM.7z, the current layout: ISO2 codes in REPORTER and PARTNER
    "bulk-18": BulkLayout("18-column", (
        "REPORTER", "PARTNER", "TRADE_TYPE", "PRODUCT_NC", "PRODUCT_SITC", "PRODUCT_CPA21",
        "PRODUCT_CPA22", "PRODUCT_BEC", "PRODUCT_BEC5", "PRODUCT_SECTION", "FLOW",
        "STAT_PROCEDURE", "SUPPL_UNIT", "PERIOD", "VALUE_EUR", "VALUE_NAC", "QUANTITY_KG",
        "QUANTITY_SUPPL_UNIT"), "REPORTER", "PARTNER", "STAT_PROCEDURE", "VALUE_EUR", "QUANTITY_KG"),
    # the older layout: DECLARANT and PARTNER are Eurostat's numeric codes, the *_ISO columns ISO2
    "bulk-19": BulkLayout("19-column", (
        "DECLARANT", "DECLARANT_ISO", "PARTNER", "PARTNER_ISO", "TRADE_TYPE", "PRODUCT_NC",
        "PRODUCT_SITC", "PRODUCT_CPA2002", "PRODUCT_CPA2008", "PRODUCT_CPA2_1", "PRODUCT_BEC",
        "PRODUCT_SECTION", "FLOW", "STAT_REGIME", "SUPP_UNIT", "PERIOD", "VALUE_IN_EUROS",
        "QUANTITY_IN_KG", "SUP_QUANTITY"), "DECLARANT_ISO", "PARTNER_ISO", "STAT_REGIME",
        "VALUE_IN_EUROS", "QUANTITY_IN_KG"),
}

#: A bulk file holds every CN8 line; only the lines of this heading are read.
BULK_HEADING = "8505"


def file_kind(header: list[str], where: str) -> str:
    """``sdmx-csv``, ``bulk-18`` or ``bulk-19`` from a file's header row."""
    names = tuple(h.strip() for h in header)
    if names and names[0].upper() == "DATAFLOW":
        return "sdmx-csv"
    for kind, lay in BULK_LAYOUTS.items():
        if names and names[0] == lay.header[0]:
            missing = [c for c in lay.header if c not in names]
            if missing:
                raise InputError(f"{lay.name} bulk header without {', '.join(missing)}",
                                 file=where, row=0, field=missing[0])
            return kind
    raise InputError(f"not a Comext file: the header starts {', '.join(names[:3])!r}; expected "
                     f"DATAFLOW (SDMX-CSV), REPORTER (bulk, 18 columns) or DECLARANT (bulk, 19 columns)",
                     file=where, row=0)


def bulk_cells(header: list[str], rows: Iterable[list[str]], lay: BulkLayout,
               where: str) -> dict[CellKey, Cell]:
    """Cells of a bulk file's heading-8505 lines, summed over the statistical procedures."""
    col = {h.strip(): i for i, h in enumerate(header)}
    cells: dict[CellKey, Cell] = {}
    for n, raw in enumerate(rows, start=1):
        if len(raw) < len(header):
            if not any(c.strip() for c in raw):
                continue
            raise InputError(f"{len(raw)} fields, expected {len(header)}", file=where, row=n)
        product = raw[col["PRODUCT_NC"]].strip()
        if not (product.startswith(BULK_HEADING) and len(product) == 8):
            continue
        validate_code("CN-EU", product, file=where, row=n, field="PRODUCT_NC")
        period = raw[col["PERIOD"]].strip()
        if period.endswith("52") and len(period) == 6:
            raise InputError(f"annual total {period!r} (YYYY52) is not read; import the monthly files",
                             file=where, row=n, field="PERIOD")
        key = (raw[col[lay.reporter]].strip(), raw[col[lay.partner]].strip(), product,
               raw[col["FLOW"]].strip(),
               _month(period, r"(\d{4})(\d{2})", where=where, row=n, field="PERIOD"))
        cell = cells.setdefault(key, Cell())
        flags = row_flags({name: raw[i] for name, i in col.items() if name in FLAG_COLUMNS})
        withheld = cell_flag(flags) in WITHHELD_FLAGS    # no figure, and the sum has none
        cell.flags |= flags
        cell.add("eur", None if withheld else _figure(raw[col[lay.value]], where=where, row=n,
                                                      field=lay.value), n)
        cell.add("kg", None if withheld else _figure(raw[col[lay.kg]], where=where, row=n,
                                                     field=lay.kg), n)
        cell.notes.add(f"net weight = {lay.kg} (bulk file, kg)")
    for cell in cells.values():
        if len(cell.rows) > 1:
            cell.notes.add(f"sum of {len(cell.rows)} bulk rows by {lay.breakdown} "
                           f"(rows {', '.join(map(str, cell.rows))})")
    return cells


# -- cells to observations -----------------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    """What every record of one answer or file shares."""

    dataset: str
    vintage: dt.date
    vintage_note: str | None
    source_url: str | None
    source_file: str | None
    digest: str


def _where(facts: Facts) -> str:
    return facts.source_url or facts.source_file or "comext"


def _flag_fields(raw: set[str]) -> dict:
    """The flag columns of a cell from its rows' flag text."""
    flag = cell_flag(raw)
    return {"flag": flag, "flag_raw": "; ".join(sorted(raw)) or None,
            "is_estimated": flag == "estimated", "is_confidential": flag == "confidential"}


def observations(cells: dict[CellKey, Cell], facts: Facts) -> pa.Table:
    """Canonical observations; partner aggregates (WORLD, EXT_EU27_2020...) are dropped.
    ``source_row`` is a cell's first row, or for JSON-stat (no rows) its place in key order."""
    out = []
    for n, (key, cell) in enumerate(sorted(cells.items()), start=1):
        reporter_code, partner_code, product, flow_code, period = key
        row = cell.rows[0] if cell.rows else n
        partner = to_iso3(partner_code, "comext", file=_where(facts), row=row, field="partner")
        if is_aggregate(partner) or flow_code not in FLOW_NAMES:
            continue
        reporter = to_iso3(reporter_code, "comext", file=_where(facts), row=row, field="reporter")
        kg, eur = cell.values.get("kg"), cell.values.get("eur")
        notes = [facts.vintage_note] + sorted(x for x in cell.notes
                                              if kg is not None or not x.startswith("net weight"))
        out.append({
            "source": "comext", "source_ref": facts.dataset, "reporter": reporter, "partner": partner,
            "flow": FLOW_NAMES[flow_code],
            "classification": "CN-EU" if len(product) == 8 else "HS", "commodity": product,
            "period": period, "period_months": 1, "net_weight_kg": kg,
            "value": eur, "currency": "EUR" if eur is not None else None, "value_usd": None,
            "quantity": None, "quantity_unit": None, **_flag_fields(cell.flags),
            "vintage": cell.vintage or facts.vintage,
            "vintage_precision": "day", "source_url": facts.source_url,
            "source_file": facts.source_file, "source_row": row, "source_sha256": facts.digest,
            "note": "; ".join(filter(None, notes)) or None,
        })
    return pa.Table.from_pylist(out, schema=OBSERVATION_SCHEMA)


# -- file helpers --------------------------------------------------------------------------

@contextlib.contextmanager
def _open_text(path: Path) -> Iterator[io.TextIOBase]:
    """A Comext file as text (UTF-8, a BOM allowed); a non-UTF-8 byte is a one-line error."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield fh
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start} of a block)", file=str(path)) from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _flow_filter(flow: str | None) -> str | None:
    if flow is None:
        return None
    if flow.upper() not in FLOW_CODES:
        raise ParameterError("flow", f"expected M or X, got {flow!r}")
    return FLOW_CODES[flow.upper()]


def _check_vintage(cells: dict[CellKey, Cell], vintage: dt.date | None) -> None:
    stated = {c.vintage for c in cells.values() if c.vintage}
    if vintage is not None and stated and stated != {vintage}:
        raise ParameterError("vintage", f"the file states its vintage (LAST UPDATE "
                             f"{', '.join(f'{d:%Y-%m-%d}' for d in sorted(stated))}); "
                             f"--vintage {vintage:%Y-%m-%d} disagrees")


class Comext(ApiSource):
    name = "comext"
    title = "Eurostat Comext DS-045409 (EU trade by CN8, JSON-stat)"
    default_base_url = "https://ec.europa.eu/eurostat/api/comext/dissemination"
    calls_per_minute = 30.0
    burst = 5
    revision_window_months = 13

    def plan(self, query: Query, client: SourceClient) -> list[Request]:
        if query.freq.upper() != "M":
            raise ParameterError("freq", "the Comext connector fetches monthly data (M)")
        reporters = [comext_code(r, "reporter") for r in (query.reporters or ("EUU",))]
        partners = [comext_code(p, "partner") for p in (query.partners or ("CHN",))]
        # The EU's CN8 rare-earth magnet line carries the same code as China's.
        products = [commodity_parameter("CN-EU", c) for c in (query.commodities or (MAGNET_LINE,))]
        flows = []
        for f in query.flows or ("M",):
            if f.upper() not in FLOW_CODES:
                raise ParameterError("flow", f"expected M or X, got {f!r}")
            flows.append(FLOW_CODES[f.upper()])
        requests = []
        for chunk in month_chunks(query.months()):
            params = [("format", "JSON"), ("lang", "EN"), ("freq", "M")]
            params += [("reporter", r) for r in reporters]
            params += [("partner", p) for p in partners]
            params += [("product", p) for p in products]
            params += [("flow", f) for f in flows]
            params += [("indicators", i) for i in INDICATORS]
            params += [("time", f"{m:%Y-%m}") for m in chunk]
            key = (f"{','.join(reporters)}<-{','.join(partners)} {','.join(products)} "
                   f"{chunk[0]:%Y-%m}..{chunk[-1]:%Y-%m} flow{','.join(flows)}")
            requests.append(Request(key, f"/statistics/1.0/data/{DATASET}", params, tuple(chunk)))
        return requests

    def fetch(self, client: SourceClient, request: Request) -> Fetched | None:
        answer = client.get(request.path, request.params)
        head = answer.body[:300].decode("utf-8", "replace")
        if answer.status == 404:
            return None
        if answer.status == 413:
            raise Split(self._split(request), "Comext answered 413 EXTRACTION_TOO_BIG")
        if answer.status == 400:
            raise SourceError(f"comext: the query was refused (HTTP 400): {head.strip()[:200]!r}; "
                              f"check --reporter, --partner and --commodity (CN8)")
        if answer.status != 200:
            raise SourceError(f"comext: unexpected HTTP {answer.status} for {answer.url}")
        if not answer.body.strip():
            return None
        if answer.body.lstrip().startswith(b"DATAFLOW"):          # an SDMX-CSV answer
            if answer.body.strip().count(b"\n") == 0:
                return None                                      # a header and no rows
            return Fetched(request, answer.url, answer.status, answer.headers, answer.body,
                           answer.retrieved)
        body = json_answer("comext", answer, expected="JSON-stat")
        if not isinstance(body, dict) or "id" not in body or "size" not in body:
            raise SourceError(f"comext: the answer from {answer.url} is not a JSON-stat dataset; "
                              f"nothing stored")
        if not body.get("value"):
            return None
        return Fetched(request, answer.url, answer.status, answer.headers, answer.body, answer.retrieved)

    def _split(self, request: Request) -> list[Request]:
        times = [v for k, v in request.params if k == "time"]
        reporters = [v for k, v in request.params if k == "reporter"]
        if len(times) > 1:
            halves = [times[: len(times) // 2], times[len(times) // 2:]]
            out = []
            for h in halves:
                params = [(k, v) for k, v in request.params if k != "time"] + [("time", t) for t in h]
                periods = tuple(p for p in request.periods if f"{p:%Y-%m}" in h)
                out.append(Request(f"{request.key} [{h[0]}..{h[-1]}]", request.path, params, periods))
            return out
        if len(reporters) > 1:
            return [Request(f"{request.key} [reporter={r}]", request.path,
                            [(k, v) for k, v in request.params if k != "reporter"] + [("reporter", r)],
                            request.periods) for r in reporters]
        raise SourceError(f"comext: one month and one reporter ({request.key}) is still too big "
                          f"(HTTP 413); narrow --partner or --commodity")

    def explain_empty(self, request: Request) -> str:
        last = max(request.periods)
        if too_soon(last, 50):
            return (f"not released yet: Comext publishes a month about 6-7 weeks after it ends "
                    f"(no values for {last:%Y-%m})")
        return ("no values for these months (HTTP 404 or an empty dataset): the months are released, "
                "so check --reporter, --partner and --commodity")

    def normalise(self, fetched: Fetched) -> pa.Table:
        """Observations of a JSON-stat answer, or of an SDMX-CSV one (``format=SDMX-CSV``)."""
        if fetched.body.lstrip().startswith(b"DATAFLOW"):
            text = fetched.body.decode("utf-8-sig")
            cells, dataset = sdmx_csv_cells(csv.reader(io.StringIO(text, newline="")), fetched.url)
            facts = Facts(dataset, fetched.retrieved_date, None, fetched.url, None,
                          self.digest(fetched))
            return observations(cells, facts)
        cells, vintage = jsonstat_cells(json.loads(fetched.body), fetched.url)
        note = None
        if vintage is None:
            vintage, note = fetched.retrieved_date, "vintage = retrieval date (no 'updated' in the answer)"
        facts = Facts(DATASET, vintage, note, fetched.url, None, self.digest(fetched))
        return observations(cells, facts)

    def read_file(self, path: Path, *, vintage: dt.date | None = None,
                  flow: str | None = None) -> pa.Table:
        """A Comext file: a saved JSON-stat or SDMX-CSV answer, or a bulk file in the current
        (18-column) or the old (19-column) layout. ``flow`` (M or X) keeps one flow. An answer's
        vintage is its own (``updated``, ``LAST UPDATE``); a bulk file's is ``vintage``, else the
        file's modification date."""
        path = Path(path)
        wanted = _flow_filter(flow)
        if _is_json(path):
            cells, facts = _read_jsonstat(path, vintage)
        else:
            with _open_text(path) as fh:
                cells, facts = _read_csv(path, csv.reader(fh), vintage)
        if wanted is not None:
            cells = {k: c for k, c in cells.items() if k[3] == wanted}
        return observations(cells, facts)


def _file_vintage(path: Path, vintage: dt.date | None, what: str) -> tuple[dt.date, str | None]:
    if vintage is not None:
        return vintage, None
    return (dt.datetime.fromtimestamp(path.stat().st_mtime).date(),
            f"vintage = file modification date ({what})")


def _is_json(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _read_jsonstat(path: Path, vintage: dt.date | None) -> tuple[dict[CellKey, Cell], Facts]:
    try:
        body = json.loads(path.read_bytes())
        if not isinstance(body, dict) or "id" not in body or "size" not in body:
            raise ValueError
    except ValueError:
        raise InputError("not a JSON-stat dataset (truncated, or another JSON)", file=str(path)) from None
    try:
        cells, stated = jsonstat_cells(body, str(path))
    except (KeyError, TypeError, IndexError, ValueError, ZeroDivisionError, AttributeError, SourceError):
        raise InputError("a JSON-stat dataset whose dimensions do not match its values",
                         file=str(path)) from None
    if stated is not None and vintage is not None and stated != vintage:
        raise ParameterError("vintage", f"the file states its vintage (updated {stated:%Y-%m-%d}); "
                             f"--vintage {vintage:%Y-%m-%d} disagrees")
    day, note = (stated, None) if stated else _file_vintage(path, vintage, "no 'updated' in the answer")
    return cells, Facts(DATASET, day, note, None, path.name, _sha256(path))


def _read_csv(path: Path, reader: Iterator[list[str]],
              vintage: dt.date | None) -> tuple[dict[CellKey, Cell], Facts]:
    file = str(path)
    header = next(reader, None)
    if not header:
        raise InputError("the file is empty", file=file)
    kind = file_kind(header, file)
    if kind == "sdmx-csv":
        cells, dataset = sdmx_csv_cells(itertools.chain([header], reader), file)
        _check_vintage(cells, vintage)
        return cells, Facts(dataset, vintage or dt.date.today(), None, None, path.name, _sha256(path))
    cells = bulk_cells(header, reader, BULK_LAYOUTS[kind], file)
    day, note = _file_vintage(path, vintage, "bulk files carry no release date")
    return cells, Facts(DATASET, day, note, None, path.name, _sha256(path))


register(Comext())
