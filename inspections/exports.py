"""The hazard ledger (隐患排查治理台账) as an .xlsx workbook.

Rows stream from the database in chunks (value tuples, not model instances) into an
XlsxWriter sheet in constant-memory mode, so memory stays flat whatever the ledger's size. Plain functions: the view calls them for small exports, the
Celery task (inspections.tasks.exports) for large ones.
"""

import datetime
import itertools
import logging
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

import xlsxwriter
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from .filters import ledger_queryset
from .models import ExportJob, Hazard, HazardEvent, Inspection, Notification

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 1000

# Column headings as offices name them (REFERENCE.md, "Hazard ledger columns used in practice").
HEADERS = [
    "序号",
    "隐患编号",
    "单位名称",
    "统一社会信用代码",
    "属地（镇街）",
    "行业领域",
    "排查日期",
    "排查人",
    "隐患部位",
    "隐患描述",
    "隐患类别",
    "隐患等级",
    "整改措施",
    "整改责任单位",
    "整改责任人",
    "整改期限",
    "原定期限",
    "逾期天数",
    "状态",
    "最后操作",
    "最后操作时间",
    "销号日期",
]
COLUMN_WIDTHS = [
    6,
    16,
    28,
    22,
    12,
    14,
    12,
    16,
    14,
    40,
    10,
    10,
    30,
    16,
    14,
    12,
    12,
    9,
    10,
    14,
    18,
    12,
]
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

_ACTION_LABELS = dict(HazardEvent.Action.choices)


def ledger_filename(day: datetime.date) -> str:
    return f"隐患排查治理台账-{day:%Y%m%d}.xlsx"


# What a row reads, as values(): no model instances (their construction was a third of an
# export's time at 100,000 rows). The last event comes from two correlated subqueries.
ROW_FIELDS = (
    "inspection_id",
    "number",
    "unit__name",
    "unit__credit_code",
    "unit__area__name",
    "unit__category__name",
    "found_on",
    "location",
    "description",
    "hazard_type",
    "level",
    "measures",
    "rectification_plan",
    "lead_department__name",
    "responsible_person",
    "responsible_phone",
    "deadline",
    "original_deadline",
    "status",
    "disposal",
    "risk_review_on",
    "closed_at",
    "last_action",
    "last_action_at",
)

_TYPE_LABELS = dict(Hazard.Type.choices)
_LEVEL_LABELS = dict(Hazard.Level.choices)
_STATUS_LABELS = dict(Hazard.Status.choices)


def export_rows(queryset: QuerySet) -> QuerySet:
    """The export's columns on top of the ledger queryset, as value tuples in ROW_FIELDS order."""
    last_event = HazardEvent.objects.filter(hazard=OuterRef("pk")).order_by("-created_at", "-id")
    return queryset.annotate(
        last_action=Subquery(last_event.values("action")[:1]),
        last_action_at=Subquery(last_event.values("created_at")[:1]),
    ).values_list(*ROW_FIELDS)


def _inspectors(inspection_ids: set[int]) -> dict[int, str]:
    """The 排查人 of a chunk's inspections in one query: "张三、李四" per inspection."""
    through = Inspection.inspectors.through
    names: dict[int, list[str]] = {}
    rows = (
        through.objects.filter(inspection_id__in=inspection_ids)
        .order_by("inspection_id", "user_id")
        .values_list("inspection_id", "user__name", "user__username")
    )
    for inspection_id, name, username in rows:
        names.setdefault(inspection_id, []).append(name or username)
    return {key: "、".join(value) for key, value in names.items()}


def iter_hazards(queryset: QuerySet) -> Iterator[list]:
    """The sheet's rows (without 序号), a chunk of CHUNK_SIZE read at a time: the number of
    queries grows with the chunks, never with the rows."""
    today = timezone.localdate()
    rows = export_rows(queryset).iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
        inspectors = _inspectors({row[0] for row in chunk})
        for row in chunk:
            yield _row(dict(zip(ROW_FIELDS, row, strict=True)), inspectors, today)


def _row(h: dict, inspectors: dict[int, str], today: datetime.date) -> list:
    responsible = " ".join(p for p in (h["responsible_person"], h["responsible_phone"]) if p)
    last_at = h["last_action_at"]
    due = Hazard.clock_due_on(h["status"], h["disposal"], h["deadline"], h["risk_review_on"])
    return [
        h["number"] or "",
        h["unit__name"],
        h["unit__credit_code"],
        h["unit__area__name"],
        h["unit__category__name"],
        h["found_on"],
        inspectors.get(h["inspection_id"], ""),
        h["location"],
        h["description"],
        _TYPE_LABELS.get(h["hazard_type"], h["hazard_type"]),
        _LEVEL_LABELS.get(h["level"], h["level"]),
        h["measures"] or h["rectification_plan"],
        h["lead_department__name"],
        responsible,
        h["deadline"],
        h["original_deadline"],
        (today - due).days if due and due < today else None,
        _STATUS_LABELS.get(h["status"], h["status"]),
        _ACTION_LABELS.get(h["last_action"], h["last_action"] or ""),
        timezone.localtime(last_at).replace(tzinfo=None) if last_at else None,
        timezone.localtime(h["closed_at"]).date() if h["closed_at"] else None,
    ]


def write_ledger(
    rows: Iterable[list],
    target: str | IO[bytes],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = CHUNK_SIZE,
) -> int:
    """Write the workbook to `target` (a path or a binary file); returns the row count.
    `progress(n)` is called every `every` rows and once at the end.

    XlsxWriter in constant_memory mode: each row goes to disk as it is written (flat memory),
    and a cell costs a third of openpyxl's (25 vs 67 s for 100,000 rows on the loaded 2-core
    machine). Strings are always written as strings, never as formulas (formula injection:
    names and descriptions come from users and imported files)."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet("隐患台账")
    for index, width in enumerate(COLUMN_WIDTHS):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 2)
    header = workbook.add_format(
        {"bold": True, "bg_color": "#FCE4D6", "align": "center", "valign": "vcenter"}
    )
    date = workbook.add_format({"num_format": DATE_FORMAT})
    moment = workbook.add_format({"num_format": DATETIME_FORMAT})
    late = workbook.add_format({"font_color": "#C00000", "bold": True})
    formats = {6: date, 15: date, 16: date, 21: date, 20: moment, 17: late}
    for column, title in enumerate(HEADERS):
        sheet.write_string(0, column, title, header)
    count = 0
    for count, values in enumerate(rows, start=1):
        sheet.write_number(count, 0, count)
        for column, value in enumerate(values, start=1):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(count, column, value)
            elif isinstance(value, datetime.date):  # datetime too
                sheet.write_datetime(count, column, value, formats[column])
            else:
                sheet.write_number(count, column, value, formats.get(column))
        if progress and count % every == 0:
            progress(count)
    if progress:
        progress(count)
    workbook.close()
    return count


def write_ledger_tempfile(queryset: QuerySet) -> IO[bytes]:
    """A small ledger written to an anonymous temporary file, rewound for the response."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_ledger(iter_hazards(queryset), handle)
    handle.seek(0)
    return handle


def params_querydict(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, values if isinstance(values, list) else [values])
    return query


def _pending() -> Q:
    return Q(status=ExportJob.Status.PENDING)


def _abandoned(now: datetime.datetime) -> Q:
    stale = now - datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS)
    return Q(status=ExportJob.Status.RUNNING) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale)
    )


def stuck_jobs(now: datetime.datetime) -> list[int]:
    """Jobs the sweeper sends again: pending for a whole sweep (their task never reached a
    worker: the broker was down or restarted) or running with a stopped heartbeat."""
    waited = now - datetime.timedelta(seconds=settings.SWEEP_SECONDS)
    return list(
        ExportJob.objects.filter((_pending() & Q(created_at__lt=waited)) | _abandoned(now))
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def run_export_job(job_id: int) -> None:
    """Write a queued export to exports/ in the media storage and tell the user. Safe to run twice: a
    job another run already claimed (or finished) is left alone — unless its heartbeat stopped
    TASK_LEASE_SECONDS ago, when the worker holding it must have died."""
    now = timezone.now()
    claimed = (
        ExportJob.objects.filter(pk=job_id)
        .filter(_pending() | _abandoned(now))
        .update(status=ExportJob.Status.RUNNING, done=0, heartbeat_at=now)
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    today = timezone.localdate()
    relative = f"exports/{today:%Y/%m}/ledger-{job.pk}-{secrets.token_hex(8)}.xlsx"
    # Written to a temporary file of the worker, then saved to the storage (the bucket, when
    # configured): the web process that serves the download may run on another host.
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finally
    try:
        # Scope is re-applied as of now: a user who lost access since asking gets less, not more.
        _filterset, queryset = ledger_queryset(job.user, params_querydict(job.params))
        total = queryset.count()
        ExportJob.objects.filter(pk=job.pk).update(total=total)

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(done=done, heartbeat_at=timezone.now())

        written = write_ledger(iter_hazards(queryset), handle, progress=progress)
        handle.seek(0)
        name = default_storage.save(relative, File(handle))
    except Exception as exc:
        logger.exception("ledger export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=str(exc)[:1000], finished_at=timezone.now()
        )
        raise
    finally:
        handle.close()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        file=name,
        total=written,
        done=written,
        finished_at=timezone.now(),
    )
    Notification.objects.create(
        user=job.user,
        kind=Notification.Kind.EXPORT,
        day=today,
        title=f"隐患台账导出完成（{written}条）",
        body="台账文件已生成，可在导出页面下载。",
        link=reverse("hazard_export_job", args=[job.pk]),
    )
