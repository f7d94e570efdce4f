"""The units' portal in a real browser: the office issues an activation code; the unit's safety
contact activates the account on a phone with it, reports the rectification with an after-photo
and a PDF; the department's inspector signs in and verifies. Every portal screen is kept as a
screenshot at 390 px and 1280 px (test-artifacts/portal-*)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from inspections.models import Hazard, HazardEvent
from tests import factories
from tests.browser.helpers import login, shot
from tests.browser.test_lifecycle import jpeg_file, phone_context_page

pytestmark = pytest.mark.browser

PASSWORD = "Jiaju-anquan-2026"
PDF = {
    "name": "整改报告.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
}


def fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a 390px phone"


def both_widths(page: Page, name: str) -> None:
    """The screen at the phone's width, then at a laptop's, then back."""
    fits_phone(page)
    shot(page, f"portal-{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, f"portal-{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})


def test_unit_activates_on_a_phone_reports_and_the_inspector_verifies(
    browser, page, phone_page, live_url
):
    fire = factories.department("消防")
    office = factories.user("office_p", "office", factories.department("安委办"), name="安委办")
    inspector = factories.user("insp_p", "inspector", fire, name="消防检查员")
    unit = factories.unit(name="兴华家具城", lead_department=fire)
    other = factories.unit(name="隔壁油漆店", lead_department=fire)
    hazard = factories.hazard(
        unit,
        inspector,
        description="二楼安全出口被家具堵塞",
        status=Hazard.Status.RECTIFYING,
        deadline=timezone.localdate() + datetime.timedelta(days=5),
    )
    factories.hazard(other, inspector, description="油漆仓库未设防爆灯具")

    # --- the office issues the code (desktop) --------------------------------------------------
    login(page, live_url, office.username)
    page.goto(f"{live_url}/unit-accounts/units/{unit.pk}/")
    with page.expect_navigation():
        page.get_by_test_id("issue-code").click()
    code = page.get_by_test_id("activation-code").inner_text().strip()
    assert len(code) == 14
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, "portal-office-code-1280")

    # --- the unit activates on its phone -------------------------------------------------------
    phone = phone_page
    phone.goto(f"{live_url}/portal/activate/")
    fits_phone(phone)
    shot(phone, "portal-activate-390")
    phone.fill("#id_code", code.lower())
    phone.fill("#id_username", "jiaju_boss")
    phone.fill("#id_name", "王安全")
    phone.fill("#id_phone", "13800138000")
    phone.fill("#id_password1", PASSWORD)
    phone.fill("#id_password2", PASSWORD)
    with phone.expect_navigation():
        phone.get_by_role("button", name="激活并登录").click()
    assert phone.url.endswith("/portal/")
    expect(phone.get_by_test_id("unit-name")).to_have_text("兴华家具城")
    expect(phone.get_by_test_id("hazards").locator("[data-hazard]")).to_have_count(1)
    expect(phone.get_by_text("隔壁油漆店")).to_have_count(0)
    both_widths(phone, "home")

    # --- it reports the rectification with an after-photo and a PDF ----------------------------
    with phone.expect_navigation():
        phone.locator(f"[data-hazard='{hazard.pk}']").click()
    both_widths(phone, "hazard")
    form = phone.get_by_test_id("report-form")
    form.locator("[name='note']").fill("家具已清走，安全出口畅通")
    form.locator("[name='photos']").set_input_files(jpeg_file("after.jpg", "green"))
    form.locator("[name='pdfs']").set_input_files(PDF)
    with phone.expect_navigation():
        form.get_by_role("button", name="提交，请监管部门复查").click()
    expect(phone.get_by_test_id("status")).to_have_text("待复查")
    expect(phone.get_by_test_id("after-photos").locator("img")).to_have_count(1)
    expect(phone.get_by_test_id("attachments")).to_contain_text("整改报告.pdf")
    expect(phone.get_by_test_id("report-form")).to_have_count(0)
    both_widths(phone, "reported")

    # The other portal screens, for the record.
    phone.goto(f"{live_url}/portal/self-report/")
    both_widths(phone, "self-report")
    phone.goto(f"{live_url}/portal/bulletins/")
    both_widths(phone, "bulletins")
    # A staff page is not there for a unit.
    response = phone.goto(f"{live_url}/hazards/{hazard.pk}/")
    assert response.status == 404

    # --- the department's inspector verifies ---------------------------------------------------
    verifier = phone_context_page(browser)
    try:
        login(verifier, live_url, inspector.username)
        verifier.goto(f"{live_url}/hazards/{hazard.pk}/")
        expect(verifier.get_by_test_id("attachments")).to_contain_text("整改报告.pdf")
        verify = verifier.locator("form[data-action='verify']")
        verify.get_by_label("合格，销号").check()
        verify.locator("[name='note']").fill("现场复查，安全出口已畅通")
        with verifier.expect_navigation():
            verify.get_by_role("button", name="复查", exact=True).click()
        expect(verifier.get_by_test_id("hazard-status")).to_have_text("已销号")
    finally:
        verifier.context.close()

    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.CLOSED
    actions = list(hazard.events.values_list("action", "actor__username"))
    assert (HazardEvent.Action.REPORT_DONE, "jiaju_boss") in actions
    assert actions[-1] == (HazardEvent.Action.VERIFY_OK, inspector.username)

    # The office's 主体责任 page: the unit has signed in, the other never did.
    page.goto(f"{live_url}/unit-accounts/?signal=never_logged_in")
    expect(page.locator(f"[data-unit='{other.pk}']")).to_have_count(1)
    expect(page.locator(f"[data-unit='{unit.pk}']")).to_have_count(0)
    shot(page, "portal-office-responsibility-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "portal-office-responsibility-390")
