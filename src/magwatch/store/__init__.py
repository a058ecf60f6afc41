"""The vintaged embedded store (DuckDB)."""

from magwatch.store.core import Store
from magwatch.store.ingest import Release

__all__ = ["Release", "Store"]
