"""Shared fixtures: one store with the bundled data, built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import magwatch

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def bundled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file with the bundled data loaded. Copy it before writing to it."""
    path = tmp_path_factory.mktemp("bundled") / "bundled.duckdb"
    with magwatch.open(path) as mw:
        mw.load()
    return path


@pytest.fixture
def mw(bundled_db: Path, tmp_path: Path):
    """A read-write handle on a fresh copy of the bundled store."""
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    with magwatch.open(copy) as handle:
        yield handle
