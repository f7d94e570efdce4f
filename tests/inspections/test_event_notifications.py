"""Event notifications: every workflow event tells exactly the right people, in scope, in the
event's own transaction; mute; urgent mail at once, the rest folded into the next digest."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from inspections import notify, reminders, workflow
from inspections.models import (
    DeadlineExtension,
    Hazard,
    HazardPhoto,
    MutedKind,
    Notification,
    Reminder,
)
from tests import factories

K = Notification.Kind


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def people(inspector_a, inspector_a2, inspector_b, office, supervisor, leader, admin_user):
    here = factories.area()
    elsewhere = factories.area("东湖街道")
    return {
        "a": inspector_a,
        "a2": inspector_a2,
        "b": inspector_b,
        "street": factories.user(
            "street_here", "inspector", factories.street_office(here), name="兴华街道员"
        ),
        "street_other": factories.user(
            "street_else", "inspector", factories.street_office(elsewhere), name="东湖街道员"
        ),
        "office": office,
        "office2": factories.user("office_2", "office", office.department, name="安委办乙"),
        "supervisor": supervisor,
        "supervisor2": factories.user(
            "super_2", "supervisor", supervisor.department, name="督查乙"
        ),
        "leader": leader,
        "admin": admin_user,
    }


def told(hazard, kind, people) -> set[str]:
    names = {user.pk: name for name, user in people.items()}
    return {
        names[user_id]
        for user_id in Notification.objects.filter(hazard=hazard, kind=kind).values_list(
            "user_id", flat=True
        )
    }


def assign(hazard, office, **extra):
    hazard.refresh_from_db()
    fields = dict(lead_department=hazard.lead_department, responsible_person="李四")
    fields.update(extra)
    return workflow.assign(
        hazard_id=hazard.pk, actor=office, version=hazard.version, deadline=days(10), **fields
    )


def report_done(hazard, user):
    hazard.refresh_from_db()
    HazardPhoto.objects.create(
        hazard=hazard,
        kind="after",
        token=f"after{hazard.pk}",
        image="a.jpg",
        thumbnail="a_t.jpg",
        uploaded_by=user,
    )
    return workflow.report_done(
        hazard_id=hazard.pk, actor=user, version=hazard.version, note="已整改", photos=()
    )


@pytest.fixture
def assigned(unit_of_a, people):
    hazard = factories.registered_hazard(unit_of_a, people["a"])
    return assign(hazard, people["office"])


@pytest.mark.django_db
def test_new_hazard_tells_its_lead_department_not_the_finder(unit_of_a, people):
    # Found by 应急管理局 at a unit 消防 leads.
    hazard = factories.registered_hazard(unit_of_a, people["b"])
    assert told(hazard, K.HAZARD_NEW, people) == {"a", "a2"}


@pytest.mark.django_db
def test_assignment_tells_the_lead_department(unit_of_a, people, safety_dept):
    hazard = factories.registered_hazard(unit_of_a, people["a"])
    assign(hazard, people["office"], lead_department=safety_dept)
    assert told(hazard, K.ASSIGNED, people) == {"b"}
    notification = Notification.objects.get(hazard=hazard, kind=K.ASSIGNED)
    assert notification.link == reverse("hazard_detail", args=[hazard.pk])
    assert not notification.urgent


@pytest.mark.django_db
def test_report_done_tells_the_verifiers_not_the_reporter(assigned, people):
    report_done(assigned, people["a"])
    assert told(assigned, K.REPORTED_DONE, people) == {"a2"}


@pytest.mark.django_db
def test_failed_verification_tells_the_department_and_reporter(assigned, people):
    report_done(assigned, people["a"])
    assigned.refresh_from_db()
    workflow.verify(
        hazard_id=assigned.pk,
        actor=people["a2"],
        version=assigned.version,
        ok=False,
        note="灭火器仍过期",
        new_deadline=days(5),
    )
    assert told(assigned, K.VERIFY_FAILED, people) == {"a"}


@pytest.mark.django_db
def test_extension_request_tells_the_office_and_the_decision_the_requester(assigned, people):
    extension = workflow.request_extension(
        hazard_id=assigned.pk,
        actor=people["a"],
        version=assigned.version,
        deadline=days(30),
        reason="设备到货延迟",
    )
    assert told(assigned, K.EXTENSION_REQUESTED, people) == {"office", "office2"}
    workflow.decide_extension(extension_id=extension.pk, actor=people["office"], approve=True)
    assert told(assigned, K.EXTENSION_DECIDED, people) == {"a"}
    assert "已批准" in Notification.objects.get(hazard=assigned, kind=K.EXTENSION_DECIDED).title


@pytest.mark.django_db
def test_escalation_tells_supervision_office_leaders_and_department(assigned, people):
    workflow.escalate(hazard_id=assigned.pk, note="逾期未改", actor=people["supervisor"])
    assert told(assigned, K.ESCALATED, people) == {
        "supervisor2",
        "office",
        "office2",
        "leader",
        "a",
        "a2",
    }
    assert Notification.objects.filter(hazard=assigned, kind=K.ESCALATED, urgent=True).exists()


@pytest.mark.django_db
def test_system_escalation_leaves_it_to_the_digest(assigned, people):
    workflow.escalate(hazard_id=assigned.pk, note="自动督办", actor=None)
    assert told(assigned, K.ESCALATED, people) == set()


@pytest.mark.django_db
def test_listing_tells_the_department_and_the_street(unit_of_a, people):
    hazard = factories.registered_hazard(unit_of_a, people["a"], level=Hazard.Level.MAJOR)
    workflow.list_for_supervision(
        hazard_id=hazard.pk,
        actor=people["office"],
        version=hazard.version,
        document="安委办督〔2026〕1号",
        listed_on=days(0),
    )
    assert told(hazard, K.LISTED, people) == {"a", "a2", "street"}


@pytest.mark.django_db
def test_transfer_tells_both_departments(assigned, people, safety_dept):
    assigned.refresh_from_db()
    workflow.transfer(
        hazard_id=assigned.pk,
        actor=people["office"],
        version=assigned.version,
        department=safety_dept,
        note="属危化品监管",
    )
    assert told(assigned, K.TRANSFERRED, people) == {"a", "a2", "b"}


@pytest.mark.django_db
def test_nobody_out_of_scope_is_told(assigned, people):
    # 应急管理局 and the other street may not see a hazard of 消防 in 兴华街道.
    notify.hazard_event(
        assigned,
        kind=K.TRANSFERRED,
        actor=None,
        recipients=[notify.departments(people["b"].department_id), notify.users(people["a"].pk)],
        title="测试",
    )
    notify.hazard_event(
        assigned,
        kind=K.LISTED,
        actor=None,
        recipients=[notify.users(people["street_other"].pk, people["street"].pk)],
        title="测试",
    )
    assert told(assigned, K.TRANSFERRED, people) == {"a"}
    assert told(assigned, K.LISTED, people) == {"street"}


@pytest.mark.django_db
def test_rolled_back_action_notifies_nobody(unit_of_a, people, django_capture_on_commit_callbacks):
    hazard = factories.registered_hazard(unit_of_a, people["a"], level=Hazard.Level.MAJOR)
    people["a"].email = "a@example.cn"
    people["a"].save()
    before = Notification.objects.count()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        workflow.list_for_supervision(
            hazard_id=hazard.pk,
            actor=people["office"],
            version=hazard.version,
            document="安委办督〔2026〕2号",
            listed_on=days(0),
        )
        raise RuntimeError("the page failed after the transition")
    assert Notification.objects.count() == before
    assert callbacks == []


@pytest.mark.django_db
def test_refused_action_notifies_nobody(assigned, people):
    with pytest.raises(workflow.Invalid):
        workflow.report_done(
            hazard_id=assigned.pk, actor=people["a"], version=assigned.version, note="已整改"
        )
    assert not Notification.objects.filter(hazard=assigned, kind=K.REPORTED_DONE).exists()


@pytest.mark.django_db
def test_muted_kind_is_not_sent_but_urgent_kinds_are(assigned, people, unit_of_a):
    MutedKind.objects.create(user=people["a2"], kind=K.REPORTED_DONE)
    MutedKind.objects.create(user=people["a2"], kind=K.ESCALATED)
    workflow.escalate(hazard_id=assigned.pk, note="督办", actor=people["supervisor"])
    assert "a2" in told(assigned, K.ESCALATED, people)
    report_done(assigned, people["a"])
    assert told(assigned, K.REPORTED_DONE, people) == set()


@pytest.mark.django_db
def test_settings_page_mutes_only_non_urgent_kinds(login, people):
    client = login(people["a"])
    page = client.get(reverse("notification_settings"))
    assert page.status_code == 200
    choices = [value for value, _ in page.context["form"].fields["muted"].choices]
    assert K.ESCALATED not in choices and K.ASSIGNED in choices
    response = client.post(reverse("notification_settings"), {"muted": [K.ASSIGNED, K.TRANSFERRED]})
    assert response.status_code == 302
    assert set(people["a"].muted_kinds.values_list("kind", flat=True)) == {
        K.ASSIGNED,
        K.TRANSFERRED,
    }
    response = client.post(reverse("notification_settings"), {"muted": [K.ESCALATED]})
    assert response.status_code == 200 and response.context["form"].errors
    client.post(reverse("notification_settings"), {})
    assert not people["a"].muted_kinds.exists()


@pytest.mark.django_db
def test_urgent_mail_goes_after_commit(assigned, people, django_capture_on_commit_callbacks):
    people["a"].email = "a@example.cn"
    people["a"].save()
    with django_capture_on_commit_callbacks() as callbacks:
        workflow.escalate(hazard_id=assigned.pk, note="督办", actor=people["supervisor"])
    assert len(callbacks) == 1
    notification = Notification.objects.get(hazard=assigned, kind=K.ESCALATED, user=people["a"])
    assert notify.send_event_email(notification.pk) is True
    assert notify.send_event_email(notification.pk) is False  # at most once
    assert len(mail.outbox) == 1 and assigned.number in mail.outbox[0].subject
    assert reverse("hazard_detail", args=[assigned.pk]) in mail.outbox[0].body


@pytest.mark.django_db
def test_non_urgent_events_are_folded_into_the_next_digest(assigned, people):
    people["office"].email = "office@example.cn"
    people["office"].save()
    workflow.request_extension(
        hazard_id=assigned.pk,
        actor=people["a"],
        version=assigned.version,
        deadline=days(30),
        reason="设备到货延迟",
    )
    event = Notification.objects.get(hazard=assigned, user=people["office"])
    digests = reminders.build_digests(timezone.localdate())
    digest = next(d for d in digests if d.user_id == people["office"].pk)
    event.refresh_from_db()
    assert event.digest_id == digest.id
    notification = Notification.objects.get(pk=digest.id)
    assert notification.payload["events"]["count"] == 1
    assert reminders.send_digest_email(digest.id)
    assert "申请延期" in mail.outbox[0].body and assigned.number in mail.outbox[0].body
    # Folded once: the next day's digest does not carry it again.
    later = reminders.build_digests(timezone.localdate() + datetime.timedelta(days=1))
    assert people["office"].pk not in {d.user_id for d in later}


@pytest.mark.django_db
def test_street_office_gets_the_digest_of_its_area(people, unit_of_a, safety_dept):
    elsewhere = factories.unit(
        lead_department=safety_dept,
        area=factories.area("东湖街道"),
        category=factories.category("chemical"),
    )
    here = factories.hazard(unit_of_a, people["a"], deadline=days(1))
    there = factories.hazard(elsewhere, people["b"], deadline=days(1))
    reminders.run_daily(timezone.localdate())
    street = Notification.objects.get(user=people["street"], kind=K.DIGEST)
    ids = [item["id"] for item in street.payload[Reminder.Kind.DUE_TOMORROW]["items"]]
    assert ids == [here.pk]
    other = Notification.objects.get(user=people["street_other"], kind=K.DIGEST)
    ids = [item["id"] for item in other.payload[Reminder.Kind.DUE_TOMORROW]["items"]]
    assert ids == [there.pk]


@pytest.mark.django_db
def test_unread_count_is_outside_the_phone_menu(login, people, assigned):
    page = login(people["a2"]).get(reverse("home")).content.decode()
    badge = page.index('data-testid="unread-phone"')
    assert badge < page.index('id="mainnav"')


@pytest.mark.django_db
def test_event_notification_opens_its_hazard(login, people, assigned):
    notification = Notification.objects.get(hazard=assigned, user=people["a"])
    response = login(people["a"]).get(reverse("notification_detail", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("hazard_detail", args=[assigned.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.django_db
def test_extension_decided_by_refusal(assigned, people):
    extension = workflow.request_extension(
        hazard_id=assigned.pk,
        actor=people["a2"],
        version=assigned.version,
        deadline=days(30),
        reason="设备到货延迟",
    )
    workflow.decide_extension(extension_id=extension.pk, actor=people["office"], approve=False)
    assert told(assigned, K.EXTENSION_DECIDED, people) == {"a2"}
    assert DeadlineExtension.objects.get(pk=extension.pk).status == "refused"
