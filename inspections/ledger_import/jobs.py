"""Ledger imports too large for a request: confirmed in the browser, run by a worker.

The job row is claimed with a conditional UPDATE, so a redelivered message (worker killed,
acks_late) or a second worker never runs it twice; a run whose heartbeat stopped for
TASK_LEASE_SECONDS belongs to a dead worker and may be taken over. Validation reports progress
every 1,000 rows; the writing itself is one transaction (all or nothing).
"""

from __future__ import annotations

import datetime
import logging
import secrets

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from anjian.imports import IMPORT_DIR, Claimed, fetch
from anjian.spreadsheets import ImportFileError

from ..models import ImportJob, Notification
from .reading import import_ledger

logger = logging.getLogger(__name__)
MAX_ISSUES = 500


def start_job(*, actor, claimed: Claimed) -> ImportJob:
    """Keeps the claimed upload for the worker and queues the job after commit."""
    from ..tasks import imports as tasks  # plain functions never import tasks at module level

    # In the media storage, not on this host: the worker may run on another machine.
    with claimed.path.open("rb") as source:
        name = default_storage.save(
            f"{IMPORT_DIR}/jobs/{secrets.token_urlsafe(16)}.xlsx", File(source)
        )
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.HAZARDS,
        user=actor,
        filename=claimed.filename[:200],
        file=name,
        options=claimed.options,
    )
    tasks.enqueue(job.pk)
    return job


def _claimable(now: datetime.datetime) -> Q:
    stale = now - datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS)
    return Q(status=ImportJob.Status.PENDING) | Q(
        status=ImportJob.Status.RUNNING, heartbeat_at__lt=stale
    )


def stuck_jobs(now: datetime.datetime) -> list[int]:
    """For the sweeper: jobs pending for a whole sweep (their message never reached a worker)
    or running with a stopped heartbeat (their worker died; its transaction rolled back)."""
    waited = now - datetime.timedelta(seconds=settings.SWEEP_SECONDS)
    pending = Q(status=ImportJob.Status.PENDING, created_at__lt=waited)
    stale = Q(status=ImportJob.Status.RUNNING) & ~Q(
        heartbeat_at__gte=now - datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS)
    )
    return list(
        ImportJob.objects.filter(pending | stale)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def run_import_job(job_id: int) -> None:
    now = timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(_claimable(now))
        .update(status=ImportJob.Status.RUNNING, done=0, heartbeat_at=now)
    )
    if not claimed:
        return
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    stored = job.file

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(done=done, heartbeat_at=timezone.now())

    outcome: dict = {}
    path = None
    try:
        path = fetch(stored)
        report = import_ledger(
            str(path),
            actor=job.user,
            filename=job.filename,
            create_units=bool(job.options.get("create_units")),
            max_rows=settings.IMPORT_MAX_ROWS,
            progress=progress,
        )
    except FileNotFoundError:
        outcome = {"status": ImportJob.Status.FAILED, "error": "导入文件已不存在，请重新上传"}
    except ImportFileError as exc:
        outcome = {"status": ImportJob.Status.FAILED, "error": str(exc)}
    except IntegrityError:
        outcome = {
            "status": ImportJob.Status.FAILED,
            "error": "导入时与同时进行的另一次导入冲突，未导入任何隐患；请重新上传预览",
        }
    except Exception as exc:
        logger.exception("ledger import %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, error=str(exc)[:1000], finished_at=timezone.now()
        )
        _notify(job, "隐患台账导入失败", "导入出错，未导入任何隐患，请联系管理员。")
        raise
    else:
        outcome = {
            "total": report.row_count,
            "done": report.row_count,
            "imported": report.imported,
            "already_in": report.already_in,
            "units_created": report.units_created,
            "issues": [[i.row, i.column, i.message] for i in report.errors[:MAX_ISSUES]],
            "status": ImportJob.Status.FAILED if report.errors else ImportJob.Status.DONE,
        }
    finally:
        if path is not None:
            path.unlink(missing_ok=True)
    with transaction.atomic():
        # A run taken over as dead may still have finished first: its result stands.
        updated = (
            ImportJob.objects.filter(pk=job.pk)
            .exclude(status=ImportJob.Status.DONE)
            .update(file="", finished_at=timezone.now(), **outcome)
        )
        if not updated:
            return
        if outcome["status"] == ImportJob.Status.DONE:
            _notify(
                job,
                f"隐患台账导入完成（{outcome['imported']}条）",
                f"“{job.filename}”已导入{outcome['imported']}条隐患"
                + (f"，{outcome['already_in']}行此前已导入" if outcome["already_in"] else "")
                + "。",
            )
        else:
            _notify(job, "隐患台账未导入", "导入前重新校验发现问题，未导入任何隐患，请查看原因。")
    if stored:
        default_storage.delete(stored)


def _notify(job: ImportJob, title: str, body: str) -> None:
    Notification.objects.create(
        user=job.user,
        kind=Notification.Kind.IMPORT,
        day=timezone.localdate(),
        title=title,
        body=body,
        link=reverse("hazard_import_job", args=[job.pk]),
    )
