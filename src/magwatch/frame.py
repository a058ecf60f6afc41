"""Results: Arrow tables that convert to Polars and pandas on request."""

from __future__ import annotations

import keyword
from typing import Any

import pyarrow as pa


class Frame:
    """An Arrow-backed result table.

    ``to_polars()`` and ``to_pandas()`` convert; ``arrow`` is the table itself,
    and the object speaks the Arrow C stream protocol, so ``polars.DataFrame(frame)``
    and ``duckdb`` read it without a copy.
    """

    def __init__(self, table: pa.Table) -> None:
        self.arrow = table

    @property
    def num_rows(self) -> int:
        return self.arrow.num_rows

    @property
    def columns(self) -> list[str]:
        return self.arrow.column_names

    def __len__(self) -> int:
        return self.arrow.num_rows

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.arrow.__arrow_c_stream__(requested_schema)

    def to_polars(self):
        import polars as pl

        return pl.from_arrow(self.arrow)

    def to_pandas(self):
        return self.arrow.to_pandas()

    def to_pylist(self) -> list[dict[str, Any]]:
        return self.arrow.to_pylist()

    def column(self, name: str) -> list[Any]:
        return self.arrow.column(name).to_pylist()

    def __repr__(self) -> str:
        return f"<Frame {self.num_rows} rows x {len(self.columns)} columns: {', '.join(self.columns[:8])}>"


class Answer(Frame):
    """A whole answer (the monitor's, the mirror's, the risk report's...) as a Frame.

    The rows are one table of the answer (the monitor's partners, the mirror's months, the
    risk report's importers...); every other part of it is an attribute of the same name
    (``june.world``, ``june.concentration``, ``june.lacks``; a Python keyword gets a trailing
    underscore: ``mirror.from_``), listed by ``extras``. ``to_dict()`` is the whole answer as
    the CLI's and the API's JSON carry it. The Arrow table is built on first use: a page or an
    API answer that reads only the parts never pays for it.
    """

    def __init__(self, answer: dict[str, Any], rows: str, columns: tuple[str, ...] = ()) -> None:
        self._answer, self._rows = answer, rows
        self._drop, self._table = columns, None

    @property
    def arrow(self) -> pa.Table:          # type: ignore[override]
        if self._table is None:
            self._table = _rows_table(self._answer[self._rows], self._drop)
        return self._table

    @property
    def extras(self) -> list[str]:
        """The attribute names of the answer's other parts (everything but the rows)."""
        return [_attribute(key) for key in self._answer if key != self._rows]

    def to_dict(self) -> dict[str, Any]:
        return self._answer

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        key = name[:-1] if name.endswith("_") and keyword.iskeyword(name[:-1]) else name
        if key in self._answer and key != self._rows:
            return self._answer[key]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r} "
                             f"(its parts: {', '.join(self.extras)})")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.extras))

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self._rows}: {self.num_rows} rows x {len(self.columns)} "
                f"columns; also {', '.join(self.extras)}>")


def _attribute(key: str) -> str:
    return key + "_" if keyword.iskeyword(key) else key


def _rows_table(rows: Any, drop: tuple[str, ...]) -> pa.Table:
    if isinstance(rows, pa.Table):
        return rows.drop_columns([c for c in drop if c in rows.column_names])
    rows = [{k: v for k, v in row.items() if k not in drop} for row in rows]
    # (built here, not at import: making a table at import loads pandas through pyarrow)
    return pa.Table.from_pylist(rows) if rows else pa.table({"key": pa.array([], pa.string())})
