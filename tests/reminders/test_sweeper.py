"""The sweeper: what a killed worker or a restarted broker left half-done is finished, once.

Each test plays one fault by calling the step the worker got to and then stopping, as a
SIGKILL would; tests/integration/test_faults.py plays the same faults on a real worker.
"""

import datetime

import pytest
from django.core import mail

from inspections import reminders
from inspections.models import HazardEvent, Notification, Reminder, ReminderRun
from tests import factories

from .conftest import morning

D = datetime.date
ONE = datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db


def digests(day):
    return Notification.objects.filter(kind=Notification.Kind.DIGEST, day=day)


def listed(notification, kind):
    return {item["id"] for item in notification.payload.get(kind, {}).get("items", [])}


@pytest.fixture
def overdue_21(with_emails, inspector_a, unit_of_a):
    """21 hazards of 消防 overdue by two days on 2025-06-25 (no escalation yet)."""
    with morning(D(2025, 6, 1)):
        return [
            factories.hazard(unit_of_a, inspector_a, deadline=D(2025, 6, 23)) for _ in range(21)
        ]


def test_a_run_killed_after_the_scan_is_digested_and_mailed_by_the_next_days_run(
    overdue_21, inspector_a
):
    day = D(2025, 6, 25)
    with morning(day):
        reminders.scan(day)  # the worker dies here and Redis forgets the task
    assert not digests(day).exists()

    with morning(day + ONE):
        reminders.run_daily(day + ONE)

    note = digests(day).get(user=inspector_a)
    assert listed(note, "overdue") == {h.pk for h in overdue_21}
    assert note.emailed_at is not None
    assert sorted(m.subject for m in mail.outbox) == ["【安检】隐患整改提醒 2025-06-25"] * 2
    assert ReminderRun.objects.get(day=day).digested_at is not None


def test_undelivered_reminder_rows_do_not_hide_hazards_from_the_next_scan(overdue_21):
    day = D(2025, 6, 25)
    with morning(day):
        reminders.scan(day)  # never digested
    with morning(day + ONE):
        reminders.scan(day + ONE)  # even without the sweeper first
    assert Reminder.objects.filter(day=day + ONE, kind="overdue").count() == 21


def test_delivered_rows_do_count_as_given(overdue_21):
    day = D(2025, 6, 25)
    with morning(day):
        reminders.run_daily(day)
    with morning(day + ONE):
        reminders.scan(day + ONE)
    assert not Reminder.objects.filter(day=day + ONE).exists()  # overdue repeats weekly


def test_sweep_leaves_a_run_alone_within_its_lease_then_finishes_it(
    overdue_21, inspector_a, settings
):
    settings.TASK_LEASE_SECONDS = 600
    day = D(2025, 6, 25)
    with morning(day):
        ReminderRun.objects.create(day=day, started_at=datetime.datetime.now(datetime.UTC))
        reminders.scan(day)  # killed after the scan; the run row says it started at 08:00
    with morning(day, hour=8, minute=5):
        assert reminders.sweep(send=reminders.send_digest_email)["daily_run"] == 0
    assert not digests(day).exists()
    with morning(day, hour=8, minute=15):
        assert reminders.sweep(send=reminders.send_digest_email)["daily_run"] == 1
    assert listed(digests(day).get(user=inspector_a), "overdue") == {h.pk for h in overdue_21}
    assert len(mail.outbox) == 2
    with morning(day, hour=8, minute=40):
        reminders.sweep(send=reminders.send_digest_email)
    assert len(mail.outbox) == 2
    assert Reminder.objects.filter(day=day).count() == 21


def test_sweep_runs_the_day_when_the_beats_message_was_lost(overdue_21):
    day = D(2025, 6, 25)
    with morning(day, hour=7):
        assert reminders.sweep(send=reminders.send_digest_email)["daily_run"] == 0
    assert not Reminder.objects.exists()  # before REMINDER_HOUR: the beat's turn
    with morning(day, hour=9):
        assert reminders.sweep(send=reminders.send_digest_email)["daily_run"] == 1
    assert Reminder.objects.filter(day=day).count() == 21
    assert digests(day).count() == 2 and len(mail.outbox) == 2


def test_a_digest_build_that_died_before_commit_is_redone(overdue_21, inspector_a, monkeypatch):
    day = D(2025, 6, 25)

    def killed(_day):
        raise SystemExit("SIGKILL")  # the transaction never commits

    with morning(day):
        reminders.scan(day)
        monkeypatch.setattr(reminders, "_upsert_digests", killed)
        with pytest.raises(SystemExit):
            reminders.build_digests(day)
        monkeypatch.undo()
    assert not digests(day).exists()
    assert ReminderRun.objects.get(day=day).digested_at is None
    with morning(day + ONE):
        reminders.run_daily(day + ONE)
    assert listed(digests(day).get(user=inspector_a), "overdue") == {h.pk for h in overdue_21}


# --- mail: at most once -------------------------------------------------------------------------


@pytest.fixture
def built(overdue_21, inspector_a):
    """The day's digests built, no mail sent (the send tasks were lost with the broker)."""
    day = D(2025, 6, 25)
    with morning(day):
        reminders.scan(day)
        reminders.build_digests(day)
    return day, digests(day).get(user=inspector_a)


def test_a_claimed_mail_is_not_sent_by_a_second_sender(built):
    day, note = built
    with morning(day):
        assert reminders.claim_digest_email(note.pk) is not None
        assert reminders.claim_digest_email(note.pk) is None
        assert reminders.send_digest_email(note.pk) is False
    assert mail.outbox == []


def test_a_mail_claimed_by_a_dead_sender_is_sent_once_after_the_lease(built, settings, caplog):
    settings.TASK_LEASE_SECONDS = 600
    day, note = built
    with morning(day):
        reminders.claim_digest_email(note.pk)  # the sender dies before SMTP took the mail
    with morning(day, hour=8, minute=5):
        reminders.sweep(send=reminders.send_digest_email)
    assert note.user.email not in [m.to[0] for m in mail.outbox]
    with morning(day, hour=8, minute=11):
        reminders.sweep(send=reminders.send_digest_email)
        reminders.sweep(send=reminders.send_digest_email)
    mine = [m for m in mail.outbox if m.to == [note.user.email]]
    assert len(mine) == 1
    note.refresh_from_db()
    assert note.emailed_at is not None and note.email_attempts == 2
    assert "never confirmed" in caplog.text
    assert mine[0].extra_headers["Message-ID"] == f"<digest-{note.pk}.20250625@127.0.0.1>"


def test_lost_send_tasks_are_sent_by_the_sweeper_and_never_twice(built):
    day, _ = built
    with morning(day, hour=8, minute=20):
        first = reminders.sweep(send=reminders.send_digest_email)
        second = reminders.sweep(send=reminders.send_digest_email)
    assert (first["mails"], second["mails"]) == (2, 0)
    assert len(mail.outbox) == 2
    assert digests(day).filter(emailed_at__isnull=True).count() == 0


def test_old_unsent_digests_stay_in_app_only(built, settings):
    settings.DIGEST_EMAIL_CATCH_UP_DAYS = 7
    day, _ = built
    with morning(day + 8 * ONE, hour=7):
        reminders.sweep(send=reminders.send_digest_email)
    assert mail.outbox == []
    with morning(day + 7 * ONE, hour=7):
        reminders.sweep(send=reminders.send_digest_email)
    assert len(mail.outbox) == 2


def test_two_racing_runs_and_sweeps_leave_exactly_one_of_everything(
    with_emails, inspector_a, unit_of_a
):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        factories.hazard(unit_of_a, inspector_a, deadline=day - 10 * ONE)
        factories.hazard(unit_of_a, inspector_a, deadline=day + ONE)
    with morning(day):
        for _ in range(2):
            reminders.run_daily(day)
    with morning(day, hour=9):
        for _ in range(2):
            reminders.sweep(send=reminders.send_digest_email)
    assert Reminder.objects.filter(day=day).count() == 3
    assert digests(day).count() == 5
    assert len(mail.outbox) == 5
    assert HazardEvent.objects.filter(action="escalate").count() == 1


def test_beat_sweeps_every_five_minutes_and_a_lost_task_returns_within_the_quarter_hour(settings):
    from anjian.celery import app
    from inspections.tasks.reminders import send_digest_email_task
    from inspections.tasks.sweeper import sweep

    entry = settings.CELERY_BEAT_SCHEDULE["sweep"]
    assert entry["task"] == sweep.name and entry["schedule"] == 300
    assert app.conf.broker_transport_options["visibility_timeout"] == 900
    assert sweep.acks_late and sweep.reject_on_worker_lost
    # A sender is stopped long before another may take its claim over.
    assert send_digest_email_task.time_limit < settings.TASK_LEASE_SECONDS
