"""Ledger export tasks: thin wrappers around inspections.exports."""

from celery import shared_task

from anjian.celery import enqueue_on_commit

from .. import exports


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_export_job(job_id: int) -> None:
    exports.run_export_job(job_id)


def enqueue(job_id: int) -> None:
    enqueue_on_commit(run_export_job, job_id)
