"""Issuing documents: number, snapshot, PDF; superseding and voiding them.

A document's number is drawn from YearSequence inside the transaction that stores the
document, so a rollback frees it and two issuers at once wait on the same row lock: the series
stays gap-free. The PDF is rendered from the stored snapshot the first time anyone asks for it
(download or verification page), once, under the document's row lock, and hashed: issuing
inside a transition never waits a second for WeasyPrint while holding the hazard's row lock,
and seeding or importing thousands of records renders nothing until someone looks.
"""

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..models import Document, DocumentPrefix, Hazard, Inspection, YearSequence
from . import tokens

K = Document.Kind
KIND_SUFFIX = {K.NOTICE: "改", K.REVIEW: "复", K.RECORD: "检"}


class DocumentError(Exception):
    """A refused document action; str(error) is the Chinese message."""


def default_prefix(department, kind: str) -> str:
    """铁 (DOCUMENT_PLACE_ABBR) + the department's first character + 改/复/检."""
    abbr = (department.short_name or department.name)[:1]
    return f"{settings.DOCUMENT_PLACE_ABBR}{abbr}{KIND_SUFFIX[kind]}"


def prefix_for(department, kind: str) -> str:
    configured = DocumentPrefix.objects.filter(department=department).first()
    return configured.for_kind(kind) if configured else default_prefix(department, kind)


def format_number(prefix: str, year: int, seq: int) -> str:
    # 〔 〕 are U+3014/U+3015, as GB/T 9704 writes a 发文字号; no leading zeros.
    return f"{prefix}〔{year}〕{seq}号"


def verification_url(document: Document) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/v/{tokens.sign(document.token_key)}/"


def _person(user) -> str:
    return str(user)


def _unit_facts(unit) -> dict:
    return {
        "name": unit.name,
        "credit_code": unit.credit_code or "",
        "address": unit.address,
        "area": unit.area.name if unit.area_id else "",
        "legal_rep": unit.legal_rep,
        "legal_rep_phone": unit.legal_rep_phone,
    }


def _hazard_facts(hazard: Hazard) -> dict:
    return {
        "number": hazard.number or "",
        "location": hazard.location,
        "description": hazard.description,
        "level": hazard.get_level_display(),
        "type": hazard.get_hazard_type_display(),
        "legal_basis": hazard.legal_basis,
        "deadline": hazard.deadline.isoformat() if hazard.deadline else "",
        "fixed_on_spot": hazard.fixed_on_spot,
        "lead_department": hazard.lead_department.name,
        "responsible_person": hazard.responsible_person,
        "measures": hazard.measures or hazard.rectification_plan,
    }


def issue(
    *,
    kind: str,
    department,
    unit,
    actor,
    hazards: Iterable[Hazard] = (),
    inspection: Inspection | None = None,
    content: dict,
    supersedes: Document | None = None,
) -> Document:
    """Numbers and stores one document (its PDF follows on first request, `ensure_pdf`)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("documents are issued inside the transaction that causes them")
    today = timezone.localdate()
    seq = YearSequence.next_value(f"doc-{kind}-{department.pk}", today.year)
    hazards = list(hazards)
    document = Document(
        kind=kind,
        number=format_number(prefix_for(department, kind), today.year, seq),
        department=department,
        year=today.year,
        seq=seq,
        unit=unit,
        inspection=inspection,
        issued_on=today,
        issued_by=actor,
        token_key=tokens.new_key(),
        supersedes=supersedes,
        content={
            "issuer": department.name,
            "unit": _unit_facts(unit),
            "hazards": [_hazard_facts(h) for h in hazards],
            "issued_by": _person(actor),
            **content,
        },
    )
    document.save()
    document.hazards.set(hazards)
    return document


def ensure_pdf(document: Document) -> Document:
    """The document's PDF, rendered once from its snapshot (row-locked: two first downloads
    at once render it once)."""
    if document.pdf:
        return document
    from .pdf import render_pdf  # WeasyPrint is heavy: imported only where a PDF is made

    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.pdf:
            return document
        data = render_pdf(document)
        document.sha256 = hashlib.sha256(data).hexdigest()
        document.pdf.save(
            f"{document.kind}-{document.token_key}.pdf", ContentFile(data), save=False
        )
        document.save(update_fields=["pdf", "sha256"])
    return document


def _inspectors(inspection: Inspection) -> list[str]:
    return [_person(u) for u in inspection.inspectors.order_by("pk")]


# --- the workflow's hooks ----------------------------------------------------------------------


def on_submission(*, inspection: Inspection, hazards: list[Hazard], actor) -> list[Document]:
    """At submission: the 检查记录, and a 整改通知书 handed over on the spot for every hazard
    given a deadline (限期整改) or fixed there and then (立即整改)."""
    inspectors = _inspectors(inspection)
    common = {
        "inspection_date": inspection.date.isoformat(),
        "inspectors": inspectors,
        "inspection_department": inspection.department.name,
    }
    issued = [
        issue(
            kind=K.RECORD,
            department=inspection.department,
            unit=inspection.unit,
            actor=actor,
            hazards=hazards,
            inspection=inspection,
            content={
                **common,
                "kind": inspection.get_kind_display(),
                "campaign": inspection.campaign.name if inspection.campaign_id else "",
                "checked_items": inspection.checked_items,
                "summary": inspection.summary,
                "no_hazards": inspection.no_hazards,
                "category": inspection.unit.category.name,
            },
        )
    ]
    on_the_spot = [
        h
        for h in hazards
        if h.status in (Hazard.Status.REGISTERED, Hazard.Status.AWAITING_VERIFICATION)
        and (h.deadline or h.fixed_on_spot)
    ]
    if on_the_spot:
        issued.append(
            issue(
                kind=K.NOTICE,
                department=inspection.department,
                unit=inspection.unit,
                actor=actor,
                hazards=on_the_spot,
                inspection=inspection,
                content={**common, "occasion": "现场检查"},
            )
        )
    return issued


def on_assignment(*, hazard: Hazard, actor) -> Document | None:
    """交办: the hazard's 整改通知书 with the deadline the office set. Nothing new when a valid
    notice already states that deadline; a notice of this hazard alone with another deadline
    is superseded by the new one."""
    current = list(
        Document.objects.filter(kind=K.NOTICE, status=Document.Status.ISSUED, hazards=hazard)
    )
    deadline = hazard.deadline.isoformat() if hazard.deadline else ""
    for notice in current:
        printed = {h["number"]: h["deadline"] for h in notice.content.get("hazards", [])}
        if printed.get(hazard.number) == deadline:
            return None
    alone = next((n for n in current if len(n.content.get("hazards", [])) == 1), None)
    inspection = hazard.inspection
    document = issue(
        kind=K.NOTICE,
        department=hazard.lead_department,
        unit=hazard.unit,
        actor=actor,
        hazards=[hazard],
        inspection=inspection,
        supersedes=alone,
        content={
            "inspection_date": inspection.date.isoformat(),
            "inspectors": _inspectors(inspection),
            "inspection_department": inspection.department.name,
            "occasion": "交办",
        },
    )
    if alone is not None:
        _mark_superseded(alone)
    return document


def on_verification(*, hazard: Hazard, actor, ok: bool, note: str, old_deadline=None) -> Document:
    """复查: the 复查意见书 with the result, the verifier's opinion and any new deadline."""
    return issue(
        kind=K.REVIEW,
        department=actor.department or hazard.lead_department,
        unit=hazard.unit,
        actor=actor,
        hazards=[hazard],
        inspection=hazard.inspection,
        content={
            "ok": ok,
            "note": note,
            "verifier": _person(actor),
            "old_deadline": old_deadline.isoformat() if old_deadline else "",
            "new_deadline": "" if ok else hazard.deadline.isoformat(),
            "reopen_count": hazard.reopen_count,
        },
    )


# --- the office's corrections -------------------------------------------------------------------


def _mark_superseded(document: Document) -> None:
    document.status = Document.Status.SUPERSEDED
    document.save(update_fields=["status"])


def _lock(document_id: int) -> Document:
    return (
        Document.objects.select_for_update()
        .select_related("department", "unit")
        .get(pk=document_id)
    )


@transaction.atomic
def reissue(*, document_id: int, actor) -> Document:
    """A corrected document: the same kind and subject from today's data, a new number; the old
    one becomes 已被替代 and its verification page points at nothing else."""
    if not actor.is_office:
        raise DocumentError("只有安委办可以重新出具文书")
    old = _lock(document_id)
    if old.status != Document.Status.ISSUED:
        raise DocumentError(f"该文书{old.get_status_display()}，不能再替代")
    hazards = list(
        old.hazards.select_related("lead_department", "unit", "inspection").order_by("pk")
    )
    # Everything but the facts read again from the records stays as it was issued.
    content = {
        k: v for k, v in old.content.items() if k not in ("issuer", "unit", "hazards", "issued_by")
    }
    new = issue(
        kind=old.kind,
        department=old.department,
        unit=old.unit,
        actor=actor,
        hazards=hazards,
        inspection=old.inspection,
        supersedes=old,
        content=content,
    )
    _mark_superseded(old)
    return new


@transaction.atomic
def void(*, document_id: int, actor, reason: str, revoke_link: bool = False) -> Document:
    """作废 (office): the record stays; its verification page says 已作废, or, with
    `revoke_link`, answers as if it never existed."""
    if not actor.is_office:
        raise DocumentError("只有安委办可以作废文书")
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError("请填写作废理由")
    document = _lock(document_id)
    if document.status == Document.Status.VOID:
        raise DocumentError("该文书已作废")
    document.status = Document.Status.VOID
    document.voided_at = timezone.now()
    document.voided_by = actor
    document.void_reason = reason[:200]
    fields = ["status", "voided_at", "voided_by", "void_reason"]
    if revoke_link:
        document.token_revoked_at = document.voided_at
        fields.append("token_revoked_at")
    document.save(update_fields=fields)
    return document


@transaction.atomic
def revoke_link(*, document_id: int, actor) -> Document:
    if not actor.is_office:
        raise DocumentError("只有安委办可以撤销验证链接")
    document = _lock(document_id)
    if document.token_revoked_at is None:
        document.token_revoked_at = timezone.now()
        document.save(update_fields=["token_revoked_at"])
    return document
