"""Unit import (upload → preview → confirm), the import template and the unit-list export.

The steps themselves (where the upload waits, the claim at confirm) are anjian/imports.py's,
shared with the other imports.
"""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anjian.imports import ImportUploadForm, PendingUpload
from audit.models import ImportRecord
from audit.records import read_source, record_import

from . import xlsx
from .views import UnitListView, _require_unit_manager

PENDING = PendingUpload("unit_import")
PREVIEW_ROWS = 100
SHOWN_ISSUES = 500


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_unit_manager(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        PENDING.store(request, form.cleaned_data["file"])
        return redirect("units:import_preview")
    return render(
        request,
        "units/import_upload.html",
        {
            "form": form,
            "columns": xlsx.COLUMNS,
            "max_mb": settings.IMPORT_MAX_BYTES // 1048576,
            "max_rows": settings.IMPORT_MAX_ROWS,
        },
    )


def _render_report(request, *, report=None, file_error="", token="", stale=False, filename=None):
    if filename is None:
        filename = PENDING.filename(request)
    context = {
        "filename": filename,
        "report": report,
        "file_error": file_error,
        "token": token,
        "stale": stale,
        "shown_issues": SHOWN_ISSUES,
    }
    if report is not None:
        context.update(
            errors=report.errors[:SHOWN_ISSUES],
            warnings=report.warnings[:SHOWN_ISSUES],
            preview=list(zip(report.unit_rows, report.units, strict=True))[:PREVIEW_ROWS],
            preview_rows=PREVIEW_ROWS,
        )
    return render(request, "units/import_preview.html", context)


@require_GET
def import_preview(request: HttpRequest) -> HttpResponse:
    _require_unit_manager(request)
    if not PENDING.exists(request):
        messages.info(request, "请先上传要导入的 Excel 文件")
        return redirect("units:import")
    try:
        with PENDING.local(request) as path:
            report = xlsx.analyse(path, max_rows=settings.IMPORT_MAX_ROWS)
    except xlsx.ImportFileError as exc:
        filename = PENDING.filename(request)
        PENDING.discard(request)
        return _render_report(request, file_error=str(exc), filename=filename)
    return _render_report(request, report=report, token=PENDING.token(request))


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    _require_unit_manager(request)
    claimed = PENDING.claim(request, request.POST.get("token"))
    if claimed is None:
        messages.warning(request, "该预览已失效（可能已导入，或之后又上传了其他文件），请重新上传")
        return redirect("units:import")
    if claimed is False:
        messages.warning(request, "该文件正在导入或已导入，请到单位列表查看")
        return redirect("units:list")
    filename = claimed.filename
    try:
        with transaction.atomic():
            report = xlsx.import_units(claimed.path, max_rows=settings.IMPORT_MAX_ROWS)
            if report.imported:
                record_import(
                    kind=ImportRecord.Kind.UNITS,
                    user=request.user,
                    filename=filename,
                    content=read_source(claimed.path),
                    created={"units.Unit": [unit.pk for unit in report.units]},
                )
    except xlsx.ImportFileError as exc:
        return _render_report(request, file_error=str(exc), filename=filename)
    except IntegrityError:
        return _render_report(
            request,
            file_error="导入时发现统一社会信用代码与刚刚新增的单位冲突，未导入任何单位；请重新上传预览",
            filename=filename,
        )
    finally:
        claimed.path.unlink(missing_ok=True)
    if report.errors or not report.imported:
        return _render_report(request, report=report, stale=True, filename=filename)
    messages.success(request, f"已从“{filename}”导入 {report.imported} 家单位")
    return redirect("units:list")


def _xlsx_download(write, filename: str) -> FileResponse:
    # Built in a temporary file, then streamed: neither the rows nor the file sit in memory.
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    try:
        write(target)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return FileResponse(
        target, as_attachment=True, filename=filename, content_type=xlsx.XLSX_CONTENT_TYPE
    )


@require_GET
def import_template(request: HttpRequest) -> FileResponse:
    _require_unit_manager(request)
    return _xlsx_download(xlsx.write_template, "单位导入模板.xlsx")


@require_GET
def unit_export(request: HttpRequest) -> FileResponse:
    """The unit list exactly as /units/ shows it to this user (scope, filters, sort), unpaged."""
    view = UnitListView()
    view.setup(request)
    units = view.get_queryset().iterator(chunk_size=2000)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx_download(lambda target: xlsx.write_units(units, target), f"单位名单-{stamp}.xlsx")
