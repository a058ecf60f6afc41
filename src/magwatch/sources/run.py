"""Running a source: plan, fetch, normalise and land each batch as one release.

:func:`fetch` is what ``magwatch fetch`` and :meth:`magwatch.handle.Magwatch.fetch` call;
:func:`refresh` runs every configured query (those fetched before) and then the
post-ingest hooks in :data:`POST_INGEST`.

Safety: a batch becomes a release only after its whole answer was received and
normalised; :meth:`~magwatch.store.Store.ingest_records` writes it in one transaction,
keyed by the digest of the raw answer, so an interrupted run leaves whole releases
only, and a re-run lands nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from magwatch import params
from magwatch.config import settings
from magwatch.errors import NoDataError, ParameterError
from magwatch.periods import Month
from magwatch.sources import Query, Request, Split, get
from magwatch.store import Release, Store, fetch_log

__all__ = ["BatchResult", "FetchReport", "POST_INGEST", "fetch", "refresh", "base_url_setting"]

#: Extension point: callables run after a refresh that landed new figures, each as
#: ``hook(store, reports)``. Alert rules and the brief register here once they exist
#: (``magwatch.sources.run.POST_INGEST.append(my_hook)``); the list starts empty.
POST_INGEST: list[Callable[[Store, list["FetchReport"]], None]] = []

#: Largest number of split parts one request may turn into (guards a source that
#: keeps answering "too big").
MAX_PARTS = 256


@dataclass
class BatchResult:
    key: str
    status: str                 # "landed", "unchanged", "skipped", "empty"
    release: Release | None = None
    message: str = ""


@dataclass
class FetchReport:
    source: str
    batches: list[BatchResult] = field(default_factory=list)
    calls: int = 0

    @property
    def rows_added(self) -> int:
        return sum(b.release.rows_added for b in self.batches if b.release is not None
                   and not b.release.skipped)

    @property
    def landed(self) -> list[BatchResult]:
        return [b for b in self.batches if b.status == "landed"]

    @property
    def empty(self) -> list[BatchResult]:
        return [b for b in self.batches if b.status == "empty"]

    def lines(self, *, changed_only: bool = False) -> list[str]:
        """One line per batch that did something; ``changed_only`` keeps releases that added rows."""
        if changed_only:
            return [f"{self.source} {b.key}: {b.release.describe()}" for b in self.landed
                    if b.release is not None and b.release.rows_added]
        out = []
        for b in self.batches:
            if b.status == "landed" and b.release is not None:
                out.append(f"{self.source} {b.key}: {b.release.describe()}")
            elif b.status == "empty":
                out.append(f"{self.source} {b.key}: no data: {b.message}")
            elif b.status == "unchanged":
                out.append(f"{self.source} {b.key}: answer unchanged since release "
                           f"{b.release.release_id if b.release else '?'}; nothing added")
        skipped = sum(b.status == "skipped" for b in self.batches)
        if skipped:
            out.append(f"{self.source}: {skipped} batch(es) already fetched at their current "
                       f"release; not fetched again")
        return out


def base_url_setting(source: str, explicit: str | None) -> str | None:
    """``--base-url`` wins; else ``MAGWATCH_<SOURCE>_BASE_URL``; else the source's default."""
    if explicit:
        return explicit
    return settings().base_url(source)


def _last_period(request: Request) -> dt.date | None:
    return max(request.periods) if request.periods else None


def _settled(source, request: Request, previous: fetch_log.BatchState | None,
             today: dt.date) -> bool:
    """True if the batch was fetched before at its current release and need not be asked again."""
    if previous is None or previous.status != "done":
        return False
    if request.marker is not None:
        return previous.marker == request.marker
    last = _last_period(request)
    if last is None:
        return False
    window = source.revision_window_months
    return Month.of(last) < Month.of(today) - window


def _release_vintage(table: pa.Table) -> dt.date | None:
    if table.num_rows == 0:
        return None
    return pc.max(table.column("vintage")).as_py()


def fetch(store: Store, source_name: str, query: Query, *, base_url: str | None = None,
          remember: bool = True, today: dt.date | None = None,
          progress: Callable[[str], None] | None = None) -> FetchReport:
    """Fetch what is new or revised for ``query`` from one source into ``store``."""
    source = get(source_name)
    if not hasattr(source, "plan"):
        raise ParameterError("source", f"{source_name!r} is a file source: use "
                             f"'magwatch import --source {source_name} FILE'")
    if store.read_only:
        raise ParameterError("db", "the store is open read-only; fetching writes to it")
    today = today or dt.date.today()
    url = base_url_setting(source_name, base_url)
    report = FetchReport(source_name)
    with source.client(url, cache_dir=cache_dir(store)) as client:
        queue = list(source.plan(query, client))
        if remember:
            fetch_log.remember_query(store.con, source_name, query.to_json(), base_url)
        parts = 0
        while queue:
            request = queue.pop(0)
            previous = fetch_log.batch_state(store.con, source_name, request.key)
            if _settled(source, request, previous, today):
                report.batches.append(BatchResult(request.key, "skipped"))
                continue
            if progress:
                progress(f"{source_name}: fetching {request.key}")
            try:
                fetched = source.fetch(client, request)
            except Split as split:
                parts += len(split.parts)
                if parts > MAX_PARTS:
                    from magwatch.errors import SourceError

                    raise SourceError(f"{source_name}: {split.reason}; gave up after splitting into "
                                      f"{MAX_PARTS} parts; narrow the query") from None
                queue[0:0] = split.parts
                continue
            if fetched is None:
                message = source.explain_empty(request)
                fetch_log.record_batch(store.con, source_name, request.key, status="empty",
                                       marker=request.marker, sha256=None, release_id=None,
                                       rows_read=0, last_period=_last_period(request), url=None,
                                       message=message)
                report.batches.append(BatchResult(request.key, "empty", message=message))
                continue
            table = source.normalise(fetched)
            digest = source.digest(fetched)
            if table.num_rows == 0:
                message = source.explain_empty(request)
                fetch_log.record_batch(store.con, source_name, request.key, status="empty",
                                       marker=request.marker, sha256=digest, release_id=None,
                                       rows_read=0, last_period=_last_period(request),
                                       url=fetched.url, message=message)
                report.batches.append(BatchResult(request.key, "empty", message=message))
                continue
            release = store.ingest_records(
                table, source=source_name, file_name=f"{source_name}:{request.key}", sha256=digest,
                file_size=len(fetched.body), vintage=_release_vintage(table), note=fetched.url)
            fetch_log.record_batch(store.con, source_name, request.key, status="done",
                                   marker=request.marker, sha256=digest,
                                   release_id=release.release_id, rows_read=table.num_rows,
                                   last_period=_last_period(request), url=fetched.url, message=None)
            report.batches.append(BatchResult(request.key, "unchanged" if release.skipped else "landed",
                                              release))
        report.calls = client.calls
    return report


def refresh(store: Store, *, today: dt.date | None = None,
            progress: Callable[[str], None] | None = None,
            hooks: Sequence[Callable[[Store, list["FetchReport"]], None]] = ()) -> list[FetchReport]:
    """Run every configured query again; then the post-ingest hooks (``POST_INGEST``
    and ``hooks``) if anything landed."""
    configured = [(source, Query.from_json(query), url)
                  for source, query, url in fetch_log.configured_queries(store.con)]
    if not configured:
        raise NoDataError("no source is configured yet: run 'magwatch fetch SOURCE ...' once; "
                          "refresh then repeats every query fetched before")
    reports = [fetch(store, source, query, base_url=base_url_setting(source, url), remember=False,
                     today=today, progress=progress)
               for source, query, url in configured]
    if any(r.landed and r.rows_added for r in reports):
        for hook in [*POST_INGEST, *hooks]:
            hook(store, reports)
    return reports


def sha256_bytes(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def cache_dir(store: Store) -> Path | None:
    """Where reference answers are cached: ``MAGWATCH_CACHE_DIR`` or beside the store file."""
    env = settings().cache_dir
    if env:
        return Path(env)
    return store.path.parent / "http-cache" if store.path is not None else None


# -- the Python API's entry points (Magwatch.fetch, .refresh, .sources, .import_source_file) --

def _codes(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(s.strip() for s in items if s and s.strip())


def build_query(*, reporter=None, partner=None, commodity=None, flow=None, start=None, end=None,
                freq: str = "M") -> Query:
    """A :class:`Query` from user input: comma lists or sequences, months as YYYY-MM."""
    return Query(_codes(reporter), tuple(c.upper() for c in _codes(partner)), _codes(commodity),
                 params.month(start, "from"), params.month(end, "to"), freq.upper(),
                 tuple(f.upper() for f in _codes(flow)))


def source_status(store: Store) -> pa.Table:
    """Each registered source: kind, key setting, configured queries, last fetch and release."""
    from magwatch.sources import names

    summary = fetch_log.source_summary(store.con)
    rows = []
    for name in names():
        src = get(name)
        api = hasattr(src, "plan")
        key_env = getattr(src, "key_env", None)
        if not api:
            status = "file source: magwatch import --source " + name + " FILE"
        elif key_env and not os.environ.get(key_env):
            status = f"ready without a key ({key_env} not set; lower limits)"
        else:
            status = "ready" + (f" ({key_env} set)" if key_env else " (no key needed)")
        f = summary.get(name, {})
        rows.append({
            "source": name, "title": src.title, "kind": "api" if api else "file", "status": status,
            "base_url": base_url_setting(name, None) or getattr(src, "default_base_url", None),
            "configured_queries": f.get("configured_queries", 0),
            "batches_done": f.get("batches_done", 0), "batches_empty": f.get("batches_empty", 0),
            "last_fetched": f.get("last_fetched"), "last_period": f.get("last_period"),
            "last_release": f.get("last_release"),
        })
    return pa.Table.from_pylist(rows)


def import_source_file(store: Store, path: Path, source_name: str, *,
                       vintage: dt.date | None = None, flow: str | None = None) -> Release:
    """Read a file with a file source's parser and land it as one release."""
    source = get(source_name)
    if not hasattr(source, "read_file"):
        raise ParameterError("source", f"{source_name!r} has no file reader; use 'magwatch fetch {source_name}'")
    path = Path(path)
    from magwatch.store.files import check_input_path
    from magwatch.store.ingest import read_unchanged

    check_input_path(path)      # a regular local file within the size limit, never a URL or FIFO

    # the release key is the hash of exactly the bytes read; a growing file is refused
    table, digest = read_unchanged(path, str(path),
                                   lambda: source.read_file(path, vintage=vintage, flow=flow))
    if table.num_rows == 0:
        raise NoDataError(f"{path}: no rows to import (every row was empty or an aggregate "
                          f"the {source_name} reader drops)")
    return store.ingest_records(table, source=source_name, file_name=path.name,
                                sha256=digest, file_size=path.stat().st_size,
                                vintage=_release_vintage(table), note=f"{source_name} file {path.name}")


def is_file_source(name: str) -> bool:
    """True if ``name`` is a registered source that reads files."""
    from magwatch.sources import names

    return name in names() and hasattr(get(name), "read_file")
