"""Screens changed by the bulletin rules and 五落实 work, on a 390×844 phone and a desktop:
the 重大隐患判定依据 field of the inspection form, the 五落实 of a major hazard, /vetoes/."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from inspections.models import Accident, Bulletin, Hazard, VetoEntry
from tests import factories
from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser


def test_major_hazard_asks_for_its_basis_next_to_the_field(
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
    row = phone.get_by_test_id("hazard-row")
    basis = row.locator("[data-field='major_basis']")
    expect(basis).to_be_hidden()  # a general hazard is not asked
    row.locator("[name$='-description']").fill("人员密集场所疏散楼梯被封堵")
    row.locator("[name$='-hazard_type']").select_option("fire")
    row.locator("[name$='-level']").select_option("major")
    expect(basis).to_be_visible()
    row.locator("[name$='-deadline_working_days']").fill("5")
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交", exact=True).tap()

    row = phone.get_by_test_id("hazard-row")
    error = row.locator("[data-field='major_basis'] [role=alert]")
    expect(error).to_have_text("重大隐患须写明判定依据（标准条款或判定理由）")
    expect(error).to_be_in_viewport()
    shot(phone, "rules-major-basis-refused-phone")

    row.locator("[name$='-major_basis']").fill("GB 35181-2017 直接判定：安全出口数量不足")
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交", exact=True).tap()
    expect(phone.get_by_test_id("inspection-status")).to_have_text("已提交")
    hazard = Hazard.objects.get()
    assert hazard.status == Hazard.Status.REGISTERED
    assert hazard.major_basis == "GB 35181-2017 直接判定：安全出口数量不足"


def test_major_hazard_page_shows_the_five_implementations_with_the_plan(
    page: Page, phone_page: Page, live_url, inspector_a, unit_of_a
):
    hazard = factories.hazard(
        unit_of_a,
        inspector_a,
        level=Hazard.Level.MAJOR,
        major_basis="GB 35181-2017：生产、储存场所内设置员工宿舍",
        plan_responsible="张总",
        plan_measures="拆除夹层宿舍，设置防火分隔",
        plan_funds="12.50",
        plan_deadline=timezone.localdate() + datetime.timedelta(days=30),
        plan_emergency="治理期间夹层停止住宿，设专人夜间巡查",
    )
    for view, name in ((page, "desktop"), (phone_page, "phone")):
        login(view, live_url, inspector_a.username)
        view.goto(f"{live_url}/hazards/{hazard.pk}/")
        plan = view.get_by_test_id("governance-plan")
        expect(plan).to_contain_text("预案")
        expect(plan).to_contain_text("治理期间夹层停止住宿")
        expect(plan).not_to_contain_text("验收")
        expect(view.get_by_test_id("major-basis")).to_contain_text("员工宿舍")
        shot(view, f"rules-five-implementations-{name}")


def _ledger(office) -> None:
    bulletin = Bulletin.objects.create(
        title="区安全生产委员会办公室关于2026年6月安全生产隐患排查治理情况的通报",
        period_start=datetime.date(2026, 6, 1),
        period_end=datetime.date(2026, 6, 30),
        status=Bulletin.Status.CIRCULATED,
        number="安委办通报〔2026〕7号",
        year=2026,
        seq=7,
        created_by=office,
        circulated_at=timezone.now(),
    )
    safety = factories.department("应急管理局")
    accident = Accident.objects.create(
        area=factories.area(),
        occurred_on=datetime.date(2026, 6, 8),
        kind=Accident.Kind.POISONING,
        deaths=1,
        description="有限空间作业中毒",
        created_by=office,
    )
    VetoEntry.objects.create(
        department=safety,
        year=2026,
        kind=VetoEntry.Kind.FATAL_ACCIDENT,
        accident=accident,
        occurred_on=accident.occurred_on,
        reason="2026年6月8日某化工有限公司发生中毒窒息事故，死亡1人",
        bulletin=bulletin,
        recorded_by=office,
    )
    VetoEntry.objects.create(
        department=factories.department("消防"),
        year=2026,
        kind=VetoEntry.Kind.MAJOR_OVERDUE,
        occurred_on=bulletin.period_end,
        reason="2项重大隐患逾期超过30日未整改",
        bulletin=bulletin,
        recorded_by=office,
    )


def test_veto_ledger_reads_on_a_phone_and_a_desktop(
    page: Page, phone_page: Page, live_url, office, leader
):
    _ledger(office)
    for view, user, name in ((page, office, "desktop"), (phone_page, leader, "phone")):
        login(view, live_url, user.username)
        view.get_by_test_id("nav-vetoes").first.evaluate("a => a.click()")
        view.wait_for_load_state("load")
        expect(view.get_by_role("heading", name="一票否决台账")).to_be_visible()
        expect(view.get_by_test_id("veto-summary")).to_contain_text("2026年 · 区应急管理局 · 1项")
        rows = view.get_by_test_id("veto-table").locator("tbody tr")
        expect(rows).to_have_count(2)
        # Newest first: the overdue-major veto of 30 June above the accident of 8 June.
        expect(rows.first).to_contain_text("重大隐患逾期超过30日")
        expect(rows.nth(1)).to_contain_text("中毒窒息事故")
        if name == "phone":
            assert view.evaluate("document.documentElement.scrollWidth") <= 390
        shot(view, f"rules-veto-ledger-{name}")
