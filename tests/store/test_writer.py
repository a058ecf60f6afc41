"""The writer's lock and private copy (magwatch.store.writer), seen from the store's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import magwatch
from magwatch.errors import StoreError

ROW = ("reporter,partner,flow,commodity,period,net_weight_t\n"
       "CHN,FRA,X,85051110,2025-06,1.5\n")


@pytest.fixture
def db(bundled_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "s.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


def fra_rows(db: Path) -> int:
    with magwatch.open(db, read_only=True) as mw:
        return mw.flows(partner="FRA").num_rows


def test_a_reader_keeps_its_state_until_it_opens_again(db, tmp_path):
    (tmp_path / "one.csv").write_text(ROW)
    reader = magwatch.open(db, read_only=True)
    try:
        with magwatch.open(db) as writer:
            writer.import_file(tmp_path / "one.csv", vintage="2025-07-20")
            assert fra_rows(db) == 1                      # published when the release committed
        assert reader.flows(partner="FRA").num_rows == 0  # the file as it was when opened
    finally:
        reader.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".s.duckdb.lock", "one.csv", "s.duckdb"]


def test_a_second_writer_is_refused_and_readers_are_not(db):
    with magwatch.open(db):
        with pytest.raises(StoreError, match="in use by another magwatch process writing to it"):
            magwatch.open(db)
        with magwatch.open(db, read_only=True) as reader:
            assert reader.flows(partner="USA", period="2025-06").num_rows == 1


def test_a_dead_writers_copies_are_removed_by_the_next_writer(db, tmp_path):
    dead = 2 ** 22 + 12345                      # above the default pid_max: no such process
    leftovers = [tmp_path / f".s.duckdb.writing-{dead}", tmp_path / f".s.duckdb.writing-{dead}.wal",
                 tmp_path / f".s.duckdb.partial-{dead}"]
    for path in leftovers:
        path.write_bytes(b"left by a writer killed midway")
    with magwatch.open(db):
        pass
    assert not [p for p in leftovers if p.exists()]


def test_a_store_that_cannot_be_locked_is_refused_in_one_line(db, tmp_path):
    (tmp_path / ".s.duckdb.lock").mkdir()              # something else in the lock file's place
    before = db.read_bytes()
    with pytest.raises(StoreError) as caught:
        magwatch.open(db)
    assert str(caught.value) == (f"cannot lock store {db} for writing (.s.duckdb.lock: "
                                 f"Is a directory)")
    assert db.read_bytes() == before
