"""Cited inputs: a number together with the bundled file, row and URL it was read from.

Every input a risk calculation uses is a :class:`Cited` value, so a result can
list its inputs and where each came from. Row numbers count data rows from 1
(the header is not counted), as the store's ``source_row`` does.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any

from magwatch.analytics.reader import Reader
from magwatch.config import data_dir


@dataclass(frozen=True)
class Cited:
    """One input value and its provenance.

    ``kind`` is ``reported`` (read in a source), ``computed`` (derived here; ``note``
    says how), ``assumption`` (a documented default; ``note`` gives the reasoning)
    or ``user`` (given in a scenario file or an API call).
    """

    name: str
    value: Any
    unit: str = ""
    kind: str = "reported"
    file: str | None = None
    rows: tuple[int, ...] = ()
    url: str | None = None
    note: str | None = None

    def where(self) -> str:
        if self.file:
            rows = ",".join(str(r) for r in self.rows)
            return f"{self.file} row{'s' if len(self.rows) > 1 else ''} {rows}" if rows else self.file
        return self.kind

    def as_row(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}"
                              for k, v in value.items())
        elif isinstance(value, (tuple, list)) and len(value) == 2 \
                and all(isinstance(v, (int, float)) for v in value):
            value = f"{value[0]:g} to {value[1]:g}"      # a range drawn from, low to high
        return {"input": self.name, "value": value if isinstance(value, (int, float, str)) or value is None
                else str(value), "unit": self.unit, "kind": self.kind, "where": self.where(),
                "url": self.url, "note": self.note}


@dataclass
class ReferenceRows:
    """A bundled reference table as text rows with their 1-based row numbers."""

    name: str
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def numbered(self):
        return enumerate(self.rows, start=1)

    def row(self, number: int) -> dict[str, str]:
        if not 1 <= number <= len(self.rows):
            raise IndexError(f"{self.file} has no row {number}")
        return self.rows[number - 1]

    def find(self, **match: str) -> list[tuple[int, dict[str, str]]]:
        return [(n, r) for n, r in self.numbered() if all(r.get(k) == v for k, v in match.items())]


def reference_rows(name: str, handle: Reader | None = None) -> ReferenceRows:
    """Rows of a bundled reference table: from the store when a handle is given, else the package."""
    if handle is not None:
        table = handle.reference(name)
        rows = table.to_pylist() if hasattr(table, "to_pylist") else list(table)
        if rows:
            return ReferenceRows(name, [{k: ("" if v is None else str(v)) for k, v in r.items()}
                                        for r in rows])
    with (data_dir() / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        return ReferenceRows(name, list(csv.DictReader(fh)))


def number(text: str | None) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None
