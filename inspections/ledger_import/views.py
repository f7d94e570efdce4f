"""/hazards/import/: upload → preview → confirm, the template, and the background job's page.

Office only. The steps are anjian/imports.py's (shared with the unit import); a confirmed file
of more than IMPORT_INLINE_MAX_ROWS rows becomes an ImportJob for the worker.
"""

import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anjian.imports import ImportUploadForm, PendingUpload
from anjian.spreadsheets import XLSX_CONTENT_TYPE, ImportFileError, read_sheet

from ..models import ImportJob
from . import jobs
from .columns import COLUMNS, LAYOUT
from .reading import analyse, import_ledger
from .writing import write_template

PENDING = PendingUpload("hazard_import")
PREVIEW_ROWS = 100
SHOWN_ISSUES = 500


def _require_office(request: HttpRequest) -> None:
    if not request.user.is_office:
        raise PermissionDenied("只有安委办可以导入隐患台账")


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        PENDING.store(request, form.cleaned_data["file"], create_units=False)
        return redirect("hazard_import_preview")
    return render(
        request,
        "inspections/ledger_import/upload.html",
        {
            "form": form,
            "columns": COLUMNS,
            "max_mb": settings.IMPORT_MAX_BYTES // 1048576,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "inline_rows": settings.IMPORT_INLINE_MAX_ROWS,
        },
    )


def _render(request, *, report=None, file_error="", token="", stale=False, filename=None):
    context = {
        "filename": PENDING.filename(request) if filename is None else filename,
        "report": report,
        "file_error": file_error,
        "token": token,
        "stale": stale,
        "shown_issues": SHOWN_ISSUES,
        "preview_rows": PREVIEW_ROWS,
        "inline_rows": settings.IMPORT_INLINE_MAX_ROWS,
    }
    if report is not None:
        context.update(
            errors=report.errors[:SHOWN_ISSUES],
            warnings=report.warnings[:SHOWN_ISSUES],
            preview=report.rows[:PREVIEW_ROWS],
            unmatched=list(report.unmatched_units.values())[:SHOWN_ISSUES],
            new_units=list(report.new_units.values())[:SHOWN_ISSUES],
            as_job=len(report.rows) > settings.IMPORT_INLINE_MAX_ROWS,
        )
    return render(request, "inspections/ledger_import/preview.html", context)


@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    if not PENDING.exists(request):
        messages.info(request, "请先上传要导入的隐患台账")
        return redirect("hazard_import")
    if request.method == "POST":
        # The office's choice for units the ledger names and the system lacks.
        PENDING.set_options(request, create_units=request.POST.get("create_units") == "1")
        return redirect("hazard_import_preview")
    try:
        with PENDING.local(request) as path:
            report = analyse(
                path,
                create_units=bool(PENDING.options(request).get("create_units")),
                max_rows=settings.IMPORT_MAX_ROWS,
            )
    except ImportFileError as exc:
        filename = PENDING.filename(request)
        PENDING.discard(request)
        return _render(request, file_error=str(exc), filename=filename)
    return _render(request, report=report, token=PENDING.token(request))


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    claimed = PENDING.claim(request, request.POST.get("token"))
    if claimed is None:
        messages.warning(request, "该预览已失效（可能已导入，或之后又上传了其他文件），请重新上传")
        return redirect("hazard_import")
    if claimed is False:
        messages.warning(request, "该文件正在导入或已导入，请到隐患台账查看")
        return redirect("hazard_list")
    create_units = bool(claimed.options.get("create_units"))
    try:
        sheet = read_sheet(claimed.path, LAYOUT, max_rows=settings.IMPORT_MAX_ROWS)
        if len(sheet.rows) > settings.IMPORT_INLINE_MAX_ROWS:
            job = jobs.start_job(actor=request.user, claimed=claimed)
            return redirect("hazard_import_job", job.pk)
        report = import_ledger(
            claimed.path,
            actor=request.user,
            filename=claimed.filename,
            create_units=create_units,
            max_rows=settings.IMPORT_MAX_ROWS,
        )
    except ImportFileError as exc:
        return _render(request, file_error=str(exc), filename=claimed.filename)
    except IntegrityError:
        return _render(
            request,
            file_error="导入时与同时进行的另一次导入冲突，未导入任何隐患；请重新上传预览",
            filename=claimed.filename,
        )
    finally:
        claimed.path.unlink(missing_ok=True)
    if report.errors or not report.imported:
        return _render(request, report=report, stale=True, filename=claimed.filename)
    message = f"已从“{claimed.filename}”导入 {report.imported} 条隐患"
    if report.units_created:
        message += f"，新建 {report.units_created} 家单位"
    if report.already_in:
        message += f"；{report.already_in} 行此前已导入，已跳过"
    messages.success(request, message)
    return redirect("hazard_list")


@require_GET
def import_template(request: HttpRequest) -> FileResponse:
    _require_office(request)
    buffer = io.BytesIO()
    write_template(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename="隐患台账导入模板.xlsx", content_type=XLSX_CONTENT_TYPE
    )


@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress (polled by htmx) and, once finished, its result."""
    _require_office(request)
    job = get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)
    template = (
        "inspections/ledger_import/job_progress.html"
        if request.headers.get("HX-Request")
        else "inspections/ledger_import/job.html"
    )
    return render(request, template, {"job": job})
