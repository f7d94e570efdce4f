"""First browser flow: every role logs in and reads the unit list on a desktop and on a phone."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser

ROLES = ["inspector_a", "office", "supervisor", "leader", "admin_user"]


def _open_unit_list(page: Page, live_url: str) -> None:
    """Through the navigation bar, as a user would (on a phone its menu must be open)."""
    page.locator("#mainnav").get_by_role("link", name="单位", exact=True).click()
    page.wait_for_url(f"{live_url}/units/")
    expect(page.get_by_role("heading", name="生产经营单位")).to_be_visible()


def _assert_rows(page: Page, visible: list, hidden: list) -> None:
    rows = page.get_by_test_id("unit-table").locator("tbody tr")
    expect(rows).to_have_count(len(visible))
    for unit in visible:
        expect(rows.filter(has_text=unit.name)).to_have_count(1)
    for unit in hidden:
        expect(page.get_by_text(unit.name)).to_have_count(0)


def _scope(role: str, unit_of_a, unit_of_b) -> tuple[list, list]:
    # Only an inspector is limited to their department's units; every other role sees all.
    if role == "inspector_a":
        return [unit_of_a], [unit_of_b]
    return [unit_of_a, unit_of_b], []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_unit_list_on_desktop(
    role, request, page: Page, live_url, unit_of_a, unit_of_b
):
    user = request.getfixturevalue(role)
    login(page, live_url, user.username)
    expect(page.get_by_role("heading", name=f"您好，{user.name}")).to_be_visible()

    _open_unit_list(page, live_url)
    visible, hidden = _scope(role, unit_of_a, unit_of_b)
    _assert_rows(page, visible, hidden)

    # On a desktop the navigation is expanded: name and role are readable without a click.
    expect(page.locator(".navbar-toggler")).to_be_hidden()
    current = page.get_by_test_id("current-user")
    expect(current).to_be_visible()
    expect(current).to_contain_text(user.name)
    expect(current).to_contain_text(user.get_role_display())
    admin_link = page.get_by_role("link", name="管理后台")
    expect(admin_link).to_have_count(1 if role == "admin_user" else 0)
    shot(page, f"foundation-desktop-units-{user.role}")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_unit_list_on_phone(
    role, request, phone_page: Page, live_url, unit_of_a, unit_of_b
):
    page = phone_page
    user = request.getfixturevalue(role)
    login(page, live_url, user.username)

    # On a phone the menu is collapsed behind the toggler; opening it shows who is logged in.
    toggler = page.locator(".navbar-toggler")
    current = page.get_by_test_id("current-user")
    expect(toggler).to_be_visible()
    expect(current).to_be_hidden()
    toggler.click()
    expect(current).to_be_visible()
    expect(current).to_contain_text(user.name)

    _open_unit_list(page, live_url)
    visible, hidden = _scope(role, unit_of_a, unit_of_b)
    _assert_rows(page, visible, hidden)
    expect(current).to_be_hidden()  # a new page starts with the menu collapsed again

    # The table fits the phone: no sideways scrolling of the whole page.
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390, f"unit list is {page_width}px wide on a 390px phone"
    shot(page, f"foundation-phone-units-{user.role}")


def test_wrong_password_shows_chinese_error_and_stays_logged_out(page: Page, live_url, office):
    page.goto(f"{live_url}/accounts/login/")
    page.fill("#id_username", office.username)
    page.fill("#id_password", "not-the-password")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确，请重新输入。")
    expect(page.locator("#id_username")).to_have_value(office.username)
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    shot(page, "foundation-login-wrong-password")

    # Still logged out: a protected page sends the browser back to the login form.
    page.goto(f"{live_url}/units/")
    assert page.url.startswith(f"{live_url}/accounts/login/")
