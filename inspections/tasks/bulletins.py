"""Bulletin tasks: thin wrappers around inspections.bulletins, enqueued on commit by callers."""

from celery import shared_task
from django.db import transaction

from .. import bulletins


@shared_task(acks_late=True)
def build_bulletin_task(bulletin_id: int) -> None:
    # build() records any failure on the bulletin (status failed + message) and is a no-op
    # for a circulated one, so a redelivered task does no harm.
    bulletins.build(bulletin_id)


@shared_task(acks_late=True)
def render_bulletin_task(bulletin_id: int) -> None:
    bulletins.rerender(bulletin_id)


@shared_task(acks_late=True)
def auto_draft_bulletin_task() -> None:
    """Beat, monthly: last month's district bulletin as a draft for the office to review."""
    with transaction.atomic():
        bulletin = bulletins.auto_draft_previous_month()
        if bulletin is not None:
            transaction.on_commit(lambda: build_bulletin_task.delay(bulletin.pk))


@shared_task(acks_late=True)
def auto_draft_quarterly_task() -> None:
    """Beat, daily: the 季报 of the quarter just ended, once (a later run finds it and stops)."""
    with transaction.atomic():
        bulletin = bulletins.auto_draft_previous_quarter()
        if bulletin is not None:
            transaction.on_commit(lambda: build_bulletin_task.delay(bulletin.pk))


def enqueue_build(bulletin_id: int) -> None:
    transaction.on_commit(lambda: build_bulletin_task.delay(bulletin_id))


def enqueue_render(bulletin_id: int) -> None:
    transaction.on_commit(lambda: render_bulletin_task.delay(bulletin_id))
