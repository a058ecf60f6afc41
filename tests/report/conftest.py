"""Fixtures of the report tests: a read-only handle on the bundled store and a checker over it."""

from __future__ import annotations

import pytest

import magwatch
from magwatch.report.check import Checker


@pytest.fixture(scope="module")
def handle(bundled_db):
    with magwatch.open(bundled_db, read_only=True) as h:
        yield h


@pytest.fixture(scope="module")
def checker(handle):
    return Checker(handle)
