"""A web process needs no local media directory when media live in an object store (MinIO, S3).

Every flow that writes or reads an uploaded or generated file runs here with the default storage
swapped for Django's InMemoryStorage — made to refuse `path()` as S3Storage does — and MEDIA_ROOT
pointing at a directory that does not exist: the flows succeed, the files are in the storage,
MEDIA_ROOT is never created, and the temporary copies the spreadsheet readers need are gone
once each request is over.
"""

import datetime
import io
import os
import tempfile

import pytest
from django.core.files.storage import InMemoryStorage, default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils._os import safe_join
from openpyxl import load_workbook
from PIL import Image

from inspections import exports, photos
from inspections.documents import issuing
from inspections.ledger_import import jobs
from inspections.models import ExportJob, Hazard, HazardPhoto, ImportJob
from tests import factories
from tests.inspections.test_documents import pdf_text, submitted_inspection
from tests.inspections.test_ledger_import import done_row, ledger_xlsx, open_row
from tests.units.test_import import code, row, workbook_bytes
from units.models import Unit


class BucketStorage(InMemoryStorage):
    """InMemoryStorage maps names to pseudo-paths; an S3 bucket has none, and neither has this."""

    def _relative_path(self, name):
        # Its own name handling, which goes through path() in Django's class.
        return os.path.relpath(safe_join(self.location, name), self.location)

    def path(self, name):
        raise NotImplementedError("This backend doesn't support absolute paths.")


def use_bucket(settings, tmp_path):
    """Media in a bucket; returns the MEDIA_ROOT that must stay absent."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.test_stateless_media.BucketStorage"},
    }
    return media


@pytest.fixture(autouse=True)
def object_store(settings, tmp_path, monkeypatch):
    """The storage of a stateless web process; yields the MEDIA_ROOT that must stay absent."""
    media = use_bucket(settings, tmp_path)
    # The readers' scratch copies go here, so the test can see that none outlives its request.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield media
    assert not media.exists(), sorted(media.rglob("*"))
    assert list(scratch.iterdir()) == []


def stored(prefix: str) -> list[str]:
    """Names of the files under `prefix` in the storage, recursively."""
    folders, files = default_storage.listdir(prefix)
    return [f"{prefix}/{f}" for f in files] + [
        name for folder in folders for name in stored(f"{prefix}/{folder}")
    ]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), "red").save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_storage_is_one_without_a_local_path():
    assert isinstance(storages["default"], BucketStorage)
    with pytest.raises(NotImplementedError):
        default_storage.path("x")


@pytest.mark.django_db
def test_photo_and_thumbnail_are_stored_and_served_from_the_storage(login, unit_of_a, inspector_a):
    hazard = factories.hazard(unit_of_a, inspector_a)
    photo = photos.save_photo(
        hazard=hazard,
        upload=SimpleUploadedFile("现场.jpg", jpeg(), content_type="image/jpeg"),
        kind="before",
        user=inspector_a,
    )
    photo = HazardPhoto.objects.get(pk=photo.pk)
    assert default_storage.exists(photo.image.name)
    assert default_storage.exists(photo.thumbnail.name)
    client = login(inspector_a)
    original = client.get(reverse("hazard_photo", args=[photo.pk]))
    thumb = client.get(reverse("hazard_photo_thumb", args=[photo.pk]))
    assert original.status_code == thumb.status_code == 200
    big = Image.open(io.BytesIO(b"".join(original.streaming_content)))
    small = Image.open(io.BytesIO(b"".join(thumb.streaming_content)))
    assert big.format == small.format == "JPEG" and small.width < big.width


@pytest.mark.django_db
def test_a_queued_ledger_export_is_written_to_the_storage_and_downloaded_from_it(
    login, office, unit_of_a, inspector_a
):
    hazards = [factories.hazard(unit_of_a, inspector_a) for _ in range(3)]
    job = ExportJob.objects.create(user=office, params={}, total=3)
    exports.run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.file.startswith("exports/") and stored("exports") == [job.file]

    response = login(office).get(reverse("hazard_export_download", args=[job.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = {cell for row in sheet.iter_rows(values_only=True) for cell in row}
    assert {h.number for h in hazards} <= cells


@pytest.mark.django_db
def test_unit_import_preview_and_confirm_through_the_storage(login, office):
    factories.area("兴华街道")
    client = login(office)
    content = workbook_bytes(
        [row("鸿兴机械厂", code(1)), row("北二路3号楼", 行业类别="居民楼（无物业小区）")]
    )
    response = client.post(
        reverse("units:import"), {"file": SimpleUploadedFile("单位.xlsx", content)}
    )
    assert response.status_code == 302
    token = client.session["unit_import"]["token"]
    assert stored("imports") == [f"imports/{token}.xlsx"]

    preview = client.get(reverse("units:import_preview"))
    assert preview.context["report"].ok, preview.context["report"].errors
    done = client.post(reverse("units:import_confirm"), {"token": token})
    assert done.status_code == 302 and done.url == reverse("units:list")
    assert set(Unit.objects.values_list("name", flat=True)) == {"鸿兴机械厂", "北二路3号楼"}
    assert stored("imports") == []
    # The second of two confirms (a double click) finds the token claimed and imports nothing.
    again = client.post(reverse("units:import_confirm"), {"token": token})
    assert again.status_code == 302 and Unit.objects.count() == 2


@pytest.fixture
def ledger_units(fire_dept):
    street = factories.area("兴华街道")
    mall = factories.unit(
        name="兴华购物广场",
        category=factories.category("mall"),
        area=street,
        lead_department=fire_dept,
    )
    plant = factories.unit(
        name="兴华机械厂", credit_code="", category=factories.category("industrial"), area=street
    )
    return mall, plant


@pytest.mark.django_db
def test_hazard_ledger_import_inline_through_the_storage(login, office, ledger_units):
    mall, plant = ledger_units
    client = login(office)
    content = ledger_xlsx([open_row(mall), done_row(plant)])
    response = client.post(
        reverse("hazard_import"), {"file": SimpleUploadedFile("台账.xlsx", content)}
    )
    assert response.status_code == 302
    page = client.get(reverse("hazard_import_preview"))
    assert page.context["report"].errors == [] and len(page.context["report"].rows) == 2
    done = client.post(reverse("hazard_import_confirm"), {"token": page.context["token"]})
    assert done.status_code == 302 and done.url == reverse("hazard_list")
    assert Hazard.objects.filter(unit__in=ledger_units).count() == 2
    assert stored("imports") == []


@pytest.mark.django_db
def test_hazard_ledger_import_job_keeps_its_file_in_the_storage_for_the_worker(
    login, office, ledger_units, settings
):
    settings.IMPORT_INLINE_MAX_ROWS = 1
    mall, plant = ledger_units
    client = login(office)
    content = ledger_xlsx([open_row(mall), done_row(plant)])
    client.post(reverse("hazard_import"), {"file": SimpleUploadedFile("台账.xlsx", content)})
    page = client.get(reverse("hazard_import_preview"))
    response = client.post(reverse("hazard_import_confirm"), {"token": page.context["token"]})
    job = ImportJob.objects.get()
    assert response.url == reverse("hazard_import_job", args=[job.pk])
    assert stored("imports") == [job.file] and job.file.startswith("imports/jobs/")
    assert Hazard.objects.count() == 0

    jobs.run_import_job(job.pk)  # what the worker runs, on whatever host
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, (job.error, job.issues)
    assert job.imported == 2 and job.file == ""
    assert stored("imports") == []


@pytest.mark.django_db
def test_document_pdfs_are_stored_and_served_from_the_storage(login, unit_of_a, inspector_a):
    insp = submitted_inspection(unit_of_a, inspector_a)
    notice = issuing.ensure_pdf(insp.documents.get(kind="notice"))
    assert default_storage.exists(notice.pdf.name)
    response = login(inspector_a).get(reverse("document_pdf", args=[notice.pk]))
    assert response.status_code == 200
    text = pdf_text(b"".join(response.streaming_content))
    assert "隐患整改通知书" in text and notice.number in text


def test_an_old_pending_upload_is_removed_from_the_storage_on_the_next_upload(
    db, login, office, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    client = login(office)
    content = workbook_bytes([row("鸿兴机械厂", code(1))])
    client.post(reverse("units:import"), {"file": SimpleUploadedFile("a.xlsx", content)})
    abandoned = stored("imports")
    assert len(abandoned) == 1
    time_machine.move_to(timezone.now() + datetime.timedelta(days=2))
    other = login(factories.user("office2", "office", office.department))
    other.post(reverse("units:import"), {"file": SimpleUploadedFile("b.xlsx", content)})
    assert len(stored("imports")) == 1 and stored("imports") != abandoned


def test_of_two_confirms_of_one_upload_only_the_first_claims_it(db, office, monkeypatch):
    """A double click: two requests with the same session state, the second arriving while
    the first is still copying the file out of the storage; the shared cache lets one through."""
    from types import SimpleNamespace

    from anjian import imports

    pending = imports.PendingUpload("storage_test_import")
    first = SimpleNamespace(session={})
    content = workbook_bytes([row("鸿兴机械厂", code(1))])
    token = pending.store(first, SimpleUploadedFile("a.xlsx", content))
    second = SimpleNamespace(session=dict(first.session))
    fetch, during = imports.fetch, []

    def fetch_while_the_other_confirms(name):
        if not during:
            during.append(pending.claim(second, token))
        return fetch(name)

    monkeypatch.setattr(imports, "fetch", fetch_while_the_other_confirms)
    claimed = pending.claim(first, token)
    assert claimed and claimed.path.read_bytes() == content
    assert during == [False]
    assert stored("imports") == []
    claimed.path.unlink()
