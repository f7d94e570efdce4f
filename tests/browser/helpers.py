"""Helpers shared by browser tests: log in through the real form, save screenshots."""

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pw-for-tests-1"  # what tests/factories.py gives every user


def login(page: Page, live_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in through /accounts/login/ and wait until the home page has loaded."""
    page.goto(f"{live_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    if urlsplit(page.url).path != "/":
        alert = page.locator(".alert").all_inner_texts()
        raise AssertionError(f"login as {username!r} did not reach the home page: {alert}")
    page.wait_for_load_state("load")


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe_name = re.sub(r"[^\w.-]+", "_", name)
    path = ARTIFACTS / f"{safe_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Functions, not expressions: a bare expression is eval()ed in the page, which its CSP forbids
# (the first check runs outside the page's CSP, so an expression passes only when it is true
# at once — a test that fails only when the worker is slow to take over).
SW_READY = "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"


def wait_for_worker(page: Page) -> None:
    """Until the service worker controls the page. A page whose navigation began while the
    worker was still installing (the login form sent quickly) stays uncontrolled even after
    the worker claims its clients: the next load is controlled, as the inspector's next visit."""
    page.wait_for_function(
        "async () => !!(await navigator.serviceWorker.ready).active", polling=200, timeout=30_000
    )
    if not page.evaluate(SW_READY):
        page.reload()
    page.wait_for_function(SW_READY, polling=200, timeout=15_000)
