"""Mail of urgent event notifications. Thin: an id in, inspections.notify does the work."""

import smtplib

from celery import shared_task
from django.conf import settings

from inspections import notify


@shared_task(
    name=notify.SEND_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3 * 3600,
    retry_jitter=True,
    max_retries=8,
    # Inside its claim's lease, as for the digest mails.
    time_limit=max(30, settings.TASK_LEASE_SECONDS // 2),
)
def send_event_email(notification_id: int) -> bool:
    return notify.send_event_email(notification_id)
