"""PDF documents sent with a rectification report (整改报告, 检测报告, 验收材料).

A PDF cannot be re-encoded as a photo is, so it is checked instead: its size, its magic bytes
(`%PDF-` at the start, `%%EOF` near the end, as every conforming writer leaves them) and that it
is not an HTML page or a script renamed .pdf. It is stored under a random name and served only
as application/pdf, as an attachment, with nosniff: a browser never renders it as a page.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from .models import HazardAttachment

MAX_PER_REPORT = 5
TAIL_BYTES = 1024


def validate_pdf(upload) -> bytes:
    """The upload's bytes, or a ValidationError in Chinese for the form field."""
    size = getattr(upload, "size", None) or 0
    if size > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES / (1024 * 1024)
        raise ValidationError(f"PDF 文件不能超过{limit:g}MB", code="pdf_too_large")
    upload.seek(0)
    data = upload.read(settings.ATTACHMENT_MAX_BYTES + 1)
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError("PDF 文件过大", code="pdf_too_large")
    if not data:
        raise ValidationError("文件是空的", code="pdf_empty")
    if not data.startswith(b"%PDF-"):
        raise ValidationError("只能上传 PDF 文件（或照片）", code="pdf_format")
    if b"%%EOF" not in data[-TAIL_BYTES:]:
        raise ValidationError("PDF 文件不完整或已损坏", code="pdf_truncated")
    return data


def save_attachment(*, hazard, upload, data: bytes, user, event=None) -> HazardAttachment:
    name = (getattr(upload, "name", "") or "材料.pdf").rsplit("/", 1)[-1][:120]
    attachment = HazardAttachment(
        hazard=hazard,
        event=event,
        token=secrets.token_hex(16),
        name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=user,
    )
    attachment.file.save(f"{attachment.token}.pdf", ContentFile(data), save=False)
    attachment.save()
    return attachment
