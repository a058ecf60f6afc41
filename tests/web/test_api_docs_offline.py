"""/api/docs with no network: Swagger UI's files come from magwatch, not a CDN.

The browser test blocks every request that does not go to 127.0.0.1 and expects the
operations list to render; the other tests read the page and the dashboard header.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from magwatch.web.app import create_app



@pytest.fixture(scope="module")
def client(bundled_db: Path, tmp_path_factory) -> TestClient:
    copy = tmp_path_factory.mktemp("docs") / "store.duckdb"
    shutil.copy(bundled_db, copy)
    return TestClient(create_app(copy, token=None))


def test_docs_page_names_only_local_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/api/docs/assets/swagger-ui-bundle.js" in urls and "/api/docs/assets/swagger-ui.css" in urls
    assert all(u.startswith("/") for u in urls), urls
    assert "cdn" not in page.headers["content-security-policy"]
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 500, url


def test_dashboard_header_and_info_say_how_old_the_data_is(client):
    header = re.search(r'<p class="data-age"[^>]*>([^<]+)</p>', client.get("/").text)
    assert header and header.group(1).startswith("Data to March 2026; ")
    assert "is the newest China customs month due by today" in header.group(1)
    age = client.get("/api/v1/info").json()["data_age"]
    assert age["newest_in_store"] == "2026-03" and age["line"] == header.group(1)


@pytest.mark.browser
def test_api_docs_render_with_every_outside_request_blocked(bundled_db, tmp_path, serve_web, browser):
    copy = tmp_path / "store.duckdb"
    shutil.copy(bundled_db, copy)
    blocked: list[str] = []

    def only_loopback(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append((route.request.resource_type, route.request.url))
            route.abort()

    with serve_web(copy) as (_, base):
        context = browser.new_context()
        try:
            page = context.new_page()
            page.route("**/*", only_loopback)
            page.goto(base + "/")
            page.click("nav a[href='/api/docs']")
            page.wait_for_url("**/api/docs")
            page.wait_for_selector(".opblock", state="visible")
            assert page.locator(".opblock").count() > 10
            assert page.locator(".opblock", has_text="/api/v1/info").count() >= 1
        finally:
            context.close()
    assert [url for kind, url in blocked if kind in ("script", "stylesheet", "fetch")] == []
