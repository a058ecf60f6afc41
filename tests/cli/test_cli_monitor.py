"""``magwatch monitor`` as a reader runs it: a title in words, ``--partner`` leading with a destination."""

from __future__ import annotations

import json
import shutil

import pytest


@pytest.fixture
def db(bundled_db, tmp_path):
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return copy


def test_the_title_is_in_words(cli, db):
    done = cli(db, "monitor", "--month", "2025-06")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "China's rare-earth magnet exports (CN 85051110), June 2025"
    combined = cli(db, "monitor", "--month", "2026-02").stdout.splitlines()[0]
    assert combined.endswith("January 2026 to February 2026, published combined")


def test_partner_leads_with_that_destination(cli, db):
    lines = cli(db, "monitor", "--month", "2025-06", "--partner", "Germany").stdout.splitlines()
    assert lines[1].startswith("Germany: 764.0 t; m/m +265.6% (computed from 2025-05: 209.0 t)")
    assert "rank 1 (computed" in lines[1] and "share 24.0% of the world total" in lines[1]
    assert lines[2].startswith("World 3,188.0 t")
    absent = cli(db, "monitor", "--month", "2026-03", "--partner", "EUU").stdout.splitlines()
    assert absent[1] == "European Union: no figure in this month (1 destination has one)"
    data = json.loads(cli(db, "monitor", "--month", "2025-06", "--partner", "USA", "--format",
                          "json").stdout)
    assert data["focus"]["partner"] == "USA" and data["focus"]["net_weight_t"] == 353.0


def test_an_unknown_partner_is_one_line(cli, db):
    done = cli(db, "monitor", "--month", "2025-06", "--partner", "Germny")
    assert done.returncode == 2
    assert done.stderr == "error: parameter 'partner': unknown country 'Germny'; did you mean DEU (Germany)?\n"
