"""The upload → preview → confirm steps every Excel import shares (units, hazard ledgers, …).

Between preview and confirm the upload lives in the media storage as imports/<random token>.xlsx
(MEDIA_ROOT or the S3 bucket: any web process may serve the next step) and only its token is
kept, in the session: the rows never travel through the browser, and confirming re-reads and
re-validates the file against the database as it is at that moment. Confirming claims the token
in the shared cache, so of two simultaneous confirms (a double click) one proceeds; an object
store has no atomic rename to claim the file itself with.

The readers (openpyxl, zipfile) want a seekable local file, so each step copies the stored file
to a temporary file of its own and deletes it afterwards: nothing lasting is kept on the web host.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.http import FileResponse, HttpRequest
from django.shortcuts import redirect, render
from django.urls import path as route
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import StyledFormMixin
from .spreadsheets import XLSX_CONTENT_TYPE, ImportFileError, open_workbook

# Abandoned previews are removed on the next upload by anyone.
STALE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


# The storage folder of pending uploads (a prefix in the bucket); the worker's files in jobs/.
IMPORT_DIR = "imports"


def fetch(name: str) -> Path:
    """A stored file copied to a temporary .xlsx file (openpyxl insists on the extension) that
    the caller deletes. Raises FileNotFoundError if the stored file is gone."""
    with (
        default_storage.open(name, "rb") as source,
        tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as target,
    ):
        try:
            shutil.copyfileobj(source, target)
        except BaseException:
            Path(target.name).unlink(missing_ok=True)
            raise
    return Path(target.name)


@contextlib.contextmanager
def local_copy(name: str) -> Iterator[Path]:
    path = fetch(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


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
    """A pending upload taken for importing: `path` is a temporary local copy, the caller's to
    delete; the stored upload itself is already deleted."""

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

    def name(self, request: HttpRequest) -> str | None:
        """The pending upload's name in the media storage."""
        token = self.token(request)
        if not _TOKEN.match(token):
            return None
        return f"{IMPORT_DIR}/{token}.xlsx"

    def exists(self, request: HttpRequest) -> bool:
        name = self.name(request)
        if name is None or not default_storage.exists(name):
            request.session.pop(self.session_key, None)
            return False
        return True

    @contextlib.contextmanager
    def local(self, request: HttpRequest) -> Iterator[Path]:
        """The pending upload as a temporary local file for the readers, deleted afterwards."""
        try:
            with local_copy(self.name(request) or "") as path:
                yield path
        except FileNotFoundError:
            raise ImportFileError("上传的文件已不存在（可能已被导入或清理），请重新上传") from None

    def discard(self, request: HttpRequest) -> None:
        name = self.name(request)
        if name is not None:
            default_storage.delete(name)
        request.session.pop(self.session_key, None)

    def store(self, request: HttpRequest, upload, **options) -> str:
        """Keeps the upload for preview and confirm; returns its token."""
        self.discard(request)
        _remove_stale_uploads()
        token = secrets.token_urlsafe(24)
        default_storage.save(f"{IMPORT_DIR}/{token}.xlsx", upload)
        request.session[self.session_key] = {
            "token": token,
            "filename": upload.name,
            "options": options,
        }
        return token

    def claim(self, request: HttpRequest, posted_token: str | None) -> Claimed | None | bool:
        """The file, renamed so nobody else imports it; None if the preview is no longer the
        current one (stale token), False if another request claimed it first."""
        name = self.name(request)
        token = self.token(request)
        if name is None or posted_token != token:
            return None
        state = self._state(request)
        request.session.pop(self.session_key, None)
        # cache.add is atomic in Redis, shared by every web process: one request wins the token.
        # Without REDIS_URL the cache is per process, which only the one-process demo runs with.
        if not cache.add(f"import-claim:{token}", 1, STALE_SECONDS):
            return False
        try:
            path = fetch(name)
        except FileNotFoundError:
            return False
        default_storage.delete(name)
        return Claimed(path, state.get("filename", ""), state.get("options", {}))


def _remove_stale_uploads() -> None:
    cutoff = timezone.now() - datetime.timedelta(seconds=STALE_SECONDS)
    try:
        _folders, names = default_storage.listdir(IMPORT_DIR)
    except FileNotFoundError:
        return
    for name in names:
        if not name.endswith(".xlsx"):
            continue
        stored = f"{IMPORT_DIR}/{name}"
        try:
            if default_storage.get_modified_time(stored) < cutoff:
                default_storage.delete(stored)
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
            with self.pending.local(request) as path:
                report = self.read(path)
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
