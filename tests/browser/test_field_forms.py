"""Field forms on a 390×844 phone: what an inspector taps at the site must be readable and work."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from inspections import reminders
from inspections.models import Bulletin, Campaign, Hazard, Notification
from tests import factories
from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser


def box(locator: Locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not rendered"
    return found


def test_verify_form_is_readable_and_answered_by_tapping_labels(
    phone_page: Page, live_url, inspector_a, inspector_a2, unit_of_a
):
    hazard = factories.hazard(
        unit_of_a,
        inspector_a,
        status=Hazard.Status.AWAITING_VERIFICATION,
        reported_done_by=inspector_a,
    )
    phone = phone_page
    login(phone, live_url, inspector_a2.username)
    phone.goto(f"{live_url}/hazards/{hazard.pk}/")
    verify = phone.locator("form[data-action='verify']")
    passed = verify.get_by_text("合格，销号", exact=True)
    failed = verify.get_by_text("不合格，重新整改", exact=True)
    note = verify.locator("[name='note']")

    # Each label is on one line, wide enough to tap, and stacked above the next field instead of
    # squeezed into a one-character column lying over it.
    for label in (passed, failed):
        assert box(label)["height"] < 40, "the label wraps onto several lines"
        assert box(label)["width"] > 100
    assert box(passed)["y"] + box(passed)["height"] <= box(failed)["y"]
    assert box(failed)["y"] + box(failed)["height"] <= box(note)["y"]

    failed.tap()
    expect(verify.get_by_role("radio", name="不合格，重新整改")).to_be_checked()
    passed.tap()
    expect(verify.get_by_role("radio", name="合格，销号")).to_be_checked()
    expect(verify.get_by_role("radio", name="不合格，重新整改")).not_to_be_checked()
    shot(phone, "field-verify-form-phone")

    note.fill("现场复查，隐患已消除")
    with phone.expect_navigation():
        verify.get_by_role("button", name="复查", exact=True).tap()
    expect(phone.get_by_test_id("hazard-status")).to_have_text("已销号")
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.CLOSED


def test_checkbox_list_labels_toggle_their_box_on_a_phone(phone_page: Page, live_url, office):
    phone = phone_page
    login(phone, live_url, office.username)
    phone.goto(f"{live_url}/campaigns/new/")
    fieldset = phone.locator("fieldset[data-field='categories']")
    expect(fieldset.locator("legend")).to_have_text("目标行业/场所")
    label = fieldset.get_by_text("家具市场", exact=True)
    assert box(label)["height"] < 40
    label.tap()
    expect(fieldset.get_by_role("checkbox", name="家具市场")).to_be_checked()

    phone.locator("[name='name']").fill("家具市场消防专项检查")
    phone.locator("[name='start_date']").fill("2026-01-05")
    phone.locator("[name='end_date']").fill("2026-01-30")
    with phone.expect_navigation():
        phone.get_by_role("button", name="保存").tap()
    campaign = Campaign.objects.get(name="家具市场消防专项检查")
    assert [c.name for c in campaign.categories.all()] == ["家具市场"]


def test_refused_report_done_shows_its_message_in_the_viewport(
    phone_page: Page, live_url, inspector_a, unit_of_a
):
    hazard = factories.hazard(unit_of_a, inspector_a, status=Hazard.Status.RECTIFYING)
    phone = phone_page
    login(phone, live_url, inspector_a.username)
    phone.goto(f"{live_url}/hazards/{hazard.pk}/")
    report = phone.locator("form[data-action='report_done']")
    report.locator("[name='note']").fill("货物已清走")
    with phone.expect_navigation():
        report.get_by_role("button", name="报告整改完成", exact=True).tap()

    banner = phone.get_by_test_id("action-error")
    expect(banner).to_contain_text("未能报告整改完成")
    expect(banner).to_contain_text("整改后照片：请上传整改后照片")
    # The form is below the facts card on a phone: the page brings its error to the reader.
    report = phone.locator("form[data-action='report_done']")
    message = report.locator("[data-field='photos'] [role=alert]")
    expect(message).to_have_text("请上传整改后照片")
    expect(message).to_be_in_viewport()
    expect(report.locator("[name='photos']")).to_be_focused()
    # The note typed before the refusal is still there.
    expect(report.locator("[name='note']")).to_have_value("货物已清走")
    shot(phone, "field-refused-report-done-phone")
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.RECTIFYING


def jpeg_file(name: str, color: str) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buffer, format="JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_inspection_form_keeps_photos_after_a_failed_submit(
    phone_page: Page, live_url, inspector_a, unit_of_a
):
    phone = phone_page
    login(phone, live_url, inspector_a.username)
    phone.goto(f"{live_url}/inspections/new/")
    phone.locator("#unit-search").fill(unit_of_a.name[:4])
    phone.get_by_test_id("unit-results").get_by_role(
        "option", name=re.compile(re.escape(unit_of_a.name))
    ).tap()
    phone.get_by_test_id("add-hazard").tap()
    phone.locator("[name='hazards-0-description']").fill("堵塞")
    phone.locator("[name='hazards-0-hazard_type']").select_option("fire")
    phone.locator("[name='hazards-0-deadline_working_days']").fill("5")
    phone.locator("[name='hazards-0-photos']").set_input_files(
        [jpeg_file("exit.jpg", "red"), jpeg_file("stairs.jpg", "blue")]
    )
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交", exact=True).tap()

    # Both missing pieces in one round, next to their fields, the first one on screen.
    expect(phone.get_by_role("alert").first).to_contain_text("已填写的内容和照片已保存为草稿")
    row = phone.get_by_test_id("hazard-row")
    description_error = row.locator("[data-field='description'] [role=alert]")
    expect(description_error).to_contain_text("隐患描述过于简单")
    expect(description_error).to_be_in_viewport()
    expect(row.locator("[data-field='level'] [role=alert]")).to_have_text("请选择隐患等级")
    # The photos chosen before the refusal are stored with the draft and shown.
    thumbs = row.get_by_test_id("saved-photos").locator("img")
    expect(thumbs).to_have_count(2)
    for index in range(2):
        thumbs.nth(index).scroll_into_view_if_needed()
        expect(thumbs.nth(index)).to_have_js_property("complete", True)
        assert thumbs.nth(index).evaluate("img => img.naturalWidth") > 0
    expect(row.locator("[name$='-deadline_working_days']")).to_have_value("5")
    shot(phone, "field-inspection-kept-photos-phone")

    row.locator("[name$='-description']").fill("二楼安全出口被货物堵塞")
    row.locator("[name$='-level']").select_option("general")
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交", exact=True).tap()
    expect(phone.get_by_test_id("inspection-status")).to_have_text("已提交")
    hazard = Hazard.objects.get()
    assert hazard.status == Hazard.Status.REGISTERED
    assert hazard.photos.filter(kind="before").count() == 2


def no_table_overflows(page: Page) -> None:
    """Every table fits its box: nothing hides behind a sideways scroll on a 390px phone."""
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.table-responsive')]
            .filter(box => box.scrollWidth > box.clientWidth + 1)
            .map(box => box.scrollWidth)"""
    )
    assert overflowing == [], f"tables wider than the phone: {overflowing}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def tap_over(page: Page, locator: Locator) -> None:
    """A finger on the middle of `locator`, whatever lies on top of it (the row's cover)."""
    locator.scroll_into_view_if_needed()
    found = box(locator)
    page.touchscreen.tap(found["x"] + found["width"] / 2, found["y"] + found["height"] / 2)


def test_bulletin_list_and_reminder_fit_a_phone_and_ledger_rows_are_tappable(
    phone_page: Page, live_url, office, inspector_a, unit_of_a
):
    today = timezone.localdate()
    overdue = factories.hazard(unit_of_a, inspector_a, deadline=today - datetime.timedelta(days=3))
    factories.hazard(unit_of_a, inspector_a, deadline=today + datetime.timedelta(days=1))
    reminders.run_daily(today)
    digest = Notification.objects.get(user=inspector_a, kind=Notification.Kind.DIGEST)
    bulletin = Bulletin.objects.create(
        title="区安全生产委员会办公室关于2026年11月安全生产隐患排查治理情况的通报",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        status=Bulletin.Status.READY,
        created_by=office,
    )
    phone = phone_page

    login(phone, live_url, inspector_a.username)
    phone.goto(f"{live_url}/notifications/{digest.pk}/")
    overdue_row = phone.get_by_test_id("section-overdue").locator("tbody tr").first
    expect(overdue_row).to_contain_text("逾期3天")
    expect(overdue_row).to_contain_text(overdue.get_status_display())
    no_table_overflows(phone)
    shot(phone, "field-reminder-detail-phone")
    # A tap anywhere on the row, here on the unit's name, opens the hazard.
    with phone.expect_navigation():
        tap_over(phone, overdue_row.get_by_text(unit_of_a.name))
    assert phone.url == f"{live_url}/hazards/{overdue.pk}/"

    phone.goto(f"{live_url}/hazards/")
    row = phone.locator(f"tr[data-hazard='{overdue.pk}']")
    with phone.expect_navigation():
        tap_over(phone, row.get_by_text(overdue.description[:10]))
    assert phone.url == f"{live_url}/hazards/{overdue.pk}/"
    phone.goto(f"{live_url}/hazards/")
    # The unit link in the row still leads to the unit.
    with phone.expect_navigation():
        phone.locator(f"tr[data-hazard='{overdue.pk}']").get_by_role(
            "link", name=unit_of_a.name
        ).tap()
    assert phone.url == f"{live_url}/units/{unit_of_a.pk}/"

    phone.context.clear_cookies()
    login(phone, live_url, office.username)
    phone.goto(f"{live_url}/bulletins/")
    row = phone.locator(f"tr[data-bulletin='{bulletin.pk}']")
    expect(row).to_contain_text("2026-11-01 至 2026-11-30")
    expect(row).to_contain_text(bulletin.get_status_display())
    no_table_overflows(phone)
    shot(phone, "field-bulletin-list-phone")
    with phone.expect_navigation():
        tap_over(phone, row.get_by_text(bulletin.get_status_display(), exact=True))
    assert phone.url == f"{live_url}/bulletins/{bulletin.pk}/"
