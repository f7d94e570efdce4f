"""Ledger export tasks: thin wrappers around inspections.exports."""

from celery import shared_task

from .. import exports


@shared_task(acks_late=True)
def run_export_job(job_id: int) -> None:
    exports.run_export_job(job_id)
