"""The API docs (Swagger UI and Redoc) render in a real browser with no request leaving
this machine (drf-spectacular-sidecar, no CDN, no web fonts, no online validator)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.conftest import committed_db

pytestmark = [pytest.mark.browser, committed_db]

LOCAL = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _offline(page) -> list[str]:
    """Fail every request to another host, and remember it."""
    outside: list[str] = []

    def route(route):
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return outside


def test_swagger_ui_renders_every_operation_offline(page, artifacts_dir):
    outside = _offline(page)
    page.goto(page.base_url + "/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = page.locator(".opblock-summary-path")
    assert operations.count() >= 30
    paths = set(operations.all_inner_texts())
    assert any("/api/v1/flex/teams/" in p for p in paths)
    assert any("/api/v1/quotes/{number}/accept/" in p.replace("\u200b", "") for p in paths)
    page.screenshot(path=str(artifacts_dir / "api-docs.png"))
    assert outside == []
    assert page.console_errors == []


def test_redoc_renders_offline(page):
    outside = _offline(page)
    page.goto(page.base_url + "/api/redoc/")
    page.locator("h2", has_text="List the Flex teams").first.wait_for(timeout=20_000)
    assert outside == []
