"""我的待办 on the home page: per role, each count equals the list its link opens, overdue or
oldest first with days left/overdue, and a constant number of queries."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from inspections.models import Bulletin, DeadlineExtension, Hazard, HazardEvent, Inspection
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)
S = Hazard.Status


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False)
    return TODAY


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def make(unit, by, deadline=5, found=-20, **fields) -> Hazard:
    return factories.hazard(
        unit,
        by,
        inspection=factories.inspection(unit, by, date=days(found)),
        found_on=days(found),
        deadline=None if deadline is None else days(deadline),
        **fields,
    )


def work_of(client) -> dict:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    work = response.context["my_work"]
    entries = {s["key"]: s for s in work["sections"]}
    entries.update({o["key"]: o for o in work["others"]})
    return entries


def listed_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["paginator"].count


def assert_counts_equal_their_lists(client, entries: dict) -> None:
    for key, entry in entries.items():
        if key == "import":
            continue
        assert listed_count(client, entry["url"]) == entry["count"], key


@pytest.fixture
def other_area():
    return factories.area("东湖街道")


@pytest.fixture
def street_inspector(db):
    return factories.user(
        "street_u", "inspector", factories.street_office(factories.area()), name="兴华街道员"
    )


@pytest.fixture
def world(inspector_a, inspector_a2, inspector_b, unit_of_a, other_area, today):
    """Hazards of 消防 in every queue state, one of each in 应急管理局 (out of A's scope)."""
    unit_b_elsewhere = factories.unit(
        category=factories.category("chemical"),
        lead_department=inspector_b.department,
        area=other_area,
    )
    unit_b_here = factories.unit(
        category=factories.category("chemical"), lead_department=inspector_b.department
    )
    h = {
        "start_late": make(unit_of_a, inspector_a, deadline=-3, status=S.ASSIGNED),
        "start_soon": make(unit_of_a, inspector_a, deadline=2, status=S.ASSIGNED),
        "report": make(unit_of_a, inspector_a, deadline=0, status=S.RECTIFYING),
        "verify_other": make(
            unit_of_a,
            inspector_a,
            status=S.AWAITING_VERIFICATION,
            reported_done_by=inspector_a2,
        ),
        "verify_mine": make(
            unit_of_a,
            inspector_a,
            status=S.AWAITING_VERIFICATION,
            reported_done_by=inspector_a,
        ),
        "closed": make(unit_of_a, inspector_a, deadline=-9, status=S.CLOSED),
        "b_start": make(unit_b_elsewhere, inspector_b, deadline=-1, status=S.ASSIGNED),
        "b_here_report": make(unit_b_here, inspector_b, deadline=4, status=S.RECTIFYING),
        "registered": make(unit_of_a, inspector_a, deadline=None, found=-5, status=S.REGISTERED),
        "registered_old": make(
            unit_b_elsewhere, inspector_b, deadline=None, found=-8, status=S.REGISTERED
        ),
        "disposal": make(
            unit_of_a, inspector_a, status=S.DISPOSAL, disposal=Hazard.Disposal.SUSPEND
        ),
        "risk_control": make(
            unit_of_a,
            inspector_a,
            status=S.DISPOSAL,
            disposal=Hazard.Disposal.RISK_CONTROL,
            risk_review_on=days(30),
            disposal_confirmed_at=timezone.now(),
        ),
        "disposal_confirmed": make(
            unit_of_a,
            inspector_a,
            status=S.DISPOSAL,
            disposal=Hazard.Disposal.ENFORCEMENT,
            disposal_confirmed_at=timezone.now(),
        ),
        "listed_done": make(
            unit_of_a,
            inspector_a,
            level=Hazard.Level.MAJOR,
            status=S.AWAITING_VERIFICATION,
            listed_document="安委办督〔2026〕3号",
            listed_on=days(-10),
            reported_done_by=inspector_a2,
        ),
        "escalated": make(
            unit_b_elsewhere,
            inspector_b,
            deadline=-12,
            status=S.RECTIFYING,
            escalated_at=timezone.now() - datetime.timedelta(days=2),
        ),
        "escalated_closed": make(
            unit_of_a,
            inspector_a,
            status=S.CLOSED,
            escalated_at=timezone.now() - datetime.timedelta(days=5),
        ),
    }
    DeadlineExtension.objects.create(
        hazard=h["report"],
        requested_by=inspector_a,
        requested_deadline=days(20),
        reason="材料未到",
        status=DeadlineExtension.Status.APPROVED,
        decided_at=timezone.now() - datetime.timedelta(days=1),
    )
    DeadlineExtension.objects.create(
        hazard=h["start_soon"],
        requested_by=inspector_a2,  # someone else's request: not in A's decisions
        requested_deadline=days(20),
        reason="施工队未进场",
        status=DeadlineExtension.Status.REFUSED,
        decided_at=timezone.now() - datetime.timedelta(days=1),
    )
    DeadlineExtension.objects.create(
        hazard=h["start_late"],
        requested_by=inspector_a,
        requested_deadline=days(10),
        reason="等待配件",
    )
    HazardEvent.objects.create(
        hazard=h["escalated"], action=HazardEvent.Action.ESCALATE, from_status=S.RECTIFYING
    )
    return h


def pks(entry) -> list[int]:
    return [hazard.pk for hazard in entry["hazards"]]


@pytest.mark.django_db
def test_inspector_queues_are_their_departments_overdue_first(login, inspector_a, world):
    entries = work_of(login(inspector_a))
    assert pks(entries["to_start"]) == [world["start_late"].pk, world["start_soon"].pk]
    assert [h.deadline_note for h in entries["to_start"]["hazards"]] == ["逾期3天", "剩2天"]
    assert pks(entries["to_report"]) == [world["report"].pk]
    assert entries["to_report"]["hazards"][0].deadline_note == "今天到期"
    # Not the one A reported done: the reporter never verifies it.
    assert set(pks(entries["to_verify"])) == {
        world["verify_other"].pk,
        world["listed_done"].pk,
    }
    assert pks(entries["my_extensions"]) == [world["report"].pk]
    assert entries["my_extensions"]["hazards"][0].decision_label == "已批准"
    assert_counts_equal_their_lists(login(inspector_a), entries)


@pytest.mark.django_db
def test_inspector_of_other_department_sees_none_of_them(login, inspector_b, world):
    entries = work_of(login(inspector_b))
    assert pks(entries["to_start"]) == [world["b_start"].pk]
    assert pks(entries["to_report"]) == [world["escalated"].pk, world["b_here_report"].pk]
    assert entries["to_verify"]["count"] == 0
    assert entries["my_extensions"]["count"] == 0
    assert_counts_equal_their_lists(login(inspector_b), entries)


@pytest.mark.django_db
def test_street_office_inspector_gets_the_hazards_of_their_area(login, street_inspector, world):
    entries = work_of(login(street_inspector))
    # 属地管理: 消防's and 应急管理局's hazards in 兴华街道, not those in 东湖街道.
    assert pks(entries["to_start"]) == [world["start_late"].pk, world["start_soon"].pk]
    assert pks(entries["to_report"]) == [world["report"].pk, world["b_here_report"].pk]
    assert world["b_start"].pk not in pks(entries["to_start"])
    assert_counts_equal_their_lists(login(street_inspector), entries)


@pytest.mark.django_db
def test_office_queues_oldest_first(login, office, world):
    Bulletin.objects.create(
        title="五月通报",
        period_start=days(-45),
        period_end=days(-15),
        status=Bulletin.Status.READY,
        created_by=office,
    )
    Bulletin.objects.create(
        title="四月通报",
        period_start=days(-75),
        period_end=days(-45),
        status=Bulletin.Status.CIRCULATED,
        number="安委办通报〔2026〕4号",
        year=2026,
        seq=4,
        circulated_at=timezone.now(),
        created_by=office,
    )
    client = login(office)
    entries = work_of(client)
    assert pks(entries["to_triage"]) == [world["registered_old"].pk, world["registered"].pk]
    assert pks(entries["extension_pending"]) == [world["start_late"].pk]
    assert pks(entries["disposal_to_confirm"]) == [world["disposal"].pk]
    assert pks(entries["disposal_to_close"]) == [world["disposal_confirmed"].pk]
    assert pks(entries["listed_to_accept"]) == [world["listed_done"].pk]
    assert entries["bulletins_ready"]["count"] == 1
    assert entries["bulletins_failed"]["count"] == 0
    assert "import" not in entries
    assert_counts_equal_their_lists(client, entries)


@pytest.mark.django_db
def test_office_is_shown_an_import_waiting_for_confirmation(login, office, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(office)
    session = client.session
    token = "t" * 32
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / f"{token}.xlsx").write_bytes(b"PK")
    session["unit_import"] = {"token": token, "filename": "单位台账.xlsx"}
    session.save()
    entries = work_of(client)
    assert entries["import"]["count"] == 1
    assert entries["import"]["url"] == reverse("units:import_preview")


@pytest.mark.django_db
def test_supervisor_sees_escalated_and_listed_with_last_action(login, supervisor, world):
    client = login(supervisor)
    entries = work_of(client)
    rows = entries["supervision"]["hazards"]
    assert [h.pk for h in rows] == [world["escalated"].pk, world["listed_done"].pk]
    assert rows[0].deadline_note == "逾期12天"
    assert rows[0].last_action_label == "督办"
    assert_counts_equal_their_lists(client, entries)
    assert 'data-testid="last-action"' in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_leader_has_no_hazard_queues_but_the_dashboard(login, leader, world):
    response = login(leader).get(reverse("home"))
    work = response.context["my_work"]
    assert work is None or not work["sections"]
    assert 'data-testid="ledger-card"' in response.content.decode()


@pytest.mark.django_db
def test_drafts_count_is_the_inspection_list_of_my_drafts(login, inspector_a, inspector_a2, today):
    unit = factories.unit(lead_department=inspector_a.department)
    for by in (inspector_a, inspector_a, inspector_a2):
        Inspection.objects.create(unit=unit, department=by.department, created_by=by, date=days(-1))
    client = login(inspector_a)
    entries = work_of(client)
    assert entries["drafts"]["count"] == 2
    assert_counts_equal_their_lists(client, {"drafts": entries["drafts"]})


@pytest.mark.django_db
def test_queue_link_opens_the_ledger_with_its_heading(login, inspector_a, world):
    client = login(inspector_a)
    url = work_of(client)["to_verify"]["url"]
    page = client.get(url).content.decode()
    assert 'data-testid="ledger-queue"' in page and "待复查" in page


@pytest.mark.django_db
def test_queue_needs_a_known_name(login, inspector_a, world):
    response = login(inspector_a).get(reverse("hazard_list"), {"queue": "everything"})
    # An unknown queue is an invalid filter value: ignored, the ledger is unchanged.
    assert response.status_code == 200


@pytest.mark.django_db
def test_home_query_count_is_constant(
    login,
    office,
    inspector_a,
    supervisor,
    leader,
    unit_of_a,
    today,
    django_assert_max_num_queries,
):
    def fill(n):
        for i in range(n):
            make(unit_of_a, inspector_a, deadline=-i, status=S.ASSIGNED)
            make(unit_of_a, inspector_a, deadline=None, status=S.REGISTERED)
            make(unit_of_a, inspector_a, deadline=None, status=S.AWAITING_VERIFICATION)
            make(
                unit_of_a,
                inspector_a,
                status=S.RECTIFYING,
                escalated_at=timezone.now(),
                listed_document=f"督〔2026〕{i}号",
            )
            make(
                unit_of_a,
                inspector_a,
                status=S.AWAITING_VERIFICATION,
                listed_document=f"挂〔2026〕{i}号",
            )
            make(unit_of_a, inspector_a, status=S.DISPOSAL, disposal=Hazard.Disposal.SUSPEND)
            make(
                unit_of_a,
                inspector_a,
                status=S.DISPOSAL,
                disposal=Hazard.Disposal.CLOSE,
                disposal_confirmed_at=timezone.now(),
            )

    users = (office, inspector_a, supervisor, leader)
    fill(2)
    measured = {}
    for user in users:
        client = login(user)
        with django_assert_max_num_queries(40) as captured:
            client.get(reverse("home"))
        measured[user.role] = len(captured)
    fill(12)
    # Every count in one statement, every queue's first rows in one more (issue 12's budget
    # is 12 queries a page): the session, the user, the department, the notification badge
    # and each card's own query make up the rest.
    limits = {"office": 10, "inspector": 6, "supervisor": 7, "leader": 8}
    if connection.vendor == "sqlite":
        # The demo's SQLite has no LIMIT inside a UNION: each queue's first rows are a query.
        limits.update(office=13, inspector=8)
    for user in users:
        client = login(user)
        with django_assert_max_num_queries(limits[user.role]) as captured:
            page = client.get(reverse("home")).content.decode()
        assert len(captured) == measured[user.role], user.role
        # Non-empty queues, so their rows' query is among those counted.
        if user.role != "leader":
            assert 'class="py-1 border-bottom queue-row"' in page, user.role
