"""Monitor answers kept when a release lands equal a rebuild from the store, after every kind of release.

Kinds: the bundled load, a new month, a revision of an old month, a release that changes
nothing, and a process killed (SIGKILL) between a release and its kept answers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import magwatch
from magwatch.analytics import kept
from magwatch.analytics.monitor import monitor
from magwatch.periods import Month

SERIES = ("CHN", "85051110", "X")


@pytest.fixture
def store(bundled_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


def _rebuilt(db: Path, every: bool = False) -> tuple[dict, dict]:
    """(kept answers of the current state, the same answers computed afresh from the store).

    The default series keeps every month with data (some forty): unless ``every``, the
    comparison takes its latest answer, its last three months and every sixth month before."""
    with magwatch.open(db, read_only=True) as mw:
        found = kept.kept(mw.store.con)
        con = mw.store.ibis()
        tables = (con.table("observation_latest"), con.table("claim_latest"))
        months = sorted(k[3] for k in found if k[:3] == SERIES and k[3] >= 0)
        sample = set(months[-3:] + months[::6])
        found = {k: v for k, v in found.items() if every or k[:3] != SERIES or k[3] < 0 or k[3] in sample}
        fresh = {key: monitor(*tables, month=None if key[3] < 0 else key[3], reporter=key[0],
                              commodity=key[1], flow=key[2], keep=False) for key in found}
    return found, fresh


def _import(db: Path, tmp_path: Path, name: str, rows: list[str]) -> None:
    path = tmp_path / name
    path.write_text("reporter,partner,flow,commodity,period,net_weight_kg\n" + "\n".join(rows) + "\n")
    with magwatch.open(db) as mw:
        mw.import_file(path, source="kept-test")


def _latest(db: Path) -> str:
    found, fresh = _rebuilt(db)
    assert found == fresh
    return found[(*SERIES, -1)]["month"]


def test_the_load_keeps_every_month_with_data_and_they_equal_a_rebuild(store):
    found, fresh = _rebuilt(store, every=True)
    assert (*SERIES, -1) in found and found == fresh
    latest = found[(*SERIES, -1)]["month"]
    assert found[(*SERIES, Month.parse(latest).index)] == found[(*SERIES, -1)]
    with magwatch.open(store, read_only=True) as mw:
        keys = kept.month_keys(mw.store.con, SERIES, 0)
    assert len(keys) >= 30 and {(*SERIES, m) for m in keys} <= set(found)
    jan, feb = Month.parse("2026-01").index, Month.parse("2026-02").index    # published combined
    assert found[(*SERIES, jan)] == found[(*SERIES, feb)]
    assert found[(*SERIES, feb)]["month"] == "2026-01..2026-02"


def test_a_new_month_is_kept_at_once_and_read_without_computing(store, tmp_path, monkeypatch):
    new = Month.parse(_latest(store)) + 1
    _import(store, tmp_path, "new.csv", [f"CHN,USA,X,85051110,{new},100000",
                                         f"CHN,WLD,X,85051110,{new},400000"])
    found, fresh = _rebuilt(store)
    assert found == fresh and found[(*SERIES, -1)]["month"] == str(new)
    import magwatch.analytics.monitor as mon

    monkeypatch.setattr(mon, "_single", lambda *a, **k: pytest.fail("computed a kept answer"))
    with magwatch.open(store, read_only=True) as mw:
        assert mw.monitor(str(new)).to_dict()["world"] == found[(*SERIES, -1)]["world"]


def test_a_revision_of_an_old_month_computes_it_and_its_comparisons_again_and_drops_later_copies(store, tmp_path):
    before = _latest(store)
    _import(store, tmp_path, "rev.csv", ["CHN,USA,X,85051110,2024-03,123456"])
    found, fresh = _rebuilt(store)
    assert found == fresh and found[(*SERIES, -1)]["month"] == before
    march = Month.parse("2024-03").index
    with magwatch.open(store, read_only=True) as mw:
        months = kept.month_keys(mw.store.con, SERIES, march)
        held = {k[3] for k in kept.kept(mw.store.con) if k[:3] == SERIES}
        tables = (mw.store.ibis().table("observation_latest"), mw.store.ibis().table("claim_latest"))
        later = [m for m in months if m not in (march, march + 1, march + 12, max(months))]
        # the month itself, those comparing against it and the latest month computed again ...
        assert {march, march + 12} & set(months) <= held and {march, max(months)} <= held
        # ... the later months' copies dropped (their records and scores may change) and read afresh
        assert later and not set(later) & held
        got = mw.monitor(str(Month.from_index(later[0]))).to_dict()
        assert got == monitor(*tables, month=later[0], keep=False)


def test_a_release_that_changes_nothing_carries_every_answer_forward(store, tmp_path):
    row = f"CHN,USA,X,85051110,{_latest(store)},123456"
    _import(store, tmp_path, "first.csv", [row])
    with magwatch.open(store, read_only=True) as mw:
        old, state = kept.kept(mw.store.con), kept._state_text(mw.store.con)
    _import(store, tmp_path, "same.csv", [row, ""])        # the same figure again, another file
    found, fresh = _rebuilt(store)
    with magwatch.open(store, read_only=True) as mw:
        assert kept._state_text(mw.store.con) != state     # a new release, a new state
        assert kept.kept(mw.store.con) == old and old
    assert found == fresh


def test_dropped_answers_are_rebuilt_by_the_next_release(store, tmp_path):
    with magwatch.open(store) as mw:
        kept.drop(mw.store.con)
        assert kept.kept(mw.store.con) == {}
    _import(store, tmp_path, "again.csv", ["CHN,USA,X,85051110,2024-03,123456"])
    found, fresh = _rebuilt(store)
    assert found == fresh and (*SERIES, -1) in found


KILLED = """
import os, signal, sys
import magwatch
from magwatch.analytics import kept
def die(con, tables, state, key):
    os.kill(os.getpid(), signal.SIGKILL)
kept._eager = die
with magwatch.open(sys.argv[1]) as mw:
    mw.import_file(sys.argv[2], source="kept-test")
"""


def test_a_process_killed_between_a_release_and_its_answers_leaves_them_exact(store, tmp_path):
    before = _latest(store)
    path = tmp_path / "killed.csv"
    new = Month.parse(before) + 1
    path.write_text(f"reporter,partner,flow,commodity,period,net_weight_kg\n"
                    f"CHN,WLD,X,85051110,{new},400000\n")
    done = subprocess.run([sys.executable, "-c", KILLED, str(store), str(path)])
    assert done.returncode == -9
    found, fresh = _rebuilt(store)
    assert found == fresh
    # the writer died before it published its private copy (magwatch.store.writer): the
    # store is as it was, release and answers alike, and a re-run lands both
    with magwatch.open(store, read_only=True) as mw:
        releases = mw.store.con.execute("SELECT count(*) FROM release WHERE source = 'kept-test'")
        assert releases.fetchall()[0][0] == 0
        assert mw.monitor().to_dict()["month"] == before
    with magwatch.open(store) as mw:
        mw.import_file(path, source="kept-test")
    found, fresh = _rebuilt(store)
    assert found == fresh and (*SERIES, -1) in found
    with magwatch.open(store, read_only=True) as mw:
        assert mw.monitor().to_dict()["month"] == str(new)


def test_the_bundled_load_lands_once_for_all_its_releases(tmp_path, monkeypatch):
    """Nine releases committed in a row are followed once, over all that they touched."""
    from magwatch.store import ingest

    calls = []
    real = ingest.release_committed
    monkeypatch.setattr(ingest, "release_committed",
                        lambda con, last, first=None: calls.append((first, last)) or real(con, last, first))
    db = tmp_path / "fresh.duckdb"
    with magwatch.open(db) as mw:
        releases = mw.load()
    ids = [r.release_id for r in releases if not r.skipped]
    assert len(ids) > 1 and calls == [(ids[0], ids[-1])]
    found, fresh = _rebuilt(db)
    assert (*SERIES, -1) in found and found == fresh
