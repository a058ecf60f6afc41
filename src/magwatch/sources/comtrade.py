"""UN Comtrade+ API v1: final HS data by reporter, partner, month or year; bulk files.

- Query: ``/data/v1/get/C/{M|A}/HS`` with the key from ``COMTRADE_API_KEY`` (header
  ``Ocp-Apim-Subscription-Key``, cap 100,000 rows per call); without a key the keyless
  preview ``/public/v1/preview/...`` (cap 500 rows). Always
  ``partner2Code=0&customsCode=C00&motCode=0`` so breakdown rows do not double-count.
- Plan: at most 12 periods per call, one call per reporter and calendar year. The
  data-availability list (``getDa``; cached with revalidation) gives each released
  period's ``lastReleased``: unreleased periods are not asked for, and a batch is
  fetched again only when a ``lastReleased`` in it changed (a new month or a revision).
- Truncation: an answer whose ``count`` reaches the cap may be cut off, so the batch
  is split (periods halved, then flows) and asked again.
- Normalise: reporter and partner codes through ``to_iso3(code, "comtrade")`` (842 USA,
  490 Taiwan, 0 World); rows that would double-count are dropped (breakdown rows, other
  flows than M/X, commodity codes other than 6-digit HS); ``netWgt`` is kg; value is
  ``primaryValue`` in USD (CIF imports, FOB exports); vintage = ``lastReleased``.
- Bulk files (``read_file``): tab-separated, CRLF, ``CIFValue``/``FOBValue`` spelling,
  0/1 booleans, empty strings for nulls, every aggregation level mixed in one file:
  only 6-digit codes are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from magwatch.codes import to_iso3
from magwatch.errors import InputError, ParameterError, SourceError, UnknownCodeError
from magwatch.periods import Month
from magwatch.records import OBSERVATION_SCHEMA, QUANTITY_UNITS
from magwatch.sources import ApiSource, commodity_parameter, Fetched, Query, Request, Split, month_chunks, register
from magwatch.sources.http import Answer, SourceClient

KEYED_CAP = 100_000
PREVIEW_CAP = 500
_DATA = Path(__file__).resolve().parent / "data"
_ELAPSED = re.compile(rb'"elapsedTime"\s*:\s*"[^"]*"')


@functools.cache
def _reporter_codes() -> dict[str, int]:
    """Canonical code -> current Comtrade code, from Comtrade's own Reporters.json.

    Codes whose entry has expired (280 Fed. Rep. of Germany, 841 USA and Puerto Rico)
    are skipped, so DEU is 276 and USA is 842; Taiwan is 490 ("Other Asia, nes").
    """
    entries = json.loads((_DATA / "comtrade_reporters.json").read_text(encoding="utf-8"))["results"]
    out: dict[str, int] = {}
    for e in entries:
        if e.get("entryExpiredDate"):
            continue
        try:
            out.setdefault(to_iso3(e["reporterCode"], "comtrade"), int(e["reporterCode"]))
        except UnknownCodeError:
            continue
    out["WLD"] = 0
    return out


def comtrade_code(code: str, parameter: str) -> int:
    """A Comtrade reporter/partner code from a canonical code or a Comtrade number."""
    text = str(code).strip()
    if text.isdigit():
        to_iso3(int(text), "comtrade")       # raises for an unknown number
        return int(text)
    try:
        return _reporter_codes()[to_iso3(text, "iso3")]
    except (KeyError, UnknownCodeError):
        raise ParameterError(parameter, f"no Comtrade code for {code!r}; give an ISO3 code "
                             f"(CHN, USA, DEU) or a Comtrade number (156, 842, 276)") from None


def _period_text(month: dt.date, freq: str) -> str:
    return f"{month.year}" if freq == "A" else f"{month.year}{month.month:02d}"


def _period_date(text: Any, *, where: str, row: int) -> tuple[dt.date, int]:
    s = str(text).strip()
    if re.fullmatch(r"\d{6}", s):
        try:
            return Month.parse(s, "period").first_day, 1
        except ParameterError as exc:
            raise InputError(exc.reason, file=where, row=row, field="period") from None
    if re.fullmatch(r"\d{4}", s):
        return dt.date(int(s), 1, 1), 12
    raise InputError(f"period {s!r} is neither YYYY nor YYYYMM", file=where, row=row, field="period")


def _released_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


#: Comtrade's per-row flags (ref_TradeDataItems.json): which of them make a figure estimated.
ESTIMATION_FLAGS = ("isNetWgtEstimated", "isQtyEstimated")


def _flags(value_of) -> dict[str, Any]:
    """The flag columns of one row. ``isNetWgtEstimated``/``isQtyEstimated`` true, a
    ``legacyEstimationFlag`` other than 0, or ``isReported`` false (the record is not the
    country's report; UNSD compiled it) make the figure ``estimated``; ``isAggregate`` true
    (aggregated by UNSD) is kept as text only. ``flag_raw`` lists what was set."""
    raw = [name for name in ESTIMATION_FLAGS if _flag(value_of(name))]
    legacy = value_of("legacyEstimationFlag")
    if legacy is not None and str(legacy).strip() not in ("0", "0.0"):
        raw.append(f"legacyEstimationFlag={legacy}")
    reported = value_of("isReported")
    if reported is not None and not _flag(reported):
        raw.append("isReported=false")
    estimated = bool(raw)
    if _flag(value_of("isAggregate")):
        raw.append("isAggregate=true")
    return {"is_estimated": estimated, "is_confidential": False,
            "flag": "estimated" if estimated else None, "flag_raw": "; ".join(raw) or None}


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class Comtrade(ApiSource):
    name = "comtrade"
    title = "UN Comtrade+ API v1 (final HS data; bulk files)"
    default_base_url = "https://comtradeapi.un.org"
    # comtradr waits 6 s between calls (10 per minute); a free key has 500 calls a day.
    calls_per_minute = 10.0
    burst = 3
    revision_window_months = 0          # Comtrade publishes release markers; see plan()
    key_env = "COMTRADE_API_KEY"

    def auth_headers(self) -> dict[str, str]:
        key = self.key()
        return {"Ocp-Apim-Subscription-Key": key} if key else {}

    @property
    def cap(self) -> int:
        return KEYED_CAP if self.key() else PREVIEW_CAP

    # -- plan ------------------------------------------------------------------------------

    def plan(self, query: Query, client: SourceClient) -> list[Request]:
        freq = query.freq.upper()
        if freq not in ("M", "A"):
            raise ParameterError("freq", f"expected M or A, got {query.freq!r}")
        if not query.reporters:
            raise ParameterError("reporter", "Comtrade needs at least one reporter (e.g. CHN)")
        reporters = [comtrade_code(r, "reporter") for r in query.reporters]
        partners = [comtrade_code(p, "partner") for p in query.partners]
        commodities = [commodity_parameter("HS", c) for c in (query.commodities or ("850511",))]
        flows = [f.upper() for f in (query.flows or ("M", "X"))]
        for f in flows:
            if f not in ("M", "X"):
                raise ParameterError("flow", f"expected M or X, got {f!r}")
        months = query.months()
        if freq == "A":
            months = sorted({dt.date(m.year, 1, 1) for m in months})
            chunks = [months[i:i + 12] for i in range(0, len(months), 12)]
        else:
            chunks = month_chunks(months)
        keyed = self.key() is not None
        released = self._availability(client, freq, reporters, months, keyed)
        data_path = f"/data/v1/get/C/{freq}/HS" if keyed else f"/public/v1/preview/C/{freq}/HS"
        requests = []
        for reporter in reporters:
            for chunk in chunks:
                label = (f"{freq}/HS r{reporter} {_period_text(chunk[0], freq)}-{_period_text(chunk[-1], freq)}"
                         f" cmd{','.join(commodities)} p{','.join(map(str, partners)) or 'all'}"
                         f" {''.join(flows)}")
                dates = {(_period_text(m, freq)): released.get((reporter, _period_text(m, freq)))
                         for m in chunk}
                out = [m for m in chunk if dates[_period_text(m, freq)]]
                context = {"freq": freq, "reporter": reporter, "released": {
                    k: v for k, v in dates.items() if v}, "unreleased": [
                    k for k, v in dates.items() if not v], "partners": partners,
                    "commodities": commodities}
                if not out:
                    requests.append(Request(label, data_path, [], tuple(chunk), None, context))
                    continue
                params = [("reporterCode", str(reporter)),
                          ("period", ",".join(_period_text(m, freq) for m in out)),
                          ("cmdCode", ",".join(commodities)), ("flowCode", ",".join(flows)),
                          ("partner2Code", "0"), ("customsCode", "C00"), ("motCode", "0"),
                          ("maxRecords", str(self.cap)), ("includeDesc", "false")]
                if partners:
                    params.insert(1, ("partnerCode", ",".join(map(str, partners))))
                marker = "|".join(f"{_period_text(p, freq)}={dates[_period_text(p, freq)]}" for p in out)
                requests.append(Request(label, data_path, params, tuple(out), marker, context))
        return requests

    def _availability(self, client: SourceClient, freq: str, reporters: list[int],
                      months: list[dt.date], keyed: bool) -> dict[tuple[int, str], str]:
        """(reporter, period) -> lastReleased for every released dataset asked about."""
        path = f"/data/v1/getDa/C/{freq}/HS" if keyed else f"/public/v1/getDa/C/{freq}/HS"
        periods = sorted({_period_text(m, freq) for m in months})
        out: dict[tuple[int, str], str] = {}
        for i in range(0, len(periods), 12):
            params = [("reporterCode", ",".join(map(str, reporters))),
                      ("period", ",".join(periods[i:i + 12]))]
            answer = client.get(path, params, revalidate=True)
            body = self._checked_json(answer)
            for row in body.get("data") or []:
                try:
                    key = (int(row["reporterCode"]), str(row["period"]))
                except (KeyError, TypeError, ValueError):
                    raise SourceError(f"comtrade: availability answer row without reporterCode/period "
                                      f"({answer.url})") from None
                marker = row.get("lastReleased") or row.get("firstReleased")
                checksum = row.get("datasetChecksum")
                out[key] = f"{marker}#{checksum}" if checksum is not None else str(marker)
        return out

    # -- fetch -----------------------------------------------------------------------------

    def _checked_json(self, answer: Answer) -> dict[str, Any]:
        """The JSON envelope of a 200 answer, or a one-line SourceError saying what went wrong."""
        text = answer.body[:300].decode("utf-8", "replace")
        if answer.status in (401, 403):
            detail = _message(answer.body)
            if self.key() is None:
                raise SourceError(f"comtrade: access denied (HTTP {answer.status}) without a key: "
                                  f"set COMTRADE_API_KEY (free keys: comtradedeveloper.un.org). "
                                  f"Server said: {detail}")
            raise SourceError(f"comtrade: the key in COMTRADE_API_KEY was rejected (HTTP "
                              f"{answer.status}): {detail}")
        if answer.status == 400:
            raise SourceError(f"comtrade: the query was refused (HTTP 400): {_message(answer.body)} "
                              f"({answer.url}); check --reporter, --partner, --commodity and the period")
        if answer.status != 200:
            raise SourceError(f"comtrade: unexpected HTTP {answer.status} for {answer.url}: {text[:120]!r}")
        try:
            body = json.loads(answer.body)
        except ValueError:
            hint = "an HTML page" if text.lstrip().startswith("<") else "truncated or not JSON"
            raise SourceError(f"comtrade: the answer from {answer.url} is {hint} "
                              f"({len(answer.body)} bytes, starts {text[:60]!r}); nothing stored") from None
        if not isinstance(body, dict) or "data" not in body:
            raise SourceError(f"comtrade: the answer from {answer.url} has no 'data' member; nothing stored")
        if body.get("error"):
            raise SourceError(f"comtrade: the API reported an error: {body['error']}")
        return body

    def fetch(self, client: SourceClient, request: Request) -> Fetched | None:
        if not request.params:
            return None                     # nothing released in this batch
        answer = client.get(request.path, request.params)
        body = self._checked_json(answer)
        data = body.get("data") or []
        count = body.get("count", len(data))
        if not isinstance(count, int):
            raise SourceError(f"comtrade: 'count' is not a number in {answer.url}")
        if len(data) < count:
            raise SourceError(f"comtrade: the answer lists count {count} but holds {len(data)} rows "
                              f"({answer.url}); nothing stored")
        cap = int(dict(request.params).get("maxRecords", self.cap))
        if count >= cap:
            raise Split(self._split(request), f"{count} rows reached the cap of {cap} rows per call")
        if count == 0:
            return None
        return Fetched(request, answer.url, answer.status, answer.headers, answer.body, answer.retrieved)

    def _split(self, request: Request) -> list[Request]:
        params = dict(request.params)
        periods = params["period"].split(",")
        flows = params["flowCode"].split(",")
        if len(periods) > 1:
            halves = [periods[: len(periods) // 2], periods[len(periods) // 2:]]
            return [self._part(request, "period", ",".join(h), tuple(
                p for p in request.periods if _period_text(p, request.context["freq"]) in h))
                for h in halves]
        if len(flows) > 1:
            return [self._part(request, "flowCode", f, request.periods) for f in flows]
        raise SourceError(f"comtrade: one period and one flow ({request.key}) still reaches the cap "
                          f"of {params['maxRecords']} rows; set COMTRADE_API_KEY (cap 100,000) or "
                          f"narrow --partner")

    @staticmethod
    def _part(request: Request, name: str, value: str, periods: tuple[dt.date, ...]) -> Request:
        params = [(k, value if k == name else v) for k, v in request.params]
        freq = request.context["freq"]
        marker = "|".join(f"{_period_text(p, freq)}={request.context['released'][_period_text(p, freq)]}"
                          for p in periods)
        return Request(f"{request.key} [{name}={value}]", request.path, params, periods, marker,
                       request.context)

    def digest(self, fetched: Fetched) -> str:
        """sha256 of the raw body with the volatile ``elapsedTime`` value blanked."""
        return hashlib.sha256(_ELAPSED.sub(b'"elapsedTime":""', fetched.body, count=1)).hexdigest()

    def explain_empty(self, request: Request) -> str:
        ctx = request.context
        if not request.params:
            return (f"not released: Comtrade's availability list has no data for reporter "
                    f"{ctx['reporter']} in {', '.join(ctx['unreleased'])} yet")
        return (f"released (lastReleased {', '.join(sorted(set(ctx['released'].values())))}) but no rows "
                f"for commodity {','.join(ctx['commodities'])} and partner(s) "
                f"{','.join(map(str, ctx['partners'])) or 'all'}: check --commodity and --partner")

    # -- normalise -------------------------------------------------------------------------

    def normalise(self, fetched: Fetched) -> pa.Table:
        body = json.loads(fetched.body)
        released = fetched.request.context.get("released", {})
        digest = self.digest(fetched)
        freq = fetched.request.context.get("freq", "M")
        rows = []
        for i, r in enumerate(body.get("data") or [], start=1):
            row = _row(r, source_ref=f"C/{freq}/HS", where=fetched.url, index=i,
                       reported_classification=r.get("classificationCode"),
                       commodities=fetched.request.context.get("commodities"))
            if row is None:
                continue
            stamp = _released_date(str(released.get(str(r.get("period")), "")).split("#")[0])
            if stamp is not None:
                row["vintage"], row["vintage_precision"] = stamp, "day"
            else:
                row["vintage"], row["vintage_precision"] = fetched.retrieved_date, "day"
                row["note"] = _join(row["note"], "vintage = retrieval date (no lastReleased for this period)")
            row.update(source_url=fetched.url, source_file=None, source_row=i, source_sha256=digest)
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA)

    # -- bulk files ------------------------------------------------------------------------

    def read_file(self, path: Path, *, vintage: dt.date | None = None,
                  flow: str | None = None) -> pa.Table:
        """A Comtrade bulk file (``.txt``/``.tsv``, optionally ``.gz``) as observations.

        Bulk files carry no publication date inside; ``vintage`` is the
        ``publicationDate`` of the availability answer, else the file's modification date.
        """
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise InputError(f"not a complete gzip file ({exc})", file=str(path)) from None
        text = raw.decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t")
        if not reader.fieldnames or "cmdCode" not in reader.fieldnames:
            raise InputError("not a Comtrade bulk file: no tab-separated header with 'cmdCode'",
                             file=str(path), row=0, field="cmdCode")
        precision = "day"
        note = None
        if vintage is None:
            vintage = dt.datetime.fromtimestamp(path.stat().st_mtime).date()
            note = "vintage = file modification date (bulk files carry no publication date)"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        rows = []
        for i, r in enumerate(reader, start=1):
            r = {k: (v.strip() if isinstance(v, str) else v) for k, v in r.items() if k}
            if r.get("classificationSearchCode", "HS") != "HS" and not str(
                    r.get("classificationCode", "")).startswith("H"):
                continue                    # SITC, BEC, EBOPS files: not HS codes
            freq = r.get("freqCode", "A")
            row = _row(r, source_ref=f"C/{freq}/HS", where=str(path), index=i,
                       reported_classification=r.get("classificationCode"))
            if row is None:
                continue
            row.update(vintage=vintage, vintage_precision=precision, source_url=None,
                       source_file=path.name, source_row=i, source_sha256=digest,
                       note=_join(row["note"], note))
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA)


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            return str(data.get("message") or data.get("error") or data)[:200]
    except ValueError:
        pass
    return body[:200].decode("utf-8", "replace").strip() or "(empty body)"


def _join(a: str | None, b: str | None) -> str | None:
    parts = [p for p in (a, b) if p]
    return "; ".join(parts) if parts else None


def _row(r: dict[str, Any], *, source_ref: str, where: str, index: int,
         reported_classification: str | None,
         commodities: list[str] | None = None) -> dict[str, Any] | None:
    """One API or bulk row in canonical columns, or None for a row that would double-count."""
    def value_of(*names: str) -> Any:
        for n in names:
            if n in r and r[n] not in (None, ""):
                return r[n]
        return None

    flow = str(value_of("flowCode") or "")
    if flow not in ("M", "X"):
        return None                         # re-exports, re-imports and other sub-flows
    if str(value_of("partner2Code") or "0") not in ("0",):
        return None
    if str(value_of("customsCode") or "C00") != "C00" or str(value_of("motCode") or "0") != "0":
        return None
    cmd = str(value_of("cmdCode") or "")
    if commodities is not None:
        if cmd not in commodities:
            return None                     # a level or code not asked for
    elif not (len(cmd) == 6 and cmd.isdigit()):
        return None                         # bulk: TOTAL, chapters, headings mixed in one file
    period, months = _period_date(value_of("period", "refPeriodId"), where=where, row=index)
    reporter = to_iso3(value_of("reporterCode"), "comtrade", file=where, row=index, field="reporterCode")
    partner = to_iso3(value_of("partnerCode"), "comtrade", file=where, row=index, field="partnerCode")
    primary = _num(value_of("primaryValue"))
    qty = _num(value_of("qty"))
    unit_code = value_of("qtyUnitCode")
    abbr = str(value_of("qtyUnitAbbr") or "").strip().lower()
    unit = "kg" if str(unit_code) == "8" else (abbr if abbr in QUANTITY_UNITS else None)
    note = None
    if qty is not None and unit is None:
        note = f"quantity in Comtrade unit {unit_code} not kept"
        qty = None
    if reported_classification:
        note = _join(f"reported as {reported_classification}", note)
    return {
        "source": "comtrade", "source_ref": source_ref, "reporter": reporter, "partner": partner,
        "flow": flow, "classification": "HS", "commodity": cmd, "period": period,
        "period_months": months, "net_weight_kg": _num(value_of("netWgt")), "value": primary,
        "currency": "USD" if primary is not None else None, "value_usd": primary,
        "quantity": qty, "quantity_unit": unit if qty is not None else None,
        **_flags(value_of), "note": note,
    }


register(Comtrade())
