"""Supervision that can act: on an escalated or listed hazard the supervision office urges again,
records a 约谈, issues a 督办通知 with its own time limit and proposes 挂牌, each an event through
the workflow; a listed 重大隐患 is accepted and delisted by the office only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections import stats, workflow
from inspections.models import Hazard, HazardEvent, Notification
from tests import factories

S = Hazard.Status
A = HazardEvent.Action
K = Notification.Kind


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def escalated(unit_of_a, inspector_a, supervisor):
    hazard = factories.hazard(
        unit_of_a, inspector_a, status=S.RECTIFYING, level=Hazard.Level.MAJOR, deadline=days(-5)
    )
    workflow.escalate(hazard_id=hazard.pk, note="逾期未整改", actor=supervisor)
    hazard.refresh_from_db()
    return hazard


def told(hazard, kind) -> set[str]:
    return set(
        Notification.objects.filter(hazard=hazard, kind=kind).values_list(
            "user__username", flat=True
        )
    )


@pytest.mark.django_db
def test_urge_again_is_counted_and_notifies(
    escalated, supervisor, inspector_a, inspector_a2, office
):
    for expected in (1, 2):
        escalated.refresh_from_db()
        workflow.urge(
            hazard_id=escalated.pk, actor=supervisor, version=escalated.version, note="请加快"
        )
        assert escalated.events.latest("id").data == {"urge_count": expected}
    assert told(escalated, K.URGED) == {
        inspector_a.username,
        inspector_a2.username,
        office.username,
    }
    assert Notification.objects.filter(hazard=escalated, kind=K.URGED, urgent=True).count() == 6


@pytest.mark.django_db
def test_interview_records_who_when_and_outcome(escalated, supervisor):
    with pytest.raises(workflow.Invalid, match="约谈日期"):
        workflow.record_interview(
            hazard_id=escalated.pk,
            actor=supervisor,
            version=escalated.version,
            interviewee="张三",
            held_on=days(1),
            outcome="承诺整改",
        )
    workflow.record_interview(
        hazard_id=escalated.pk,
        actor=supervisor,
        version=escalated.version,
        interviewee="法定代表人张三",
        held_on=days(0),
        outcome="承诺十日内整改",
    )
    event = escalated.events.latest("id")
    assert (event.action, event.note) == (A.INTERVIEW, "承诺十日内整改")
    assert event.data == {"interviewee": "法定代表人张三", "held_on": days(0).isoformat()}


@pytest.mark.django_db
def test_notice_has_its_own_time_limit_and_leaves_the_deadline(escalated, supervisor):
    with pytest.raises(workflow.Invalid, match="时限"):
        workflow.issue_notice(
            hazard_id=escalated.pk,
            actor=supervisor,
            version=escalated.version,
            due_on=days(0),
            requirements="办结回复",
        )
    workflow.issue_notice(
        hazard_id=escalated.pk,
        actor=supervisor,
        version=escalated.version,
        due_on=days(5),
        requirements="五日内办结并书面回复",
        document="两办督〔2026〕7号",
    )
    escalated.refresh_from_db()
    assert escalated.deadline == days(-5)
    assert escalated.events.latest("id").data["due_on"] == days(5).isoformat()
    notice = Notification.objects.filter(hazard=escalated, kind=K.NOTICE).first()
    assert notice.urgent and "两办督〔2026〕7号" in notice.title


@pytest.mark.django_db
def test_propose_listing_goes_to_the_office(escalated, supervisor, office):
    workflow.propose_listing(
        hazard_id=escalated.pk, actor=supervisor, version=escalated.version, reason="逾期一月"
    )
    assert told(escalated, K.LISTING_PROPOSED) == {office.username}


@pytest.mark.django_db
def test_supervision_needs_an_escalated_or_listed_hazard(unit_of_a, inspector_a, supervisor):
    plain = factories.hazard(unit_of_a, inspector_a, status=S.RECTIFYING)
    with pytest.raises(workflow.NotAllowed, match="已督办或挂牌督办"):
        workflow.urge(hazard_id=plain.pk, actor=supervisor, version=plain.version, note="催")
    listed = factories.hazard(
        unit_of_a,
        inspector_a,
        status=S.RECTIFYING,
        level=Hazard.Level.MAJOR,
        listed_document="安委办督〔2026〕1号",
        listed_on=days(-3),
    )
    workflow.urge(hazard_id=listed.pk, actor=supervisor, version=listed.version, note="催")


@pytest.mark.django_db
def test_only_the_supervision_office_follows_up(escalated, inspector_a, office, leader):
    for user in (inspector_a, office, leader):
        with pytest.raises(workflow.NotAllowed):
            workflow.urge(hazard_id=escalated.pk, actor=user, version=escalated.version, note="催")


@pytest.mark.django_db
def test_supervisor_acts_from_the_hazard_page(login, escalated, supervisor):
    client = login(supervisor)
    page = client.get(reverse("hazard_detail", args=[escalated.pk])).content.decode()
    for action in ("urge", "interview", "notice", "propose_listing"):
        assert reverse("hazard_act", args=[escalated.pk, action]) in page, action
    response = client.post(
        reverse("hazard_act", args=[escalated.pk, "urge"]),
        {"version": escalated.version, "note": "请本周内整改到位"},
    )
    assert response.status_code == 302
    page = client.get(reverse("hazard_detail", args=[escalated.pk])).content.decode()
    assert "催办次数：1" in page
    home = client.get(reverse("home")).context["my_work"]
    row = home["sections"][0]["hazards"][0]
    assert (row.pk, row.last_action_label) == (escalated.pk, "催办")


@pytest.mark.django_db
def test_listed_major_hazard_is_accepted_by_the_office_only(
    unit_of_a, inspector_a, inspector_a2, office
):
    hazard = factories.hazard(
        unit_of_a,
        inspector_a,
        status=S.AWAITING_VERIFICATION,
        level=Hazard.Level.MAJOR,
        listed_document="安委办督〔2026〕2号",
        listed_on=days(-20),
        reported_done_by=inspector_a,
    )
    with pytest.raises(workflow.NotAllowed, match="安委办验收"):
        workflow.verify(
            hazard_id=hazard.pk, actor=inspector_a2, version=hazard.version, ok=True, note="合格"
        )
    workflow.verify(
        hazard_id=hazard.pk, actor=office, version=hazard.version, ok=True, note="验收合格"
    )
    hazard.refresh_from_db()
    assert hazard.status == S.CLOSED
    assert hazard.events.latest("id").data == {"delisted": "安委办督〔2026〕2号"}


@pytest.mark.django_db
def test_bulletin_facts_count_the_supervision(escalated, supervisor):
    workflow.urge(hazard_id=escalated.pk, actor=supervisor, version=escalated.version, note="催")
    escalated.refresh_from_db()
    workflow.issue_notice(
        hazard_id=escalated.pk,
        actor=supervisor,
        version=escalated.version,
        due_on=days(3),
        requirements="办结回复",
    )
    today = timezone.localdate()
    scope = stats.Scope(start=today - datetime.timedelta(days=30), end=today, today=today)
    assert stats.supervision(scope) == {
        "urged": 1,
        "interviews": 0,
        "notices": 1,
        "listing_proposals": 0,
    }
    # Follow-up by the supervision office is not the department acting on it.
    untouched = stats.escalated_untouched(
        stats.Scope(start=scope.start, end=today, today=today + datetime.timedelta(days=10)),
        days=5,
    )
    assert untouched == {escalated.lead_department_id: {"count": 1}}
