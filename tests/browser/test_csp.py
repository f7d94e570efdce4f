"""The Content-Security-Policy holds in a real browser: the main pages raise no violation.

Chromium reports every refused script, style or image both as a console error and as a
`securitypolicyviolation` event; the test listens to both on each page of every role's main
screens, and checks the two behaviours moved out of inline handlers (confirm, print) still work.
"""

import pytest
from playwright.sync_api import Page, expect

from tests import world as world_module
from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser

# Collects violations into window.__csp before any page script runs.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def world(live_url, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return world_module.build()


def _pages(world) -> list[str]:
    return [
        "/",
        "/hazards/",
        f"/hazards/{world['hazard'].pk}/",
        "/inspections/",
        "/inspections/new/",
        f"/inspections/{world['inspection'].pk}/",
        f"/inspections/{world['inspection'].pk}/print/",
        "/units/",
        f"/units/{world['unit'].pk}/",
        f"/units/{world['unit'].pk}/edit/",
        "/enforcement/",
        "/accidents/",
        f"/campaigns/{world['campaign'].pk}/",
        "/bulletins/",
        f"/bulletins/{world['bulletin'].pk}/",
        "/notifications/",
        "/accounts/password/",
        "/accounts/lockouts/",
        "/audit/",
        "/audit/access/",
        "/audit/imports/",
        "/admin/",
        "/admin/units/user/",
        f"/admin/units/user/{world['insp_a'].pk}/change/",
        "/api/docs/",
        "/no-such-page/",
    ]


def _visit(page: Page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp")


def test_main_pages_raise_no_csp_violation(page: Page, live_url, world):
    page.add_init_script(LISTEN)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            or "Permissions-Policy" in message.text
            or message.type == "error"
            else None
        ),
    )
    login(page, live_url, world["admin"].username)
    violations = {}
    for path in _pages(world):
        found = _visit(page, live_url + path)
        if found:
            violations[path] = found
    # A 404 page logs its own status as a console error; nothing else may.
    errors = [text for text in console if "404 (Not Found)" not in text]
    assert not violations, violations
    assert not errors, errors
    shot(page, "csp-404-page")


def test_csp_blocks_an_injected_inline_script(page: Page, live_url, world):
    # The policy is really enforced: a script the page inserts inline is refused.
    page.add_init_script(LISTEN)
    login(page, live_url, world["office"].username)
    page.goto(live_url + "/")
    page.evaluate(
        "var s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        "document.body.appendChild(s);"
    )
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in page.evaluate("window.__csp"))


def test_confirm_before_voiding_and_print_button_work_without_inline_handlers(
    page: Page, live_url, world
):
    login(page, live_url, world["office"].username)
    page.goto(f"{live_url}/campaigns/{world['campaign'].pk}/")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_text("作废该专项检查").click()
    page.fill("#id_reason", "重复创建")
    page.get_by_role("button", name="作废", exact=True).click()
    assert asked == ["确定作废该专项检查？"]
    expect(page).to_have_url(f"{live_url}/campaigns/{world['campaign'].pk}/")

    page.goto(f"{live_url}/inspections/{world['inspection'].pk}/print/")
    page.evaluate(
        "() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }"
    )
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") == 1
