"""The Python API: ``magwatch.open()`` returns a handle every interface calls."""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path

from magwatch import params
from magwatch.analytics import kept
from magwatch.codes import MAGNET_LINE
from magwatch.config import no_data_hint, resolve_db_path
from magwatch.errors import InputError, NoDataError
from magwatch.frame import Answer, Frame
from magwatch.store import Release, Store
from magwatch.store.ingest import after_each_release

#: Answers ready when the figures land: after every committed release, the store runs the
#: analytics' kept monitor answers (the store does not import the analytics itself).
after_each_release(kept.after_release)


class Magwatch:
    """One store and every question magwatch answers about it.

    The CLI, the REST API and the dashboard are thin shells over these methods,
    so a number shown in one face is produced by the same call in the others.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- data in ---------------------------------------------------------------------------

    def load(self, progress=None) -> list[Release]:
        """Load the bundled real data (idempotent: files already loaded are skipped)."""
        from magwatch.bundled import load_bundled

        loaded = load_bundled(self.store, progress=progress)
        self.store.publish()        # the releases landed together: readers see them together
        return loaded

    def import_file(self, path: str | os.PathLike[str], *, source: str = "user",
                    vintage: dt.date | str | None = None, sheet: str | None = None) -> Release:
        """Ingest a CSV, Parquet or Excel file in the canonical columns (docs/import.md);
        ``sheet`` reads only that sheet of a workbook.

        A ``source`` that names a file source (``gacc``, ``comtrade``) reads the file
        with that source's own parser instead (see :meth:`import_source_file`).
        """
        from magwatch.sources.run import is_file_source

        if sheet is not None and (is_file_source(source)
                                  or Path(path).suffix.lower() not in (".xlsx", ".xlsm")):
            raise InputError("--sheet applies to an Excel workbook in the canonical columns "
                             "only", file=str(path))
        if Path(path).is_dir():   # a folder written by 'magwatch export parquet' (docs/scale.md)
            from magwatch.store.export import import_parquet

            return import_parquet(self.store, path, source=source, vintage=vintage)
        if is_file_source(source):
            return self.import_source_file(path, source, vintage=vintage)
        return self.store.ingest_file(Path(path), source=source,
                                      vintage=params.date(vintage, "vintage"), sheet=sheet)

    # -- data out --------------------------------------------------------------------------

    def flows(self, *, reporter: str | None = None, partner: str | None = None,
              commodity: str | None = None, flow: str | None = None, period: str | None = None,
              start: str | None = None, end: str | None = None, as_of: str | dt.date | None = None,
              source: str | None = None, months: int = 1) -> Frame:
        """Observations, latest vintage per key (or as known on ``as_of``); each row names its source.

        ``months`` selects the span: 1 monthly figures (default), 12 annual,
        2..11 year-to-date or combined months, 0 every span.
        """
        return Frame(self.store.flows(reporter=reporter, partner=partner, commodity=commodity,
                                      flow=flow, period=period, start=start, end=end,
                                      as_of=as_of, source=source, months=months))

    def claims(self, *, reporter: str | None = None, partner: str | None = None,
               commodity: str | None = None, period: str | None = None,
               metric: str | None = None, months: int = 1) -> Frame:
        """Changes, shares and ranks that sources state, kept apart from observations."""
        return Frame(self.store.claims(reporter=reporter, partner=partner, commodity=commodity,
                                       period=period, metric=metric, months=months))

    def releases(self) -> Frame:
        return Frame(self.store.releases())

    def revisions(self, *, source: str | None = None, since: str | dt.date | None = None,
                  release: int | None = None) -> Frame:
        """Figures a later vintage replaced, with old and new values."""
        return Frame(self.store.revisions(source=source, since=since, release=release))

    def reference(self, name: str) -> Frame:
        """A bundled reference table (events, intensities, market structure...)."""
        return Frame(self.store.reference(name))

    def info(self) -> dict[str, object]:
        return self.store.info()

    # -- events (magwatch.events; docs/events.md) ------------------------------------------

    def events(self, *, start: str | dt.date | None = None, end: str | dt.date | None = None,
               event_type: str | None = None, partner: str | None = None,
               commodity: str | None = None) -> Frame:
        """Registry events in a date range (bundled timeline + added events), with their scope."""
        from magwatch.events.registry import list_events

        return Frame(list_events(self.store, start=start, end=end, event_type=event_type,
                                 partner=partner, commodity=commodity))

    def add_event(self, *, date: str | dt.date, actor: str, event_type: str, summary: str,
                  source_url: str | None = None, partners=None, commodities=None, elements=None,
                  event_id: str | None = None, scope_note: str | None = None) -> dict:
        """Validate and store one event; returns the stored row and whether it was new."""
        from magwatch.events.registry import add_event

        return add_event(self.store, date=date, actor=actor, event_type=event_type,
                         summary=summary, source_url=source_url, partners=partners,
                         commodities=commodities, elements=elements, event_id=event_id,
                         scope_note=scope_note)

    def import_events(self, path: str | os.PathLike[str]) -> dict[str, int]:
        """Import an event CSV (every row validated before any is stored)."""
        from magwatch.events.registry import import_events

        return import_events(self.store, path)

    def event_study(self, event: str | dt.date, *, partner: str = "WLD",
                    commodity: str = MAGNET_LINE, window: str | tuple[int, int] | None = None
                    ) -> Answer:
        """Event study of an event id or date on one monthly series (magwatch.events.study)."""
        from magwatch.events.study import event_study

        return event_study(self.store, event, partner=partner, commodity=commodity, window=window)

    def explain(self, month: str, *, partner: str = "WLD", commodity: str = MAGNET_LINE,
                lookback: int = 3) -> Answer:
        """Events a month's figure follows, ranked by relevance and timing (never 'caused')."""
        from magwatch.events.explain import explain

        return explain(self.store, month, partner=partner, commodity=commodity, lookback=lookback)

    def monitor(self, month: str | None = None, reporter: str = "CHN", commodity: str = MAGNET_LINE,
                flow: str = "X") -> Answer:
        """What moved in one month: a Frame of the partners' levels, m/m, y/y, ranks and shares;
        the world row, groups, concentration, anomalies and what the month lacks are its
        attributes (``.world``, ``.concentration``, ``.lacks``; ``to_dict()`` for all). docs/monitor.md"""
        from magwatch.analytics.monitor import monitor, parse_month

        con = self.store.ibis()
        return Answer(monitor(con.table("observation_latest"), con.table("claim_latest"),
                              month=parse_month(month), reporter=reporter, commodity=commodity,
                              flow=flow), "partners")

    def audit(self, reporter: str | None = None) -> Frame:
        """Every reported change and rank beside the computed one, with reasons (docs/monitor.md)."""
        from magwatch.analytics.audit import audit
        from magwatch.params import country

        reporter = country(reporter, "reporter") if reporter is not None else None
        con = self.store.ibis()
        return Frame(audit(con.table("observation_latest"), con.table("claim_latest"),
                           reporter=reporter))

    def risk(self, month: str | None = None) -> Answer:
        """Dependence of each importer for a month, as a Frame; China's exports by partner, its
        stage shares and the supply-risk indices are attributes (docs/risk.md)."""
        from magwatch.risk.monitor import risk_report

        return Answer(risk_report(self, month), "importer_dependence")

    def scenario(self, path_or_dict, *, paths: int = 10_000, seed: int = 0,
                 chunk_paths: int | None = None) -> Answer:
        """Run a disruption scenario (TOML file, bundled name or dict); see docs/risk.md."""
        from magwatch.risk.scenario import run

        return run(path_or_dict, self, paths=paths, seed=seed, chunk_paths=chunk_paths)

    # -- sources (magwatch.sources; docs/sources.md) ---------------------------------------

    def fetch(self, source: str, *, reporter=None, partner=None, commodity=None, flow=None,
              start: str | dt.date | None = None, end: str | dt.date | None = None,
              freq: str = "M", base_url: str | None = None, progress=None):
        """Fetch new or revised figures from an official source; each batch lands as a release."""
        from magwatch.sources.run import build_query, fetch

        query = build_query(reporter=reporter, partner=partner, commodity=commodity, flow=flow,
                            start=start, end=end, freq=freq)
        return fetch(self.store, source, query, base_url=base_url, progress=progress)

    def refresh(self, progress=None, hooks=()):
        """Run every configured source query again (incremental), then the post-ingest hooks.

        ``hooks`` are extra ``hook(store, reports)`` callables run only when rows landed
        (``magwatch refresh --alerts/--brief-dir`` passes alert and brief hooks here).
        """
        from magwatch.sources.run import refresh

        return refresh(self.store, progress=progress, hooks=hooks)

    def sources(self) -> Frame:
        """Each source: kind, status (key set?), configured queries, last fetch and release."""
        from magwatch.sources.run import source_status

        return Frame(source_status(self.store))

    def import_source_file(self, path: str | os.PathLike[str], source: str, *,
                           vintage: dt.date | str | None = None, flow: str | None = None) -> Release:
        """Import a source's own file format (China customs export, Comtrade bulk file)."""
        from magwatch.sources.run import import_source_file

        return import_source_file(self.store, Path(path), source,
                                  vintage=params.date(vintage, "vintage"), flow=flow)

    # -- mirror (magwatch.analytics.mirror; docs/mirror.md) -------------------------------

    def mirror(self, partner: str, *, reporter: str = "CHN", commodity: str = MAGNET_LINE,
               start: str | None = None, end: str | None = None, lag: int | None = None,
               partner_commodity: str | None = None) -> Answer:
        """Reporter's exports vs the partner's imports, a Frame of months; the lag, scope,
        CIF/FOB band, explanations and rerouting signals are attributes (docs/mirror.md)."""
        from magwatch.analytics.mirror import mirror

        con = self.store.ibis()
        found = mirror(con.table("observation_latest"),
                       self.store.reference("partner_imports_monthly").to_pylist(),
                       partner=partner, reporter=reporter, commodity=commodity, start=start,
                       end=end, lag=lag, partner_commodity=partner_commodity)
        return Answer(found, "months")

    # -- report (magwatch.report; docs/brief.md, docs/check.md) ---------------------------

    def brief(self, month: str, *, out_dir: str | os.PathLike[str] | None = None,
              formats=("md", "html"), top: int = 5, scenario: str | None = "repeat-2025-04",
              paths: int = 2000, seed: int = 0, charts: bool = True, focus: str | None = None):
        """The monthly brief (Markdown/HTML/PDF text, charts, footnotes) for ``month``; ``focus``
        (a destination code such as DEU or EUU) leads it with that destination."""
        from magwatch.report.brief import build

        return build(self, month, out_dir=out_dir, formats=formats, top=top, scenario=scenario,
                     paths=paths, seed=seed, charts=charts, focus=focus)

    def check(self, text: str, *, as_of: str | dt.date | None = None, month: str | None = None) -> Frame:
        """Find the numeric claims in ``text`` and give each a verdict against the store.

        ``as_of``: when the text was published (YYYY-MM-DD; else its dateline); ``month``: the
        month it is about when it does not say (YYYY-MM).
        """
        from magwatch.report.check import check_text, verdict_table

        return Frame(verdict_table(check_text(self, text, as_of=as_of, month=month)))

    def alerts(self, rules: str | os.PathLike[str] | list | None = None, *,
               month: str | None = None) -> Answer:
        """Evaluate alert rules (a TOML file, parsed rules, or the bundled example) on a month."""
        from magwatch.report.alerts import evaluate, read_rules

        parsed = rules if isinstance(rules, list) else read_rules(rules)
        return evaluate(self, parsed, month)

    # -- backup (magwatch.store.backup; docs/reliability.md) ------------------------------

    def backup(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> dict:
        """Write an exact, checked copy of the store to ``path``; restore it with
        ``magwatch.store.backup.restore`` (``magwatch db restore``)."""
        from magwatch.store.backup import backup

        return backup(self.store, path, overwrite=overwrite)

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Magwatch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _names_store(method):
    """Wrap a handle method so its "no data" error names the store read and the fix."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except NoDataError as exc:
            if getattr(exc, "store_named", False):
                raise
            named = NoDataError(f"{exc} ({no_data_hint(self.store.path)})")
            named.store_named, named.bare = True, str(exc)     # the web shows no server path
            raise named from None
    return wrapper


for _name, _method in list(vars(Magwatch).items()):
    if callable(_method) and not _name.startswith("_") and _name != "close":
        setattr(Magwatch, _name, _names_store(_method))


def open(db: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Magwatch:  # noqa: A001
    """Open the store at ``db`` (default ``MAGWATCH_DB`` or the user data directory)."""
    return Magwatch(Store(resolve_db_path(db), read_only=read_only))
