"""A document's snapshot as an A4 PDF (WeasyPrint), in the bulletins' official style, with the
QR code of its verification page drawn as SVG (segno: pure Python, no network)."""

import base64
import datetime

import segno
from django.conf import settings
from django.template.loader import render_to_string

from ..models import Document
from .issuing import verification_url

TEMPLATES = {
    Document.Kind.NOTICE: "documents/notice.html",
    Document.Kind.REVIEW: "documents/review.html",
    Document.Kind.RECORD: "documents/record.html",
}


def qr_data_uri(url: str) -> str:
    # Level M survives a crease or a smudge on paper; the quiet zone is segno's default (4).
    svg = segno.make(url, error="m", micro=False).svg_inline(scale=4, dark="#000")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def render_html(document: Document) -> str:
    content = document.content
    hazards = [
        {**h, "deadline_date": _date(h.get("deadline", ""))} for h in content.get("hazards", [])
    ]
    url = verification_url(document)
    return render_to_string(
        TEMPLATES[document.kind],
        {
            "document": document,
            "c": content,
            "hazards": hazards,
            "inspection_date": _date(content.get("inspection_date", "")),
            "new_deadline": _date(content.get("new_deadline", "")),
            "verify_url": url,
            "qr": qr_data_uri(url),
            "site_name": settings.SITE_NAME,
        },
    )


def render_pdf(document: Document) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(document), base_url=str(settings.BASE_DIR)).write_pdf()
