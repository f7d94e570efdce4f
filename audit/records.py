"""Writing the access log and the import records (both append-only, see models.py)."""

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import models

from accounts.lockout import client_ip

from .models import AccessRecord, ImportRecord

Kind = AccessRecord.Kind

# Photos shown as thumbnails on every list and page are not downloads.
NOT_DOWNLOADS = {"hazard_photo_thumb"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILENAME = re.compile(r"filename\*=utf-8''(?P<quoted>[^;]+)|filename=\"?(?P<plain>[^\";]+)")


def _ip(request) -> str | None:
    address = client_ip(request) if request is not None else None
    return address or None


def log_access(request, kind: str, *, user=None, username: str = "", what: str = "") -> None:
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        user = candidate if candidate is not None and candidate.is_authenticated else None
    AccessRecord.objects.create(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        what=what[:300],
        path=(request.get_full_path()[:500] if request is not None else ""),
        ip=_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
    )


def _on_login(sender, request, user, **kwargs) -> None:
    log_access(request, Kind.LOGIN, user=user)


def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        log_access(request, Kind.LOGOUT, user=user)


def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    log_access(request, Kind.LOGIN_FAILED, username=str(credentials.get("username", "")))


def connect_auth_signals() -> None:
    """Django's auth signals are the one place every login path passes (the login page, the
    admin's, an axes lockout answers before them and is logged by axes itself)."""
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_on_login, dispatch_uid="audit.login")
    user_logged_out.connect(_on_logout, dispatch_uid="audit.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="audit.login_failed")


def _filename(disposition: str) -> str:
    from urllib.parse import unquote

    match = _FILENAME.search(disposition)
    if not match:
        return ""
    return unquote(match["quoted"]) if match["quoted"] else match["plain"]


class AccessLogMiddleware:
    """Every file a signed-in user takes away — a ledger or unit export, a bulletin's PDF or
    attachment, a photo, an admin template — is answered with Content-Disposition: logging by
    that header catches each of them, and the ones added later, in one place."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        disposition = response.get("Content-Disposition")
        if not disposition or response.status_code != 200:
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in NOT_DOWNLOADS:
            return response
        kind = Kind.EXPORT if response.get("Content-Type", "").startswith(XLSX) else Kind.DOWNLOAD
        log_access(request, kind, what=_filename(disposition) or request.path)
        return response


def read_source(source) -> bytes:
    """The uploaded file's bytes, from a path or an open file (left where it was)."""
    if isinstance(source, (str, Path)):
        return Path(source).read_bytes()
    position = source.tell()
    source.seek(0)
    content = source.read()
    source.seek(position)
    return content


def record_import(
    *,
    kind: str,
    user,
    filename: str,
    content: bytes,
    created: dict[str, Iterable[int]] | None = None,
    updated: dict[str, Iterable[int]] | None = None,
) -> ImportRecord:
    """Called inside the import's own transaction: the record exists exactly when the rows do."""
    digest = hashlib.sha256(content).hexdigest()
    record = ImportRecord(
        kind=kind,
        user=user if user is not None and user.is_authenticated else None,
        filename=filename[:200],
        sha256=digest,
        created_rows={label: sorted(ids) for label, ids in (created or {}).items() if ids},
        updated_rows={label: sorted(ids) for label, ids in (updated or {}).items() if ids},
    )
    suffix = filename.rsplit(".", 1)[-1][:10] if "." in filename else "bin"
    record.file.save(f"{digest[:16]}.{suffix}", ContentFile(content), save=False)
    record.save()
    return record


def label(model: type[models.Model]) -> str:
    return model._meta.label
