"""The daily job: the ladder, digests, recipients, idempotency, working days, mail failures."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import override_settings

from inspections import reminders, workdays, workflow
from inspections.models import CalendarDay, HazardEvent, Notification, Reminder
from tests import factories

from .conftest import morning

D = datetime.date
ONE = datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db


def kinds_on(hazard, day):
    return set(Reminder.objects.filter(hazard=hazard, day=day).values_list("kind", flat=True))


def digest(user, day):
    return Notification.objects.get(user=user, day=day, kind=Notification.Kind.DIGEST)


def run(day):
    with morning(day):
        return reminders.run_daily(day)


def test_ladder_due_soon_then_overdue_then_escalated(
    with_emails, inspector_a, supervisor, unit_of_a
):
    deadline = D(2025, 6, 20)
    with morning(D(2025, 6, 1)):
        hazard = factories.hazard(unit_of_a, inspector_a, deadline=deadline)

    ladder = {
        deadline - 3 * ONE: {"due_3d"},
        deadline - 2 * ONE: set(),  # the 3-day notice was given yesterday
        deadline - ONE: {"due_1d"},
        deadline: set(),
        deadline + ONE: {"overdue"},
        deadline + 2 * ONE: set(),  # overdue repeats weekly, not daily
        deadline + 7 * ONE: set(),
        deadline + 8 * ONE: {"overdue", "escalate"},  # 8 days overdue > ESCALATE_AFTER_DAYS=7
        deadline + 9 * ONE: set(),
        deadline + 15 * ONE: {"overdue"},  # escalated once only
    }
    for day, expected in ladder.items():
        run(day)
        assert kinds_on(hazard, day) == expected, day

    hazard.refresh_from_db()
    assert hazard.escalated_at is not None
    events = HazardEvent.objects.filter(hazard=hazard, action=HazardEvent.Action.ESCALATE)
    assert events.count() == 1
    assert events.get().actor is None and "逾期 8 天" in events.get().note
    # The supervision office hears of it on the escalation day only.
    assert list(Notification.objects.filter(user=supervisor).values_list("day", flat=True)) == [
        deadline + 8 * ONE
    ]


def test_major_hazard_escalates_after_three_days(inspector_a, unit_of_a):
    deadline = D(2025, 6, 20)
    with morning(D(2025, 6, 1)):
        major = factories.hazard(unit_of_a, inspector_a, deadline=deadline, level="major")
        general = factories.hazard(unit_of_a, inspector_a, deadline=deadline)
    run(deadline + 3 * ONE)
    assert "escalate" not in kinds_on(major, deadline + 3 * ONE)
    run(deadline + 4 * ONE)
    assert kinds_on(major, deadline + 4 * ONE) == {"escalate"}
    assert kinds_on(general, deadline + 4 * ONE) == set()
    major.refresh_from_db()
    general.refresh_from_db()
    assert major.escalated_at is not None and general.escalated_at is None


@override_settings(ESCALATE_AFTER_DAYS=2, OVERDUE_REMIND_EVERY_DAYS=1)
def test_thresholds_come_from_settings(inspector_a, unit_of_a):
    deadline = D(2025, 6, 20)
    with morning(D(2025, 6, 1)):
        hazard = factories.hazard(unit_of_a, inspector_a, deadline=deadline)
    for offset in (1, 2):
        run(deadline + offset * ONE)
        assert kinds_on(hazard, deadline + offset * ONE) == {"overdue"}
    run(deadline + 3 * ONE)
    assert kinds_on(hazard, deadline + 3 * ONE) == {"overdue", "escalate"}


def test_only_clock_statuses_with_a_deadline_get_reminders(inspector_a, unit_of_a):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        overdue = factories.hazard(unit_of_a, inspector_a, deadline=D(2025, 6, 20))
        factories.hazard(unit_of_a, inspector_a, deadline=D(2025, 6, 20), status="closed")
        factories.hazard(
            unit_of_a, inspector_a, deadline=D(2025, 6, 20), status="awaiting_verification"
        )
        factories.hazard(unit_of_a, inspector_a, deadline=None, status="registered")
        rectifying = factories.hazard(
            unit_of_a, inspector_a, deadline=D(2025, 6, 26), status="rectifying"
        )
    counts = reminders.scan(day)
    assert counts["overdue"] == 1 and counts["due_1d"] == 1
    assert set(Reminder.objects.values_list("hazard", flat=True)) == {overdue.pk, rectifying.pk}


def test_a_missed_day_is_caught_up_next_day(inspector_a, unit_of_a):
    deadline = D(2025, 6, 20)
    with morning(D(2025, 6, 1)):
        hazard = factories.hazard(unit_of_a, inspector_a, deadline=deadline)
    # The job did not run on deadline - 3 (broker down): the 3-day notice comes a day late.
    run(deadline - 2 * ONE)
    assert kinds_on(hazard, deadline - 2 * ONE) == {"due_3d"}


def test_digest_groups_by_kind_with_links(with_emails, inspector_a, unit_of_a, settings):
    settings.SITE_URL = "https://anjian.example.gov.cn"
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        escalated = factories.hazard(unit_of_a, inspector_a, deadline=day - 10 * ONE)
        overdue = factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
        tomorrow = factories.hazard(unit_of_a, inspector_a, deadline=day + ONE, level="major")
        in_3 = factories.hazard(unit_of_a, inspector_a, deadline=day + 3 * ONE)
    sent, skipped = run(day)

    note = digest(inspector_a, day)
    assert list(reminders.KIND_ORDER) == ["escalate", "overdue", "due_1d", "due_3d"]
    assert {kind: [i["id"] for i in note.payload[kind]["items"]] for kind in note.payload} == {
        # An escalated hazard is listed under 督办 only, not also under 逾期.
        "escalate": [escalated.pk],
        "overdue": [overdue.pk],
        "due_1d": [tomorrow.pk],
        "due_3d": [in_3.pk],
    }
    item = note.payload["overdue"]["items"][0]
    assert item == {
        "id": overdue.pk,
        "number": overdue.number,
        "unit": unit_of_a.name,
        "deadline": "2025-06-23",
        "overdue_days": 2,
        "days_left": 0,
        "major": False,
        "description": overdue.description[:60],
        "url": reminders.hazard_path(overdue.pk),
    }
    assert note.payload["due_1d"]["items"][0]["major"] is True
    assert note.body == "逾期督办 1 项，已逾期 1 项，明天到期 1 项，3天内到期 1 项"

    # One mail per recipient, never one per hazard.
    to_a = [m for m in mail.outbox if m.to == [inspector_a.email]]
    assert len(to_a) == 1
    message = to_a[0]
    assert message.subject == "【安检】隐患整改提醒 2025-06-25"
    assert f"https://anjian.example.gov.cn{reminders.hazard_path(overdue.pk)}" in message.body
    html, mimetype = message.alternatives[0]
    assert (
        mimetype == "text/html"
        and f'href="https://anjian.example.gov.cn/notifications/{note.pk}/"' in html
    )
    assert (
        message.body.index("逾期督办")
        < message.body.index("已逾期")
        < message.body.index("明天到期")
    )
    note.refresh_from_db()
    assert note.emailed_at is not None


@override_settings(DIGEST_MAX_ITEMS=2)
def test_digest_caps_items_but_not_counts(inspector_a, unit_of_a):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        for _ in range(5):
            factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
    run(day)
    section = digest(inspector_a, day).payload["overdue"]
    assert section["count"] == 5 and len(section["items"]) == 2


def test_recipients_are_scoped(
    with_emails,
    inspector_a,
    inspector_a2,
    inspector_b,
    office,
    supervisor,
    leader,
    unit_of_a,
    unit_of_b,
):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        escalated_a = factories.hazard(unit_of_a, inspector_a, deadline=day - 10 * ONE)
        overdue_a = factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
        overdue_b = factories.hazard(unit_of_b, inspector_b, deadline=day - 2 * ONE)
    run(day)

    def hazards_for(user):
        note = Notification.objects.filter(user=user, day=day).first()
        if note is None:
            return set()
        return {i["id"] for section in note.payload.values() for i in section["items"]}

    # Every inspector of the lead department, and only they, hear of its hazards.
    assert hazards_for(inspector_a) == hazards_for(inspector_a2) == {escalated_a.pk, overdue_a.pk}
    assert hazards_for(inspector_b) == {overdue_b.pk}
    # Office, 督查室 and leaders hear of escalations only.
    for overseer in (office, supervisor, leader):
        assert hazards_for(overseer) == {escalated_a.pk}
    recipients = sorted(a for m in mail.outbox for a in m.to)
    assert recipients == sorted(
        u.email for u in (inspector_a, inspector_a2, inspector_b, office, supervisor, leader)
    )
    b_mail = next(m for m in mail.outbox if m.to == [inspector_b.email])
    assert overdue_a.number not in b_mail.body and escalated_a.number not in b_mail.body


def test_hazard_led_by_another_department_is_not_sent_to_the_finder(
    inspector_a, inspector_b, unit_of_b
):
    """Inspector A found it at B's unit; B's department leads it: A's department is not told."""
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_b, inspector_a, deadline=day - 2 * ONE)
    run(day)
    assert not Notification.objects.filter(user=inspector_a).exists()
    assert Notification.objects.filter(user=inspector_b).count() == 1


def test_inactive_users_and_users_without_email(inspector_a, inspector_a2, unit_of_a):
    inspector_a2.is_active = False
    inspector_a2.save()
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
    assert run(day) == (1, 0)  # in-app only: inspector_a has no email address
    assert mail.outbox == []
    assert digest(inspector_a, day).emailed_at is None
    assert not Notification.objects.filter(user=inspector_a2).exists()
    assert run(day) == (0, 1)


def test_second_run_sends_nothing(with_emails, inspector_a, inspector_a2, office, unit_of_a):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_a, inspector_a, deadline=day - 10 * ONE)
        factories.hazard(unit_of_a, inspector_a, deadline=day + ONE)
    first = run(day)
    reminders_after_first = set(Reminder.objects.values_list("hazard", "kind", "day"))
    outbox = len(mail.outbox)
    second = run(day)
    assert first == (5, 0)  # two inspectors of 消防, office, supervisor, leader
    assert second == (0, 5)
    assert len(mail.outbox) == outbox
    assert set(Reminder.objects.values_list("hazard", "kind", "day")) == reminders_after_first
    assert Notification.objects.filter(day=day).count() == 5
    assert HazardEvent.objects.filter(action="escalate").count() == 1


def test_rerun_completes_digests_a_killed_run_did_not_reach(with_emails, inspector_a, unit_of_a):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
    with morning(day):
        reminders.scan(day)  # the worker died right after the scan
    assert not Notification.objects.exists()
    assert run(day) == (2, 0)
    assert sorted(a for m in mail.outbox for a in m.to) == [
        "insp_a2@example.gov.cn",
        "insp_a@example.gov.cn",
    ]


def test_new_reminder_later_that_day_updates_the_digest_without_remailing(
    with_emails, inspector_a, unit_of_a
):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
    run(day)
    note = digest(inspector_a, day)
    note.read_at = note.created_at
    note.save()
    with morning(D(2025, 6, 1)):
        late = factories.hazard(unit_of_a, inspector_a, deadline=day + ONE)
    run(day)
    note.refresh_from_db()
    assert [i["id"] for i in note.payload["due_1d"]["items"]] == [late.pk]
    assert note.read_at is None  # changed content shows as unread again
    assert len([m for m in mail.outbox if m.to == [inspector_a.email]]) == 1


def test_dry_run_lists_recipients_and_writes_nothing(with_emails, inspector_a, office, unit_of_a):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        hazard = factories.hazard(unit_of_a, inspector_a, deadline=day - 10 * ONE)
    lines: list[str] = []
    with morning(day):
        result = reminders.run_daily(day, dry_run=True, report=lines.append)
    assert result == (5, 0)
    assert not Reminder.objects.exists() and not Notification.objects.exists()
    assert mail.outbox == []
    hazard.refresh_from_db()
    assert hazard.escalated_at is None
    assert any(line.startswith(str(office)) and hazard.number in line for line in lines)
    assert any("insp_a@example.gov.cn" in line and "逾期督办 1 项" in line for line in lines)


# --- working days -------------------------------------------------------------------------------


def _assign_in_working_days(office, hazard, day, days):
    with morning(day, hour=10):
        return workflow.assign(
            hazard_id=hazard.pk,
            actor=office,
            version=hazard.version,
            lead_department=hazard.lead_department,
            responsible_person="李四",
            working_days=days,
        )


def test_working_day_deadline_across_national_day_with_make_up_days(office, inspector_a, unit_of_a):
    # 2025 National Day: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 are working days.
    with morning(D(2025, 9, 20)):
        hazard = factories.hazard(unit_of_a, inspector_a, status="registered", deadline=None)
    hazard = _assign_in_working_days(office, hazard, D(2025, 9, 26), 5)
    # 09-28 (调休), 09-29, 09-30, then 10-09, 10-10.
    assert hazard.deadline == D(2025, 10, 10)
    assert hazard.deadline_working_days == 5
    for day in (D(2025, 10, 7), D(2025, 10, 9), D(2025, 10, 11)):
        run(day)
    assert kinds_on(hazard, D(2025, 10, 7)) == {"due_3d"}
    assert kinds_on(hazard, D(2025, 10, 9)) == {"due_1d"}
    assert kinds_on(hazard, D(2025, 10, 11)) == {"overdue"}


def test_office_calendar_override_moves_the_deadline(office, inspector_a, unit_of_a):
    CalendarDay.objects.create(date=D(2025, 10, 10), is_workday=False, note="临时调整")
    assert workdays.add_working_days(D(2025, 9, 26), 5) == D(2025, 10, 11)
    with morning(D(2025, 9, 20)):
        hazard = factories.hazard(unit_of_a, inspector_a, status="registered", deadline=None)
    hazard = _assign_in_working_days(office, hazard, D(2025, 9, 26), 5)
    assert hazard.deadline == D(2025, 10, 11)  # the Saturday make-up working day
    run(D(2025, 10, 10))
    assert kinds_on(hazard, D(2025, 10, 10)) == {"due_1d"}


# --- mail failures ------------------------------------------------------------------------------


class FlakyBackend(LocmemBackend):
    """Fails the first `failures` sends like an SMTP server that is down, then delivers."""

    failures = 1
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.attempts = 0
    FlakyBackend.failures = 1
    return FlakyBackend


def test_smtp_failure_is_retried_by_the_task_not_dropped(
    with_emails, inspector_a, unit_of_a, flaky_mail
):
    from inspections.tasks.reminders import send_digest_email_task

    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
    with morning(day):
        reminders.scan(day)
        [note_id, *_] = [d.id for d in reminders.build_digests(day) if d.email == inspector_a.email]
        result = send_digest_email_task.apply(args=[note_id], throw=False)
    assert result.successful() and result.result is True
    assert flaky_mail.attempts == 2
    assert [m.to for m in mail.outbox] == [[inspector_a.email]]
    assert Notification.objects.get(pk=note_id).emailed_at is not None
    # A redelivered task finds emailed_at set under the lock and sends nothing.
    assert send_digest_email_task.apply(args=[note_id]).result is False
    assert len(mail.outbox) == 1


def test_retries_use_exponential_backoff():
    from inspections.tasks.reminders import daily_reminders, send_digest_email_task

    assert send_digest_email_task.max_retries == 8
    assert send_digest_email_task.retry_backoff and send_digest_email_task.retry_jitter
    assert OSError in send_digest_email_task.autoretry_for
    for task in (daily_reminders, send_digest_email_task):
        assert task.acks_late and task.reject_on_worker_lost


def test_inline_run_keeps_a_failed_mail_for_the_next_run(
    with_emails, inspector_a, unit_of_a, flaky_mail
):
    flaky_mail.failures = 2  # both of 消防's inspectors fail this morning
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
    assert run(day) == (0, 0)
    assert Notification.objects.filter(day=day, emailed_at__isnull=True).count() == 2
    assert run(day) == (2, 0)
    assert run(day) == (0, 2)
    assert len(mail.outbox) == 2


def test_daily_task_enqueues_one_mail_per_digest_after_commit(
    with_emails, inspector_a, unit_of_a, monkeypatch, django_capture_on_commit_callbacks
):
    from inspections.tasks import reminders as tasks

    queued: list[int] = []
    monkeypatch.setattr(
        tasks.send_digest_email_task, "apply_async", lambda args: queued.append(*args)
    )
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
    with morning(day), django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.daily_reminders.apply(kwargs={"day": "2025-06-25"})
    assert len(callbacks) == 2
    assert sorted(queued) == sorted(
        Notification.objects.filter(day=day).values_list("pk", flat=True)
    )
    assert mail.outbox == []  # sent by the worker, not by the daily job itself
