import logging
import os

from celery import Celery
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anjian.settings")

# Every task runs under the audit context naming it (audit.context.AuditedTask).
app = Celery("anjian", task_cls="audit.context:AuditedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """Send `task` once the current transaction commits. A broker that is down is logged, not
    raised: every caller has already recorded the work in the database (a pending export, a
    bulletin being built, an unsent digest), and the sweeper sends it again once the broker is
    back. The page that asked answers normally."""

    def send() -> None:
        try:
            task.apply_async(args=args)
        except OperationalError:
            logger.warning(
                "broker unreachable: %s%r not queued; the sweeper will send it", task.name, args
            )

    transaction.on_commit(send)
