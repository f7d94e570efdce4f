"""The units' portal: a unit account sees its own unit only, reports and self-reports, never
verifies, never reads the district's internal notes."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections import stats, workflow
from inspections.models import (
    Bulletin,
    DeadlineExtension,
    Hazard,
    HazardAttachment,
    HazardEvent,
)
from tests.portal.conftest import jpeg_upload, pdf_upload

pytestmark = pytest.mark.django_db


def test_home_lists_only_the_units_own_hazards(unit_client, own_hazard, other_hazard):
    response = unit_client.get(reverse("portal:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert own_hazard.number in body and "兴华家具城" in body
    assert other_hazard.number not in body and "隔壁油漆店" not in body


def test_another_units_hazard_is_404(unit_client, other_hazard):
    assert unit_client.get(reverse("portal:hazard", args=[other_hazard.pk])).status_code == 404
    url = reverse("portal:hazard_report", args=[other_hazard.pk])
    assert unit_client.post(url, {"note": "x", "version": 0}).status_code == 404


def test_site_root_sends_a_unit_to_its_portal_and_staff_pages_are_404(unit_client, own_hazard):
    assert unit_client.get("/")["Location"] == reverse("portal:home")
    for url in (
        reverse("hazard_detail", args=[own_hazard.pk]),
        reverse("hazard_list"),
        reverse("dashboard"),
        reverse("units:detail", args=[own_hazard.unit_id]),
        reverse("hazard_export"),
        "/api/v1/hazards/",
        "/admin/",
    ):
        assert unit_client.get(url).status_code == 404, url


def test_staff_get_404_from_portal_pages(client, inspector_a, own_hazard):
    client.force_login(inspector_a)
    assert client.get(reverse("portal:hazard", args=[own_hazard.pk])).status_code == 404


def test_internal_notes_never_reach_the_portal(unit_client, own_hazard, inspector_a, supervisor):
    HazardEvent.objects.create(
        hazard=own_hazard,
        actor=inspector_a,
        action=HazardEvent.Action.COMMENT,
        note="内部备注甲乙丙",
    )
    HazardEvent.objects.create(
        hazard=own_hazard,
        actor=supervisor,
        action=HazardEvent.Action.URGE,
        note="督查室催办意见丁戊",
    )
    body = unit_client.get(reverse("portal:hazard", args=[own_hazard.pk])).content.decode()
    assert "内部备注甲乙丙" not in body and "督查室催办意见丁戊" not in body
    assert inspector_a.name not in body  # who inspected is shown as 监管部门
    assert "二楼安全出口被家具堵塞" in body


def test_unit_reports_done_with_photo_and_pdf_then_inspector_verifies(
    unit_client, unit_user, own_hazard, inspector_a
):
    url = reverse("portal:hazard_report", args=[own_hazard.pk])
    response = unit_client.post(
        url,
        {
            "version": own_hazard.version,
            "note": "已清理安全出口",
            "photos": [jpeg_upload()],
            "pdfs": [pdf_upload()],
        },
    )
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "alert" in line
    ]
    own_hazard.refresh_from_db()
    assert own_hazard.status == Hazard.Status.AWAITING_VERIFICATION
    assert own_hazard.reported_done_by == unit_user
    event = own_hazard.events.get(action=HazardEvent.Action.REPORT_DONE)
    assert event.actor == unit_user
    assert own_hazard.photos.filter(kind="after", event=event).count() == 1
    attachment = HazardAttachment.objects.get(hazard=own_hazard)
    assert attachment.event == event and attachment.name == "整改报告.pdf"
    pdf = unit_client.get(reverse("portal:attachment", args=[attachment.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    # The unit can never verify its own report.
    with pytest.raises(workflow.NotAllowed):
        workflow.verify(
            hazard_id=own_hazard.pk, actor=unit_user, version=own_hazard.version, ok=True, note="好"
        )
    workflow.verify(
        hazard_id=own_hazard.pk, actor=inspector_a, version=own_hazard.version, ok=True, note="合格"
    )
    own_hazard.refresh_from_db()
    assert own_hazard.status == Hazard.Status.CLOSED


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_changes(unit_client, own_hazard):
    url = reverse("portal:hazard_report", args=[own_hazard.pk])
    response = unit_client.post(
        url,
        {
            "version": own_hazard.version,
            "note": "已整改",
            "photos": [jpeg_upload()],
            "pdfs": [pdf_upload("报告.pdf", b"<html><script>alert(1)</script></html>")],
        },
    )
    assert response.status_code == 400
    assert "只能上传 PDF 文件" in response.content.decode()
    own_hazard.refresh_from_db()
    assert own_hazard.status == Hazard.Status.RECTIFYING
    assert not own_hazard.photos.exists() and not HazardAttachment.objects.exists()


def test_report_without_after_photo_is_refused_next_to_the_field(unit_client, own_hazard):
    url = reverse("portal:hazard_report", args=[own_hazard.pk])
    response = unit_client.post(url, {"version": own_hazard.version, "note": "已整改"})
    assert response.status_code == 400
    assert "请上传整改后照片" in response.content.decode()


def test_unit_requests_an_extension(unit_client, unit_user, own_hazard):
    url = reverse("portal:hazard_extension", args=[own_hazard.pk])
    later = own_hazard.deadline + datetime.timedelta(days=10)
    response = unit_client.post(
        url, {"version": own_hazard.version, "deadline": later.isoformat(), "reason": "配件未到货"}
    )
    assert response.status_code == 302
    extension = DeadlineExtension.objects.get(hazard=own_hazard)
    assert extension.requested_by == unit_user and extension.requested_deadline == later
    with pytest.raises(workflow.NotAllowed):
        workflow.decide_extension(extension_id=extension.pk, actor=unit_user, approve=True)


def test_self_report_enters_the_ledger_as_self_check_and_counts_separately(
    unit_client, unit_user, own_unit, own_hazard, office
):
    today = timezone.localdate()
    response = unit_client.post(
        reverse("portal:self_report"),
        {
            "found_on": today.isoformat(),
            "location": "一楼配电室",
            "description": "配电箱柜门缺失，线路裸露",
            "hazard_type": "electrical",
            "level": "general",
            "deadline": (today + datetime.timedelta(days=7)).isoformat(),
            "measures": "更换柜门",
            "photos": [jpeg_upload("before.jpg")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    hazard = Hazard.objects.get(source=Hazard.Source.SELF_CHECK)
    assert hazard.unit == own_unit and hazard.status == Hazard.Status.REGISTERED
    assert hazard.number and hazard.inspection.kind == "self"
    assert hazard.events.get().actor == unit_user
    assert hazard.photos.filter(kind="before").count() == 1
    # The ledger filters by source; the statistics count it apart from inspectors' finds.
    scope = stats.Scope(start=today - datetime.timedelta(days=30), end=today, today=today)
    summary = stats.summary(scope, major_overdue_days=30)
    assert summary["found"]["value"] == 2
    assert summary["found_self"]["value"] == 1 and summary["found_not_self"] == 1
    unit_client.logout()
    unit_client.force_login(office)
    ledger = unit_client.get(reverse("hazard_list") + "?source=self_check").content.decode()
    assert hazard.number in ledger and own_hazard.number not in ledger


def test_self_report_follows_the_inspectors_completeness_rules(unit_client):
    response = unit_client.post(
        reverse("portal:self_report"),
        {"found_on": timezone.localdate().isoformat(), "description": "堵塞", "level": "major"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "隐患描述过于简单" in body
    assert "重大隐患须写明判定依据" in body
    assert "请选择隐患类别" in body
    assert "请填写整改期限" in body
    assert not Hazard.objects.exists()


def test_bulletin_shows_only_the_entries_naming_the_unit(
    unit_client, own_hazard, other_hazard, office
):
    row = {"status": "整改中", "deadline": "2026-12-01", "overdue_days": 3}
    Bulletin.objects.create(
        title="11月通报",
        number="安委办通报〔2026〕9号",
        year=2026,
        seq=9,
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        status=Bulletin.Status.CIRCULATED,
        created_by=office,
        submitted_by=office,
        submitted_at=timezone.now(),
        signed_by=office,
        signed_at=timezone.now(),
        circulated_by=office,
        circulated_at=timezone.now(),
        stats={
            "overdue_list": {
                "rows": [
                    {
                        **row,
                        "id": own_hazard.pk,
                        "number": own_hazard.number,
                        "unit": "兴华家具城",
                        "description": own_hazard.description,
                    },
                    {
                        **row,
                        "id": other_hazard.pk,
                        "number": other_hazard.number,
                        "unit": "隔壁油漆店",
                        "description": other_hazard.description,
                    },
                ],
                "total": 2,
            }
        },
    )
    body = unit_client.get(reverse("portal:bulletins")).content.decode()
    assert "安委办通报〔2026〕9号" in body and own_hazard.number in body
    assert other_hazard.number not in body and "隔壁油漆店" not in body
    # The bulletin itself stays closed to a unit.
    assert unit_client.get(reverse("bulletin_list")).status_code == 404


def test_portal_home_query_count_does_not_grow_with_hazards(
    unit_client, own_unit, inspector_a, django_assert_max_num_queries
):
    from tests import factories

    for _ in range(3):
        factories.hazard(own_unit, inspector_a)
    with django_assert_max_num_queries(12) as few:
        unit_client.get(reverse("portal:home"))
    for _ in range(15):
        factories.hazard(own_unit, inspector_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert unit_client.get(reverse("portal:home")).status_code == 200


def test_another_units_photo_and_attachment_are_404(unit_client, other_hazard, inspector_a):
    from django.core.files.base import ContentFile

    from inspections import attachments, photos

    photo = photos.save_photo(
        hazard=other_hazard, upload=jpeg_upload(), kind="before", user=inspector_a
    )
    body = b"%PDF-1.4\n%%EOF\n"
    pdf = attachments.save_attachment(
        hazard=other_hazard, upload=ContentFile(body, name="x.pdf"), data=body, user=inspector_a
    )
    assert unit_client.get(reverse("portal:photo", args=[photo.pk])).status_code == 404
    assert unit_client.get(reverse("portal:photo_thumb", args=[photo.pk])).status_code == 404
    assert unit_client.get(reverse("portal:attachment", args=[pdf.pk])).status_code == 404


def test_portal_hazard_page_query_count_does_not_grow_with_its_history(
    unit_client, own_hazard, inspector_a, django_assert_max_num_queries
):
    from inspections import photos

    def add_history():
        HazardEvent.objects.create(
            hazard=own_hazard, actor=inspector_a, action=HazardEvent.Action.START, note=""
        )
        photos.save_photo(hazard=own_hazard, upload=jpeg_upload(), kind="before", user=inspector_a)

    add_history()
    url = reverse("portal:hazard", args=[own_hazard.pk])
    with django_assert_max_num_queries(20) as few:
        unit_client.get(url)
    for _ in range(5):
        add_history()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert unit_client.get(url).status_code == 200
