"""The ledger's xlsx export: same rows as the ledger, real 台账 columns, scope, async path."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from anjian.celery import app as celery_app
from inspections import exports
from inspections.models import ExportJob, Hazard, HazardEvent, Notification
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False)
    return TODAY


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def eager_celery():
    """Run tasks in-process even when REDIS_URL (CI) turned eager mode off."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def read_sheet(content: bytes) -> tuple[list, list[list]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    # Empty trailing cells are not stored; pad each row to the header's width.
    width = len(rows[0])
    return rows[0], [row + [None] * (width - len(row)) for row in rows[1:]]


def download(response) -> bytes:
    return b"".join(response.streaming_content)


def column(rows: list[list], title: str) -> list:
    return [row[exports.HEADERS.index(title)] for row in rows]


def ledger_numbers(client, params: dict) -> list[str]:
    response = client.get(reverse("hazard_list"), {**params, "page_size": 200})
    return [h.number for h in response.context["object_list"]]


@pytest.fixture
def sample(office, inspector_a, inspector_a2, inspector_b, unit_of_a, unit_of_b, today):
    """A small district: overdue, extended, closed, major and another department's hazards."""
    joint = factories.inspection(unit_of_a, inspector_a, date=days(-30))
    joint.inspectors.add(inspector_a2)
    late = factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=joint,
        found_on=days(-30),
        deadline=days(-4),
        status=Hazard.Status.RECTIFYING,
        location="二楼配电间",
        measures="更换老化线路",
        responsible_person="李四",
        responsible_phone="13900000000",
        level=Hazard.Level.MAJOR,
    )
    HazardEvent.objects.create(
        hazard=late,
        actor=office,
        action=HazardEvent.Action.ASSIGN,
        created_at=datetime.datetime(2026, 5, 17, 9, 0, tzinfo=SHANGHAI),
    )
    HazardEvent.objects.create(
        hazard=late,
        actor=inspector_a,
        action=HazardEvent.Action.START,
        created_at=datetime.datetime(2026, 5, 18, 14, 30, tzinfo=SHANGHAI),
    )
    extended = factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=factories.inspection(unit_of_a, inspector_a, date=days(-12)),
        found_on=days(-12),
        deadline=days(10),
        original_deadline=days(2),
    )
    closed = factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=factories.inspection(unit_of_a, inspector_a, date=days(-20)),
        found_on=days(-20),
        deadline=days(-5),
        status=Hazard.Status.CLOSED,
        closed_at=datetime.datetime(2026, 6, 1, 23, 30, tzinfo=SHANGHAI),
    )
    other = factories.hazard(unit_of_b, inspector_b)
    return {"late": late, "extended": extended, "closed": closed, "other": other}


@pytest.mark.django_db
def test_export_has_the_ledger_columns_and_values(login, office, sample, unit_of_a):
    response = login(office).get(reverse("hazard_export"), {"sort": "found_on"})
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    header, rows = read_sheet(download(response))
    assert header == exports.HEADERS
    assert column(rows, "序号") == [1, 2, 3, 4]
    late = dict(zip(header, rows[0], strict=True))
    assert late["隐患编号"] == sample["late"].number
    assert late["单位名称"] == unit_of_a.name
    assert late["统一社会信用代码"] == unit_of_a.credit_code
    assert late["属地（镇街）"] == unit_of_a.area.name
    assert late["行业领域"] == unit_of_a.category.name
    assert late["排查日期"].date() == days(-30)
    assert late["排查人"] == "消防检查员甲、消防检查员乙"
    assert late["隐患部位"] == "二楼配电间"
    assert late["隐患类别"] == "消防"
    assert late["隐患等级"] == "重大隐患"
    assert late["整改措施"] == "更换老化线路"
    assert late["整改责任单位"] == unit_of_a.lead_department.name
    assert late["整改责任人"] == "李四 13900000000"
    assert late["整改期限"].date() == days(-4)
    assert late["逾期天数"] == 4
    assert late["状态"] == "整改中"
    assert late["最后操作"] == "开始整改"
    assert late["最后操作时间"] == datetime.datetime(2026, 5, 18, 14, 30)
    assert late["销号日期"] is None

    by_number = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    extended = by_number[sample["extended"].number]
    assert extended["原定期限"].date() == days(2)
    assert extended["整改期限"].date() == days(10)
    assert extended["逾期天数"] is None
    closed = by_number[sample["closed"].number]
    assert closed["状态"] == "已销号"
    assert closed["逾期天数"] is None  # closed: the clock stopped
    assert closed["销号日期"].date() == datetime.date(2026, 6, 1)  # local day, not UTC


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "deadline"},
        {"sort": "-unit"},
        {"status": "overdue"},
        {"status": "open", "sort": "number"},
        {"level": "major"},
        {"q": "测试", "sort": "-deadline"},
        {"found_from": "2026-05-20", "sort": "status"},
    ],
)
def test_export_rows_equal_the_filtered_ledger(login, office, sample, params):
    client = login(office)
    expected = ledger_numbers(client, params)
    _, rows = read_sheet(download(client.get(reverse("hazard_export"), params)))
    assert column(rows, "隐患编号") == expected


@pytest.mark.django_db
def test_inspector_of_other_department_gets_no_rows_of_it(login, inspector_b, sample):
    client = login(inspector_b)
    _, rows = read_sheet(download(client.get(reverse("hazard_export"))))
    assert column(rows, "隐患编号") == [sample["other"].number]
    # Asking for the other department's unit by id changes nothing.
    _, rows = read_sheet(
        download(client.get(reverse("hazard_export"), {"unit": sample["late"].unit_id}))
    )
    assert rows == []


@pytest.mark.django_db
def test_export_query_count_does_not_grow_with_rows(
    login, office, inspector_a, unit_of_a, today, django_assert_max_num_queries
):
    client = login(office)

    def seed(n: int) -> None:
        for _ in range(n):
            hazard = factories.hazard(unit_of_a, inspector_a)
            HazardEvent.objects.create(
                hazard=hazard, actor=office, action=HazardEvent.Action.ASSIGN
            )

    seed(3)
    # session, user, count, rows (with last action subqueries), one inspectors prefetch, and the
    # access log's row for the download (audit).
    with django_assert_max_num_queries(6):
        response = client.get(reverse("hazard_export"))
        _, rows = read_sheet(download(response))
    assert len(rows) == 3
    seed(60)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("hazard_export"))
        _, rows = read_sheet(download(response))
    assert len(rows) == 63
    assert set(column(rows, "最后操作")) == {"交办"}


@pytest.mark.django_db(transaction=False)
def test_large_export_runs_as_a_job_and_only_its_owner_downloads_it(
    login,
    client,
    office,
    leader,
    sample,
    settings,
    media,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    params = {"sort": "deadline", "department": sample["late"].lead_department_id}
    client.force_login(office)
    expected = ledger_numbers(client, params)
    assert len(expected) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hazard_export"), params)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hazard_export_job", args=[job.pk])
    assert job.user == office
    assert job.status == ExportJob.Status.DONE
    assert (job.total, job.done, job.percent) == (3, 3, 100)
    assert job.file.startswith("exports/")
    assert (media / job.file).exists()

    page = client.get(reverse("hazard_export_job", args=[job.pk]))
    assert 'data-status="done"' in page.content.decode()
    assert reverse("hazard_export_download", args=[job.pk]) in page.content.decode()
    downloaded = client.get(reverse("hazard_export_download", args=[job.pk]))
    assert downloaded.status_code == 200
    _, rows = read_sheet(download(downloaded))
    assert column(rows, "隐患编号") == expected

    note = Notification.objects.get(user=office, kind=Notification.Kind.EXPORT)
    assert note.link == reverse("hazard_export_job", args=[job.pk])

    client.force_login(leader)
    assert client.get(reverse("hazard_export_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("hazard_export_download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_pending_job_page_polls_until_done(login, office, media):
    job = ExportJob.objects.create(user=office, params={}, total=10, done=4)
    client = login(office)
    page = client.get(reverse("hazard_export_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "40%" in page
    partial = client.get(reverse("hazard_export_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert 'hx-trigger="every 2s"' in partial.content.decode()
    # Not ready yet: nothing to download.
    assert client.get(reverse("hazard_export_download", args=[job.pk])).status_code == 404
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED)
    failed = client.get(reverse("hazard_export_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in failed.content.decode() and "导出失败" in failed.content.decode()


@pytest.mark.django_db
def test_job_reapplies_scope_and_runs_once(inspector_b, sample, media):
    job = ExportJob.objects.create(user=inspector_b, params={"sort": ["-found_on"]})
    exports.run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    _, rows = read_sheet((media / job.file).read_bytes())
    assert column(rows, "隐患编号") == [sample["other"].number]
    # A second delivery of the same task finds the job claimed and writes nothing.
    exports.run_export_job(job.pk)
    assert Notification.objects.filter(user=inspector_b, kind="export").count() == 1
    assert len(list((media / "exports").rglob("*.xlsx"))) == 1


@pytest.mark.django_db
def test_job_claimed_by_a_lost_worker_is_taken_over_later(office, sample, media, time_machine):
    job = ExportJob.objects.create(user=office, params={}, status=ExportJob.Status.RUNNING)
    exports.run_export_job(job.pk)  # a fresh claim: another worker is on it
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING and not job.file
    time_machine.move_to(job.created_at + datetime.timedelta(minutes=31), tick=False)
    exports.run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and (media / job.file).exists()
