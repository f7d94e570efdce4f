"""Fixtures for browser tests: Debian's Chromium driven by Playwright against a live server.

Every test in this folder is marked `browser`. The tests run whenever /usr/bin/chromium exists;
without it they are skipped on a developer machine and fail in CI (CI=true), so a CI image that
lost its browser cannot pass by skipping.
"""

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told this is deliberate. Set before Django handles any query.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Generous for a 2-core machine shared by parallel runs, short enough to fail a hung page fast.
DEFAULT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    # Lets the page fixtures see whether the test body failed, to keep a screenshot of it.
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def browser(django_db_setup, django_db_blocker) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true and {message}; browser tests must run in CI", pytrace=False)
        pytest.skip(message)
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        # From here on this thread runs in the fresh contextvars context of Playwright's greenlet,
        # where Django creates new connection objects. They must carry the migrated data that
        # serialized rollback restores, or every later transactional test starts empty.
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
        # Connections opened in this context would keep PostgreSQL from dropping the test database.
        with django_db_blocker.unblock():
            connections.close_all()


def _failure_shot(request: pytest.FixtureRequest, page: Page) -> None:
    if not request.node.stash.get(_FAILED, False):
        return
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
    # A page that died with the test must not hide the test's own failure.
    with contextlib.suppress(Exception):
        page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), full_page=True)


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """Desktop page, 1366×900, in a fresh context (no cookies shared between tests)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    _failure_shot(request, page)
    context.close()


@pytest.fixture
def phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """Phone page, 390×844 with touch, in a fresh context."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    _failure_shot(request, page)
    context.close()


@pytest.fixture
def live_url(live_server, django_db_serialized_rollback) -> str:
    """Base URL of the live server, without a trailing slash.

    The live server needs the transactional database, which is flushed after each test; the
    serialized rollback restores the reference data (departments, categories) that migrations
    load, so the factories find it in every browser test.
    """
    return live_server.url.rstrip("/")
