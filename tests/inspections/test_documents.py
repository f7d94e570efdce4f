"""现场文书: numbered, immutable PDFs handed over on site, and the public page that proves them."""

import datetime
import hashlib
import re
import subprocess

import pytest
import time_machine
import zxingcpp
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections import workflow
from inspections.documents import issuing, tokens
from inspections.models import Document, DocumentPrefix, Hazard, Inspection
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://anjian.example.gov.cn"
    cache.clear()


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode()


def pdf_qr_codes(data: bytes, tmp_path) -> list[str]:
    """Every QR code on the PDF's first page, decoded from a 150 dpi rendering."""
    (tmp_path / "doc.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile"]
        + [str(tmp_path / "doc.pdf"), str(tmp_path / "page")],
        check=True,
    )
    image = Image.open(tmp_path / "page.png")
    return [result.text for result in zxingcpp.read_barcodes(image)]


def submitted_inspection(
    unit, by, *, descriptions=("二楼安全出口被货物堵塞", "配电箱前堆放纸箱杂物")
):
    date = timezone.localdate() - datetime.timedelta(days=1)
    insp = Inspection.objects.create(unit=unit, department=by.department, created_by=by, date=date)
    insp.inspectors.add(by)
    for i, text in enumerate(descriptions):
        Hazard.objects.create(
            inspection=insp,
            unit=unit,
            found_on=date,
            description=text,
            location=f"{i + 2}号楼",
            legal_basis="《中华人民共和国消防法》第二十八条",
            hazard_type=Hazard.Type.FIRE,
            level=Hazard.Level.GENERAL,
            lead_department=unit.lead_department,
            deadline=date + datetime.timedelta(days=7 + i),
        )
    workflow.submit_inspection(inspection_id=insp.pk, actor=by)
    return insp


def test_submission_issues_the_record_and_an_on_the_spot_notice(unit_of_a, inspector_a):
    insp = submitted_inspection(unit_of_a, inspector_a)
    kinds = sorted(insp.documents.values_list("kind", flat=True))
    assert kinds == ["notice", "record"]
    notice = insp.documents.get(kind="notice")
    year = timezone.localdate().year
    assert notice.number == f"铁消改〔{year}〕1号"
    assert notice.hazards.count() == 2
    assert notice.department == inspector_a.department


def test_notice_pdf_reads_back_number_unit_hazards_and_deadlines(unit_of_a, inspector_a):
    insp = submitted_inspection(unit_of_a, inspector_a)
    notice = issuing.ensure_pdf(insp.documents.get(kind="notice"))
    data = notice.pdf.read()
    assert notice.sha256 == hashlib.sha256(data).hexdigest()
    text = re.sub(r"\s+", "", pdf_text(data))
    assert "隐患整改通知书" in text
    assert notice.number in text
    assert unit_of_a.name in text
    for hazard in insp.hazards.all():
        assert hazard.number in text
        assert hazard.description in text
        assert f"{hazard.deadline.year}年{hazard.deadline.month}月{hazard.deadline.day}日前" in text
    assert "检查人员（签字）" in text and "（盖章）" in text
    assert "《中华人民共和国消防法》第二十八条" in text
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True).stdout.decode()
    assert "CJK" in fonts


def test_the_qr_code_decodes_to_the_documents_verification_url(unit_of_a, inspector_a, tmp_path):
    insp = submitted_inspection(unit_of_a, inspector_a)
    notice = issuing.ensure_pdf(insp.documents.get(kind="notice"))
    url = issuing.verification_url(notice)
    assert url.startswith("https://anjian.example.gov.cn/v/")
    assert pdf_qr_codes(notice.pdf.read(), tmp_path) == [url]


def test_the_record_is_a_pdf_with_its_own_qr(unit_of_a, inspector_a, tmp_path):
    insp = submitted_inspection(unit_of_a, inspector_a)
    record = issuing.ensure_pdf(insp.documents.get(kind="record"))
    data = record.pdf.read()
    text = re.sub(r"\s+", "", pdf_text(data))
    assert "安全生产检查记录" in text and record.number in text
    assert unit_of_a.credit_code in text
    assert pdf_qr_codes(data, tmp_path) == [issuing.verification_url(record)]


def test_assignment_issues_a_notice_of_the_lead_department_with_the_deadline(
    unit_of_a, inspector_a, office, safety_dept
):
    DocumentPrefix.objects.create(
        department=safety_dept,
        notice_prefix="铁安改",
        review_prefix="铁安复",
        record_prefix="铁安检",
    )
    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    deadline = timezone.localdate() + datetime.timedelta(days=20)
    workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=safety_dept,
        responsible_person="李四",
        deadline=deadline,
    )
    notice = Document.objects.get(kind="notice", department=safety_dept)
    assert notice.number == f"铁安改〔{timezone.localdate().year}〕1号"
    assert [h["deadline"] for h in notice.content["hazards"]] == [deadline.isoformat()]
    # The on-the-spot notice of the inspection stated another deadline: it is superseded.
    spot = Document.objects.get(kind="notice", department=inspector_a.department)
    assert spot.status == Document.Status.SUPERSEDED and notice.supersedes == spot


def test_assignment_with_the_deadline_already_notified_issues_nothing_new(
    unit_of_a, inspector_a, office, fire_dept
):
    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=fire_dept,
        responsible_person="李四",
        deadline=hazard.deadline,
    )
    assert Document.objects.filter(kind="notice").count() == 1


def test_verification_issues_a_review_opinion(unit_of_a, inspector_a, inspector_a2):
    hazard = factories.registered_hazard(unit_of_a, inspector_a, fixed_on_spot=True, deadline=None)
    new_deadline = timezone.localdate() + datetime.timedelta(days=5)
    workflow.verify(
        hazard_id=hazard.pk,
        actor=inspector_a2,
        version=hazard.version,
        ok=False,
        note="灭火器仍未更换",
        new_deadline=new_deadline,
    )
    review = issuing.ensure_pdf(Document.objects.get(kind="review"))
    text = re.sub(r"\s+", "", pdf_text(review.pdf.read()))
    assert "复查意见书" in text and review.number in text and "整改不合格" in text
    assert "灭火器仍未更换" in text
    assert f"{new_deadline.year}年{new_deadline.month}月{new_deadline.day}日前" in text


def test_documents_are_immutable(unit_of_a, inspector_a):
    notice = submitted_inspection(unit_of_a, inspector_a).documents.get(kind="notice")
    notice.content["unit"]["name"] = "改过的名字"
    with pytest.raises(ValueError):
        notice.save()
    with pytest.raises(ValueError):
        notice.delete()


def test_reissue_supersedes_with_a_new_number(unit_of_a, inspector_a, office):
    insp = submitted_inspection(unit_of_a, inspector_a)
    old = insp.documents.get(kind="notice")
    unit_of_a.name = "更正后的单位名称"
    unit_of_a.save()
    new = issuing.reissue(document_id=old.pk, actor=office)
    old.refresh_from_db()
    assert old.status == Document.Status.SUPERSEDED
    assert new.number != old.number and new.supersedes == old
    assert new.content["unit"]["name"] == "更正后的单位名称"
    assert old.content["unit"]["name"] != "更正后的单位名称"
    with pytest.raises(issuing.DocumentError):
        issuing.reissue(document_id=old.pk, actor=office)
    with pytest.raises(issuing.DocumentError):
        issuing.reissue(document_id=new.pk, actor=inspector_a)


# --- the public verification page ---------------------------------------------------------------


def verify_path(document: Document) -> str:
    return reverse("document_verify", args=[tokens.sign(document.token_key)])


def test_verification_page_shows_only_what_proves_the_document(client, unit_of_a, inspector_a):
    insp = submitted_inspection(unit_of_a, inspector_a)
    notice = issuing.ensure_pdf(insp.documents.get(kind="notice"))
    other = factories.hazard(unit_of_a, inspector_a, description="另一条隐患：楼顶违规搭建")
    response = client.get(verify_path(notice))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    facts = [notice.number, "区消防救援大队", unit_of_a.name, notice.sha256, "真实有效"]
    for fact in facts:
        assert fact in page
    for hazard in insp.hazards.all():
        assert hazard.number in page
        assert hazard.get_status_display() in page
    hidden = [
        unit_of_a.address,
        unit_of_a.credit_code,
        unit_of_a.legal_rep,
        unit_of_a.legal_rep_phone,
        inspector_a.name,
        other.number,
        other.description,
        *(h.description for h in insp.hazards.all()),
        *(h.legal_basis for h in insp.hazards.all()),
    ]
    for secret in hidden:
        assert secret not in page, secret
    # No link into the site, and no form: the page leads nowhere else.
    assert "<form" not in page
    assert reverse("units:detail", args=[unit_of_a.pk]) not in page


def test_verification_page_shows_the_hazards_current_status(client, unit_of_a, inspector_a, office):
    insp = submitted_inspection(unit_of_a, inspector_a)
    notice = insp.documents.get(kind="notice")
    hazard = insp.hazards.first()
    workflow.void(hazard_id=hazard.pk, actor=office, version=hazard.version, reason="重复录入")
    assert "作废" in client.get(verify_path(notice)).content.decode()


def test_superseded_and_void_documents_say_so(client, unit_of_a, inspector_a, office):
    insp = submitted_inspection(unit_of_a, inspector_a)
    notice, record = insp.documents.get(kind="notice"), insp.documents.get(kind="record")
    new = issuing.reissue(document_id=notice.pk, actor=office)
    page = client.get(verify_path(notice)).content.decode()
    assert "已被替代" in page and new.number in page
    issuing.void(document_id=record.pk, actor=office, reason="检查日期写错")
    page = client.get(verify_path(record)).content.decode()
    assert "该文书已作废" in page and "检查日期写错" not in page


@pytest.mark.parametrize(
    "token",
    ["nonsense", "a" * 22 + ".forged-signature", tokens.sign("never-issued-key-00000")],
)
def test_a_bad_token_is_404(client, token):
    assert client.get(reverse("document_verify", args=[token])).status_code == 404


def test_a_revoked_token_is_404(client, unit_of_a, inspector_a, office):
    notice = submitted_inspection(unit_of_a, inspector_a).documents.get(kind="notice")
    path = verify_path(notice)
    assert client.get(path).status_code == 200
    issuing.void(document_id=notice.pk, actor=office, reason="误开", revoke_link=True)
    assert client.get(path).status_code == 404


def test_a_token_only_opens_its_own_document(client, unit_of_a, inspector_a):
    notice = submitted_inspection(unit_of_a, inspector_a).documents.get(kind="notice")
    key, signature = tokens.sign(notice.token_key).split(".")
    # The signature of one key does not sign another.
    other_key = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert (
        client.get(reverse("document_verify", args=[f"{other_key}.{signature}"])).status_code == 404
    )


def test_verification_is_rate_limited_per_address(client, settings, unit_of_a, inspector_a):
    settings.DOCUMENT_VERIFY_PER_MINUTE = 3
    notice = submitted_inspection(unit_of_a, inspector_a).documents.get(kind="notice")
    issuing.ensure_pdf(notice)
    path = verify_path(notice)
    # The window is the clock's minute: held still, so a slow machine never straddles two.
    with time_machine.travel(timezone.now().replace(second=5), tick=False):
        codes = [client.get(path, REMOTE_ADDR="10.1.1.1").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        # Guessing counts too: bad tokens use up the same allowance.
        assert client.get("/v/guess/", REMOTE_ADDR="10.1.1.1").status_code == 429
        assert client.get(path, REMOTE_ADDR="10.2.2.2").status_code == 200
    with time_machine.travel(timezone.now().replace(second=5) + datetime.timedelta(minutes=1)):
        assert client.get(path, REMOTE_ADDR="10.1.1.1").status_code == 200


# --- in the site ---------------------------------------------------------------------------------


def test_hazard_and_inspection_pages_link_their_documents(login, unit_of_a, inspector_a):
    insp = submitted_inspection(unit_of_a, inspector_a)
    client = login(inspector_a)
    hazard = insp.hazards.first()
    page = client.get(reverse("hazard_detail", args=[hazard.pk])).content.decode()
    notice = insp.documents.get(kind="notice")
    assert reverse("document_pdf", args=[notice.pk]) in page and notice.number in page
    page = client.get(reverse("inspection_detail", args=[insp.pk])).content.decode()
    record = insp.documents.get(kind="record")
    assert reverse("document_pdf", args=[record.pk]) in page
    response = client.get(reverse("document_pdf", args=[record.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_inspector_of_other_department_gets_404_for_the_pdf(
    login, unit_of_a, inspector_a, inspector_b
):
    notice = submitted_inspection(unit_of_a, inspector_a).documents.get(kind="notice")
    assert login(inspector_b).get(reverse("document_pdf", args=[notice.pk])).status_code == 404


def test_office_voids_from_the_page_and_an_empty_reason_is_refused(
    login, unit_of_a, inspector_a, office
):
    insp = submitted_inspection(unit_of_a, inspector_a)
    notice = insp.documents.get(kind="notice")
    client = login(office)
    back = reverse("inspection_detail", args=[insp.pk])
    response = client.post(
        reverse("document_void", args=[notice.pk]), {"reason": " ", "next": back}, follow=True
    )
    assert "请填写作废理由" in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == Document.Status.ISSUED
    client.post(
        reverse("document_void", args=[notice.pk]), {"reason": "单位名称错误", "next": back}
    )
    notice.refresh_from_db()
    assert notice.status == Document.Status.VOID and notice.token_revoked_at is None


def test_unit_page_lists_the_units_documents(login, unit_of_a, inspector_a, inspector_b):
    insp = submitted_inspection(unit_of_a, inspector_a)
    notice = insp.documents.get(kind="notice")
    url = reverse("units:detail", args=[unit_of_a.pk])
    page = login(inspector_a).get(url).content.decode()
    assert 'data-testid="unit-documents"' in page
    assert notice.number in page and reverse("document_pdf", args=[notice.pk]) in page
