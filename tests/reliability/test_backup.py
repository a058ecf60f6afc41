"""`magwatch db backup` / `db restore`: exact round trip, refusal while a writer runs, atomic swap."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import magwatch
from magwatch.errors import InputError, ParameterError, StoreError
from magwatch.store.backup import content_digest, restore

EXTRA = ("reporter,partner,flow,commodity,period,net_weight_t\n"
         "CHN,USA,X,85051110,2025-09,1.5\n")


def digest(db: Path) -> dict:
    with magwatch.open(db, read_only=True) as mw:
        return content_digest(mw.store.con)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "magwatch", *args], capture_output=True, text=True,
                          timeout=120)


def test_backup_then_restore_round_trips_every_table_exactly(bundled_db, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    with magwatch.open(db) as mw:
        mw.add_event(date="2025-10-09", actor="MOFCOM", event_type="export_control",
                     summary="test event kept through backup", source_url="https://example.org/e")
        before = content_digest(mw.store.con)
        flows_before = mw.flows(reporter="CHN", period="2025-06").to_pylist()
        result = mw.backup(tmp_path / "b.duckdb")
    assert result["tables"]["observation_latest"] == before["observation_latest"][0] > 0
    # the store moves on ...
    (tmp_path / "extra.csv").write_text(EXTRA)
    with magwatch.open(db) as mw:
        mw.import_file(tmp_path / "extra.csv", vintage="2025-10-20")
    assert digest(db) != before
    # ... and the restore brings back exactly what was backed up
    restore(tmp_path / "b.duckdb", db)
    assert digest(db) == before
    with magwatch.open(db) as mw:
        assert mw.flows(reporter="CHN", period="2025-06").to_pylist() == flows_before
        assert "extra.csv" not in [r["file_name"] for r in mw.releases().to_pylist()]
        # the restored store is a working store: the same file ingests again
        release = mw.import_file(tmp_path / "extra.csv", vintage="2025-10-20")
        assert release.rows_added == 1
    assert not list(tmp_path.glob(".*partial*"))


def test_cli_backup_and_restore(bundled_db, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    before = digest(db)
    done = cli("--db", str(db), "db", "backup", str(tmp_path / "b.duckdb"))
    assert done.returncode == 0, done.stderr
    assert f"observation_latest {before['observation_latest'][0]}" in done.stdout
    again = cli("--db", str(db), "db", "backup", str(tmp_path / "b.duckdb"))
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "exists" in again.stderr
    fresh = tmp_path / "fresh.duckdb"
    done = cli("--db", str(fresh), "db", "restore", str(tmp_path / "b.duckdb"))
    assert done.returncode == 0, done.stderr
    assert digest(fresh) == before


HOLD = ("import sys, time, magwatch; m = magwatch.open(sys.argv[1], read_only=sys.argv[2] == 'r'); "
        "print('ready', flush=True); time.sleep(30)")


def holding(db: Path, mode: str) -> subprocess.Popen:
    """A process holding the store open, for reading ('r') or as its writer ('w')."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "ready"
    return holder


def test_restore_is_refused_while_a_writer_runs_and_leaves_the_store_alone(bundled_db, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    with magwatch.open(db) as mw:
        mw.backup(tmp_path / "b.duckdb")
    (tmp_path / "extra.csv").write_text(EXTRA)
    with magwatch.open(db) as mw:
        mw.import_file(tmp_path / "extra.csv")
    before = digest(db)
    holder = holding(db, "w")
    try:
        with pytest.raises(StoreError, match="in use by another magwatch process"):
            restore(tmp_path / "b.duckdb", db)
        done = cli("--db", str(db), "db", "restore", str(tmp_path / "b.duckdb"))
        assert done.returncode == 3 and "in use" in done.stderr and done.stderr.count("\n") == 1
    finally:
        holder.kill()
        holder.wait()
    assert digest(db) == before
    assert not list(tmp_path.glob(".*partial*"))


def test_restore_while_a_reader_holds_the_store_swaps_it_for_the_next_open(bundled_db, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    backed_up = digest(db)
    with magwatch.open(db) as mw:
        mw.backup(tmp_path / "b.duckdb")
    (tmp_path / "extra.csv").write_text(EXTRA)
    with magwatch.open(db) as mw:
        mw.import_file(tmp_path / "extra.csv")
    holder = holding(db, "r")
    try:
        done = cli("--db", str(db), "db", "restore", str(tmp_path / "b.duckdb"))
        assert done.returncode == 0, done.stderr
        assert digest(db) == backed_up
    finally:
        holder.kill()
        holder.wait()


def test_backup_while_a_writer_holds_the_store_copies_the_published_state(bundled_db, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    before = digest(db)
    holder = holding(db, "w")
    try:
        done = cli("--db", str(db), "db", "backup", str(tmp_path / "b.duckdb"))
        assert done.returncode == 0, done.stderr
    finally:
        holder.kill()
        holder.wait()
    assert digest(tmp_path / "b.duckdb") == before


@pytest.mark.parametrize("kind", ["csv", "empty duckdb", "missing", "truncated backup"])
def test_restore_refuses_what_is_not_a_backup(bundled_db, tmp_path, kind):
    db = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, db)
    before = digest(db)
    bad = tmp_path / "bad.duckdb"
    if kind == "csv":
        bad.write_text(EXTRA)
    elif kind == "empty duckdb":
        duckdb.connect(str(bad)).close()
    elif kind == "truncated backup":
        with magwatch.open(db, read_only=True) as mw:
            mw.backup(tmp_path / "b.duckdb")
        data = (tmp_path / "b.duckdb").read_bytes()
        bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError) as info:
        restore(bad, db)
    assert "\n" not in str(info.value) and str(bad) in str(info.value)
    assert digest(db) == before


def test_backup_refuses_the_store_itself_and_a_missing_folder(mw, tmp_path):
    with pytest.raises(ParameterError, match="the store itself"):
        mw.backup(mw.store.path)
    with pytest.raises(ParameterError, match="does not exist"):
        mw.backup(tmp_path / "no" / "such" / "b.duckdb")
