"""The 通报's PDF and annex are built, replaced at circulation and downloaded through the media
storage alone: with media in a bucket (no path, MEDIA_ROOT absent) nothing touches the disk."""

import io
import subprocess
import tempfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook

from inspections import bulletins
from inspections.models import Bulletin
from tests.test_stateless_media import use_bucket

from .conftest import START, TODAY, signed


@pytest.fixture(autouse=True)
def bucket(settings, tmp_path):
    media = use_bucket(settings, tmp_path)
    yield
    assert not media.exists(), sorted(media.rglob("*"))


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True
        )
    return "".join(result.stdout.split())


@pytest.mark.django_db
def test_bulletin_pdf_and_annex_download_from_the_storage(
    login, district, office, leader, django_capture_on_commit_callbacks
):
    built = bulletins.build(bulletins.create_bulletin(actor=office, start=START, end=TODAY).pk)
    assert built.status == Bulletin.Status.READY, built.error
    draft_pdf = built.pdf.name
    assert default_storage.exists(draft_pdf) and default_storage.exists(built.attachment.name)

    approved = signed(built.pk, office, leader)
    with django_capture_on_commit_callbacks(execute=True):
        circulated = bulletins.circulate(bulletin_id=approved.pk, actor=office)
    client = login(office)
    pdf = client.get(reverse("bulletin_pdf", args=[circulated.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(pdf.streaming_content))
    assert "铁安委办〔2026〕1号" in text and "草稿" not in text
    # The draft's PDF, replaced by the numbered one, is deleted from the storage on commit.
    assert circulated.pdf.name != draft_pdf and not default_storage.exists(draft_pdf)

    annex = client.get(reverse("bulletin_attachment", args=[circulated.pk]))
    assert annex.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(annex.streaming_content)))["逾期未整改隐患"]
    numbers = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert numbers == [district.hazards[k].number for k in ("h0b", "h2", "h6")]
