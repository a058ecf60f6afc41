"""Fixtures of the analytics tests: expressions compiled once for the property-based tests."""

from __future__ import annotations

import duckdb
import ibis
import pyarrow as pa
import pytest


class CompiledOnce:
    """Ibis expressions over one unbound table ``t``, compiled to SQL once, run on many tables.

    ``compiled(build, data, *args)`` runs ``build(t, *args)`` with ``t`` bound to the Arrow
    table ``data``; the SQL is compiled on the first call for each (build, args, schema), so a
    property-based test with forty examples compiles its expression once, not forty times.
    """

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.sql: dict = {}

    def __call__(self, build, data: pa.Table, *args) -> pa.Table:
        key = (build, args, data.schema)
        if key not in self.sql:
            unbound = ibis.table(ibis.Schema.from_pyarrow(data.schema), name="t")
            self.sql[key] = ibis.to_sql(build(unbound, *args), dialect="duckdb")
        self.con.register("t", data)
        try:
            return self.con.sql(self.sql[key]).to_arrow_table()
        finally:
            self.con.unregister("t")


@pytest.fixture(scope="session")
def compiled() -> CompiledOnce:
    return CompiledOnce()
