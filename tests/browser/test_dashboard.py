"""The dashboard in a real browser, desktop and phone: the SVG charts are drawn with bars that
carry the data, and clicking a bar opens the ledger with the same count."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from inspections.models import Hazard
from tests import factories
from tests.browser.helpers import login, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def last_month_records(inspector_a, inspector_b, unit_of_a, unit_of_b):
    """Last month: five hazards of 消防 (two overdue, one closed), two of 应急 (one overdue)."""
    end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)

    def found(unit, by, **fields):
        insp = factories.inspection(unit, by, date=start)
        fields.setdefault("deadline", start + datetime.timedelta(days=3))
        return factories.hazard(unit, by, inspection=insp, **fields)

    for _ in range(2):
        found(unit_of_a, inspector_a)
    found(unit_of_a, inspector_a, status=Hazard.Status.CLOSED, closed_at=timezone.now())
    for _ in range(2):
        found(
            unit_of_a,
            inspector_a,
            level=Hazard.Level.MAJOR,
            deadline=timezone.localdate() + datetime.timedelta(days=20),
        )
    found(unit_of_b, inspector_b)
    found(unit_of_b, inspector_b, deadline=timezone.localdate() + datetime.timedelta(days=20))
    return f"period=month&year={start.year}&month={start.month}"


def drawn_bars(page: Page, chart: str) -> list[dict]:
    """The chart's bars as drawn: their value and their rendered height in CSS pixels."""
    return page.eval_on_selector_all(
        f'[data-testid="chart-{chart}"] svg rect',
        """rects => rects.map(r => ({value: Number(r.dataset.value),
                                     width: r.getBoundingClientRect().width,
                                     height: r.getBoundingClientRect().height}))""",
    )


def ledger_count(page: Page) -> int:
    page.wait_for_load_state("load")
    assert "/hazards/" in page.url
    rows = page.locator('[data-testid="hazard-table"] tbody tr')
    return rows.count()


def _check_and_click(page: Page, live_url: str, query: str, name: str) -> None:
    page.goto(f"{live_url}/dashboard/?{query}")
    expect(page.get_by_role("heading", name="数据看板")).to_be_visible()
    monthly = drawn_bars(page, "found-closed")
    assert len(monthly) == 24  # 12 months × found / closed
    with_data = [bar for bar in monthly if bar["value"]]
    assert with_data and all(bar["height"] > 1 and bar["width"] > 1 for bar in with_data)
    overdue = drawn_bars(page, "overdue-departments")
    assert [bar["value"] for bar in overdue] == [2, 1]  # ranked: 消防 before 应急
    assert overdue[0]["width"] > overdue[1]["width"] > 1
    types = drawn_bars(page, "types")
    assert sum(bar["value"] for bar in types) == 7
    shot(page, f"dashboard-{name}")

    # Last month's "found" bar (second from the right) opens the ledger of those hazards.
    found_bar = page.locator('[data-testid="chart-found-closed"] svg a').nth(22)
    value = int(found_bar.locator("rect").get_attribute("data-value"))
    assert value == 7
    found_bar.click()
    assert ledger_count(page) == value
    expect(page.get_by_text(re.compile(f"共 {value} 条"))).to_be_visible()

    page.goto(f"{live_url}/dashboard/?{query}")
    worst = page.locator('[data-testid="chart-overdue-departments"] svg a').first
    worst.click()
    assert ledger_count(page) == 2
    assert "status=overdue" in page.url


def test_dashboard_charts_on_desktop_and_clicking_a_bar(page, live_url, office, last_month_records):
    login(page, live_url, office.username)
    _check_and_click(page, live_url, last_month_records, "desktop")


def test_dashboard_charts_on_a_phone(phone_page, live_url, leader, last_month_records):
    login(phone_page, live_url, leader.username)
    # The leader's home leads to the dashboard.
    phone_page.get_by_role("link", name="打开数据看板").click()
    expect(phone_page.get_by_role("heading", name="数据看板")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"
    svg_width = phone_page.eval_on_selector(
        '[data-testid="chart-found-closed"] svg', "s => s.getBoundingClientRect().width"
    )
    assert 250 < svg_width <= 390
    _check_and_click(phone_page, live_url, last_month_records, "phone")
