"""A process killed during a backup, a restore, an export or the import of an export folder
leaves no partial state anyone can see; the next run removes its leftovers and completes.

Each trial runs the operation in a child process and kills it with SIGKILL: either at a
chosen step (the child kills itself when a named function is called, so the trial
deterministically lands between two writes) or at a seeded random moment of a run whose
length an uninterrupted run measured first. Then the target must be the old state or the
new one, whole, and a re-run in this process completes without leftovers.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import magwatch
from magwatch.errors import InputError
from magwatch.store.backup import content_digest, read_backup, restore
from magwatch.store.export import FACT_TABLES, MANIFEST, SIDE_TABLES, export_parquet, read_manifest
from magwatch.store.export_read import read_schema

CHILD = r"""
import os, signal, sys
import magwatch
from magwatch.store import atomic, backup, export, ingest

op, db, target, point = sys.argv[1:5]


def kill_at(module, name, nth):
    real, calls = getattr(module, name), []

    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    setattr(module, name, wrapper)


if point not in ("random", "none"):
    module, name, nth = point.split(":")
    kill_at({"backup": backup, "export": export, "os": os}[module], name, int(nth))
print("go", flush=True)
if op == "backup":
    with magwatch.open(db, read_only=True) as mw:
        mw.backup(target, overwrite=True)
elif op == "restore":
    backup.restore(target, db)
elif op == "export":
    with magwatch.open(db, read_only=True) as mw:
        export.export_parquet(mw.store, target, overwrite=True)
elif op == "import":
    with magwatch.open(db) as mw:
        mw.import_file(target)
print("done", flush=True)
"""

#: Tables that hold data (kept_monitor is a cache of answers: a crash may leave it behind).
DATA_TABLES = ("observation_latest", "observation_superseded", "claim_latest",
               "claim_superseded", "reference", "event", "meta")
EXTRA = ("reporter,partner,flow,commodity,period,net_weight_t,note\n"
         "CHN,USA,X,85051110,2025-09,1.5,test figures\n")


def run_child(op: str, db: Path, target: Path, point: str,
              delay: float | None = None) -> tuple[int, float]:
    """Run ``op`` in a child; kill it at ``point`` or ``delay`` seconds after it starts work.
    Returns its exit code and the seconds it worked."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, op, str(db), str(target), point],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "go"
        start = time.monotonic()
        if delay is not None:
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=300)
        return code, time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


_MEASURED: dict[str, float] = {}


def measured(op: str, db: Path, target: Path) -> float:
    """How long ``op`` runs uninterrupted in a child (to place random kills inside it);
    measured once per operation."""
    if op not in _MEASURED:
        code, seconds = run_child(op, db, target, "none")
        assert code == 0
        _MEASURED[op] = seconds
    return _MEASURED[op]


def state(db: Path) -> tuple:
    """The store's data: every data table's digest and each release's source and file."""
    with magwatch.open(db, read_only=True) as mw:
        digest = content_digest(mw.store.con)
        releases = mw.store.con.execute("SELECT release_id, source, file_name, sha256, rows_added "
                                        "FROM release ORDER BY release_id").fetchall()
    return tuple(digest.get(t) for t in DATA_TABLES), tuple(releases)


def killed(point: str, op: str, db: Path, target: Path, delay: float | None) -> None:
    """Run ``op`` to be killed at ``point``; a chosen step must have been reached."""
    code, _ = run_child(op, db, target, point, delay)
    if point != "random":
        assert code == -signal.SIGKILL, f"{op} ended ({code}) before reaching {point}"


def partials(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.partial-*"))


def whole(folder: Path) -> dict | None:
    """The row counts of a complete export in ``folder`` (checked against its files), or None
    when the folder is absent or has no manifest (an export that had not finished)."""
    if not (folder / MANIFEST).is_file():
        return None
    manifest = read_manifest(folder)
    for table in (*FACT_TABLES, *SIDE_TABLES):
        held = sum(read_schema(p)[1] for p in (folder / table).rglob("*.parquet")) \
            if (folder / table).is_dir() else 0
        assert held == manifest["rows"][table], f"{table}: manifest and files disagree"
    return manifest["rows"]


@pytest.fixture(scope="module")
def stores(bundled_db, tmp_path_factory):
    """The bundled store (old) and the same plus one more release (new), in one folder."""
    base = tmp_path_factory.mktemp("crash-export")
    old, new = base / "old.duckdb", base / "new.duckdb"
    shutil.copy(bundled_db, old)
    shutil.copy(bundled_db, new)
    (base / "extra.csv").write_text(EXTRA)
    with magwatch.open(new) as mw:
        mw.import_file(base / "extra.csv", vintage="2025-10-20")
    return old, new


BACKUP_POINTS = ["backup:_fsync_file:1", "backup:_fsync_dir:1", "random"]


@pytest.mark.parametrize("trial", range(len(BACKUP_POINTS)))
def test_sigkill_during_backup(stores, tmp_path, trial):
    old, _ = stores
    target = tmp_path / "b.duckdb"
    expected = state(old)[0]
    point = BACKUP_POINTS[trial]
    delay = random.Random(trial).uniform(0, measured("backup", old, tmp_path / "m.duckdb")) \
        if point == "random" else None
    killed(point, "backup", old, target, delay)
    if target.exists():                              # the rename happened: a whole backup
        with magwatch.open(old, read_only=True) as mw:
            assert read_backup(target) == content_digest(mw.store.con)
    if point == "backup:_fsync_file:1":
        assert not target.exists() and partials(target)   # the copy was made, never renamed
    with magwatch.open(old, read_only=True) as mw:
        mw.backup(target, overwrite=True)
    assert not partials(target)
    assert state(old)[0] == expected
    shutil.copy(target, tmp_path / "check.duckdb")
    assert state(tmp_path / "check.duckdb")[0] == expected


RESTORE_POINTS = ["backup:content_digest:2", "backup:_fsync_dir:1", "random"]


@pytest.mark.parametrize("trial", range(len(RESTORE_POINTS)))
def test_sigkill_during_restore(stores, tmp_path, trial):
    old, new = stores
    backup_file = tmp_path / "b.duckdb"
    with magwatch.open(old, read_only=True) as mw:
        mw.backup(backup_file)
    db = tmp_path / "s.duckdb"
    shutil.copy(new, db)
    before, restored = state(new), state(old)
    point = RESTORE_POINTS[trial]
    delay = None
    if point == "random":
        shutil.copy(new, tmp_path / "m.duckdb")
        delay = random.Random(100 + trial).uniform(0, measured("restore", tmp_path / "m.duckdb",
                                                               backup_file))
    killed(point, "restore", db, backup_file, delay)
    assert state(db) in (before, restored)
    if point == "backup:content_digest:2":      # copied beside, not yet renamed
        assert state(db) == before and partials(db)
    restore(backup_file, db)
    assert state(db) == restored and not partials(db)


#: os.replace calls of an export over an earlier one: 1 the manifest in the new folder,
#: then per table (6) the old one out and the new one in, 14 the new manifest.
EXPORT_POINTS = ["export:write_text_atomic:1", "os:replace:2", "os:replace:14", "random"]


@pytest.mark.parametrize("trial", range(len(EXPORT_POINTS)))
def test_sigkill_during_an_export_over_an_earlier_one(stores, tmp_path, trial):
    old, new = stores
    out = tmp_path / "exp"
    with magwatch.open(old, read_only=True) as mw:
        old_rows = export_parquet(mw.store, out)["rows"]
    with magwatch.open(new, read_only=True) as mw:
        new_rows = export_parquet(mw.store, tmp_path / "probe")["rows"]
    assert old_rows != new_rows
    point = EXPORT_POINTS[trial]
    delay = random.Random(200 + trial).uniform(0, measured("export", new, tmp_path / "m")) \
        if point == "random" else None
    killed(point, "export", new, out, delay)
    seen = whole(out)
    assert seen in (old_rows, new_rows, None)
    if point == "export:write_text_atomic:1":          # data written beside, manifest not yet
        assert seen == old_rows and partials(out)
    if point.startswith("os:replace"):              # tables being swapped: no manifest
        assert seen is None
    if seen is None:                                  # import refuses it as incomplete
        with magwatch.open(tmp_path / "t.duckdb") as mw:
            with pytest.raises(InputError, match="not a complete magwatch Parquet export"):
                mw.import_file(out)
    with magwatch.open(new, read_only=True) as mw:
        export_parquet(mw.store, out, overwrite=True)
    assert whole(out) == new_rows and not partials(out)


def test_sigkill_during_a_first_export_leaves_no_folder(stores, tmp_path):
    old, _ = stores
    out = tmp_path / "exp"
    assert run_child("export", old, out, "export:write_text_atomic:1")[0] == -signal.SIGKILL
    assert not out.exists() and partials(out)
    with magwatch.open(old, read_only=True) as mw:
        rows = export_parquet(mw.store, out)["rows"]
    assert whole(out) == rows and not partials(out)


IMPORT_POINTS = ["export:commit_release:3", "export:release_committed:1", "random"]


@pytest.mark.parametrize("trial", range(len(IMPORT_POINTS)))
def test_sigkill_during_the_import_of_an_export_folder(stores, tmp_path, trial):
    _, new = stores
    folder = tmp_path / "exp"
    with magwatch.open(new, read_only=True) as mw:
        export_parquet(mw.store, folder)
    db = tmp_path / "t.duckdb"
    with magwatch.open(db):
        pass
    before = state(db)
    point = IMPORT_POINTS[trial]
    delay = None
    if point == "random":
        with magwatch.open(tmp_path / "m.duckdb"):
            pass
        delay = random.Random(300 + trial).uniform(0, measured("import", tmp_path / "m.duckdb",
                                                               folder))
    killed(point, "import", db, folder, delay)
    after = state(db)
    with magwatch.open(db) as mw:
        mw.import_file(folder)                         # a re-run completes (or skips all)
    full = state(db)
    assert after in (before, full)
    if point == "export:commit_release:3":
        assert after == before
    if point == "export:release_committed:1":
        # committed in the writer's private copy, not yet published over the store
        # (magwatch.store.writer): the store is as it was
        assert after == before
    with magwatch.open(new, read_only=True) as mw:
        source = content_digest(mw.store.con)
    assert full[0][:4] == tuple(source[t] for t in DATA_TABLES[:4])
    assert json.dumps(full[1], default=str).count("extra.csv") == 1


def test_only_the_leftovers_of_writers_that_are_gone_are_removed(tmp_path):
    from magwatch.store.atomic import remove_leftovers

    target = tmp_path / "b.duckdb"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead_file = tmp_path / f".b.duckdb.partial-{gone.pid}"
        dead_wal = tmp_path / f".b.duckdb.partial-{gone.pid}.wal"
        dead_dir = tmp_path / f".b.duckdb.partial-{gone.pid + 1000000}"
        live_file = tmp_path / f".b.duckdb.partial-{alive.pid}"
        other = tmp_path / f".c.duckdb.partial-{gone.pid}"
        for path in (dead_file, dead_wal, live_file, other):
            path.write_text("partial")
        dead_dir.mkdir()
        (dead_dir / "part-0.parquet").write_text("partial")
        assert sorted(remove_leftovers(target)) == sorted([dead_file, dead_wal, dead_dir])
        assert live_file.exists() and other.exists()
        assert not dead_file.exists() and not dead_wal.exists() and not dead_dir.exists()
    finally:
        alive.kill()
        alive.wait()
