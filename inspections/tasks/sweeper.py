"""The sweeper: beat sends it every SWEEP_SECONDS. It finds in the database the work a killed
worker or a restarted broker lost and sends it again. Every piece it sends is itself safe to
run twice, so two sweeps at once (two beats) do each piece once."""

from celery import shared_task
from django.utils import timezone

from anjian.celery import enqueue_on_commit
from inspections import exports, notify, reminders
from inspections.ledger_import import jobs as import_jobs
from inspections.models.counts import compact_counts

from . import exports as export_tasks
from . import imports as import_tasks
from . import notifications as notification_tasks
from .reminders import enqueue_digest_email


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep() -> dict:
    result = reminders.sweep(send=enqueue_digest_email)
    jobs = exports.stuck_jobs(timezone.now())
    for job_id in jobs:
        export_tasks.enqueue(job_id)
    result["exports"] = len(jobs)
    imports = import_jobs.stuck_jobs(timezone.now())
    for job_id in imports:
        import_tasks.enqueue(job_id)
    result["imports"] = len(imports)
    urgent = notify.unsent_urgent(timezone.now())
    for notification_id in urgent:
        enqueue_on_commit(notification_tasks.send_event_email, notification_id)
    result["urgent_mails"] = len(urgent)
    # The hazard counts' appended deltas folded back into one row per key (models/counts.py).
    result["counts_compacted"] = compact_counts()
    return result
