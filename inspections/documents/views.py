"""Documents: the PDF download, the office's void / reissue, and the public verification page.

/v/<token>/ is the only page of the site open without signing in. It proves a document and
nothing more: number, kind, issuer, date, unit name, the listed hazards' numbers and current
status, the PDF's SHA-256, and whether it was superseded or voided. A bad or revoked token is
404, and one address may open only DOCUMENT_VERIFY_PER_MINUTE of them a minute.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.lockout import client_ip

from ..models import Document
from . import issuing, tokens


def get_document_for_user(request: HttpRequest, pk: int) -> Document:
    return get_object_or_404(
        Document.objects.visible_to(request.user).select_related("department", "unit"), pk=pk
    )


@require_GET
def document_pdf(request: HttpRequest, pk: int) -> FileResponse:
    document = issuing.ensure_pdf(get_document_for_user(request, pk))
    return FileResponse(
        document.pdf.open("rb"),
        content_type="application/pdf",
        filename=f"{document.title}{document.number}.pdf",
        as_attachment=False,
    )


def _back(request: HttpRequest, document: Document) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    if document.inspection_id:
        return redirect("inspection_detail", pk=document.inspection_id)
    return redirect("units:detail", pk=document.unit_id)


def _require_office(request: HttpRequest) -> None:
    if not request.user.is_office:
        raise PermissionDenied("只有安委办可以更正或作废文书")


@require_POST
def document_void(request: HttpRequest, pk: int) -> HttpResponse:
    _require_office(request)
    document = get_document_for_user(request, pk)
    try:
        issuing.void(
            document_id=document.pk,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            revoke_link=request.POST.get("revoke_link") == "1",
        )
    except issuing.DocumentError as error:
        messages.error(request, f"未能作废{document.number}：{error}")
    else:
        messages.success(request, f"已作废：{document.number}")
    return _back(request, document)


@require_POST
def document_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    _require_office(request)
    document = get_document_for_user(request, pk)
    try:
        new = issuing.reissue(document_id=document.pk, actor=request.user)
    except issuing.DocumentError as error:
        messages.error(request, f"未能重新出具{document.number}：{error}")
    else:
        messages.success(request, f"已重新出具：{new.number}（替代 {document.number}）")
    return _back(request, document)


def _over_rate(request: HttpRequest) -> bool:
    """A fixed one-minute window per address, counted in the shared cache (Redis in production,
    so every worker counts the same)."""
    window = int(time.time() // 60)
    key = f"doc-verify:{client_ip(request) or '-'}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > settings.DOCUMENT_VERIFY_PER_MINUTE


@login_not_required
@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    if _over_rate(request):
        response = render(request, "documents/verify_limited.html", status=429)
        response["Retry-After"] = "60"
        return response
    key = tokens.unsign(token)
    if key is None:
        raise Http404
    document = (
        Document.objects.filter(token_key=key, token_revoked_at__isnull=True)
        .select_related("department", "unit", "superseded_by")
        .first()
    )
    if document is None:
        raise Http404
    if not document.pdf:
        document = issuing.ensure_pdf(document)
    hazards = [
        {"number": h.number or "—", "status": h.get_status_display()}
        for h in document.hazards.order_by("pk").only("number", "status")
    ]
    superseded_by = getattr(document, "superseded_by", None)
    response = render(
        request,
        "documents/verify.html",
        {
            "document": document,
            "hazards": hazards,
            "superseded_by": superseded_by.number if superseded_by else "",
        },
    )
    # What the scan proves is the state now: no cache may keep an older answer.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def section_context(request: HttpRequest, documents) -> dict:
    """What templates/documents/_list.html needs: the documents, newest first, and whether
    this user may correct them."""
    return {
        "documents": list(documents.select_related("department").order_by("-issued_at", "-pk")),
        "may_correct": request.user.is_office,
        "next": request.get_full_path(),
    }


UNIT_DOCUMENTS_SHOWN = 20


def unit_documents_section(request: HttpRequest, unit) -> list[dict]:
    """The unit page's 现场文书 section (units.sections): the latest documents, one query."""
    rows = list(
        Document.objects.visible_to(request.user)
        .filter(unit=unit)
        .select_related("department")
        .order_by("-issued_at", "-pk")[: UNIT_DOCUMENTS_SHOWN + 1]
    )
    return [
        {
            "key": "documents",
            "title": "现场文书",
            "template": "documents/unit_section.html",
            "context": {
                "rows": rows[:UNIT_DOCUMENTS_SHOWN],
                "more": len(rows) > UNIT_DOCUMENTS_SHOWN,
            },
        }
    ]
