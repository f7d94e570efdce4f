"""The demo year: every state present, made by the workflow, timelines in order, nothing ahead of now."""

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone

from inspections import demo
from inspections.models import (
    Accident,
    Campaign,
    DeadlineExtension,
    EnforcementAction,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Inspection,
)
from units import demo as units_demo

S = Hazard.Status
# Also makes pytest-django set up the test database even when only this module runs.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeded once for the module (it takes a while); rolled back by hand afterwards."""
    from django.db import connection, transaction
    from django.test.utils import override_settings

    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=str(media),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        name = str(connection.settings_dict["NAME"])
        assert "test" in name or "memory" in name, f"refusing to seed {name}"
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            assert units_demo.seed_base("demo-pw")
            summary = demo.seed_history()
            yield summary
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def db_seeded(seeded, db):
    return seeded


def test_a_year_of_inspections_and_hazards(db_seeded):
    today = timezone.localdate()
    assert db_seeded["inspections"] == Inspection.objects.count() == 600
    assert 750 <= Hazard.objects.count() <= 1100
    dates = Inspection.objects.values_list("date", flat=True)
    assert min(dates) >= today - datetime.timedelta(days=365)
    assert max(dates) < today
    assert Inspection.objects.filter(no_hazards=True, hazards__isnull=True).count() >= 30
    inspectors = set(Inspection.objects.values_list("created_by__username", flat=True))
    assert inspectors == {"fire1", "fire2", "safety1", "safety2", "build1", "street1"}
    assert Campaign.objects.count() >= 3
    assert Campaign.objects.filter(name__contains="中秋国庆节前安全生产大检查").exists()
    assert Inspection.objects.filter(campaign__isnull=False).count() >= 50


def test_hazards_in_every_state(db_seeded):
    today = timezone.localdate()
    counts = dict(Hazard.objects.values_list("status").annotate(n=Count("id")).order_by())
    for status in S.values:
        if status != S.DRAFT:
            assert counts.get(status, 0) >= 1, status
    assert counts[S.CLOSED] > Hazard.objects.count() / 2
    overdue = Hazard.objects.overdue(today)
    assert overdue.count() >= 10
    long_overdue = Hazard.objects.overdue(today - datetime.timedelta(days=7))
    assert long_overdue.exists()
    # The reminder job's 督办 was applied to all of them, through the workflow.
    assert not long_overdue.filter(escalated_at__isnull=True).exists()
    assert HazardEvent.objects.filter(action="escalate", actor=None).count() >= long_overdue.count()
    due_soon = Hazard.objects.deadline_clock().filter(
        deadline__gte=today,
        deadline__lte=today + datetime.timedelta(days=3),
    )
    assert due_soon.exists()
    major = Hazard.objects.filter(level=Hazard.Level.MAJOR)
    assert major.exclude(listed_document="").exclude(plan_funds=None).exists()
    illegal = Hazard.objects.filter(unit__is_illegal=True)
    assert illegal.exists()
    assert set(illegal.values_list("disposal", flat=True)) == {Hazard.Disposal.CLOSE}
    assert Hazard.objects.filter(fixed_on_spot=True).exists()
    assert Hazard.objects.filter(reopen_count__gt=0).exists()
    risk_controls = Hazard.objects.filter(disposal=Hazard.Disposal.RISK_CONTROL, status=S.DISPOSAL)
    assert risk_controls.exists()
    # Under an approved 风险管控 whose review date is ahead, nothing is overdue (nor 督办 for it
    # after the disposal), however old its rectification deadline.
    assert risk_controls.filter(deadline__lt=today).exists()
    assert not overdue.filter(pk__in=risk_controls).exists()
    assert not overdue.filter(
        disposal__in=[Hazard.Disposal.ENFORCEMENT, Hazard.Disposal.JUDICIAL]
    ).exists()
    statuses = set(DeadlineExtension.objects.values_list("status", flat=True))
    assert {"approved", "refused"} <= statuses
    assert HazardEvent.objects.filter(action="transfer").exists()
    assert HazardPhoto.objects.filter(kind="after").exists()
    assert HazardPhoto.objects.filter(kind="before").exists()


def test_major_hazards_are_plausible_and_say_why_they_are_major(db_seeded):
    major = Hazard.objects.filter(level=Hazard.Level.MAJOR)
    assert major.count() >= 5
    # Every one names its 判定依据; none is a trifle such as an expired extinguisher.
    assert not major.filter(major_basis="").exists()
    assert not major.filter(description__contains="灭火器").exists()
    assert all("判定" in basis for basis in major.values_list("major_basis", flat=True))
    # Their governance plans carry the 五落实 with 预案, the fifth, not 验收.
    planned = major.exclude(plan_funds=None)
    assert planned.exists()
    assert not planned.filter(plan_emergency="").exists()
    plan = HazardEvent.objects.filter(action="plan").first()
    assert plan.data["emergency_plan"] and plan.data["plan_deadline"]
    # General hazards need no 判定依据.
    assert not Hazard.objects.filter(level=Hazard.Level.GENERAL).exclude(major_basis="").exists()


def test_every_timeline_is_a_real_path_ending_in_the_current_status(db_seeded):
    now = timezone.now()
    assert not HazardEvent.objects.filter(created_at__gt=now).exists()
    for hazard in Hazard.objects.prefetch_related("events"):
        status = S.DRAFT
        events = sorted(hazard.events.all(), key=lambda e: (e.created_at, e.id))
        assert [e.id for e in events] == sorted(e.id for e in events), hazard.number
        for event in events:
            if event.from_status:
                assert event.from_status == status, (hazard.number, event.action)
                status = event.to_status
        assert status == hazard.status, hazard.number
        assert hazard.created_at <= events[0].created_at + datetime.timedelta(minutes=1)


def test_numbers_are_gap_free_per_year(db_seeded):
    by_year: dict[int, list[int]] = {}
    for number in Hazard.objects.values_list("number", flat=True):
        _, year, serial = number.split("-")
        by_year.setdefault(int(year), []).append(int(serial))
    for serials in by_year.values():
        assert sorted(serials) == list(range(1, len(serials) + 1))


def test_enforcement_and_accidents(db_seeded):
    assert 10 <= EnforcementAction.objects.count() <= 20
    kinds = set(EnforcementAction.objects.values_list("kind", flat=True))
    assert {"close", "suspend", "fine"} <= kinds
    closed = EnforcementAction.objects.filter(kind="close").values_list("unit__status", flat=True)
    assert set(closed) == {"closed"}
    assert Accident.objects.count() == 8
    sanxiang = Accident.objects.get(unit__name="三橡股份有限公司")
    assert (sanxiang.occurred_on.month, sanxiang.occurred_on.day, sanxiang.deaths) == (3, 12, 1)
    assert sanxiang.kind == Accident.Kind.MACHINERY
    hongxing = Accident.objects.get(unit__name="鸿兴机械厂", occurred_on__month=9)
    assert (hongxing.occurred_on.month, hongxing.occurred_on.day, hongxing.deaths) == (9, 4, 1)
    assert hongxing.unit.area.name == "大潘街道"
    assert Accident.objects.filter(kind=Accident.Kind.FIRE).count() >= 3


def test_the_demo_unit_account_opens_the_portal_of_a_unit_with_work_waiting(db_seeded, client):
    account = demo.seed_unit_account("demo-pw")
    assert account.role == account.Role.UNIT and account.unit_id
    waiting = Hazard.objects.filter(unit=account.unit, status__in=[S.ASSIGNED, S.RECTIFYING])
    assert waiting.exists()
    assert demo.seed_unit_account("demo-pw") is None  # once
    client.force_login(account)
    page = client.get("/", follow=True)
    assert page.redirect_chain[-1][0].endswith("/portal/")
    assert account.unit.name in page.content.decode()
