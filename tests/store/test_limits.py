"""Every limit of store/limits.py: a file over it is refused with one line naming the
limit, the store is unchanged, and the work stays bounded (the 1,000,000-column header
is read in a child process under an address-space cap).

The files here hold test figures, not real trade data.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import magwatch
from magwatch.store import limits

HEADER = "reporter,partner,flow,commodity,period,net_weight_t"
ROW = "CHN,DEU,X,85051110,2025-06,5"
# address-space cap for the child process: Python, pyarrow, Ibis and DuckDB with its store
# attached and a writer's private copy need about 1.5 GiB of it for a small import (1,536 MB
# once failed in DuckDB's checkpoint under a full run); the 1,000,000-column header would need
# far more, and is refused well below it
CAP_MB = 2048


@pytest.fixture
def refused(refused):
    """``refused(mw, path, *words)``: the shared check (tests/conftest.py) for an import with
    vintage 2025-07-20, whose one line also names the file; returns the message."""
    def check(mw: magwatch.Magwatch, path: Path, *words: str) -> str:
        return str(refused(mw, path, path.name, *words, vintage="2025-07-20"))
    return check


def parquet_file(path: Path, rows: int = 2, **extra: pa.Array) -> Path:
    table = {"reporter": ["CHN"] * rows, "partner": ["DEU"] * rows, "flow": ["X"] * rows,
             "commodity": [str(85051110 + i) for i in range(rows)], "period": ["2025-06"] * rows,
             "net_weight_kg": [1000.0 + i for i in range(rows)], **extra}
    pq.write_table(pa.table(table), path)
    return path


# -- header columns: the case of the issue, in a child process under a memory cap ---------

CHILD = """
import resource, sys
cap = int(sys.argv[1]) << 20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
sys.argv = ["magwatch", *sys.argv[2:]]
from magwatch.cli import main
main()
"""


def run_capped(*args: str) -> subprocess.CompletedProcess:
    """The CLI under an address-space cap, with DuckDB's memory limit set below it (DuckDB's
    default, 80% of the machine's memory, is far above the cap: an allocation the cap refuses
    inside DuckDB once left a child hanging until the timeout on a loaded machine)."""
    env = {**os.environ, "NO_COLOR": "1", "MAGWATCH_MEMORY_LIMIT": "512MB"}
    return subprocess.run([sys.executable, "-c", CHILD, str(CAP_MB), *args], capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.fixture
def db_copy(bundled_db: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


def test_a_million_unknown_columns_are_refused_under_a_memory_cap(db_copy, tmp_path, store_snapshot):
    path = tmp_path / "wide.csv"
    names = [f"c{i}" for i in range(1_000_000)]          # about 8 MB, as in the issue
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    before = store_snapshot(db_copy)
    done = run_capped("--db", str(db_copy), "import", str(path))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0] == ("error: " + str(path) + ": header columns: over the limit of 1,000 "
                        "(MAX_COLUMNS; docs/reliability.md#limits)")
    assert store_snapshot(db_copy) == before


def test_a_small_file_imports_under_the_same_cap(db_copy, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + "\n" + ROW + "\n")
    done = run_capped("--db", str(db_copy), "import", str(path))
    assert done.returncode == 0, done.stderr           # the cap leaves room for real work
    assert "1 rows read, 1 added" in done.stdout


def test_columns_just_over_the_limit_are_refused_and_at_it_are_read(mw, tmp_path, refused):
    extra = [f"x{i}" for i in range(limits.MAX_COLUMNS - 6 + 1)]
    over = tmp_path / "over.csv"
    over.write_text(",".join([HEADER, *extra]) + "\n" + ",".join([ROW] + ["1"] * len(extra)) + "\n")
    refused(mw, over, "header columns", "MAX_COLUMNS")
    at = tmp_path / "at.csv"
    at.write_text(",".join([HEADER, *extra[:-1]]) + "\n" + ",".join([ROW] + ["1"] * (len(extra) - 1)) + "\n")
    # within the limit the header is read: the refusal is the ordinary unknown column
    refused(mw, at, "unknown column", "x0")


def test_a_quoted_header_with_too_many_columns_is_refused(mw, tmp_path, refused):
    path = tmp_path / "quoted.csv"
    path.write_text(",".join(f'"c{i}"' for i in range(limits.MAX_COLUMNS + 5)) + "\n1\n")
    refused(mw, path, "header columns", "MAX_COLUMNS")


def test_a_header_line_over_the_limit_is_refused(mw, tmp_path, refused):
    path = tmp_path / "long_header.csv"
    path.write_text("reporter," + "x" * limits.MAX_HEADER_BYTES + "\n" + ROW + "\n")
    refused(mw, path, "header line: over the limit of 64 KiB", "MAX_HEADER_BYTES")


def test_a_header_with_a_quote_left_open_is_refused(mw, tmp_path, refused):
    path = tmp_path / "open_header.csv"
    path.write_text('reporter,"partner\n' + ROW + "\n")
    refused(mw, path, "header line has a quote left open")


def test_parquet_columns_over_the_limit_are_refused_from_the_footer(mw, tmp_path, refused):
    extra = {f"x{i}": [1] for i in range(limits.MAX_COLUMNS)}
    path = parquet_file(tmp_path / "wide.parquet", rows=1, **extra)
    refused(mw, path, f"{limits.MAX_COLUMNS + 6:,} columns", "MAX_COLUMNS")


# -- field size ----------------------------------------------------------------------------

def test_a_csv_field_over_the_limit_names_its_row_and_column(mw, tmp_path, refused):
    path = tmp_path / "field.csv"
    big = "n" * (limits.MAX_FIELD_BYTES + 1)
    path.write_text(HEADER + ",note\n" + ROW + ",short\n" + ROW.replace("85051110", "85051120")
                    + f",{big}\n")
    message = refused(mw, path, "row 2", "field 'note'", "over the limit of 1 MiB",
                      "MAX_FIELD_BYTES")
    assert f"{limits.MAX_FIELD_BYTES + 1:,} bytes" in message


def test_a_field_at_the_limit_is_read(mw, tmp_path):
    path = tmp_path / "at_limit.csv"
    path.write_text(HEADER + ",source_ref\n" + ROW + "," + "r" * limits.MAX_FIELD_BYTES + "\n")
    release = mw.import_file(path, vintage="2025-07-20")
    assert release.rows_added == 1


def test_a_parquet_text_value_over_the_limit_names_its_row_and_column(mw, tmp_path, refused):
    notes = ["fine", "n" * (limits.MAX_FIELD_BYTES + 1), "fine"]
    path = parquet_file(tmp_path / "field.parquet", rows=3, note=notes)
    refused(mw, path, "row 2", "field 'note'", "MAX_FIELD_BYTES")


def test_a_line_with_no_line_break_is_refused_before_parsing(mw, tmp_path, refused):
    path = tmp_path / "one_line.csv"
    with path.open("w") as fh:                      # a header, then 2 x the limit on one line
        fh.write(HEADER + ",note\n" + ROW + ",")
        fh.write("z" * (2 * limits.MAX_LINE_BYTES))
        fh.write("\n")
    refused(mw, path, "line 2 runs on with no line break", "over the limit of 8 MiB",
            "MAX_LINE_BYTES")


# -- rows per file ---------------------------------------------------------------------------

def test_rows_over_the_limit_are_refused_in_csv_and_parquet(mw, tmp_path, monkeypatch, refused):
    monkeypatch.setattr(limits, "MAX_ROWS", 3)      # the real limit is 100,000,000 rows
    rows = [ROW.replace("85051110", str(85051110 + i)) for i in range(4)]
    csv_over = tmp_path / "rows.csv"
    csv_over.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    message = refused(mw, csv_over, "more than 3 rows: over the limit of 3", "MAX_ROWS")
    assert ", row " not in message                  # no row named: that would read it again
    refused(mw, parquet_file(tmp_path / "rows.parquet", rows=4), "4 rows", "MAX_ROWS")
    at = tmp_path / "three.csv"
    at.write_text(HEADER + "\n" + "\n".join(rows[:3]) + "\n")
    assert mw.import_file(at, vintage="2025-07-20").rows_added == 3


# -- file size and Parquet footers -----------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_before_it_is_read(db_copy, tmp_path, store_snapshot):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:                     # sparse: no disk is used
        fh.write((HEADER + "\n").encode())
        fh.truncate(limits.MAX_FILE_BYTES + 1)
    before = store_snapshot(db_copy)
    done = run_capped("--db", str(db_copy), "import", str(path))   # a reader would need 16 GiB
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (f"error: {path}: file of {limits.MAX_FILE_BYTES + 1:,} bytes: "
                                   "over the limit of 16 GiB (MAX_FILE_BYTES; "
                                   "docs/reliability.md#limits)")
    assert store_snapshot(db_copy) == before


def test_a_parquet_footer_over_the_limit_is_refused_before_it_is_parsed(mw, tmp_path, refused):
    path = tmp_path / "footer.parquet"
    length = limits.MAX_PARQUET_FOOTER_BYTES + 1
    with path.open("wb") as fh:                     # sparse: the footer's bytes are zeros
        fh.write(b"PAR1")
        fh.truncate(length + 4)
        fh.seek(length + 4)
        fh.write(length.to_bytes(4, "little") + b"PAR1")
    refused(mw, path, f"Parquet footer of {length:,} bytes", "MAX_PARQUET_FOOTER_BYTES")


def test_a_footer_longer_than_the_file_is_not_parquet(mw, tmp_path, refused):
    path = tmp_path / "short.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 64 + (1 << 20).to_bytes(4, "little") + b"PAR1")
    refused(mw, path, "not a readable Parquet file", "footer would start before the file does")


def test_a_parquet_row_group_over_the_limit_is_refused(mw, tmp_path, monkeypatch, refused):
    monkeypatch.setattr(limits, "MAX_PARQUET_ROW_GROUP_BYTES", 64)   # the real limit is 1 GiB
    refused(mw, parquet_file(tmp_path / "group.parquet", rows=50), "row group 1",
            "MAX_PARQUET_ROW_GROUP_BYTES")


def test_a_file_with_no_parquet_footer_is_refused(mw, tmp_path, refused):
    path = tmp_path / "nofooter.parquet"
    path.write_bytes(b"PAR1" + b"x" * 100)
    refused(mw, path, "not a readable Parquet file")


# -- a damaged data page (issue 21) ----------------------------------------------------------

@pytest.mark.parametrize("column", ["commodity", "net_weight_kg"])
def test_a_scrambled_data_page_under_a_valid_footer_is_one_line(mw, tmp_path, column, refused):
    good = parquet_file(tmp_path / "good.parquet", rows=1000)
    meta = pq.ParquetFile(good).metadata
    names = [meta.row_group(0).column(i).path_in_schema for i in range(meta.num_columns)]
    chunk = meta.row_group(0).column(names.index(column))
    data = bytearray(good.read_bytes())
    start = chunk.data_page_offset + 30                 # past the page header
    for i in range(start, start + 200):
        data[i] = (data[i] * 7 + 13) % 256
    path = tmp_path / f"scrambled_{column}.parquet"
    path.write_bytes(bytes(data))
    assert pq.ParquetFile(path).metadata.num_rows == 1000         # the footer still reads
    refused(mw, path, f"field '{column}'", "a Parquet data page cannot be read, the file is damaged")


# -- time zones --------------------------------------------------------------------------------

def stamps(values: list[dt.datetime], zone: str) -> pa.Array:
    """Wall times in ``zone`` as a timezone-aware Arrow timestamp column."""
    from zoneinfo import ZoneInfo

    utc = [v.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc).replace(tzinfo=None)
           for v in values]
    return pa.array(utc, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us", tz=zone))


def imported_periods(mw: magwatch.Magwatch, path: Path) -> list[str]:
    release = mw.import_file(path, source="tz-test", vintage="2025-08-20")
    assert release.rows_added > 0
    rows = mw.store.con.execute("SELECT DISTINCT strftime(period, '%Y-%m') FROM observation_latest "
                                "WHERE release_id = ?", [release.release_id]).fetchall()
    return sorted(r[0] for r in rows)


def test_a_tokyo_timestamp_is_the_month_of_tokyo(mw, tmp_path):
    # 2025-07-01 06:30 in Tokyo is 2025-06-30 21:30 in UTC: the month is July, not June
    period = stamps([dt.datetime(2025, 7, 1, 6, 30)], "Asia/Tokyo")
    path = parquet_file(tmp_path / "tokyo.parquet", rows=1, period=period)
    assert imported_periods(mw, path) == ["2025-07"]


def test_a_new_york_evening_stays_in_its_month(mw, tmp_path):
    # 2025-06-30 22:00 in New York is 2025-07-01 02:00 in UTC: the month is June
    period = stamps([dt.datetime(2025, 6, 30, 22, 0)], "America/New_York")
    path = parquet_file(tmp_path / "newyork.parquet", rows=1, period=period)
    assert imported_periods(mw, path) == ["2025-06"]


def test_a_fixed_offset_zone_is_read_in_that_offset(mw, tmp_path):
    utc = pa.array([dt.datetime(2025, 6, 30, 15, 0)], pa.timestamp("us", tz="UTC"))
    path = parquet_file(tmp_path / "offset.parquet", rows=1,
                        period=utc.cast(pa.timestamp("us", tz="+09:30")))   # 00:30 on 1 July
    assert imported_periods(mw, path) == ["2025-07"]


def test_utc_instants_with_no_recorded_zone_are_refused(mw, tmp_path, refused):
    period = pa.array([dt.datetime(2025, 6, 30, 21, 30)], pa.timestamp("us", tz="UTC"))
    path = tmp_path / "nozone.parquet"
    table = pa.table({"reporter": ["CHN"], "partner": ["DEU"], "flow": ["X"],
                      "commodity": ["85051110"], "period": period, "net_weight_kg": [1.0]})
    pq.write_table(table, path, store_schema=False)     # as Spark writes: no zone name kept
    refused(mw, path, "field 'period'", "does not say which zone")


def test_a_naive_parquet_timestamp_is_its_own_month(mw, tmp_path):
    period = pa.array([dt.datetime(2025, 7, 1, 6, 30)], pa.timestamp("us"))
    path = parquet_file(tmp_path / "naive.parquet", rows=1, period=period)
    assert imported_periods(mw, path) == ["2025-07"]


@pytest.mark.parametrize("text, month", [("2025-07-01T00:00:00+09:00", "2025-07"),
                                         ("2025-07-01T00:00:00Z", "2025-07"),
                                         ("2025-07-01 00:00-05:00", "2025-07")])
def test_csv_midnight_on_the_first_in_a_stated_zone_is_that_month(mw, tmp_path, text, month):
    path = tmp_path / "zoned.csv"
    path.write_text(HEADER + "\n" + ROW.replace("2025-06", text) + "\n")
    assert imported_periods(mw, path) == [month]


def test_csv_a_zoned_time_after_midnight_is_refused_not_shifted(mw, tmp_path, refused):
    path = tmp_path / "half_past.csv"
    path.write_text(HEADER + "\n" + ROW.replace("2025-06", "2025-07-01T00:30:00+09:00") + "\n")
    refused(mw, path, "row 1", "field 'period'", "2025-07-01T00:30:00+09:00")


def test_a_parquet_vintage_with_a_zone_is_the_date_in_that_zone(mw, tmp_path):
    # 2025-07-21 06:30 in Tokyo is 2025-07-20 21:30 in UTC: the vintage is 21 July
    vintage = stamps([dt.datetime(2025, 7, 21, 6, 30)], "Asia/Tokyo")
    path = parquet_file(tmp_path / "vintage.parquet", rows=1, vintage=vintage)
    release = mw.import_file(path, source="tz-test")
    held = mw.store.con.execute("SELECT vintage FROM observation_latest WHERE release_id = ?",
                                [release.release_id]).fetchall()
    assert held == [(dt.date(2025, 7, 21),)]
