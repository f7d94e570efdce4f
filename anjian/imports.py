"""The upload → preview → confirm steps every Excel import shares (units, hazard ledgers, …).

Between preview and confirm the upload lives in MEDIA_ROOT/imports/<random token>.xlsx and only
its token is kept, in the session: the rows never travel through the browser, and confirming
re-reads and re-validates the file against the database as it is at that moment. Confirming
claims the file by renaming it, so of two simultaneous confirms (a double click) one proceeds.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.http import HttpRequest

from .forms import StyledFormMixin
from .spreadsheets import ImportFileError, open_workbook

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
