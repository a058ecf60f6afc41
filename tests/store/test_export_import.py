"""Importing a folder written by 'magwatch export parquet': the checks of every file import,
provenance agreeing with its release, one transaction, one line for every malformed part.

Each refusal test exports a store, spoils one thing in the folder the way a hand edit, a
crash or another tool could, imports it into a copy of the bundled store and asserts a
one-line InputError naming the file (and field), and every table of the store unchanged.
The small user files written below hold test figures and say so in their note column.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import magwatch
from magwatch.errors import InputError
from magwatch.store import export as export_module
from magwatch.store.backup import content_digest
from magwatch.store.export import MANIFEST, export_parquet, import_parquet

F1 = ("reporter,partner,flow,commodity,period,net_weight_kg,note\n"
      "CHN,USA,X,85051110,2025-05,1000,test figures\n"
      "CHN,USA,X,85051110,2025-06,1100,test figures\n")
F2 = ("reporter,partner,flow,commodity,period,net_weight_kg,note\n"
      "CHN,DEU,X,85051110,2025-05,2000,test figures\n"
      "CHN,DEU,X,85051110,2025-06,2100,test figures\n"
      "CHN,JPN,X,85051110,2025-06,2200,test figures\n")


@pytest.fixture(scope="module")
def user_export(tmp_path_factory) -> Path:
    """A store of two small user files (f1.csv, f2.csv; test figures), exported. Tests
    spoil a copy (:func:`copy_of`), never this folder."""
    tmp_path = tmp_path_factory.mktemp("user-export")
    for name, text in (("f1.csv", F1), ("f2.csv", F2)):
        (tmp_path / name).write_text(text)
    with magwatch.open(tmp_path / "src.duckdb") as src:
        src.import_file(tmp_path / "f1.csv", vintage="2025-07-20")
        src.import_file(tmp_path / "f2.csv", vintage="2025-07-21")
        export_parquet(src.store, tmp_path / "exp")
    return tmp_path / "exp"


@pytest.fixture(scope="module")
def bundled_export(bundled_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundled-export") / "exp"
    with magwatch.open(bundled_db, read_only=True) as mw:
        export_parquet(mw.store, out)
    return out


def copy_of(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "spoiled"
    shutil.copytree(folder, target)
    return target


def part_file(folder: Path, table: str, year: int, month: int) -> Path:
    month_dir = folder / table / f"period_year={year}" / f"period_month={month}"
    files = sorted(month_dir.glob("*.parquet"))
    assert files, f"no {table} file for {year}-{month}"
    return files[0]


def rewrite(path: Path, column: str, where: tuple[str, object] | None, value) -> None:
    """Set ``column`` to ``value`` in the rows of one Parquet file (those matching ``where``)."""
    table = pq.read_table(path)
    rows = table.to_pylist()
    hit = 0
    for row in rows:
        if where is None or row[where[0]] == where[1]:
            row[column] = value
            hit += 1
    assert hit, f"no row of {path} matched {where}"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


def refused(mw, folder: Path, *words: str) -> InputError:
    """Import ``folder``: it must fail with one line holding ``words``, the store unchanged."""
    before = content_digest(mw.store.con)
    with pytest.raises(InputError) as info:
        mw.import_file(folder)
    message = str(info.value)
    assert "\n" not in message and len(message) <= 600, message
    for word in words:
        assert word in message, message
    assert content_digest(mw.store.con) == before
    return info.value


# -- the rows pass the checks of a file import --------------------------------------------

@pytest.mark.parametrize("column, value, words", [
    ("partner", "XXX", ("field 'partner'", "unknown country code")),
    ("flow", "Q", ("field 'flow'", "flow must be X")),
    ("net_weight_kg", -5.0, ("field 'net_weight_kg'", "negative figure")),
    ("net_weight_kg", 1e300, ("field 'net_weight_kg'", "ceiling")),
    ("quantity_unit", "furlong", ("field 'quantity_unit'", "unknown unit")),
    ("currency", "XXY", ("field 'currency'", "unknown currency")),
    ("commodity", "8505111", ("field 'commodity'", "length")),
    ("source_url", "javascript:alert(1)", ("field 'source_url'", "http")),
    ("note", "ring\x07bell", ("field 'note'", "control character")),
    ("partner", "deu", ("field 'partner'", "canonical form")),
])
def test_rows_pass_the_checks_of_a_file_import(mw, user_export, tmp_path, column, value, words):
    folder = copy_of(user_export, tmp_path)
    target = part_file(folder, "observation", 2025, 6)
    row = pq.read_table(target)["partner"].to_pylist().index("DEU") + 1
    if column == "quantity_unit":
        rewrite(target, "quantity", ("partner", "DEU"), 3.0)
    rewrite(target, column, ("partner", "DEU"), value)
    error = refused(mw, folder, *words)
    assert error.file == str(target) and error.row == row


def test_a_figure_in_the_wrong_partition_folder_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    rewrite(part_file(folder, "observation", 2025, 5), "period", ("partner", "DEU"),
            dt.date(2024, 5, 1))
    refused(mw, folder, "partition folder", "field 'period'")


def test_a_duplicate_key_in_the_second_release_stores_nothing_of_the_folder(mw, user_export,
                                                                           tmp_path):
    folder = copy_of(user_export, tmp_path)
    rewrite(part_file(folder, "observation", 2025, 6), "partner", ("partner", "JPN"), "DEU")
    error = refused(mw, folder, "duplicate key", "first seen at")
    assert "f2.csv" not in [r["file_name"] for r in mw.releases().to_pylist()]
    assert "f1.csv" not in [r["file_name"] for r in mw.releases().to_pylist()]
    assert error.row is not None


def test_a_row_naming_no_release_of_the_log_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    rewrite(part_file(folder, "observation", 2025, 5), "release_id", ("partner", "USA"), 99)
    refused(mw, folder, "field 'release_id'", "names no release")


def test_unknown_claim_metric_is_refused(mw, bundled_export, tmp_path):
    folder = copy_of(bundled_export, tmp_path)
    target = sorted((folder / "claim").rglob("*.parquet"))[0]
    rewrite(target, "metric", None, "astrology")
    refused(mw, folder, "field 'metric'", "unknown claim metric")


# -- provenance agrees with the release ---------------------------------------------------

def _set_release(folder: Path, column: str, value, release_id: int | None = None) -> None:
    rewrite(folder / "release" / "release.parquet", column,
            None if release_id is None else ("release_id", release_id), value)


def test_a_release_claiming_another_source_than_its_rows_is_refused(mw, bundled_export, tmp_path):
    """The red-team case: the release log says 'user', the rows say 'press' (press URLs)."""
    folder = copy_of(bundled_export, tmp_path)
    _set_release(folder, "source", "user", release_id=1)
    refused(mw, folder, "field 'source'", "differs from its release")


def test_rows_claiming_another_source_than_their_release_are_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    rewrite(part_file(folder, "observation", 2025, 6), "source", ("partner", "DEU"), "press")
    rewrite(part_file(folder, "observation", 2025, 6), "source_url", ("partner", "DEU"),
            "https://press.example.org/article")
    refused(mw, folder, "field 'source'", "provenance must agree")


def test_a_row_naming_another_file_digest_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    rewrite(part_file(folder, "observation", 2025, 5), "source_sha256", ("partner", "USA"),
            "0" * 64)
    refused(mw, folder, "field 'source_sha256'")


def test_a_vintage_after_the_release_was_ingested_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    _set_release(folder, "ingested_at", dt.datetime(2025, 7, 1))
    refused(mw, folder, "release.parquet", "field 'vintage'", "after the release was ingested")


def test_a_fetched_release_keeps_the_url_it_was_fetched_from(mw, user_export, tmp_path):
    folder2 = copy_of(user_export, tmp_path)
    _set_release(folder2, "note", "https://comtradeapi.un.org/data/v1/get/C/M/HS?x=1",
                 release_id=1)
    rewrite(part_file(folder2, "observation", 2025, 5), "source_url", ("partner", "USA"),
            "https://press.example.org/article")
    refused(mw, folder2, "field 'source_url'", "fetched from")


# -- every malformed manifest, release file and partition folder: one line -----------------

@pytest.mark.parametrize("edit, words", [
    (lambda m: m.update(rows=[1, 2, 3]), ("field 'rows'", "row counts")),
    (lambda m: m["rows"].update(observation="many"), ("field 'rows'", "whole number")),
    (lambda m: m["rows"].pop("claim"), ("field 'rows'", "claim")),
    (lambda m: m.update(partition_by=[["period_year"]]), ("field 'partition_by'",)),
    (lambda m: m.update(format=None), ("field 'format'",)),
])
def test_a_malformed_manifest_is_refused_with_one_line(mw, user_export, tmp_path, edit, words):
    folder = copy_of(user_export, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    edit(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest))
    refused(mw, folder, MANIFEST, *words)


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", "\xff\xfe"])
def test_a_manifest_that_is_not_an_object_is_refused(mw, user_export, tmp_path, text):
    folder = copy_of(user_export, tmp_path)
    (folder / MANIFEST).write_bytes(text.encode("latin-1"))
    refused(mw, folder, MANIFEST)


def test_a_garbage_release_file_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    (folder / "release" / "release.parquet").write_bytes(b"PAR1 this is not a parquet file PAR1")
    refused(mw, folder, "release.parquet", "not a readable Parquet file")


def test_a_release_log_missing_a_column_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    path = folder / "release" / "release.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["source"]), path)
    refused(mw, folder, "release.parquet", "field 'source'", "column missing")


@pytest.mark.parametrize("bad", ["period_year=abc", "period_year=-4", "year=2025"])
def test_a_bad_partition_folder_is_refused(mw, user_export, tmp_path, bad):
    folder = copy_of(user_export, tmp_path)
    (folder / "observation" / "period_year=2025").rename(folder / "observation" / bad)
    refused(mw, folder, bad.split("=")[0])


def test_a_month_folder_13_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    year = folder / "observation" / "period_year=2025"
    (year / "period_month=6").rename(year / "period_month=13")
    refused(mw, folder, "period_month=13", "from 1 to 12")


def test_a_parquet_file_with_a_scrambled_data_page_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    target = part_file(folder, "observation", 2025, 6)
    data = bytearray(target.read_bytes())
    for i in range(4, min(len(data) // 2, 400)):         # the data pages, footer left whole
        data[i] = (data[i] * 7 + 13) % 256
    target.write_bytes(bytes(data))
    refused(mw, folder, "observation")


def test_a_column_of_the_wrong_type_or_an_extra_column_is_refused(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    target = part_file(folder, "observation", 2025, 5)
    table = pq.read_table(target)
    as_text = table.set_column(table.schema.get_field_index("period"), "period",
                               pc.cast(table["period"], pa.string()))
    pq.write_table(as_text, target)
    refused(mw, folder, str(target), "field 'period'", "not date")
    pq.write_table(table.append_column("secret", pa.array(["x"] * table.num_rows)), target)
    refused(mw, folder, str(target), "field 'secret'", "not in the export format")


# -- incomplete folders (an interrupted export) -------------------------------------------

def test_a_folder_without_its_manifest_is_refused_as_incomplete(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    (folder / MANIFEST).unlink()
    refused(mw, folder, "not a complete magwatch Parquet export", "is missing", "interrupted")


def test_a_manifest_written_before_the_data_is_refused_as_incomplete(mw, user_export, tmp_path):
    folder = copy_of(user_export, tmp_path)
    part_file(folder, "observation", 2025, 6).unlink()
    refused(mw, folder, "incomplete export", "observation", "interrupted")
    folder = copy_of(user_export, tmp_path / "b")
    shutil.rmtree(folder / "claim_latest", ignore_errors=True)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["rows"]["claim_latest"] = 5
    (folder / MANIFEST).write_text(json.dumps(manifest))
    refused(mw, folder, "incomplete export", "claim_latest")


# -- one transaction ----------------------------------------------------------------------

def test_a_failure_while_writing_the_second_release_leaves_every_table_unchanged(
        mw, user_export, monkeypatch):
    calls = []
    real = export_module.commit_release

    def failing(con, **kwargs):
        calls.append(kwargs["file_name"])
        if len(calls) == 2:
            raise InputError("simulated failure while writing", file=kwargs["file_name"])
        return real(con, **kwargs)

    monkeypatch.setattr(export_module, "commit_release", failing)
    refused(mw, user_export, "simulated failure")
    assert calls == ["f1.csv", "f2.csv"]
    monkeypatch.setattr(export_module, "commit_release", real)
    done = mw.import_file(user_export)                  # the folder itself is fine
    assert [r.file_name for r in done.releases] == ["f1.csv", "f2.csv"] and done.rows_added == 5


def sources_sorted(result):
    """A monitor result with each list of sources in one order (the monitor lists the claims
    of one row in the order the store holds them, which a replay need not keep)."""
    if isinstance(result, dict):
        return {k: sorted(map(repr, v)) if k == "sources" else sources_sorted(v)
                for k, v in result.items()}
    if isinstance(result, list):
        return [sources_sorted(v) for v in result]
    return result


def test_the_bundled_export_round_trips_and_is_checked_whole(bundled_db, bundled_export, tmp_path):
    with magwatch.open(bundled_db, read_only=True) as mw:
        held = mw.info()
    with magwatch.open(tmp_path / "copy.duckdb") as copy:
        done = import_parquet(copy.store, bundled_export)
        assert not done.skipped and done.rows_added == held["observations"] > 0
        assert done.claims_added == held["claims"] > 0
        copied = content_digest(copy.store.con)
        monitor = copy.monitor("2025-06").to_dict()             # kept answers brought to the new state
    with magwatch.open(bundled_db, read_only=True) as mw:
        original = content_digest(mw.store.con)
        assert sources_sorted(monitor) == sources_sorted(mw.monitor("2025-06").to_dict())
    for table in ("observation_latest", "observation_superseded", "claim_latest",
                  "claim_superseded", "reference"):
        assert copied[table][0] == original[table][0], table


def test_cli_import_of_a_spoiled_folder_prints_one_line_and_exits_2(bundled_db, user_export,
                                                                   tmp_path):
    folder = copy_of(user_export, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["rows"] = [1]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    done = subprocess.run([sys.executable, "-m", "magwatch", "--db", str(db), "import",
                           str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr and "field 'rows'" in done.stderr


def test_a_by_reporter_export_reads_the_reporter_from_its_folder(mw, user_export, tmp_path):
    with magwatch.open(tmp_path / "src.duckdb") as src:
        src.import_file(user_export)
        export_parquet(src.store, tmp_path / "by", by_reporter=True)
    assert "reporter" not in pq.read_schema(
        next((tmp_path / "by" / "observation").rglob("*.parquet"))).names
    folder = copy_of(tmp_path / "by", tmp_path)
    month = folder / "observation" / "period_year=2025" / "period_month=6"
    (month / "reporter=CHN").rename(month / "reporter=chn!")
    refused(mw, folder, "reporter=", "reporter code")
    with magwatch.open(tmp_path / "copy.duckdb") as copy:
        done = copy.import_file(tmp_path / "by")
        assert done.rows_added == 5
        june = copy.flows(reporter="CHN", period="2025-06").to_pylist()
        assert sorted(r["partner"] for r in june) == ["DEU", "JPN", "USA"]
