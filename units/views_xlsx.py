"""Unit import (upload → preview → confirm), the import template and the unit-list export.

Between preview and confirm the upload lives in MEDIA_ROOT/imports/<random token>.xlsx and only
its token is kept, in the session: the rows never travel through the browser, and confirming
re-reads and re-validates the file against the database as it is at that moment.
"""

import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anjian.forms import StyledFormMixin

from . import xlsx
from .views import UnitListView, _require_unit_manager

SESSION_KEY = "unit_import"
PREVIEW_ROWS = 100
SHOWN_ISSUES = 500
# Abandoned previews are removed on the next upload by anyone.
STALE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _import_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _pending_path(request: HttpRequest) -> Path | None:
    pending = request.session.get(SESSION_KEY) or {}
    token = pending.get("token", "")
    if not _TOKEN.match(token):
        return None
    return _import_dir() / f"{token}.xlsx"


def _discard_pending(request: HttpRequest) -> None:
    path = _pending_path(request)
    if path is not None:
        path.unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


def _remove_stale_uploads() -> None:
    cutoff = time.time() - STALE_SECONDS
    for path in _import_dir().glob("*.xlsx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            pass


class ImportUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件过大（{upload.size / 1048576:.1f} MB），上限为 {limit / 1048576:.0f} MB，"
                "请拆分后分批导入"
            )
        try:
            xlsx.open_workbook(upload).close()
        except xlsx.ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        upload.seek(0)
        return upload


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_unit_manager(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        _discard_pending(request)
        directory = _import_dir()
        directory.mkdir(parents=True, exist_ok=True)
        _remove_stale_uploads()
        token = secrets.token_urlsafe(24)
        upload = form.cleaned_data["file"]
        with open(directory / f"{token}.xlsx", "xb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        request.session[SESSION_KEY] = {"token": token, "filename": upload.name}
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
        filename = (request.session.get(SESSION_KEY) or {}).get("filename", "")
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
    path = _pending_path(request)
    if path is None or not path.exists():
        request.session.pop(SESSION_KEY, None)
        messages.info(request, "请先上传要导入的 Excel 文件")
        return redirect("units:import")
    try:
        report = xlsx.analyse(path, max_rows=settings.IMPORT_MAX_ROWS)
    except xlsx.ImportFileError as exc:
        _discard_pending(request)
        return _render_report(request, file_error=str(exc))
    return _render_report(request, report=report, token=request.session[SESSION_KEY]["token"])


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    _require_unit_manager(request)
    path = _pending_path(request)
    token = (request.session.get(SESSION_KEY) or {}).get("token")
    if path is None or request.POST.get("token") != token:
        messages.warning(request, "该预览已失效（可能已导入，或之后又上传了其他文件），请重新上传")
        return redirect("units:import")
    # Claiming by rename lets exactly one of two simultaneous confirms (a double click) proceed.
    # (openpyxl insists on the .xlsx extension, hence the name.)
    claimed = path.with_name(f"{path.stem}.importing.xlsx")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        request.session.pop(SESSION_KEY, None)
        messages.warning(request, "该文件正在导入或已导入，请到单位列表查看")
        return redirect("units:list")
    filename = request.session[SESSION_KEY].get("filename", "")
    try:
        report = xlsx.import_units(claimed, max_rows=settings.IMPORT_MAX_ROWS)
    except xlsx.ImportFileError as exc:
        return _render_report(request, file_error=str(exc), filename=filename)
    except IntegrityError:
        return _render_report(
            request,
            file_error="导入时发现统一社会信用代码与刚刚新增的单位冲突，未导入任何单位；请重新上传预览",
            filename=filename,
        )
    finally:
        claimed.unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)
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
