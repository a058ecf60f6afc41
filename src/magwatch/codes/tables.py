"""The code tables in ``magwatch/codes/data``, read one way by every module that needs one."""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["DATA", "read_table"]

#: The folder of the code tables (CSV, ``#`` lines at the top giving their provenance).
DATA = Path(__file__).resolve().parent / "data"


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of the code table ``name``; lines starting with ``#`` are provenance comments."""
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))
