"""Results: Arrow tables that convert to Polars and pandas on request."""

from __future__ import annotations

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
