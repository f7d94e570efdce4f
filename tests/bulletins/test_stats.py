"""Statistics functions on the known district of conftest.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inspections import stats
from inspections.stats import Scope
from tests import factories

from .conftest import START, TODAY


def values(figures: dict) -> dict:
    return {k: v["value"] if isinstance(v, dict) else v for k, v in figures.items()}


@pytest.mark.django_db
def test_summary_counts_on_known_data(district):
    s = values(stats.summary(district.scope, major_overdue_days=30))
    assert s["found"] == 6  # h1–h6; the draft and the hazards found before the period are not
    assert (s["found_general"], s["found_major"]) == (4, 2)
    assert s["found_closed"] == 2 and s["found_not_accepted"] == 1 and s["found_effective"] == 5
    assert s["rate"] == "40.0%"
    assert s["found_open"] == 3
    assert s["closed_in_period"] == 3  # h1, h5 and h0 found before the period
    assert s["open"] == 4 and s["overdue"] == 3 and s["overdue_rate"] == "75.0%"
    assert s["major_open"] == 3 and s["major_overdue"] == 3
    assert s["major_overdue_beyond"] == 1  # h0b, 45 days
    assert s["escalated_open"] == 2
    assert s["inspections"] == 3 and s["units_inspected"] == 3
    assert s["zero_inspections"] == 1 and s["zero_units"] == 1
    assert s["key_inspections"] == 3 and s["key_zero"] == 1


@pytest.mark.django_db
def test_figure_queries_name_the_ledger_filters(district):
    s = stats.summary(district.scope, major_overdue_days=30)
    assert s["found_major"]["query"] == (
        f"found_from={START.isoformat()}&found_to={TODAY.isoformat()}&level=major"
    )
    assert s["overdue"]["query"] == "status=overdue"
    # Overdue more than 30 days = deadline on or before today − 31.
    assert s["major_overdue_beyond"]["query"] == ("level=major&status=overdue&due_to=2026-05-15")


@pytest.mark.django_db
def test_department_rows_carry_what_the_rules_read(district):
    rows = {
        r["id"]: r
        for r in stats.by_department(district.scope, major_overdue_days=30, untouched_days=5)
    }
    fire, safety = rows[district.fire.pk], rows[district.safety.pk]
    assert values(fire)["found"] == 4 and values(fire)["found_closed"] == 1
    assert values(fire)["open"] == 3 and values(fire)["overdue"] == 2
    assert values(fire)["major_overdue_beyond"] == 1
    assert fire["escalated_untouched"] == 1  # h2; h3 was escalated only 2 days ago
    assert (fire["inspections"], fire["key_inspections"], fire["key_zero"]) == (2, 2, 1)
    assert fire["enforcement"] == 2 and fire["fatal_accidents"] == 0
    assert values(safety)["found"] == 2 and values(safety)["overdue"] == 1
    assert (safety["fatal_accidents"], safety["fatal_deaths"]) == (1, 1)
    assert fire["found"]["query"].startswith(f"department={district.fire.pk}&found_from=")


@pytest.mark.django_db
def test_acting_on_an_escalated_hazard_clears_untouched(district):
    from inspections.models import HazardEvent

    HazardEvent.objects.create(
        hazard=district.hazards["h2"],
        action=HazardEvent.Action.START,
        created_at=district.hazards["h2"].escalated_at + datetime.timedelta(days=1),
    )
    assert stats.escalated_untouched(district.scope, days=5) == {}


@pytest.mark.django_db
def test_area_and_category_tables(district):
    areas = {r["id"]: r for r in stats.by_area(district.scope, major_overdue_days=30)}
    a, b = areas[district.area_a.pk], areas[district.area_b.pk]
    assert values(a)["found"] == 6 and values(b)["found"] == 0
    assert (a["inspections"], b["inspections"]) == (2, 1)
    assert (a["accidents"], a["deaths"], a["injuries"]) == (1, 1, 2)
    categories = {r["name"]: r for r in stats.by_category(district.scope, major_overdue_days=30)}
    assert values(categories["家具市场"])["found"] == 4
    assert values(categories["医药化工企业"])["overdue"] == 1
    assert categories["油漆市场"]["zero_inspections"] == 1


@pytest.mark.django_db
def test_coverage_counts_units_inspected_against_the_register(district):
    factories.unit(category=factories.category("chemical"))  # never inspected
    rows = {r["name"]: r for r in stats.coverage(district.scope)}
    assert rows["医药化工企业"] == {
        **rows["医药化工企业"],
        "total": 2,
        "inspected": 1,
        "rate": "50.0%",
        "never": 1,
    }
    assert "餐饮娱乐" not in rows  # not a key category


@pytest.mark.django_db
def test_accidents_year_to_date_against_last_year(district):
    acc = stats.accidents(district.scope)
    assert acc["period"] == {"count": 1, "deaths": 1, "injuries": 2}
    assert acc["ytd"] == {"count": 1, "deaths": 1, "injuries": 2}
    assert acc["last_ytd"] == {"count": 1, "deaths": 0, "injuries": 1}
    assert acc["change"] == {"count": "持平", "deaths": "增加1", "injuries": "增加100.0%"}


@pytest.mark.django_db
def test_enforcement_by_kind(district):
    enf = stats.enforcement(district.scope)
    counts = {k["kind"]: k["count"] for k in enf["kinds"]}
    assert counts == {"suspend": 1, "close": 0, "fine": 1, "judicial": 0}
    assert enf["total"] == 2 and enf["fines_total"] == "5000.00"


@pytest.mark.django_db
def test_area_scope_restricts_every_figure(district):
    scope = Scope(start=START, end=TODAY, today=TODAY, area_id=district.area_b.pk)
    s = values(stats.summary(scope, major_overdue_days=30))
    assert s["found"] == 0 and s["inspections"] == 1 and s["zero_inspections"] == 1
    assert stats.summary(scope, major_overdue_days=30)["open"]["query"] == (
        f"area={district.area_b.pk}&status=open"
    )
    assert stats.accidents(scope)["period"]["count"] == 0


@pytest.mark.django_db
def test_campaign_scope_counts_only_the_campaigns_inspections(district, office, inspector_a):
    from inspections.models import Campaign

    campaign = Campaign.objects.create(
        name="夏季专项检查", start_date=START, end_date=TODAY, created_by=office
    )
    unit = factories.unit(category=factories.category("construction"))
    insp = factories.inspection(unit, inspector_a, date=TODAY, campaign=campaign)
    factories.hazard(unit, inspector_a, inspection=insp)
    scope = Scope(start=START, end=TODAY, today=TODAY, campaign_id=campaign.pk)
    s = stats.summary(scope, major_overdue_days=30)
    assert s["found"]["value"] == 1 and s["inspections"] == 1
    assert s["found"]["query"].startswith(f"campaign={campaign.pk}&")


@pytest.mark.django_db
def test_lists_are_capped_but_count_everything(district):
    capped = stats.capped_list(stats.overdue_hazards(district.scope), district.scope, 2)
    assert capped["total"] == 3 and len(capped["rows"]) == 2
    # Oldest deadline first: h0b is 45 days overdue.
    assert capped["rows"][0]["number"] == district.hazards["h0b"].number
    assert capped["rows"][0]["overdue_days"] == 45


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_data(district, inspector_a):
    def run() -> int:
        with CaptureQueriesContext(connection) as ctx:
            stats.compute(district.scope, major_overdue_days=30, untouched_days=5, list_cap=30)
        return len(ctx.captured_queries)

    before = run()
    # One grouped hazard pass for the summary and the three tables, one grouped inspection
    # pass, the lists' totals from the summary: 27 queries here and on the 1M district (34 before).
    assert before <= 27, before
    unit = factories.unit(category=factories.category("mall"))
    for _ in range(15):
        factories.hazard(unit, inspector_a, deadline=TODAY - datetime.timedelta(days=1))
    assert run() == before


def test_period_labels():
    d = datetime.date
    assert stats.period_label(d(2026, 3, 1), d(2026, 3, 31)) == "2026年3月"
    assert stats.period_label(d(2026, 2, 1), d(2026, 2, 28)) == "2026年2月"
    assert stats.period_label(d(2026, 4, 1), d(2026, 6, 30)) == "2026年第二季度"
    assert stats.period_label(d(2026, 1, 1), d(2026, 12, 31)) == "2026年"
    assert stats.period_label(d(2026, 3, 1), d(2026, 3, 15)) == "2026年3月1日至3月15日"
    assert stats.chinese_date(d(2026, 11, 29)) == "2026年11月29日"
