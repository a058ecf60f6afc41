"""A month with a world total and no destination (February 2024, December 2016 in the bundled
data): the overview says so in a sentence instead of an empty destinations table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from magwatch.web.app import create_app


@pytest.fixture(scope="module")
def client(bundled_db: Path, tmp_path_factory) -> TestClient:
    copy = tmp_path_factory.mktemp("thin") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return TestClient(create_app(copy, token=None), raise_server_exceptions=False)


@pytest.mark.parametrize("month, words, world", [("2024-02", "February 2024", "3,326 t"),
                                                 ("2016-12", "December 2016", "2,532 t")])
def test_a_month_without_destinations_says_so(client, month, words, world):
    page = client.get("/", params={"month": month}).text
    assert f'id="world-total" href="/provenance?partner=WLD&amp;period={month}">{world}</a>' in page
    assert f"No destination has a figure for {words} in the store: the month holds\nthe world total only." \
        in page
    assert 'id="partners"' not in page and "only 0 destinations" not in page


def test_a_month_with_destinations_keeps_its_table(client):
    page = client.get("/", params={"month": "2025-06"}).text
    assert 'id="partners"' in page and 'id="no-destinations"' not in page
