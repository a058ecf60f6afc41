"""The bundled real data: press-reported China customs figures and reference tables.

The CSV files in ``magwatch/data/`` were compiled from press reports of China
customs (GACC) statistics and other public sources; ``data/SOURCES.md`` gives
every file's provenance, gaps and conflicts. They load as source ``press``:

* monthly, annual and year-to-date export figures become observations whose
  vintage is the publication date of the article that reported them;
* changes and ranks an article states ("-38% y/y", "second-largest buyer")
  become reported claims, never observations;
* a second outlet's print of a figure another row already gives (3,187 t beside
  Reuters' 3,188 t; data/SOURCES.md, fourth pass: "rounding-level disagreements")
  becomes an ``outlet_*`` claim, which the audit sets beside the primary figure and
  explains, and which is never chosen as the figure itself;
* every file is also kept verbatim as a reference table (events, intensities,
  prices, risk inputs...), one record per row with its row number.

Nothing is interpolated, back-filled or recomputed: a figure the sources did
not give stays absent.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from importlib import resources
from pathlib import Path

import pyarrow as pa

from magwatch.codes import MAGNET_LINE
from magwatch.records import CLAIM_SCHEMA, OBSERVATION_SCHEMA
from magwatch.periods import Month
from magwatch.store import Release, Store
from magwatch.store.ingest import file_sha256, one_landing

SOURCE = "press"
#: The bundled data set was compiled in November 2026 (data/SOURCES.md); a
#: figure whose article gives no date is dated by that compilation.
COMPILED = dt.date(2026, 11, 1)
CHINA_LINE = ("CN-CHN", MAGNET_LINE)

FILES = (
    "china_magnet_exports_monthly.csv", "reported_rankings.csv", "market_structure.csv",
    "annual_hs850511_trade.csv", "partner_imports_monthly.csv", "rare_earth_events.csv",
    "magnet_intensity.csv", "magnet_demand_by_sector.csv", "alt_supply.csv",
    "downstream_disruptions.csv", "re_prices.csv", "risk_inputs.csv", "outlet_figures.csv",
)


def data_dir() -> Path:
    return Path(str(resources.files("magwatch") / "data"))


def vintage_of(text: str | None) -> tuple[dt.date, str]:
    """Publication date of an article: the latest date its stated precision allows."""
    text = (text or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text), "day"
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return Month.parse(text, "source_date").last_day, "month"
    if re.fullmatch(r"\d{4}", text):
        return dt.date(int(text), 12, 31), "year"
    return COMPILED, "compiled"


def _number(text: str | None) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _observation(row_no: int, file: str, sha: str, *, reporter: str, partner: str,
                 period: dt.date, months: int, weight_t: float | None, value_usd: float | None,
                 url: str, vintage: tuple[dt.date, str], note: str | None,
                 value: float | None = None, currency: str | None = None,
                 commodity: tuple[str, str] = CHINA_LINE, flow: str = "X") -> dict:
    if value is None and value_usd is not None:
        value, currency = value_usd, "USD"
    return {
        "source": SOURCE, "source_ref": url, "reporter": reporter, "partner": partner,
        "flow": flow, "classification": commodity[0], "commodity": commodity[1],
        "period": period, "period_months": months,
        "net_weight_kg": round(weight_t * 1000, 3) if weight_t is not None else None,
        "value": value, "currency": currency, "value_usd": value_usd,
        "quantity": None, "quantity_unit": None, "is_estimated": False, "is_confidential": False,
        "vintage": vintage[0], "vintage_precision": vintage[1], "source_url": url,
        "source_file": file, "source_row": row_no, "source_sha256": sha, "note": note or None,
    }


def _claim(row_no: int, file: str, sha: str, *, partner: str, period: dt.date, months: int,
           metric: str, value: float, url: str, vintage: tuple[dt.date, str],
           note: str | None, reporter: str = "CHN") -> dict:
    return {
        "source": SOURCE, "source_ref": url, "reporter": reporter, "partner": partner,
        "flow": "X", "classification": CHINA_LINE[0], "commodity": CHINA_LINE[1],
        "period": period, "period_months": months, "metric": metric, "value": value,
        "vintage": vintage[0], "vintage_precision": vintage[1], "source_url": url,
        "source_file": file, "source_row": row_no, "source_sha256": sha, "note": note or None,
    }


def _monthly(rows: list[dict], file: str, sha: str) -> tuple[list[dict], list[dict]]:
    obs, claims = [], []
    for n, r in enumerate(rows, start=1):
        period = Month.parse(r["period"], "period").first_day
        vintage, url = vintage_of(r["source_date"]), r["source_url"]
        weight, value = _number(r["net_weight_t"]), _number(r["value_usd"])
        if weight is not None or value is not None:
            obs.append(_observation(n, file, sha, reporter="CHN", partner=r["partner"],
                                    period=period, months=1, weight_t=weight, value_usd=value,
                                    url=url, vintage=vintage, note=r["note"]))
        for column, metric in (("mom_pct_reported", "mom_pct"), ("yoy_pct_reported", "yoy_pct")):
            pct = _number(r[column])
            if pct is not None:
                claims.append(_claim(n, file, sha, partner=r["partner"], period=period, months=1,
                                     metric=metric, value=pct, url=url, vintage=vintage,
                                     note=r["note"]))
    return obs, claims


def _rankings(rows: list[dict], file: str, sha: str) -> tuple[list[dict], list[dict]]:
    claims = [
        _claim(n, file, sha, partner=r["partner"], months=1,
               period=Month.parse(r["period"], "period").first_day,
               metric="rank", value=float(r["rank"]), url=r["source_url"],
               vintage=vintage_of(None), note=r["note"])
        for n, r in enumerate(rows, start=1)
    ]
    return [], claims


#: market_structure.csv metrics that are China's magnet exports, and what they mean.
_SPAN = re.compile(r"china_magnet_exports(?:_to_(?P<partner>USA|EU))?_(?:(?P<annual>annual)|ytd)"
                   r"_(?P<measure>t|value_usd|yoy_pct)(?:_(?P<span>jan_[a-z]{3}|q1))?$")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


def _market(rows: list[dict], file: str, sha: str) -> tuple[list[dict], list[dict]]:
    merged: dict[tuple, dict] = {}
    claims = []
    for n, r in enumerate(rows, start=1):
        m = _SPAN.fullmatch(r["metric"])
        if not m:
            continue          # not a magnet-export figure: kept only as a reference row
        partner = {"USA": "USA", "EU": "EUU", None: "WLD"}[m["partner"]]
        months = 12 if m["annual"] else (3 if m["span"] == "q1" else _MONTHS[m["span"][4:]])
        period = dt.date(int(r["year"]), 1, 1)
        url, value = r["source_url"], float(r["value"])
        vintage = vintage_of(None)
        if m["measure"] == "yoy_pct":
            claims.append(_claim(n, file, sha, partner=partner, period=period, months=months,
                                 metric="yoy_pct", value=value, url=url, vintage=vintage,
                                 note=r["note"]))
            continue
        key = (partner, period, months, url)
        row = merged.get(key)
        if row is None:
            row = merged[key] = _observation(n, file, sha, reporter="CHN", partner=partner,
                                             period=period, months=months, weight_t=None,
                                             value_usd=None, url=url, vintage=vintage,
                                             note=r["note"])
        if m["measure"] == "t":
            row["net_weight_kg"] = round(value * 1000, 3)
        else:
            row["value"] = row["value_usd"] = value
            row["currency"] = "USD"
    return list(merged.values()), claims


def _annual(rows: list[dict], file: str, sha: str) -> tuple[list[dict], list[dict]]:
    obs = []
    for n, r in enumerate(rows, start=1):
        code = r["hs_code"].strip()
        weight, value = _number(r["net_weight_t"]), _number(r["value_usd"])
        if not code.isdigit() or (weight is None and value is None):
            continue          # a non-commodity scope (e.g. RE_aggregate): reference row only
        classification = "CN-CHN" if len(code) == 8 else "HS"
        obs.append(_observation(
            n, file, sha, reporter=r["country_iso3"], partner="WLD",
            period=dt.date(int(r["year"]), 1, 1), months=12, weight_t=weight, value_usd=value,
            url=r["source_url"], vintage=vintage_of(None), note=r["note"],
            commodity=(classification, code), flow="X" if r["flow"] == "export" else "M"))
    return obs, []


#: outlet_figures.csv metric -> claim metric (records.CLAIM_METRICS).
_OUTLET_METRICS = {"net_weight_t": "outlet_net_weight_t", "yoy_pct": "outlet_yoy_pct"}


def _outlets(rows: list[dict], file: str, sha: str) -> tuple[list[dict], list[dict]]:
    """A second outlet's figure for a (period, partner) a primary row gives: a claim each.

    The value is the outlet's as printed; ``qualifier`` ``~`` ("about") goes into the note
    with the primary row the figure disagrees with. A row without a URL (the outlet was
    not recorded) is referred to by its file and row.
    """
    claims = []
    for n, r in enumerate(rows, start=1):
        url = r["source_url"].strip() or None
        about = "about (~); " if r["qualifier"].strip() == "~" else ""
        note = (f"{about}second outlet beside china_magnet_exports_monthly.csv row "
                f"{r['primary_row']}; {r['note']}")
        claim = _claim(n, file, sha, partner=r["partner"],
                       period=Month.parse(r["period"], "period").first_day, months=1,
                       metric=_OUTLET_METRICS[r["metric"]], value=float(r["value"]),
                       url=url, vintage=vintage_of(r["source_date"]), note=note)
        claim["source_ref"] = url or f"{file} row {n}"
        claims.append(claim)
    return [], claims


CONVERTERS = {
    "china_magnet_exports_monthly.csv": _monthly,
    "reported_rankings.csv": _rankings,
    "market_structure.csv": _market,
    "annual_hs850511_trade.csv": _annual,
    "outlet_figures.csv": _outlets,
}


def _reference(rows: list[dict]) -> pa.Table:
    return pa.table({
        "source_row": pa.array(range(1, len(rows) + 1), pa.int64()),
        "record": pa.array([json.dumps(r, ensure_ascii=False) for r in rows], pa.string()),
    })


def load_bundled(store: Store, progress=None) -> list[Release]:
    """Load every bundled file as one release each; files already loaded are skipped."""
    with one_landing(store.con):
        return [_load_file(store, name, progress) for name in FILES]


def _load_file(store: Store, name: str, progress) -> Release:
    path = data_dir() / name
    sha = file_sha256(path)
    rows = _rows(path)
    obs, claims = CONVERTERS.get(name, lambda *_: ([], []))(rows, name, sha)
    release = store.ingest_records(
        pa.Table.from_pylist(obs, schema=OBSERVATION_SCHEMA) if obs else None,
        pa.Table.from_pylist(claims, schema=CLAIM_SCHEMA) if claims else None,
        source=SOURCE, file_name=name, sha256=sha, file_size=path.stat().st_size,
        references={name.removesuffix(".csv"): _reference(rows)},
        note="bundled data; provenance in data/SOURCES.md")
    if progress:
        progress(name)
    return release


def summary(results: list[Release], path: Path | str | None) -> str:
    """One line on a load: files, figures and claims added, and where they went."""
    new = [r for r in results if not r.skipped]
    rows = sum(r.rows_added for r in new)
    claims = sum(r.claims_added for r in new)
    if not new:
        return f"bundled data already loaded in {path} ({len(results)} files); nothing changed"
    skipped = len(results) - len(new)
    again = f"; {skipped} already loaded" if skipped else ""
    return (f"loaded {len(new)} bundled files into {path}: {rows:,} figures, "
            f"{claims:,} reported claims and {len(new)} reference tables added{again}")


__all__ = ["FILES", "data_dir", "load_bundled", "summary", "vintage_of"]
