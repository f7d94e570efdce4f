"""Daily reminders and digest mails. Thin: ids in, plain functions in inspections.reminders."""

import datetime
import smtplib

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from anjian.celery import enqueue_on_commit
from inspections import reminders, workflow


@shared_task(acks_late=True, reject_on_worker_lost=True)
def daily_reminders(day: str | None = None) -> list[int]:
    """Beat entry. A worker lost mid-run leaves the message unacknowledged, so it is redelivered;
    the rows already written make the rerun finish the job instead of repeating it."""
    the_day = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return list(reminders.run_daily(the_day, send=enqueue_digest_email))


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # smtplib's errors are OSErrors; listed for the reader. SMTP down → retried, not dropped.
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3 * 3600,
    retry_jitter=True,
    max_retries=8,
    # Killed well inside its claim's lease, so no second sender can take over a mail this one
    # is still sending (inspections.reminders.claim_digest_email).
    time_limit=max(30, settings.TASK_LEASE_SECONDS // 2),
)
def send_digest_email_task(notification_id: int) -> bool:
    return reminders.send_digest_email(notification_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def review_risk_controls() -> int:
    return workflow.review_risk_controls(today=timezone.localdate())


def enqueue_digest_email(notification_id: int) -> bool:
    enqueue_on_commit(send_digest_email_task, notification_id)
    return True
