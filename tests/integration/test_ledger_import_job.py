"""A 20,000-row hazard ledger is imported by a real Celery worker, with progress on the job
page and a notification that links the result. Same worker as test_celery_worker.py."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inspections.models import Hazard, HazardEvent, ImportJob, Inspection, Notification
from tests import factories
from tests.integration import test_celery_worker as real_worker

# The real-worker fixtures of test_celery_worker.py, reused rather than copied.
services = real_worker.services
worker = real_worker.worker
wait_for = real_worker.wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROWS = 20_000


def big_ledger(units, rows: int) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append(["2026年隐患排查治理台账"])
    sheet.append(
        [
            "序号",
            "单位名称",
            "统一社会信用代码",
            "排查日期",
            "隐患描述",
            "隐患等级",
            "整改期限",
            "整改完成情况",
            "完成日期",
            "重大隐患判定依据",
        ]
    )
    today = timezone.localdate()
    for n in range(rows):
        unit = units[n % len(units)]
        found = today - datetime.timedelta(days=30 + n % 200)
        done = n % 3 == 0
        sheet.append(
            [
                n + 1,
                unit.name,
                unit.credit_code,
                found,
                f"第{n + 1}号隐患：消防通道堵塞",
                "重大" if n % 50 == 0 else "一般",
                found + datetime.timedelta(days=20),
                "已整改" if done else "未整改",
                found + datetime.timedelta(days=5) if done else None,
                # Required for 重大 rows since the ledger import gained the column.
                "紧邻可燃物，判定理由：易引发火灾" if n % 50 == 0 else None,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_twenty_thousand_rows_run_as_a_job_with_progress_and_a_notification(
    worker,
    settings,
    tmp_path,
    office_dept,  # noqa: F811 - the fixture imported above
):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    office = factories.user("office_job", "office", office_dept, name="安委办")
    units = [factories.unit(name=f"大台账单位{i}") for i in range(40)]
    content = big_ledger(units, ROWS)

    client = Client()
    client.force_login(office)
    response = client.post(
        reverse("hazard_import"), {"file": SimpleUploadedFile("全区台账.xlsx", content)}
    )
    assert response.status_code == 302
    page = client.get(reverse("hazard_import_preview"))
    report = page.context["report"]
    assert report.errors == [] and len(report.rows) == ROWS
    assert "将在后台导入" in page.content.decode()

    response = client.post(reverse("hazard_import_confirm"), {"token": page.context["token"]})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hazard_import_job", args=[job.pk])
    assert Hazard.objects.count() == 0  # nothing written by the web request
    waiting = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-progress"' in waiting and "hx-get" in waiting

    worker(MEDIA_ROOT=str(media))
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished, "the import job", worker.logs, 900)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, (job.error, job.issues[:5])
    assert (job.total, job.done, job.imported) == (ROWS, ROWS, ROWS)
    assert Hazard.objects.count() == ROWS
    assert HazardEvent.objects.filter(action=HazardEvent.Action.IMPORT).count() == ROWS
    assert Hazard.objects.filter(status=Hazard.Status.CLOSED).count() == len(range(0, ROWS, 3))
    assert Inspection.objects.filter(kind=Inspection.Kind.HISTORY).count() <= 40 * 200
    numbers = set(Hazard.objects.values_list("number", flat=True))
    assert len(numbers) == ROWS  # numbered without a gap or a clash
    assert not list((media / "imports").rglob("*.xlsx"))  # the upload is gone

    note = Notification.objects.get(user=office, kind=Notification.Kind.IMPORT)
    assert note.link == reverse("hazard_import_job", args=[job.pk])
    assert f"{ROWS}条" in note.title
    done_page = client.get(note.link).content.decode()
    assert f"已导入 <strong>{ROWS}</strong> 条隐患" in done_page and "hx-get" not in done_page
