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
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pyarrow as pa

from magwatch.codes import is_aggregate, to_iso3
from magwatch.errors import ParameterError, SourceError, UnknownCodeError
from magwatch.periods import Month
from magwatch.records import OBSERVATION_SCHEMA
from magwatch.sources import ApiSource, commodity_parameter, Fetched, Query, Request, Split, month_chunks, register
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
        products = [commodity_parameter("CN-EU", c) for c in (query.commodities or ("85051110",))]
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
        month_end = (Month.of(last) + 1).first_day
        if dt.date.today() < month_end + dt.timedelta(days=50):
            return (f"not released yet: Comext publishes a month about 6-7 weeks after it ends "
                    f"(no values for {last:%Y-%m})")
        return ("no values for these months (HTTP 404 or an empty dataset): the months are released, "
                "so check --reporter, --partner and --commodity")

    def normalise(self, fetched: Fetched) -> pa.Table:
        body = json.loads(fetched.body)
        ids: list[str] = body["id"]
        sizes: list[int] = body["size"]
        if len(ids) != len(sizes):
            raise SourceError(f"comext: 'id' and 'size' differ in length in {fetched.url}")
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
        values = body.get("value") or {}
        items = values.items() if isinstance(values, dict) else enumerate(values)
        needed = {"reporter", "partner", "product", "flow", "indicators", "time"}
        if not needed <= set(ids):
            raise SourceError(f"comext: dimensions {sorted(needed - set(ids))} missing in {fetched.url}")
        vintage = _vintage(body.get("updated"))
        note = None
        if vintage is None:
            vintage, note = fetched.retrieved_date, "vintage = retrieval date (no 'updated' in the answer)"
        cells: dict[tuple[str, ...], dict[str, float]] = {}
        for flat, value in items:
            if value is None:
                continue
            i = int(flat)
            coord = {}
            for d, n, labels in zip(reversed(ids), reversed(sizes), reversed(codes)):
                coord[d] = labels[i % n]
                i //= n
            key = (coord["reporter"], coord["partner"], coord["product"], coord["flow"], coord["time"])
            cells.setdefault(key, {})[coord["indicators"]] = float(value)
        digest = self.digest(fetched)
        rows = []
        for n, (key, found) in enumerate(sorted(cells.items()), start=1):
            reporter_code, partner_code, product, flow_code, time = key
            partner = to_iso3(partner_code, "comext", file=fetched.url, row=n, field="partner")
            if is_aggregate(partner):
                continue
            reporter = to_iso3(reporter_code, "comext", file=fetched.url, row=n, field="reporter")
            if flow_code not in FLOW_NAMES:
                continue
            m = re.fullmatch(r"(\d{4})-?M?(\d{2})", str(time))
            if m is None:
                raise SourceError(f"comext: time {time!r} in {fetched.url} is not a month (YYYY-MM)")
            period = dt.date(int(m.group(1)), int(m.group(2)), 1)
            q100 = found.get("QUANTITY_IN_100KG")
            value = found.get("VALUE_IN_EUROS")
            product = str(product)
            rows.append({
                "source": "comext", "source_ref": DATASET, "reporter": reporter, "partner": partner,
                "flow": FLOW_NAMES[flow_code],
                "classification": "CN-EU" if len(product) == 8 else "HS", "commodity": product,
                "period": period, "period_months": 1,
                "net_weight_kg": q100 * 100.0 if q100 is not None else None,
                "value": value, "currency": "EUR" if value is not None else None, "value_usd": None,
                "quantity": None, "quantity_unit": None, "is_estimated": False,
                "is_confidential": False, "vintage": vintage, "vintage_precision": "day",
                "source_url": fetched.url, "source_file": None, "source_row": n,
                "source_sha256": digest,
                "note": "; ".join(filter(None, [note, "net weight = QUANTITY_IN_100KG x 100"
                                                 if q100 is not None else None])) or None,
            })
        return pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA)


register(Comext())
