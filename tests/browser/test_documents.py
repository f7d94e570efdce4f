"""现场文书 in a real browser: the public verification page (no login, no CSP violation) and the
documents section of the hazard and inspection pages, on a phone and a desktop."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from inspections import workflow
from inspections.documents import tokens
from inspections.models import Hazard, Inspection
from tests import factories
from tests.browser.helpers import login, shot

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def submitted(live_url, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fire = factories.department("消防")
    inspector = factories.user("doc_insp", "inspector", fire, name="消防检查员甲")
    unit = factories.unit(category=factories.category("furniture-market"), lead_department=fire)
    date = timezone.localdate() - datetime.timedelta(days=1)
    insp = Inspection.objects.create(unit=unit, department=fire, created_by=inspector, date=date)
    insp.inspectors.add(inspector)
    for text in ("二楼安全出口被货物堵塞", "配电箱前堆放纸箱杂物"):
        Hazard.objects.create(
            inspection=insp,
            unit=unit,
            found_on=date,
            description=text,
            hazard_type=Hazard.Type.FIRE,
            level=Hazard.Level.GENERAL,
            lead_department=fire,
            deadline=date + datetime.timedelta(days=7),
        )
    workflow.submit_inspection(inspection_id=insp.pk, actor=inspector)
    return insp, inspector


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_verification_page_opens_without_login(
    request, live_url, submitted, size, page: Page, phone_page: Page
):
    browser_page = phone_page if size == "phone" else page
    browser_page.add_init_script(LISTEN)
    insp, _ = submitted
    notice = insp.documents.get(kind="notice")
    browser_page.goto(f"{live_url}/v/{tokens.sign(notice.token_key)}/")
    expect(browser_page.get_by_test_id("verify-status")).to_contain_text("真实有效")
    expect(browser_page.get_by_test_id("verify-number")).to_have_text(notice.number)
    expect(browser_page.get_by_test_id("verify-hazards").locator("tbody tr")).to_have_count(2)
    notice.refresh_from_db()
    assert len(notice.sha256) == 64
    expect(browser_page.get_by_test_id("verify-sha256")).to_have_text(notice.sha256)
    assert browser_page.evaluate("window.__csp") == []
    shot(browser_page, f"document-verify-{size}")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_hazard_page_lists_and_opens_its_documents(
    live_url, submitted, size, page: Page, phone_page: Page
):
    browser_page = phone_page if size == "phone" else page
    insp, inspector = submitted
    login(browser_page, live_url, inspector.username)
    hazard = insp.hazards.order_by("pk").first()
    browser_page.goto(f"{live_url}/hazards/{hazard.pk}/")
    section = browser_page.get_by_test_id("documents")
    notice = insp.documents.get(kind="notice")
    expect(section).to_contain_text(notice.number)
    shot(browser_page, f"document-hazard-{size}")
    browser_page.goto(f"{live_url}/inspections/{insp.pk}/")
    expect(browser_page.get_by_test_id("record-pdf")).to_be_visible()
    expect(browser_page.get_by_test_id("documents")).to_contain_text("安全生产检查记录")
    shot(browser_page, f"document-inspection-{size}")
    browser_page.goto(f"{live_url}/units/{insp.unit_id}/")
    expect(browser_page.get_by_test_id("unit-documents")).to_contain_text(notice.number)
    browser_page.locator('[data-section="documents"]').scroll_into_view_if_needed()
    shot(browser_page, f"document-unit-{size}")
    browser_page.goto(f"{live_url}/inspections/{insp.pk}/")
    response = browser_page.request.get(
        f"{live_url}{browser_page.get_by_test_id('record-pdf').get_attribute('href')}"
    )
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
