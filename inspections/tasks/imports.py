"""Import tasks: thin wrappers around inspections.ledger_import."""

from celery import shared_task

from anjian.celery import enqueue_on_commit

from ..ledger_import import jobs


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_import_job(job_id: int) -> None:
    jobs.run_import_job(job_id)


def enqueue(job_id: int) -> None:
    enqueue_on_commit(run_import_job, job_id)
