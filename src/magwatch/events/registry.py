"""The event registry: dated policy events and what they touch.

An event has an id, a date, an actor, a type (:data:`EVENT_TYPES`), a one-line
summary, a source URL, and its scope: the partners, commodities and elements it
touches. A scope list is either ``["ALL"]``, a list of codes, ``[]`` (touches
none) or ``None`` (nobody said).

The bundled timeline (reference table ``rare_earth_events``) seeds the registry;
what each bundled event touches comes from the explicit mapping file
``events/data/event_scope.csv``, one row per event with its reasoning. Events a
user adds or imports are validated like any other input: a bad value raises a
one-line :class:`~magwatch.errors.InputError` naming the file, row and field,
and nothing is written. Summaries are stored as text, verbatim (markup included);
renderers escape them.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa

from magwatch.codes import is_known
from magwatch.errors import InputError, ParameterError
from magwatch.periods import Month
from magwatch.records import EVENT_SCHEMA
from magwatch.store import Store
from magwatch.store import events as event_store
from magwatch.store.schema import EVENT_DDL  # noqa: F401  (re-exported by magwatch.events)

EVENT_TYPES = ("export_control", "license", "trade_deal", "tariff", "investment", "other")
_TYPE_ALIASES = {"licence": "license", "export_controls": "export_control", "deal": "trade_deal"}

ALL = "ALL"
SCOPE_FILE = "event_scope.csv"

_ELEMENTS = frozenset((
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy "
    "Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf "
    "Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og").split())
_ELEMENT_BY_UPPER = {e.upper(): e for e in _ELEMENTS}
_COMMODITY_LENGTHS = (2, 4, 6, 8, 9, 10)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_URL = re.compile(r"https?://[^\s<>\"]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_SUMMARY = 500
MAX_ACTOR = 200

_CSV_FIELDS = ("event_id", "date", "actor", "event_type", "summary", "source_url", "partners",
               "commodities", "elements", "scope_note")
_REQUIRED = ("date", "actor", "event_type", "summary")


def scope_path() -> Path:
    return Path(str(resources.files("magwatch.events") / "data" / SCOPE_FILE))


# -- validation ----------------------------------------------------------------------------


def _text(value: Any, field: str, where: dict, *, limit: int, required: bool) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise InputError("is empty", field=field, **where)
        return None
    if _CONTROL.search(text):
        raise InputError("must be one line of text (no line breaks or control characters)",
                         field=field, **where)
    if len(text) > limit:
        raise InputError(f"is {len(text)} characters long; at most {limit} allowed",
                         field=field, **where)
    return text


def _event_date(value: Any, where: dict) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise InputError("is empty", field="date", **where)
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise InputError(f"expected a date YYYY-MM-DD, got {text!r}", field="date", **where) from None
    if not 1900 <= day.year <= 2100:
        raise InputError(f"date {day} is outside 1900-2100", field="date", **where)
    return day


def _event_type(value: Any, where: dict) -> str:
    text = "" if value is None else str(value).strip().lower()
    text = _TYPE_ALIASES.get(text, text)
    if text not in EVENT_TYPES:
        raise InputError(f"expected one of {', '.join(EVENT_TYPES)}, got {value!r}",
                         field="event_type", **where)
    return text


def _url(value: Any, where: dict) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if len(text) > 2000 or not _URL.fullmatch(text):
        raise InputError(f"expected an http(s) URL without spaces, got {text[:80]!r}",
                         field="source_url", **where)
    return text


def _split(value: Any) -> list[str] | None:
    """A scope cell or argument as a list; None when nothing was stated."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        text = str(value).strip()
        if not text:
            return None
        items = [part.strip() for part in re.split(r"[;,|]", text)]
    items = [i for i in items if i]
    if len(items) == 1 and items[0].upper() == "NONE":
        return []
    return items


def _scope(value: Any, field: str, where: dict, check) -> list[str] | None:
    items = _split(value)
    if items is None:
        return None
    if any(i.upper() == ALL for i in items):
        if len(items) > 1:
            raise InputError("ALL cannot be combined with other codes", field=field, **where)
        return [ALL]
    out: list[str] = []
    for item in items:
        code = check(item)
        if code is None:
            raise InputError(f"unknown code {item!r}", field=field, **where)
        if code not in out:
            out.append(code)
    return out


def _partner(item: str) -> str | None:
    code = item.upper()
    return code if is_known(code) else None


def _commodity(item: str) -> str | None:
    return item if item.isdigit() and len(item) in _COMMODITY_LENGTHS else None


def _element(item: str) -> str | None:
    return _ELEMENT_BY_UPPER.get(item.upper())


def validate_event(fields: dict[str, Any], *, file: str | None = None, row: int | None = None,
                   origin: str = "user") -> dict[str, Any]:
    """One event as a registry row; raises InputError naming file, row and field."""
    where = {"file": file, "row": row}
    unknown = sorted(set(fields) - set(_CSV_FIELDS))
    if unknown:
        raise InputError(f"unknown field; expected {', '.join(_CSV_FIELDS)}", field=unknown[0], **where)
    day = _event_date(fields.get("date"), where)
    actor = _text(fields.get("actor"), "actor", where, limit=MAX_ACTOR, required=True)
    kind = _event_type(fields.get("event_type"), where)
    summary = _text(fields.get("summary"), "summary", where, limit=MAX_SUMMARY, required=True)
    url = _url(fields.get("source_url"), where)
    partners = _scope(fields.get("partners"), "partners", where, _partner)
    commodities = _scope(fields.get("commodities"), "commodities", where, _commodity)
    elements = _scope(fields.get("elements"), "elements", where, _element)
    note = _text(fields.get("scope_note"), "scope_note", where, limit=MAX_SUMMARY, required=False)
    event_id = _text(fields.get("event_id"), "event_id", where, limit=64, required=False)
    if event_id is not None and not _ID.fullmatch(event_id):
        raise InputError("expected letters, digits, '.', '_' or '-' (at most 64), starting with a "
                         "letter or digit", field="event_id", **where)
    if event_id is None:
        digest = hashlib.sha256(f"{day}|{actor}|{kind}|{summary}".encode()).hexdigest()[:8]
        event_id = f"u-{day}-{digest}"
    stated = any(s is not None for s in (partners, commodities, elements))
    return {
        "event_id": event_id, "event_date": day, "actor": actor, "event_type": kind,
        "summary": summary, "source_url": url, "partners": partners, "commodities": commodities,
        "elements": elements, "scope_basis": "user" if stated else "unspecified",
        "scope_note": note, "origin": origin, "source_file": file, "source_row": row,
    }


# -- storing -------------------------------------------------------------------------------


def _write(store: Store, rows: list[dict[str, Any]], *, file: str | None) -> tuple[int, int]:
    """Store events in one transaction; identical ids already stored are skipped.

    Returns (added, skipped). An id already stored with different content is an error
    and nothing is written.
    """
    result = event_store.add_events(store.con, pa.Table.from_pylist(rows, schema=EVENT_SCHEMA))
    if result.conflicts:
        first = next(r for r in rows if r["event_id"] == result.conflicts[0])
        raise InputError(f"event_id {first['event_id']!r} already exists with different content",
                         file=file, row=first.get("source_row") if file else None,
                         field="event_id")
    if result.added:
        store.publish()             # readers in other processes see the new events
    return result.added, result.skipped


# -- the bundled timeline ------------------------------------------------------------------


def _scope_rows() -> dict[int, dict[str, str]]:
    path = scope_path()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    return {int(r["source_row"]): r for r in rows}


def bundled_events(store: Store) -> list[dict[str, Any]]:
    """The bundled timeline as registry rows, scope from ``event_scope.csv``.

    An event whose row has no mapping gets a NULL scope (basis ``unmapped``), never
    a guessed one; a mapping whose date disagrees with the event is an error.
    """
    reference = store.reference("rare_earth_events")
    if reference.num_rows == 0:
        return []
    scopes = _scope_rows()
    out = []
    for row_no, record in enumerate(reference.to_pylist(), start=1):
        where = {"file": "rare_earth_events.csv", "row": row_no}
        fields = {"date": record.get("date"), "actor": record.get("actor"),
                  "event_type": record.get("event_type"), "summary": record.get("summary"),
                  "source_url": record.get("source_url")}
        event = validate_event(fields, origin="bundled", **where)
        scope = scopes.get(row_no)
        if scope is None:
            event.update(event_id=f"ev-{event['event_date']}-r{row_no}", scope_basis="unmapped",
                         scope_note=f"no row in events/data/{SCOPE_FILE}")
        else:
            swhere = {"file": SCOPE_FILE, "row": row_no}
            if scope["date"] != str(event["event_date"]):
                raise InputError(f"date {scope['date']} does not match the bundled event dated "
                                 f"{event['event_date']}", field="date", **swhere)
            event.update(
                event_id=scope["event_id"],
                partners=_scope(scope["partners"], "partners", swhere, _partner),
                commodities=_scope(scope["commodities"], "commodities", swhere, _commodity),
                elements=_scope(scope["elements"], "elements", swhere, _element) or [],
                scope_basis=scope["basis"],
                scope_note=scope["reasoning"])
        out.append(event)
    return out


def seed(store: Store) -> int:
    """Insert bundled events not yet in the registry; returns how many were added."""
    rows = bundled_events(store)
    if not rows:
        return 0
    added, _ = _write(store, rows, file=None)
    return added


def _ready(store: Store) -> None:
    """Seed the registry with bundled events it lacks (a read-only store is left as it is)."""
    if not getattr(store, "read_only", False):
        seed(store)


# -- adding --------------------------------------------------------------------------------


def add_event(store: Store, **fields: Any) -> dict[str, Any]:
    """Validate and store one event; returns the stored row (with ``added``: False if it existed)."""
    try:
        row = validate_event(fields)
    except InputError as exc:
        raise ParameterError(exc.field or "event", exc.reason) from None
    _ready(store)
    try:
        added, _ = _write(store, [row], file=None)
    except InputError as exc:
        raise ParameterError(exc.field or "event", exc.reason) from None
    return {**row, "added": bool(added)}


def read_events_csv(path: str | Path) -> list[dict[str, Any]]:
    """Every row of an event CSV, validated; the first bad value raises InputError."""
    path = Path(path)
    display = str(path)
    if not path.is_file():
        raise InputError("no such file", file=display)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if not header:
                raise InputError("empty file: expected a header row", file=display)
            for name in header:
                if name not in _CSV_FIELDS:
                    raise InputError(f"unknown column; expected {', '.join(_CSV_FIELDS)}",
                                     file=display, field=name)
            for name in _REQUIRED:
                if name not in header:
                    raise InputError("required column is missing", file=display, field=name)
            reader.fieldnames = header
            rows, seen = [], {}
            for n, raw in enumerate(reader, start=1):
                if None in raw:
                    raise InputError(f"has {len(header) + len(raw[None])} cells; the header has "
                                     f"{len(header)}", file=display, row=n)
                row = validate_event(raw, file=display, row=n)
                if row["event_id"] in seen:
                    raise InputError(f"event_id {row['event_id']!r} repeats row {seen[row['event_id']]}",
                                     file=display, row=n, field="event_id")
                seen[row["event_id"]] = n
                row["source_file"] = path.name
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=display) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=display) from None
    if not rows:
        raise InputError("no event rows after the header", file=display)
    return rows


def import_events(store: Store, path: str | Path) -> dict[str, int]:
    """Validate a whole event CSV, then store it in one transaction."""
    rows = read_events_csv(path)
    _ready(store)
    added, skipped = _write(store, rows, file=str(path))
    return {"rows": len(rows), "added": added, "skipped": skipped}


# -- reading -------------------------------------------------------------------------------


def _as_date(value: Any, parameter: str, *, end: bool = False) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            month = Month.parse(text, parameter)
            return month.last_day if end else month.first_day
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ParameterError(parameter, f"expected YYYY-MM-DD or YYYY-MM, got {value!r}") from None


def _all_rows(store: Store) -> list[dict[str, Any]]:
    """Every event by date, then id: the stored ones, and on a read-only store also the
    bundled ones not stored yet (what seeding would add), so the answer is the same."""
    _ready(store)
    stored = event_store.events(store.con)
    rows = stored.to_pylist() if stored is not None else []
    if getattr(store, "read_only", False):
        held = {r["event_id"] for r in rows}
        rows += [r for r in bundled_events(store) if r["event_id"] not in held]
        rows.sort(key=lambda r: (r["event_date"], r["event_id"]))
    return rows


def touches(scope: list[str] | None, code: str | None) -> str:
    """How a scope list relates to one code: yes, all, no or unspecified."""
    if scope is None:
        return "unspecified"
    if code is None:
        return "all" if scope == [ALL] else ("yes" if scope else "no")
    if scope == [ALL]:
        return "all"
    return "yes" if code in scope else "no"


def list_events(store: Store, *, start: Any = None, end: Any = None, event_type: str | None = None,
                partner: str | None = None, commodity: str | None = None) -> pa.Table:
    """Events in a date range (inclusive), optionally of one type or touching a partner/commodity.

    A partner or commodity filter keeps events that name it, apply to ALL, or left the
    scope unstated (they cannot be ruled out); ``touches_partner``/``touches_commodity``
    say which.
    """
    lo, hi = _as_date(start, "from"), _as_date(end, "to", end=True)
    if lo and hi and lo > hi:
        raise ParameterError("from", f"{lo} is after --to {hi}")
    if event_type is not None:
        kind = _TYPE_ALIASES.get(event_type.strip().lower(), event_type.strip().lower())
        if kind not in EVENT_TYPES:
            raise ParameterError("type", f"expected one of {', '.join(EVENT_TYPES)}, got {event_type!r}")
        event_type = kind
    if partner is not None:
        partner = partner.strip().upper()
        if not is_known(partner):
            raise ParameterError("partner", f"unknown ISO3 code {partner!r}")
    if commodity is not None and _commodity(str(commodity).strip()) is None:
        raise ParameterError("commodity", f"expected a tariff-line code of digits, got {commodity!r}")
    out = []
    for r in _all_rows(store):
        if (lo and r["event_date"] < lo) or (hi and r["event_date"] > hi):
            continue
        if event_type and r["event_type"] != event_type:
            continue
        tp, tc = touches(r["partners"], partner), touches(r["commodities"], commodity)
        if partner is not None and tp == "no":
            continue
        if commodity is not None and tc == "no":
            continue
        out.append({**r, "touches_partner": tp if partner else None,
                    "touches_commodity": tc if commodity else None})
    schema = EVENT_SCHEMA.append(pa.field("touches_partner", pa.string())) \
        .append(pa.field("touches_commodity", pa.string()))
    return pa.Table.from_pylist(out, schema=schema)


def get_event(store: Store, event_id: str) -> dict[str, Any] | None:
    for r in _all_rows(store):
        if r["event_id"] == event_id:
            return r
    return None


def events_on(store: Store, day: dt.date) -> list[dict[str, Any]]:
    return [r for r in _all_rows(store) if r["event_date"] == day]


def chart_events(store: Store, start: Any, end: Any, *, partner: str | None = None,
                 commodity: str | None = None) -> list[dict[str, Any]]:
    """Events a time-series chart over [start, end] should mark: date, id, type, short label."""
    table = list_events(store, start=start, end=end, partner=partner, commodity=commodity)
    return [{"date": r["event_date"], "event_id": r["event_id"], "event_type": r["event_type"],
             "label": _label(r["summary"]), "source_url": r["source_url"]}
            for r in table.to_pylist()]


def _label(summary: str, limit: int = 60) -> str:
    return summary if len(summary) <= limit else summary[: limit - 1].rstrip() + "…"


def scope_text(scope: Iterable[str] | None) -> str:
    if scope is None:
        return "not stated"
    items = list(scope)
    return "none" if not items else ";".join(items)
