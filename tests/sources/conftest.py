"""Fixtures of the source tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from magwatch.sources.comext import BULK_LAYOUTS


def _bulk_file(folder: Path, kind: str, rows: list[dict[str, str]], name: str) -> Path:
    header = BULK_LAYOUTS[kind].header
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


@pytest.fixture(scope="session")
def comext_bulk_file():
    """``comext_bulk_file(folder, kind, rows, name)``: a Comext bulk file in the layout ``kind``
    (``bulk-18`` or ``bulk-19``, magwatch.sources.comext.BULK_LAYOUTS) holding ``rows``,
    each a dict of its columns (test figures); a column a row leaves out is empty."""
    return _bulk_file
