"""Headless Chromium (Debian's package, never a downloaded browser) against gunicorn."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, missing_dependency
from tests.live import gunicorn, migrate

REQUIRE_BROWSER = os.environ.get("DSR_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        missing_dependency("Chromium (Debian package 'chromium')", REQUIRE_BROWSER)
    if not (ROOT / "static" / "build" / "app.css").exists() or not AXE_PATH.exists():
        missing_dependency("built front-end assets and axe-core (run 'make test')",
                           REQUIRE_BROWSER)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'portal.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def live_server(live_database: str) -> Iterator[str]:
    with gunicorn(live_database, workers=2, threads=4) as base:
        yield base


@pytest.fixture(scope="session")
def live_db(live_database: str) -> Iterator[Any]:
    """A plain connection to the live server's database, to read what it stored."""
    import sqlalchemy as sa

    engine = sa.create_engine(live_database)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    # The app's Content Security Policy stays on: a blocked script is a console error.
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"errors in the browser console: {errors}"


@pytest.fixture
def no_js_page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def axe_violations(page: Any) -> list[str]:
    """WCAG 2.2 A and AA problems axe-core finds on the page as it is now (once it has
    loaded: a click that navigates returns when the new page starts to arrive)."""
    page.wait_for_load_state()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's CSP does not apply.
        page.evaluate(AXE_PATH.read_text() + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


@pytest.fixture
def new_browser(browser: Any, live_server: str) -> Iterator[Any]:
    """Call it for another person's browser (a fresh context, its console checked): the
    family's, a young person's, a partner's, beside the staff member's `page`."""
    from tests.browser.test_case_changes_browser import Browsers

    browsers = Browsers(browser, live_server)
    try:
        yield browsers
    finally:
        for context in browsers.contexts:
            context.close()
    assert browsers.unexpected_errors() == [], (
        f"errors in the browser console: {browsers.unexpected_errors()}")
