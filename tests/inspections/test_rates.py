"""整改率 (已整改 ÷ 排查出) and 到期整改率 (已整改 ÷ (已整改 + 逾期)), as stats exposes them."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from inspections import stats
from inspections.bulletin_rules import RuleConfig, describe
from inspections.models import Hazard
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)
S = Hazard.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 9, 0, tzinfo=SHANGHAI), tick=False)
    return TODAY


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def make(unit, by, found: int, **fields) -> Hazard:
    inspection = factories.inspection(unit, by, date=days(found))
    fields.setdefault("deadline", days(found + 10))
    return factories.hazard(unit, by, inspection=inspection, found_on=days(found), **fields)


@pytest.fixture
def month(inspector_a, inspector_b, unit_of_a, unit_of_b, today):
    """Found in the period (the last 30 days), for 消防 (unit_of_a): closed, overdue, open not
    yet due, 待复查 past its deadline (not overdue), rejected; one closed before the period;
    for 应急 (unit_of_b): two new, not yet due."""
    make(unit_of_a, inspector_a, -20, status=S.CLOSED)
    make(unit_of_a, inspector_a, -20, deadline=days(-2))
    make(unit_of_a, inspector_a, -3, deadline=days(5))
    make(unit_of_a, inspector_a, -20, status=S.AWAITING_VERIFICATION, deadline=days(-1))
    make(unit_of_a, inspector_a, -10, status=S.REJECTED)
    make(unit_of_a, inspector_a, -60, status=S.CLOSED)
    make(unit_of_b, inspector_b, -2, deadline=days(8))
    make(unit_of_b, inspector_b, -1, deadline=days(9))
    return stats.Scope(start=days(-30), end=today, today=today)


def test_rates_of_a_department(month, fire_dept):
    rates = stats.rectification_rates(
        Hazard.objects.filter(lead_department=fire_dept),
        start=month.start,
        end=month.end,
        today=month.today,
    )
    assert (rates.found, rates.rectified, rates.overdue, rates.due) == (4, 1, 1, 2)
    assert rates.rate == Decimal(1) / Decimal(4) and rates.rate_label == "25.0%"
    assert rates.due_rate == Decimal("0.5") and rates.due_rate_label == "50.0%"


def test_new_hazards_not_yet_due_do_not_look_like_failure(month, safety_dept):
    rates = stats.rectification_rates(
        Hazard.objects.filter(lead_department=safety_dept),
        start=month.start,
        end=month.end,
        today=month.today,
    )
    assert (rates.found, rates.rectified, rates.due) == (2, 0, 0)
    assert rates.rate_label == "0.0%"
    # Nothing due yet: no rate at all, not 0%.
    assert rates.due_rate is None and rates.due_rate_label == "—"


def test_grouped_rates_equal_the_single_ones_and_the_bulletin_rows(month, fire_dept, safety_dept):
    grouped = stats.rectification_rates_by(
        Hazard.objects.all(),
        "lead_department",
        start=month.start,
        end=month.end,
        today=month.today,
    )
    rows = {
        row["id"]: row
        for row in stats.by_department(month, major_overdue_days=30, untouched_days=5)
    }
    for dept in (fire_dept, safety_dept):
        single = stats.rectification_rates(
            Hazard.objects.filter(lead_department=dept),
            start=month.start,
            end=month.end,
            today=month.today,
        )
        assert grouped[dept.pk] == single
        assert rows[dept.pk]["rate"] == single.rate_label
        assert rows[dept.pk]["due_rate"] == single.due_rate_label
        assert rows[dept.pk]["found_overdue"]["value"] == single.overdue
    summary = stats.summary(month, major_overdue_days=30)
    assert (summary["rate"], summary["due_rate"]) == ("16.7%", "50.0%")


def test_an_empty_period_has_no_rates(today):
    rates = stats.rectification_rates(Hazard.objects.all(), start=days(-30), end=today, today=today)
    assert (rates.found, rates.rate, rates.due_rate) == (0, None, None)


def test_the_notes_define_both_rates_and_overdue():
    notes = "\n".join(describe(RuleConfig.from_settings()))
    assert "整改率＝本期排查出的隐患中已整改" in notes
    assert "到期整改率＝" in notes and "尚未到整改期限的在办隐患不计入" in notes
    assert "逾期：已交办、整改中的隐患超过整改期限" in notes
