"""通报 end to end: the office drafts and submits it; the leader, told in the notification centre,
reads and signs it; the office circulates it; the leader downloads the PDF."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from anjian.celery import app as celery_app
from inspections.models import Hazard
from tests import factories
from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def eager_celery():
    """The live server builds inline even when REDIS_URL (CI) turned eager mode off."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def month_of_records(inspector_a, unit_of_a):
    """Hazards found last month: one closed, one overdue, one major still open."""
    today = timezone.localdate()
    found = today.replace(day=1) - datetime.timedelta(days=20)
    insp = factories.inspection(unit_of_a, inspector_a, date=found)
    factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=insp,
        status=Hazard.Status.CLOSED,
        closed_at=timezone.now(),
    )
    factories.hazard(
        unit_of_a, inspector_a, inspection=insp, deadline=found + datetime.timedelta(days=1)
    )
    factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=insp,
        level=Hazard.Level.MAJOR,
        deadline=today + datetime.timedelta(days=30),
    )
    return found


def test_office_drafts_submits_leader_signs_office_circulates_leader_downloads(
    page: Page, browser: Browser, live_url, office, leader, month_of_records, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    login(page, live_url, office.username)
    page.get_by_role("link", name="通报", exact=True).click()
    expect(page.get_by_role("heading", name="通报")).to_be_visible()
    page.get_by_role("link", name="新建通报").click()
    # The form proposes last month; the build runs inline (no broker in tests).
    page.get_by_role("button", name="生成通报").click()
    expect(page.get_by_test_id("bulletin-status")).to_have_text("草稿", timeout=60_000)

    preview = page.get_by_test_id("bulletin-preview")
    expect(preview).to_contain_text("铁西区安全生产委员会办公室")
    expect(preview.get_by_test_id("docno")).to_contain_text("铁安委办〔")
    expect(preview.get_by_test_id("summary")).to_contain_text("发现隐患3项")
    # A figure opens the ledger with the same count.
    found = preview.get_by_test_id("summary").locator("a.fig").first
    expect(found).to_have_text("3")
    shot(page, "bulletin-preview-office")
    with page.expect_navigation():
        found.click()
    expect(page.get_by_text("共 3 条")).to_be_visible()
    page.go_back()

    page.get_by_label("二、存在问题").fill("一是个别单位整改不及时。")
    page.get_by_label("四、下步工作要求").fill("一是本期专门要求。")
    page.get_by_label("联系人").fill("联系人：王某某，电话：024-25800000")
    page.get_by_role("button", name="保存文字").click()
    preview = page.get_by_test_id("bulletin-preview")
    expect(preview).to_contain_text("一是个别单位整改不及时。")
    expect(preview).to_contain_text("一是本期专门要求。")
    expect(preview.get_by_test_id("contact")).to_have_text("（联系人：王某某，电话：024-25800000）")
    # Nothing to circulate before a leader has signed.
    expect(page.get_by_test_id("circulate")).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("bulletin-status")).to_have_text("待签发")
    expect(page.get_by_test_id("text-form")).to_have_count(0)
    bulletin_url = page.url

    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    leader_page = context.new_page()
    try:
        login(leader_page, live_url, leader.username)
        # The leader is told in the notification centre and follows the link to the bulletin.
        leader_page.goto(f"{live_url}/notifications/")
        with leader_page.expect_navigation():
            leader_page.get_by_role("link", name=re.compile("通报待签发")).first.click()
        assert leader_page.url == bulletin_url
        expect(leader_page.get_by_test_id("sign-panel")).to_be_visible()
        expect(leader_page.get_by_test_id("bulletin-preview")).to_contain_text(
            "一是个别单位整改不及时。"
        )
        shot(leader_page, "bulletin-sign-leader")
        leader_page.once("dialog", lambda dialog: dialog.accept())
        leader_page.get_by_test_id("approve").click()
        expect(leader_page.get_by_test_id("bulletin-status")).to_have_text("已签发")
        expect(leader_page.get_by_test_id("bulletin-signed")).to_contain_text(str(leader))

        page.reload()
        expect(page.get_by_test_id("bulletin-signed")).to_contain_text(str(leader))
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("circulate").click()
        year = timezone.localdate().year
        number = f"铁安委办〔{year}〕1号"
        expect(page.get_by_test_id("bulletin-number")).to_have_text(number, timeout=60_000)
        expect(page.get_by_test_id("bulletin-status")).to_have_text("已印发")
        expect(page.get_by_test_id("bulletin-history")).to_contain_text("签发")

        leader_page.goto(f"{live_url}/")
        card = leader_page.get_by_test_id("bulletin-card")
        expect(card).to_contain_text(number)
        shot(leader_page, "bulletin-leader-home")
        with leader_page.expect_download() as info:
            card.get_by_role("link", name="PDF").click()
        download = info.value
        assert download.suggested_filename.startswith(number)
        assert download.suggested_filename.endswith(".pdf")
        path = Path(download.path())
        assert path.read_bytes()[:4] == b"%PDF"
    finally:
        context.close()


def test_office_keeps_default_requirements_and_contact(
    page: Page, phone_page: Page, live_url, office
):
    login(page, live_url, office.username)
    page.goto(f"{live_url}/bulletins/")
    page.get_by_role("link", name="通报默认内容").click()
    field = page.get_by_label("下步工作要求（默认）")
    expect(field).to_contain_text("五落实")
    field.fill("")
    page.get_by_role("button", name="保存").click()
    # Refused next to the field, nothing saved.
    expect(page.locator("#id_requirements + .invalid-feedback, .invalid-feedback")).to_contain_text(
        "请填写下步工作要求"
    )
    page.get_by_label("下步工作要求（默认）").fill("一是抓好冬季防火。\n二是严查违规动火。")
    page.get_by_label("联系人（默认）").fill("联系人：王某某，电话：024-25800000")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("默认内容已保存")).to_be_visible()
    expect(page.get_by_label("下步工作要求（默认）")).to_have_value(
        "一是抓好冬季防火。\n二是严查违规动火。"
    )
    shot(page, "bulletin-defaults-desktop")
    login(phone_page, live_url, office.username)
    phone_page.goto(f"{live_url}/bulletins/defaults/")
    expect(phone_page.get_by_label("联系人（默认）")).to_have_value(
        "联系人：王某某，电话：024-25800000"
    )
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone_page, "bulletin-defaults-phone")


def test_quarterly_report_from_the_todo_to_the_leaders_download(
    page: Page,
    browser: Browser,
    live_url,
    office,
    leader,
    inspector_a,
    unit_of_a,
    settings,
    tmp_path,
):
    """季报: drafted by the beat's job, waiting in the office's 我的待办 with its due date;
    submitted, signed, circulated with a number; the leader downloads its PDF and xlsx."""
    from inspections import bulletins, quarterly

    settings.MEDIA_ROOT = tmp_path / "media"
    year, number_of_quarter = quarterly.previous_quarter(timezone.localdate())
    start, end = quarterly.quarter_bounds(year, number_of_quarter)
    insp = factories.inspection(unit_of_a, inspector_a, date=start + datetime.timedelta(days=5))
    factories.hazard(unit_of_a, inspector_a, inspection=insp)
    factories.hazard(
        unit_of_a, inspector_a, inspection=insp, level=Hazard.Level.MAJOR, major_basis="GB 50016"
    )
    report = bulletins.auto_draft_previous_quarter()
    bulletins.build(report.pk)

    login(page, live_url, office.username)
    todo = page.locator('[data-work="quarterly_due"]')
    due = quarterly.due_on(end)
    expect(todo).to_contain_text(f"季报待报送（{due.month}月{due.day}日前）")
    todo.click()
    expect(page.get_by_test_id("due-on")).to_contain_text(f"报送期限 {due:%Y-%m-%d}")
    preview = page.get_by_test_id("bulletin-preview")
    expect(preview).to_contain_text(f"{quarterly.quarter_label(start)}隐患排查治理")
    expect(preview.get_by_test_id("quarterly-summary")).to_contain_text("排查出一般隐患1项")
    page.get_by_label("二、分析").fill("一是重大隐患整改有待加快。")
    page.get_by_role("button", name="保存文字").click()
    expect(page.get_by_test_id("bulletin-preview")).to_contain_text("一是重大隐患整改有待加快。")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("bulletin-status")).to_have_text("待签发")

    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    leader_page = context.new_page()
    try:
        login(leader_page, live_url, leader.username)
        leader_page.goto(page.url)
        leader_page.once("dialog", lambda dialog: dialog.accept())
        leader_page.get_by_test_id("approve").click()
        expect(leader_page.get_by_test_id("bulletin-status")).to_have_text("已签发")

        page.reload()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("circulate").click()
        number = f"铁安委办〔{timezone.localdate().year}〕1号"
        expect(page.get_by_test_id("bulletin-number")).to_have_text(number, timeout=60_000)
        page.goto(f"{live_url}/")
        expect(page.get_by_test_id("my-work")).to_be_visible()
        expect(page.locator('[data-work="quarterly_due"]')).to_have_count(0)

        leader_page.reload()
        shot(leader_page, "quarterly-leader")
        for testid, suffix, magic in (
            ("download-pdf", ".pdf", b"%PDF"),
            ("download-xlsx", ".xlsx", b"PK"),
        ):
            with leader_page.expect_download() as info:
                leader_page.get_by_test_id(testid).click()
            assert info.value.suggested_filename.startswith(number)
            assert info.value.suggested_filename.endswith(suffix)
            assert Path(info.value.path()).read_bytes()[:2] == magic[:2]
    finally:
        context.close()
