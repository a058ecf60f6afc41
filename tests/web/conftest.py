"""A store holding odd figures, for the web tests: a NaN weight, infinite weights and values,
and NaN and infinite claims, as an older version could have written them.

Built from the bundled store plus a small import of importer-side test figures (US imports
from China of HS 850511, so the mirror has a partner line); the odd rows are then written
straight into the fact tables with DuckDB, copies of real rows with the figure replaced and a
``source_ref`` starting ``odd-`` (test figures, not statistics).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import magwatch

#: The odd rows: (where an existing row is copied from, the columns replaced in the copy).
_USA_JUNE = ("reporter = 'CHN' AND partner = 'USA' AND period = DATE '2025-06-01' "
             "AND commodity = '85051110' AND net_weight_kg IS NOT NULL")
ODD_OBSERVATIONS = [
    (_USA_JUNE, {"partner": "'HKG'", "source_ref": "'odd-nan'", "net_weight_kg": "'nan'::DOUBLE"}),
    (_USA_JUNE, {"partner": "'VNM'", "source_ref": "'odd-inf'", "net_weight_kg": "'inf'::DOUBLE"}),
    (_USA_JUNE, {"partner": "'ITA'", "source_ref": "'odd-value'", "net_weight_kg": "NULL",
                 "value": "'inf'::DOUBLE", "value_usd": "'-inf'::DOUBLE", "currency": "'USD'"}),
    ("reporter = 'USA' AND partner = 'CHN' AND period = DATE '2025-06-01'",
     {"period": "DATE '2025-08-01'", "source_ref": "'odd-mirror'", "net_weight_kg": "'inf'::DOUBLE"}),
]
ODD_CLAIMS = [
    ("metric = 'yoy_pct' AND partner = 'WLD' AND period = DATE '2025-06-01'",
     {"source_ref": "'odd-claim'", "value": "'nan'::DOUBLE"}),
    ("metric = 'rank' AND period = DATE '2025-06-01'", {"source_ref": "'odd-rank'", "value": "'inf'::DOUBLE"}),
]
#: Importer-side test figures (not statistics): US imports from China of HS 850511.
US_IMPORTS = ("reporter,partner,flow,commodity,period,net_weight_t,note\n"
              "USA,CHN,M,850511,2025-05,60,test figure\n"
              "USA,CHN,M,850511,2025-06,300,test figure\n"
              "USA,CHN,M,850511,2025-07,420,test figure\n")


def _copy_rows(con, table: str, where: str, replaced: dict[str, str]) -> None:
    columns = ", ".join(f"{value} AS {name}" for name, value in replaced.items())
    added = con.execute(f"INSERT INTO {table} SELECT * REPLACE ({columns}) FROM {table} "
                        f"WHERE {where} LIMIT 1").fetchone()[0]
    assert added == 1, (table, where)


def build_odd_store(bundled_db: Path, path: Path) -> Path:
    shutil.copy(bundled_db, path)
    imports = path.with_name("us_imports.csv")
    imports.write_text(US_IMPORTS, encoding="utf-8")
    with magwatch.open(path) as mw:
        mw.import_file(imports, source="user", vintage="2025-09-01")
    con = duckdb.connect(str(path))
    try:
        for where, replaced in ODD_OBSERVATIONS:
            _copy_rows(con, "observation_latest", where, replaced)
        for where, replaced in ODD_CLAIMS:
            _copy_rows(con, "claim_latest", where, replaced)
        con.execute("DROP TABLE IF EXISTS kept_monitor")   # copies computed before the odd rows
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def odd_db(bundled_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with odd figures (see the module docstring). Copy it before writing to it."""
    return build_odd_store(bundled_db, tmp_path_factory.mktemp("odd") / "odd.duckdb")
