"""US Census Bureau International Trade API: US imports and exports by HS code and country.

- Endpoints ``/data/timeseries/intltrade/imports/hs`` and ``.../exports/hs``; key from
  ``CENSUS_API_KEY`` as query parameter ``key`` (never recorded in a URL); without a key
  up to 500 calls a day.
- One call per flow and calendar year (``time=from YYYY-MM to YYYY-MM``), with
  ``SUMMARY_LVL=DET`` (countries, not groups) and ``COMM_LVL`` from the code length
  (HS6 ``850511``, HS10 ``8505110070``).
- Answer: a JSON array of string arrays, header first; filter predicates come back as
  extra columns. HTTP 204 with an empty body means no data; a bad key gets an HTML page.
- Normalise: ``CTY_CODE`` through ``to_iso3(code, "census")`` (5700 China; ``-`` total =
  WLD); country-group rows (00xx) are dropped; imports use ``GEN_VAL_MO`` (general
  imports, customs value, USD) and ``GEN_QY1_MO``; exports ``ALL_VAL_MO`` and
  ``QTY_1_MO``; the quantity unit is ``UNIT_QY1`` (``KG`` also fills net weight);
  vintage = ``LAST_UPDATE``.
- Revisions: Census restates recent months and, each June, prior years; the last
  :attr:`Census.revision_window_months` months are fetched again on every run.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from magwatch.codes import is_aggregate, to_iso3
from magwatch.errors import ParameterError, SourceError, UnknownCodeError
from magwatch.periods import Month
from magwatch.records import OBSERVATION_SCHEMA
from magwatch.sources import ApiSource, commodity_parameter, Fetched, Query, Request, month_chunks, register, too_soon
from magwatch.sources.http import SourceClient, json_answer

#: Census quantity units -> magwatch's (records.QUANTITY_UNITS).
UNITS = {"KG": "kg", "NO": "u", "T": "t", "G": "g", "PRS": "pair", "L": "l", "M": "m",
         "M2": "m2", "M3": "m3", "KWH": "kwh", "CAR": "carat"}

FLOWS = {
    "M": {"path": "/data/timeseries/intltrade/imports/hs", "commodity": "I_COMMODITY",
          "value": "GEN_VAL_MO", "quantity": "GEN_QY1_MO"},
    "X": {"path": "/data/timeseries/intltrade/exports/hs", "commodity": "E_COMMODITY",
          "value": "ALL_VAL_MO", "quantity": "QTY_1_MO"},
}

LEVELS = {4: ("HS4", "HS"), 6: ("HS6", "HS"), 10: ("HS10", "HTS-US")}


@functools.cache
def _schedule_c() -> dict[str, str]:
    """Canonical code -> Census Schedule C code (magwatch.codes' table read in reverse)."""
    import magwatch.codes as codes

    path = Path(codes.__file__).resolve().parent / "data" / "census_schedule_c.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        out: dict[str, str] = {}
        for r in rows:
            out.setdefault(r["iso3"], r["code"])
    return out


def census_code(code: str) -> str:
    text = str(code).strip()
    if text.isdigit():
        to_iso3(text, "census")
        return text.zfill(4)
    try:
        return _schedule_c()[to_iso3(text, "iso3")]
    except (KeyError, UnknownCodeError):
        raise ParameterError("partner", f"no Census Schedule C code for {code!r}; give an ISO3 "
                             f"code (CHN) or a 4-digit code (5700)") from None


def _vintage(text: str | None) -> tuple[dt.date, str] | None:
    """A LAST_UPDATE value as a date: YYYY-MM-DD (optionally with a time), MM/DD/YYYY, or
    YYYY-MM (stored at the month's last day, precision "month")."""
    if not text or text.strip() in ("", "-"):
        return None
    s = text.strip()
    for candidate, fmt in ((s[:10], "%Y-%m-%d"), (s[:10], "%m/%d/%Y"), (s[:8], "%Y%m%d")):
        try:
            return dt.datetime.strptime(candidate, fmt).date(), "day"
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}-\d{2}", s):
        try:
            return Month.parse(s).last_day, "month"
        except ParameterError:
            return None
    return None


def _num(text: Any) -> float | None:
    if text is None:
        return None
    s = str(text).strip().replace(",", "")
    if s in ("", "-", "(D)", "(X)", "N/A"):
        return None
    try:
        return float(s)
    except ValueError:
        return None


class Census(ApiSource):
    name = "census"
    title = "US Census Bureau International Trade API (HS imports and exports)"
    default_base_url = "https://api.census.gov"
    calls_per_minute = 30.0
    burst = 5
    revision_window_months = 13
    key_env = "CENSUS_API_KEY"

    def auth_params(self) -> dict[str, str]:
        key = self.key()
        return {"key": key} if key else {}

    def plan(self, query: Query, client: SourceClient) -> list[Request]:
        for r in query.reporters:
            if to_iso3(r, "iso3") != "USA":
                raise ParameterError("reporter", f"the Census API reports US trade only; got {r!r}")
        if query.freq.upper() != "M":
            raise ParameterError("freq", "the Census connector fetches monthly data (M)")
        commodities = []
        for c in query.commodities or ("850511",):
            digits = re.sub(r"[.\s]", "", str(c))
            if len(digits) not in LEVELS:
                raise ParameterError("commodity", f"Census takes HS4, HS6 or HS10 codes; got {c!r}")
            commodities.append(commodity_parameter(LEVELS[len(digits)][1], digits))
        partners = [census_code(p) for p in query.partners]
        flows = [f.upper() for f in (query.flows or ("M", "X"))]
        requests = []
        for flow in flows:
            if flow not in FLOWS:
                raise ParameterError("flow", f"expected M or X, got {flow!r}")
            spec = FLOWS[flow]
            for commodity in commodities:
                level = LEVELS[len(commodity)][0]
                for chunk in month_chunks(query.months()):
                    get = ["CTY_CODE", "CTY_NAME", spec["value"], spec["quantity"], "UNIT_QY1",
                           "LAST_UPDATE"]
                    params = [("get", ",".join(get)), (spec["commodity"], commodity),
                              ("COMM_LVL", level), ("SUMMARY_LVL", "DET"),
                              ("time", f"from {chunk[0]:%Y-%m} to {chunk[-1]:%Y-%m}")]
                    for p in partners:
                        params.append(("CTY_CODE", p))
                    key = (f"{flow} {commodity} {chunk[0]:%Y-%m}..{chunk[-1]:%Y-%m} "
                           f"p{','.join(partners) or 'all'}")
                    requests.append(Request(key, spec["path"], params, tuple(chunk), None,
                                            {"flow": flow, "commodity": commodity}))
        return requests

    def fetch(self, client: SourceClient, request: Request) -> Fetched | None:
        answer = client.get(request.path, request.params)
        head = answer.body[:400].decode("utf-8", "replace")
        if answer.status == 204 or (answer.status == 200 and not answer.body.strip()):
            return None
        if "invalid key" in head.lower() or (head.lstrip().startswith("<") and self.key()):
            raise SourceError("census: the key in CENSUS_API_KEY was rejected (the API answered with "
                              "its 'Invalid Key' page); request a key at api.census.gov/data/key_signup.html")
        if answer.status in (401, 403):
            raise SourceError(f"census: access denied (HTTP {answer.status}); set CENSUS_API_KEY")
        if answer.status in (400, 404):
            raise SourceError(f"census: the query was refused (HTTP {answer.status}): "
                              f"{head.strip()[:200]!r}; check --commodity, --partner and the period")
        if answer.status != 200:
            raise SourceError(f"census: unexpected HTTP {answer.status} for {answer.url}")
        body = json_answer("census", answer)
        if not (isinstance(body, list) and body and all(isinstance(r, list) for r in body)):
            raise SourceError(f"census: the answer from {answer.url} is not an array of rows; nothing stored")
        if len(body) == 1:
            return None
        return Fetched(request, answer.url, answer.status, answer.headers, answer.body, answer.retrieved)

    def explain_empty(self, request: Request) -> str:
        last = max(request.periods)
        if too_soon(last, 40):
            return (f"not released yet: Census publishes a month about 5 weeks after it ends "
                    f"(HTTP 204 for {last:%Y-%m})")
        return (f"no rows for {request.context['commodity']} in these months (HTTP 204): the months are "
                f"released, so check --commodity (HS6 or HS10) and --partner")

    def normalise(self, fetched: Fetched) -> pa.Table:
        body = json.loads(fetched.body)
        header = [str(h) for h in body[0]]
        index: dict[str, int] = {}
        for i, h in enumerate(header):
            index.setdefault(h, i)
        flow = fetched.request.context["flow"]
        spec = FLOWS[flow]
        for needed in ("CTY_CODE", spec["value"], spec["commodity"], "time"):
            if needed not in index:
                raise SourceError(f"census: the answer from {fetched.url} has no column {needed!r}")
        digest = self.digest(fetched)
        rows = []
        for n, raw in enumerate(body[1:], start=1):
            def col(name: str) -> str | None:
                i = index.get(name)
                return raw[i] if i is not None and i < len(raw) else None

            code = col("CTY_CODE")
            partner = to_iso3(code, "census", file=fetched.url, row=n, field="CTY_CODE")
            if partner != "WLD" and is_aggregate(partner):
                continue                     # country groups double-count their members
            commodity = str(col(spec["commodity"]))
            classification = LEVELS.get(len(commodity), (None, "HS"))[1]
            period_text = str(col("time") or "")
            try:
                period = Month.parse(period_text[:7], "time").first_day
            except ParameterError:
                raise SourceError(f"census: row {n} of {fetched.url} has time {period_text!r}, "
                                  f"expected YYYY-MM") from None
            value = _num(col(spec["value"]))
            unit_raw = (col("UNIT_QY1") or "").strip().upper()
            unit = UNITS.get(unit_raw)
            quantity = _num(col(spec["quantity"])) if unit else None
            stamp = _vintage(col("LAST_UPDATE"))
            note = None
            if stamp is None:
                stamp = (fetched.retrieved_date, "day")
                note = "vintage = retrieval date (no LAST_UPDATE in the answer)"
            if unit_raw and unit_raw != "-" and unit is None:
                note = "; ".join(filter(None, [note, f"quantity unit {unit_raw} not kept"]))
            rows.append({
                "source": "census", "source_ref": f"intltrade/{'imports' if flow == 'M' else 'exports'}/hs",
                "reporter": "USA", "partner": partner, "flow": flow,
                "classification": classification, "commodity": commodity, "period": period,
                "period_months": 1,
                "net_weight_kg": quantity if unit == "kg" else None,
                "value": value, "currency": "USD" if value is not None else None, "value_usd": value,
                "quantity": quantity, "quantity_unit": unit if quantity is not None else None,
                "is_estimated": False, "is_confidential": False, **_flag_text(col),
                "vintage": stamp[0], "vintage_precision": stamp[1],
                "source_url": fetched.url, "source_file": None, "source_row": n,
                "source_sha256": digest, "note": note,
            })
        return pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA)


#: The quantity flag variables of the two endpoints (docs/sources.md). What their values
#: mean is not confirmed by a recorded answer, so a value is kept as the source's text
#: (``flag_raw``) without a flag; magwatch does not request them.
FLAG_VARIABLES = ("QTY_1_MO_FLAG", "GEN_QY1_MO_FLAG", "CON_QY1_MO_FLAG")


def _flag_text(col) -> dict[str, str | None]:
    """flag and flag_raw of one answer row: the flag variables the answer carries, as text."""
    raw = [f"{name}={str(col(name)).strip()}" for name in FLAG_VARIABLES
           if col(name) is not None and str(col(name)).strip()]
    return {"flag": None, "flag_raw": "; ".join(raw) or None}


register(Census())
