"""Connectors to the official statistics: one protocol, one module per source, a registry.

Every source follows the same three stages (see ``docs/sources.md``):

1. **plan** (``Source.plan``): turn a :class:`Query` (reporters, partners, commodities,
   months) into :class:`Request` batches the source accepts: at most 12 periods per
   Comtrade call, a year per Census or Comext call. A source may ask its own release
   calendar here (Comtrade's data-availability list), so a batch carries the release
   marker it expects and an unchanged batch is not fetched again.
2. **fetch** (``Source.fetch``): I/O only. Sends one request through the source's
   :class:`~magwatch.sources.http.SourceClient` and returns a :class:`Fetched` (raw body
   and response metadata), or raises :class:`Split` when the answer would be cut off
   (row cap, HTTP 413) so the runner asks for smaller parts instead.
3. **normalise** (``Source.normalise``): raw body to the canonical
   :data:`magwatch.records.OBSERVATION_SCHEMA` Arrow table, codes through
   :func:`magwatch.codes.to_iso3`, units to kg, vintage from the source's own release marker.

A file source (China customs exports, Comtrade bulk files) implements ``read_file``
instead of plan/fetch. :mod:`magwatch.sources.run` drives the stages and lands every
batch through :meth:`magwatch.store.Store.ingest_records` as one release.

Adding a source is one module that defines a class with these members and calls
:func:`register` at import; :data:`MODULES` lists the modules loaded on first use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from magwatch.errors import InputError, ParameterError
from magwatch.periods import Month

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from magwatch.sources.http import SourceClient

__all__ = [
    "MODULES",
    "ApiSource",
    "Fetched",
    "FileSource",
    "Query",
    "Request",
    "Source",
    "Split",
    "get",
    "names",
    "register",
]

#: Modules that register a source when imported (one per source).
MODULES = (
    "magwatch.sources.comtrade",
    "magwatch.sources.census",
    "magwatch.sources.comext",
    "magwatch.sources.gacc",
)


@dataclass(frozen=True)
class Query:
    """What a user asks a source for, in magwatch's words.

    ``reporters`` and ``partners`` are canonical codes (``CHN``, ``USA``, ``EUU``,
    ``WLD``) or the source's own codes; ``commodities`` are code strings; ``start``
    and ``end`` are first days of months (inclusive). Empty tuples mean the
    source's default for that dimension (documented per source).
    """

    reporters: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    commodities: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    freq: str = "M"
    flows: tuple[str, ...] = ()

    def months(self) -> list[dt.date]:
        """Every month from ``start`` to ``end`` (both required)."""
        if self.start is None or self.end is None:
            raise ParameterError("from", "give both --from and --to as YYYY-MM")
        if self.end < self.start:
            raise ParameterError("to", f"{Month.of(self.end)} is before --from {Month.of(self.start)}")
        return [m.first_day for m in Month.of(self.start).until(Month.of(self.end))]

    def to_json(self) -> dict[str, Any]:
        return {"reporters": list(self.reporters), "partners": list(self.partners),
                "commodities": list(self.commodities),
                "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None, "freq": self.freq,
                "flows": list(self.flows)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Query":
        def day(v: str | None) -> dt.date | None:
            return dt.date.fromisoformat(v) if v else None

        return cls(tuple(data.get("reporters", ())), tuple(data.get("partners", ())),
                   tuple(data.get("commodities", ())), day(data.get("start")), day(data.get("end")),
                   data.get("freq", "M"), tuple(data.get("flows", ())))


@dataclass
class Request:
    """One call to a source: one batch, landing as one release.

    ``key`` is stable across runs (fetch state is recorded under it); ``marker`` is
    the release marker the source's calendar gave for the batch, if any (Comtrade's
    ``lastReleased``); ``periods`` are the months the batch covers.
    """

    key: str
    path: str
    params: list[tuple[str, str]]
    periods: tuple[dt.date, ...]
    marker: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fetched:
    """A raw answer and its metadata: what fetch returns, what normalise reads."""

    request: Request
    url: str                       # without any key
    status: int
    headers: dict[str, str]
    body: bytes
    retrieved: dt.datetime

    @property
    def retrieved_date(self) -> dt.date:
        return self.retrieved.date()


class Split(Exception):
    """The answer would be cut off; fetch these smaller requests instead."""

    def __init__(self, parts: list[Request], reason: str) -> None:
        self.parts = parts
        self.reason = reason
        super().__init__(reason)


@runtime_checkable
class Source(Protocol):
    """An online source. See the module docstring for the three stages."""

    name: str
    title: str
    #: Months re-fetched on every run because the source restates them.
    revision_window_months: int

    def client(self, base_url: str | None = None, *,
               cache_dir: Path | None = None) -> "SourceClient": ...

    def plan(self, query: Query, client: "SourceClient") -> list[Request]: ...

    def fetch(self, client: "SourceClient", request: Request) -> Fetched: ...

    def normalise(self, fetched: Fetched) -> "pa.Table": ...

    def digest(self, fetched: Fetched) -> str: ...

    def explain_empty(self, request: Request) -> str: ...


@runtime_checkable
class FileSource(Protocol):
    """A source whose figures arrive as files (China customs exports, Comtrade bulk files)."""

    name: str
    title: str

    def read_file(self, path: Path, *, vintage: dt.date | None = None,
                  flow: str | None = None) -> "pa.Table": ...


class ApiSource:
    """Shared behaviour of the online sources: client settings, key, digest.

    Subclasses set ``name``, ``title``, ``default_base_url``, ``calls_per_minute``,
    ``burst``, ``revision_window_months`` and optionally ``key_env``, and implement
    ``plan``, ``fetch``, ``normalise`` and ``explain_empty``.
    """

    name = ""
    title = ""
    default_base_url = ""
    calls_per_minute = 30.0
    burst = 5
    revision_window_months = 13
    key_env: str | None = None

    def key(self) -> str | None:
        if self.key_env is None:
            return None
        value = os.environ.get(self.key_env, "").strip()
        return value or None

    def auth_headers(self) -> dict[str, str]:
        return {}

    def auth_params(self) -> dict[str, str]:
        return {}

    def client(self, base_url: str | None = None, *,
               cache_dir: Path | None = None) -> "SourceClient":
        from magwatch.config import settings
        from magwatch.sources.http import SourceClient

        conf = settings()
        return SourceClient(
            self.name, base_url or self.default_base_url,
            calls_per_minute=conf.pace(self.name, self.calls_per_minute),
            burst=self.burst, timeout=conf.http_timeout, attempts=conf.http_attempts,
            headers=self.auth_headers(), key_params=self.auth_params(), cache_dir=cache_dir)

    def digest(self, fetched: Fetched) -> str:
        return hashlib.sha256(fetched.body).hexdigest()


def checked_figure(cleaned: str, text: str, *, file: str, row: int, field: str) -> float:
    """A cell's figure as a finite, non-negative float: ``cleaned`` is the cell ``text`` with
    the source's own separators already taken out (an InputError names the cell otherwise)."""
    try:
        number = float(cleaned)
    except ValueError:
        raise InputError(f"expected a number, got {text!r}", file=file, row=row, field=field) from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"expected a finite, non-negative figure, got {text!r}", file=file,
                         row=row, field=field)
    return number


def too_soon(last: dt.date, days: int) -> bool:
    """Whether today is less than ``days`` days after the month of ``last`` ended (a source
    that publishes a month about that long after it ends has not released it yet)."""
    month_end = (Month.of(last) + 1).first_day
    return dt.date.today() < month_end + dt.timedelta(days=days)


def month_chunks(months: list[dt.date], size: int = 12) -> list[list[dt.date]]:
    """Months grouped by calendar year, at most ``size`` per group (stable batch keys)."""
    groups: dict[int, list[dt.date]] = {}
    for m in months:
        groups.setdefault(m.year, []).append(m)
    out = []
    for year in sorted(groups):
        items = groups[year]
        out.extend(items[i:i + size] for i in range(0, len(items), size))
    return out


def commodity_parameter(classification: str, code: str) -> str:
    """A commodity code given on the command line, checked; ParameterError names ``commodity``."""
    from magwatch.codes import validate_code
    from magwatch.errors import InputError

    try:
        return validate_code(classification, code)
    except InputError as exc:
        raise ParameterError("commodity", exc.reason) from None


_REGISTRY: dict[str, object] = {}


def register(source: object) -> object:
    """Add a source (an object with the members of :class:`Source` or :class:`FileSource`)."""
    if not isinstance(source, (Source, FileSource)):
        raise TypeError(f"{source!r} implements neither Source nor FileSource")
    _REGISTRY[source.name] = source
    return source


def _load() -> None:
    for module in MODULES:
        importlib.import_module(module)


def names() -> list[str]:
    """Registered source names, sorted."""
    _load()
    return sorted(_REGISTRY)


def get(name: str) -> object:
    """The registered source called ``name``; ParameterError names the known ones."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError("source", f"unknown source {name!r}; known: {', '.join(_REGISTRY)}") from None
