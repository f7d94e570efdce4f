"""The closed loop in a real browser: an inspector logs an inspection with two hazards and a photo
on a phone; the office assigns one; the inspector rectifies and reports it done with an
after-photo; a second inspector of the department verifies it; the hazard is 已销号 and its
timeline shows every step."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from inspections.models import Hazard, HazardEvent, Inspection
from tests import factories
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser


def jpeg_file(name: str, color: str) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buffer, format="JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def phone_context_page(browser: Browser) -> Page:
    """A second phone, for the colleague who verifies (own cookies, own session)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context.new_page()


def act(page: Page, action: str, button: str) -> None:
    """Submit the action form posting to /hazards/<pk>/act/<action>/ and wait for the result."""
    form = page.locator(f"form[data-action='{action}']")
    with page.expect_navigation():
        form.get_by_role("button", name=button, exact=True).click()


def fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"


def test_inspection_lifecycle_on_a_phone(
    phone_page: Page,
    page: Page,
    browser: Browser,
    live_url: str,
    inspector_a,
    inspector_a2,
    office,
    unit_of_a,
):
    # --- 1. the inspector logs the inspection at the site, on a phone --------------------
    factories.next_years_holidays_entered()  # its 5 working days may run into next year
    phone = phone_page
    login(phone, live_url, inspector_a.username)
    phone.get_by_test_id("log-inspection").click()
    phone.wait_for_url(f"{live_url}/inspections/new/")

    phone.locator("#unit-search").fill(unit_of_a.name[:4])
    results = phone.get_by_test_id("unit-results")
    results.get_by_role("option", name=re.compile(re.escape(unit_of_a.name))).click()
    expect(phone.get_by_test_id("unit-chosen")).to_contain_text(unit_of_a.name)
    expect(phone.locator("#id_date")).to_have_value(timezone.localdate().isoformat())
    phone.get_by_label(inspector_a2.name).check()
    phone.locator("#id_checked_items").fill("消防通道、灭火器、配电箱")

    phone.get_by_test_id("add-hazard").click()
    phone.locator("[name='hazards-0-description']").fill("二楼安全出口被货物堵塞")
    phone.locator("[name='hazards-0-level']").select_option("general")
    phone.locator("[name='hazards-0-hazard_type']").select_option("fire")
    phone.locator("[name='hazards-0-location']").fill("二楼东侧楼梯间")
    phone.locator("[name='hazards-0-deadline_working_days']").fill("5")
    phone.locator("[name='hazards-0-photos']").set_input_files(jpeg_file("before.jpg", "red"))

    phone.get_by_test_id("add-hazard").click()
    expect(phone.get_by_test_id("hazard-row")).to_have_count(2)
    phone.locator("[name='hazards-1-description']").fill("配电箱箱门缺失，线路裸露")
    phone.locator("[name='hazards-1-level']").select_option("general")
    phone.locator("[name='hazards-1-hazard_type']").select_option("electrical")
    deadline = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    phone.locator("[name='hazards-1-deadline']").fill(deadline)
    # The lead department defaults to the unit's; the select says which one.
    expect(phone.locator("[name='hazards-1-lead_department'] option[value='']")).to_have_text(
        f"默认：{unit_of_a.lead_department.name}"
    )
    fits_phone(phone)
    shot(phone, "lifecycle-01-inspection-form-phone")

    with phone.expect_navigation():
        phone.get_by_role("button", name="提交", exact=True).click()
    expect(phone.get_by_role("alert").first).to_contain_text("检查记录已提交")
    expect(phone.get_by_test_id("inspection-status")).to_have_text("已提交")
    expect(phone.get_by_test_id("inspection-hazards").locator(".card")).to_have_count(2)
    fits_phone(phone)
    shot(phone, "lifecycle-02-inspection-submitted-phone")

    inspection = Inspection.objects.get()
    assert set(inspection.inspectors.all()) == {inspector_a, inspector_a2}
    hazard = inspection.hazards.get(description="二楼安全出口被货物堵塞")
    assert hazard.status == Hazard.Status.REGISTERED and hazard.number
    assert hazard.deadline_working_days == 5 and hazard.deadline > inspection.date
    assert hazard.photos.filter(kind="before").count() == 1
    hazard_url = f"{live_url}/hazards/{hazard.pk}/"

    # The before-photo is served to the inspector through the scoped photo view.
    phone.goto(hazard_url)
    photo = phone.get_by_test_id("photos").locator("img").first
    expect(photo).to_be_visible()
    assert phone.evaluate("img => img.naturalWidth", photo.element_handle()) > 0

    # --- 2. the office assigns it (deadline, responsible person) ---------------------------
    login(page, live_url, office.username)
    page.goto(hazard_url)
    assign = page.locator("form[data-action='assign']")
    assign.locator("[name='responsible_person']").fill("李经理")
    assign.locator("[name='responsible_phone']").fill("13900139000")
    assign.locator("[name='deadline']").fill(deadline)
    assign.locator("[name='note']").fill("请于期限内清理安全出口")
    act(page, "assign", "交办")
    expect(page.get_by_test_id("hazard-status")).to_have_text("已交办")
    shot(page, "lifecycle-03-assigned-office")

    # --- 3. the inspector starts and reports it done with an after-photo -------------------
    phone.goto(hazard_url)
    phone.locator("form[data-action='start'] [name='plan']").fill("当天清理货物，设专人巡查")
    act(phone, "start", "开始整改")
    expect(phone.get_by_test_id("hazard-status")).to_have_text("整改中")
    shot(phone, "lifecycle-04-rectifying-phone")

    report = phone.locator("form[data-action='report_done']")
    report.locator("[name='note']").fill("货物已清走，安全出口畅通")
    report.locator("[name='photos']").set_input_files(jpeg_file("after.jpg", "green"))
    act(phone, "report_done", "报告整改完成")
    expect(phone.get_by_test_id("hazard-status")).to_have_text("待复查")
    # The reporter may not verify their own work.
    expect(phone.locator("form[data-action='verify']")).to_have_count(0)
    fits_phone(phone)
    shot(phone, "lifecycle-05-reported-done-phone")

    # --- 4. another inspector of the department verifies -----------------------------------
    colleague = phone_context_page(browser)
    try:
        login(colleague, live_url, inspector_a2.username)
        colleague.goto(hazard_url)
        verify = colleague.locator("form[data-action='verify']")
        verify.get_by_label("合格，销号").check()
        verify.locator("[name='note']").fill("现场复查，安全出口已畅通")
        act(colleague, "verify", "复查")
        expect(colleague.get_by_test_id("hazard-status")).to_have_text("已销号")

        timeline = colleague.get_by_test_id("timeline")
        for step in ("登记", "交办", "开始整改", "报告整改完成", "复查合格"):
            expect(timeline.get_by_text(step, exact=True)).to_have_count(1)
        expect(colleague.get_by_test_id("photos").locator("img")).to_have_count(2)
        fits_phone(colleague)
        shot(colleague, "lifecycle-06-closed-timeline-phone")
    finally:
        colleague.context.close()

    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.CLOSED
    assert list(hazard.events.values_list("action", "actor__username")) == [
        (HazardEvent.Action.REGISTER, inspector_a.username),
        (HazardEvent.Action.ASSIGN, office.username),
        (HazardEvent.Action.START, inspector_a.username),
        (HazardEvent.Action.REPORT_DONE, inspector_a.username),
        (HazardEvent.Action.VERIFY_OK, inspector_a2.username),
    ]
    other = inspection.hazards.exclude(pk=hazard.pk).get()
    assert other.status == Hazard.Status.REGISTERED
