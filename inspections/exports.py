"""The hazard ledger (隐患排查治理台账) as an .xlsx workbook.

Rows stream from the database in chunks into an openpyxl write-only sheet, so memory stays
flat whatever the ledger's size. Plain functions: the view calls them for small exports, the
Celery task (inspections.tasks.exports) for large ones.
"""

import datetime
import logging
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from units.models import User
from units.xlsx import text_cell

from .filters import ledger_queryset
from .models import ExportJob, Hazard, HazardEvent, Notification

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


def export_rows(queryset: QuerySet) -> QuerySet:
    """The export's columns on top of the ledger queryset, in a number of queries that grows
    with the chunks, never with the rows: the last event by correlated subqueries, the
    inspectors by one prefetch per chunk."""
    last_event = HazardEvent.objects.filter(hazard=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        queryset.select_related("inspection")
        .prefetch_related(
            Prefetch(
                "inspection__inspectors",
                queryset=User.objects.only("id", "name", "username").order_by("id"),
            )
        )
        .annotate(
            last_action=Subquery(last_event.values("action")[:1]),
            last_action_at=Subquery(last_event.values("created_at")[:1]),
        )
    )


def _row(index: int, hazard: Hazard, today: datetime.date) -> list:
    unit = hazard.unit
    inspectors = "、".join(str(u) for u in hazard.inspection.inspectors.all())
    responsible = " ".join(p for p in (hazard.responsible_person, hazard.responsible_phone) if p)
    last_at = (
        timezone.localtime(hazard.last_action_at).replace(tzinfo=None)
        if (hazard.last_action_at)
        else None
    )
    closed_on = timezone.localtime(hazard.closed_at).date() if hazard.closed_at else None
    return [
        index,
        hazard.number or "",
        unit.name,
        unit.credit_code,
        unit.area.name,
        unit.category.name,
        hazard.found_on,
        inspectors,
        hazard.location,
        hazard.description,
        hazard.get_hazard_type_display(),
        hazard.get_level_display(),
        hazard.measures or hazard.rectification_plan,
        hazard.lead_department.name,
        responsible,
        hazard.deadline,
        hazard.original_deadline,
        hazard.overdue_days(today) or None,
        hazard.get_status_display(),
        _ACTION_LABELS.get(hazard.last_action, hazard.last_action or ""),
        last_at,
        closed_on,
    ]


def iter_hazards(queryset: QuerySet) -> Iterator[Hazard]:
    return export_rows(queryset).iterator(chunk_size=CHUNK_SIZE)


def write_ledger(
    rows: Iterable[Hazard],
    target: str | IO[bytes],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = CHUNK_SIZE,
) -> int:
    """Write the workbook to `target` (a path or a binary file); returns the row count.
    `progress(n)` is called every `every` rows and once at the end."""
    today = timezone.localdate()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("隐患台账")
    for index, width in enumerate(COLUMN_WIDTHS):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "C2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FCE4D6")
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        header.append(cell)
    sheet.append(header)
    date_columns = {6, 15, 16, 21}
    count = 0
    for count, hazard in enumerate(rows, start=1):
        values = _row(count, hazard, today)
        cells = []
        for column, value in enumerate(values):
            if value is None:
                cells.append(None)
                continue
            cell = text_cell(sheet, value)
            if column in date_columns:
                cell.number_format = DATE_FORMAT
            elif column == 20:
                cell.number_format = DATETIME_FORMAT
            elif column == 17:
                cell.font = Font(color="C00000", bold=True)
            cells.append(cell)
        sheet.append(cells)
        if progress and count % every == 0:
            progress(count)
    if progress:
        progress(count)
    workbook.save(target)
    return count


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


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
    """Write a queued export to MEDIA_ROOT/exports/ and tell the user. Safe to run twice: a
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
    path = settings.MEDIA_ROOT / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Scope is re-applied as of now: a user who lost access since asking gets less, not more.
        _filterset, queryset = ledger_queryset(job.user, params_querydict(job.params))
        total = queryset.count()
        ExportJob.objects.filter(pk=job.pk).update(total=total)

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(done=done, heartbeat_at=timezone.now())

        written = write_ledger(iter_hazards(queryset), str(path), progress=progress)
    except Exception as exc:
        logger.exception("ledger export %s failed", job.pk)
        path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=str(exc)[:1000], finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        file=relative,
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
