"""Offline in a real browser: the service worker keeps the inspection form visited online, and
a page never visited shows the offline notice instead of the browser's error."""

from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.helpers import login, shot, wait_for_worker


def test_inspection_form_opens_without_a_network(live_url, phone_page: Page):
    page = phone_page
    fire = factories.department("消防")
    inspector = factories.user("pwa_insp", "inspector", fire, name="消防检查员甲")
    login(page, live_url, inspector.username)
    wait_for_worker(page)
    page.goto(f"{live_url}/inspections/new/")
    expect(page.locator("form")).not_to_have_count(0)
    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.locator("#id_date")).to_be_visible()
        shot(page, "pwa-offline-form-phone")
        page.goto(f"{live_url}/campaigns/")
        expect(page.get_by_test_id("offline")).to_contain_text("当前没有网络")
        shot(page, "pwa-offline-page-phone")
    finally:
        page.context.set_offline(False)
