"""逾期 has one definition (inspections.models.hazards.overdue_q / Hazard.clock_due_on): each
status × disposal case, and every reader — ledger, home card, reminders, automatic 督办,
bulletin figures, the xlsx export, the API — agrees with it."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from inspections import exports, reminders, stats, workflow
from inspections.models import Hazard, HazardEvent, Reminder
from inspections.models.hazards import OVERDUE_DEFINITION, overdue_q
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)
S = Hazard.Status
D = Hazard.Disposal
pytestmark = pytest.mark.django_db


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 9, 0, tzinfo=SHANGHAI), tick=False)
    return TODAY


def days(n: int | None) -> datetime.date | None:
    return None if n is None else TODAY + datetime.timedelta(days=n)


# (case, status, disposal, deadline, risk review date, overdue days; 0 = not overdue)
CASES = [
    ("registered_past_deadline", S.REGISTERED, "", -5, None, 0),
    ("assigned_due_today", S.ASSIGNED, "", 0, None, 0),
    ("assigned_past", S.ASSIGNED, "", -3, None, 3),
    ("rectifying_past", S.RECTIFYING, "", -1, None, 1),
    ("rectifying_future", S.RECTIFYING, "", 4, None, 0),
    ("awaiting_verification_past", S.AWAITING_VERIFICATION, "", -9, None, 0),
    # YH-2026-000028 in the demo: the old deadline long gone, the review date months away.
    ("risk_control_review_ahead", S.DISPOSAL, D.RISK_CONTROL, -278, 60, 0),
    ("risk_control_review_today", S.DISPOSAL, D.RISK_CONTROL, -20, 0, 0),
    ("risk_control_review_passed", S.DISPOSAL, D.RISK_CONTROL, 30, -2, 2),
    ("suspend_past", S.DISPOSAL, D.SUSPEND, -5, None, 5),
    ("suspend_future", S.DISPOSAL, D.SUSPEND, 10, None, 0),
    ("close_past", S.DISPOSAL, D.CLOSE, -4, None, 4),
    ("close_without_deadline", S.DISPOSAL, D.CLOSE, None, None, 0),
    ("enforcement_past", S.DISPOSAL, D.ENFORCEMENT, -40, None, 0),
    ("judicial_past", S.DISPOSAL, D.JUDICIAL, -40, None, 0),
    ("closed_past", S.CLOSED, "", -8, None, 0),
    ("rejected_past", S.REJECTED, "", -8, None, 0),
    ("void_past", S.VOID, "", -8, None, 0),
]


def make(unit, by, status, disposal, deadline, review, **fields) -> Hazard:
    inspection = factories.inspection(unit, by, date=days(-300))
    return factories.hazard(
        unit,
        by,
        inspection=inspection,
        found_on=days(-300),
        status=status,
        disposal=disposal,
        deadline=days(deadline),
        risk_review_on=days(review),
        **fields,
    )


@pytest.mark.parametrize(
    "status,disposal,deadline,review,expected",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_status_and_disposal(
    inspector_a, unit_of_a, today, status, disposal, deadline, review, expected
):
    hazard = make(unit_of_a, inspector_a, status, disposal, deadline, review)
    assert hazard.overdue_days(today) == expected
    assert hazard.is_overdue(today) is bool(expected)
    assert Hazard.objects.overdue(today).filter(pk=hazard.pk).exists() is bool(expected)
    if expected:
        # "Overdue more than N days" is the same rule moved by N days.
        overdue_by_more_than = Hazard.objects.filter(pk=hazard.pk)
        assert overdue_by_more_than.filter(overdue_q(days(-(expected - 1)))).exists()
        assert not overdue_by_more_than.filter(overdue_q(days(-expected))).exists()
    assert hazard.handed_over is (disposal in (D.ENFORCEMENT, D.JUDICIAL))


@pytest.fixture
def every_case(inspector_a, unit_of_a, today):
    return {case[0]: make(unit_of_a, inspector_a, *case[1:5]) for case in CASES}


def expected_overdue(every_case) -> dict[int, int]:
    return {every_case[case[0]].pk: case[5] for case in CASES if case[5]}


def test_ledger_home_bulletin_export_and_api_agree(login, office, every_case, today):
    want = expected_overdue(every_case)
    client = login(office)

    response = client.get(reverse("hazard_list"), {"status": "overdue", "page_size": 200})
    assert {h.pk: h.days_overdue for h in response.context["object_list"]} == want
    counts = {item["value"]: item["count"] for item in response.context["status_counts"]}
    assert counts["overdue"] == len(want)
    # The handed-over hazards are shown as such, not as overdue.
    page = client.get(reverse("hazard_list"), {"page_size": 200}).content.decode()
    assert page.count("已移交") >= 2

    cards = client.get(reverse("home")).context["home_cards"]
    (ledger_card,) = [c for c in cards if c["template"] == "inspections/ledger_home_card.html"]
    card = {item["label"]: item["count"] for item in ledger_card["items"]}
    assert card["逾期"] == len(want)

    scope = stats.Scope(start=days(-30), end=today, today=today)
    figures = stats.summary(scope, major_overdue_days=30)
    assert figures["overdue"]["value"] == len(want)
    listed = stats.capped_list(stats.overdue_hazards(scope), scope, 100)
    assert {row["id"]: row["overdue_days"] for row in listed["rows"]} == want

    export = client.get(reverse("hazard_export"), {"status": "overdue"})
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    number_col, days_col = exports.HEADERS.index("隐患编号"), exports.HEADERS.index("逾期天数")
    numbers = {h.number: h.pk for h in every_case.values()}
    assert {numbers[r[number_col]]: r[days_col] for r in rows[1:]} == want

    flags = {h.pk: h.is_overdue(today) for h in Hazard.objects.all()}
    assert {pk for pk, flag in flags.items() if flag} == set(want)


def test_reminders_and_automatic_escalation_agree(every_case, office, today, settings):
    settings.ESCALATE_AFTER_DAYS = 3
    want = expected_overdue(every_case)
    reminders.run_daily(today)
    reminded = set(
        Reminder.objects.filter(day=today, kind=Reminder.Kind.OVERDUE).values_list(
            "hazard_id", flat=True
        )
    )
    assert reminded == set(want)
    # 督办 after more than 3 days: exactly those overdue by 4 days or more.
    escalated = set(Hazard.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True))
    assert escalated == {pk for pk, n in want.items() if n > 3}
    assert HazardEvent.objects.filter(action=HazardEvent.Action.ESCALATE).count() == len(escalated)
    # The 风险管控 hazard whose review date passed was reopened first, its clock carried on.
    reopened = Hazard.objects.get(pk=every_case["risk_control_review_passed"].pk)
    assert (reopened.status, reopened.deadline) == (S.RECTIFYING, days(-2))
    assert set(Hazard.objects.overdue(today).values_list("pk", flat=True)) == set(want)


def test_suspension_sets_the_clock_it_is_measured_by(registered_office_case, inspector_a, today):
    hazard = registered_office_case
    with pytest.raises(workflow.Invalid, match="期限"):
        workflow.cannot_rectify(
            hazard_id=hazard.pk,
            actor=inspector_a,
            version=hazard.version,
            disposal=D.SUSPEND,
            note="责令停产整顿",
        )
    workflow.cannot_rectify(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        disposal=D.SUSPEND,
        note="责令停产整顿",
        deadline=days(20),
    )
    hazard.refresh_from_db()
    assert (hazard.status, hazard.deadline, hazard.is_overdue(today)) == (
        S.DISPOSAL,
        days(20),
        False,
    )
    assert hazard.is_overdue(days(21))
    event = hazard.events.latest("id")
    assert (event.data["old_deadline"], event.data["new_deadline"]) == (
        days(-1).isoformat(),
        days(20).isoformat(),
    )


def test_handed_over_has_no_clock(registered_office_case, inspector_a, login, today):
    hazard = registered_office_case
    workflow.cannot_rectify(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        disposal=D.ENFORCEMENT,
        note="移交执法部门立案",
        deadline=days(20),  # ignored: no clock after a hand-over
    )
    hazard.refresh_from_db()
    assert hazard.deadline == days(-1) and not hazard.is_overdue(today)
    page = login(inspector_a).get(reverse("hazard_detail", args=[hazard.pk])).content.decode()
    assert 'data-testid="handed-over"' in page and "不计整改期限" in page
    assert 'data-testid="overdue"' not in page


@pytest.fixture
def registered_office_case(office, inspector_a, unit_of_a, today):
    hazard = factories.registered_hazard(unit_of_a, inspector_a, date=days(-10))
    return workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=unit_of_a.lead_department,
        responsible_person="王五",
        deadline=days(-1),
    )


def test_form_asks_for_the_disposal_deadline(login, inspector_a, registered_office_case, today):
    hazard = registered_office_case
    url = reverse("hazard_act", args=[hazard.pk, "cannot_rectify"])
    response = login(inspector_a).post(
        url, {"version": hazard.version, "disposal": D.SUSPEND, "note": "责令停产整顿"}
    )
    assert response.status_code == 400
    assert "责令停产整顿须填写整顿/取缔期限" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == S.ASSIGNED


def test_overdue_is_answered_from_the_partial_indexes(every_case, today):
    """Each branch of overdue_q is the predicate of a partial index: no sequential scan."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL plan")
    sql, params = Hazard.objects.overdue(today).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "hazard_clock_deadline_idx" in plan and "hazard_risk_review_idx" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_the_definition_is_written_once_for_the_notes():
    for phrase in ("已交办、整改中", "风险管控以复核日期为限", "责令停产整顿", "已移交"):
        assert phrase in OVERDUE_DEFINITION
