"""The Python API: ``magwatch.open()`` returns a handle every interface calls."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from magwatch.config import resolve_db_path
from magwatch.frame import Frame
from magwatch.store import Release, Store


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

        return load_bundled(self.store, progress=progress)

    def import_file(self, path: str | os.PathLike[str], *, source: str = "user",
                    vintage: dt.date | str | None = None) -> Release:
        """Ingest a CSV, Parquet or Excel file in the canonical columns (docs/import.md)."""
        if isinstance(vintage, str):
            from magwatch.store.queries import _date

            vintage = _date(vintage, "vintage")
        return self.store.ingest_file(Path(path), source=source, vintage=vintage)

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

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Magwatch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open(db: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Magwatch:  # noqa: A001
    """Open the store at ``db`` (default ``MAGWATCH_DB`` or the user data directory)."""
    return Magwatch(Store(resolve_db_path(db), read_only=read_only))
