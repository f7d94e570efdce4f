"""The upload → preview → confirm steps every Excel import shares (units, hazard ledgers, …).

Between preview and confirm the upload lives in MEDIA_ROOT/imports/<random token>.xlsx and only
its token is kept, in the session: the rows never travel through the browser, and confirming
re-reads and re-validates the file against the database as it is at that moment. Confirming
claims the file by renaming it, so of two simultaneous confirms (a double click) one proceeds.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import FileResponse, HttpRequest
from django.shortcuts import redirect, render
from django.urls import path as route
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import StyledFormMixin
from .spreadsheets import XLSX_CONTENT_TYPE, ImportFileError, open_workbook

# Abandoned previews are removed on the next upload by anyone.
STALE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def import_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


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
            open_workbook(upload).close()
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        upload.seek(0)
        return upload


@dataclass
class Claimed:
    """A pending upload taken for importing; `path` is the caller's to delete."""

    path: Path
    filename: str
    options: dict


class PendingUpload:
    """One kind of import's pending file, kept in the session under `session_key`."""

    def __init__(self, session_key: str):
        self.session_key = session_key

    def _state(self, request: HttpRequest) -> dict:
        return request.session.get(self.session_key) or {}

    def token(self, request: HttpRequest) -> str:
        return self._state(request).get("token", "")

    def filename(self, request: HttpRequest) -> str:
        return self._state(request).get("filename", "")

    def options(self, request: HttpRequest) -> dict:
        return self._state(request).get("options", {})

    def set_options(self, request: HttpRequest, **options) -> None:
        state = self._state(request)
        if state:
            state["options"] = {**state.get("options", {}), **options}
            request.session[self.session_key] = state

    def path(self, request: HttpRequest) -> Path | None:
        token = self.token(request)
        if not _TOKEN.match(token):
            return None
        return import_dir() / f"{token}.xlsx"

    def exists(self, request: HttpRequest) -> bool:
        path = self.path(request)
        if path is None or not path.exists():
            request.session.pop(self.session_key, None)
            return False
        return True

    def discard(self, request: HttpRequest) -> None:
        path = self.path(request)
        if path is not None:
            path.unlink(missing_ok=True)
        request.session.pop(self.session_key, None)

    def store(self, request: HttpRequest, upload, **options) -> str:
        """Keeps the upload for preview and confirm; returns its token."""
        self.discard(request)
        directory = import_dir()
        directory.mkdir(parents=True, exist_ok=True)
        _remove_stale_uploads(directory)
        token = secrets.token_urlsafe(24)
        with open(directory / f"{token}.xlsx", "xb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        request.session[self.session_key] = {
            "token": token,
            "filename": upload.name,
            "options": options,
        }
        return token

    def claim(self, request: HttpRequest, posted_token: str | None) -> Claimed | None | bool:
        """The file, renamed so nobody else imports it; None if the preview is no longer the
        current one (stale token), False if another request claimed it first."""
        path = self.path(request)
        if path is None or posted_token != self.token(request):
            return None
        # openpyxl insists on the .xlsx extension, hence the name.
        claimed = path.with_name(f"{path.stem}.importing.xlsx")
        state = self._state(request)
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            request.session.pop(self.session_key, None)
            return False
        request.session.pop(self.session_key, None)
        return Claimed(claimed, state.get("filename", ""), state.get("options", {}))


def _remove_stale_uploads(directory: Path) -> None:
    cutoff = time.time() - STALE_SECONDS
    for path in directory.glob("*.xlsx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            pass


class TableImport:
    """The three pages of a small table import (upload → preview → confirm) and its template,
    for imports whose whole file is checked and entered in one request (the duty roster,
    accidents). The unit and hazard-ledger imports have their own pages (options, jobs).

    A subclass names its session key, templates and URL names and implements `read` (the
    report of a file: `rows`, `errors`, `warnings`, `ok`), `enter` (the same, entering the rows
    all-or-nothing), `write_template` and `done_message`.
    """

    session_key = ""
    upload_template = ""
    preview_template = ""
    upload_url = ""
    preview_url = ""
    list_url = ""
    template_filename = ""
    columns: tuple = ()
    max_rows = 0
    refusal = "只有安委办可以导入"
    shown_issues = 500
    preview_rows = 200

    def __init__(self):
        self.pending = PendingUpload(self.session_key)

    # --- what each import supplies ---------------------------------------------------------

    def read(self, path: Path):
        raise NotImplementedError

    def enter(self, path: Path, *, actor, filename: str):
        """Imports the file all or nothing; `filename` as uploaded, for the import record."""
        raise NotImplementedError

    def write_template(self, fileobj) -> None:
        raise NotImplementedError

    def done_message(self, report, filename: str) -> str:
        raise NotImplementedError

    def done_url(self, report) -> str:
        return reverse(self.list_url)

    def preview_context(self, report) -> dict:
        """Anything more the preview page shows of a report."""
        return {}

    def allowed(self, user) -> bool:
        return user.is_office

    # --- the pages ---------------------------------------------------------------------------

    def _check(self, request: HttpRequest) -> None:

        if not self.allowed(request.user):
            raise PermissionDenied(self.refusal)

    def upload(self, request: HttpRequest):
        self._check(request)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            self.pending.store(request, form.cleaned_data["file"])
            return redirect(self.preview_url)
        return render(
            request,
            self.upload_template,
            {
                "form": form,
                "columns": self.columns,
                "max_mb": settings.IMPORT_MAX_BYTES // 1048576,
                "max_rows": self.max_rows,
            },
        )

    def _preview(
        self, request, *, report=None, file_error="", token="", stale=False, filename=None
    ):

        context = {
            "filename": self.pending.filename(request) if filename is None else filename,
            "report": report,
            "file_error": file_error,
            "token": token,
            "stale": stale,
            "shown_issues": self.shown_issues,
            "preview_rows": self.preview_rows,
        }
        if report is not None:
            context.update(
                errors=report.errors[: self.shown_issues],
                warnings=report.warnings[: self.shown_issues],
                preview=report.rows[: self.preview_rows],
                **self.preview_context(report),
            )
        return render(request, self.preview_template, context)

    def preview(self, request: HttpRequest):
        self._check(request)
        if not self.pending.exists(request):
            messages.info(request, "请先上传要导入的文件")
            return redirect(self.upload_url)
        try:
            report = self.read(self.pending.path(request))
        except ImportFileError as exc:
            filename = self.pending.filename(request)
            self.pending.discard(request)
            return self._preview(request, file_error=str(exc), filename=filename)
        return self._preview(request, report=report, token=self.pending.token(request))

    def confirm(self, request: HttpRequest):
        self._check(request)
        claimed = self.pending.claim(request, request.POST.get("token"))
        if claimed is None:
            messages.warning(
                request, "该预览已失效（可能已导入，或之后又上传了其他文件），请重新上传"
            )
            return redirect(self.upload_url)
        if claimed is False:
            messages.warning(request, "该文件正在导入或已导入")
            return redirect(self.list_url)
        try:
            report = self.enter(claimed.path, actor=request.user, filename=claimed.filename)
        except ImportFileError as exc:
            return self._preview(request, file_error=str(exc), filename=claimed.filename)
        except IntegrityError:
            return self._preview(
                request,
                file_error="导入时与同时进行的另一次修改冲突，未导入任何数据；请重新上传预览",
                filename=claimed.filename,
            )
        finally:
            claimed.path.unlink(missing_ok=True)
        if report.errors or not report.rows:
            return self._preview(request, report=report, stale=True, filename=claimed.filename)
        messages.success(request, self.done_message(report, claimed.filename))
        return redirect(self.done_url(report))

    def template(self, request: HttpRequest):

        self._check(request)
        buffer = io.BytesIO()
        self.write_template(buffer)
        buffer.seek(0)
        return FileResponse(
            buffer,
            as_attachment=True,
            filename=self.template_filename,
            content_type=XLSX_CONTENT_TYPE,
        )

    def urls(self, prefix: str) -> list:
        """import/, import/preview/, import/confirm/, import/template/ named <prefix>_import…"""
        upload = require_http_methods(["GET", "POST"])(self.upload)
        return [
            route("import/", upload, name=f"{prefix}_import"),
            route("import/preview/", require_GET(self.preview), name=f"{prefix}_import_preview"),
            route("import/confirm/", require_POST(self.confirm), name=f"{prefix}_import_confirm"),
            route("import/template/", require_GET(self.template), name=f"{prefix}_import_template"),
        ]
