"""Importing an office's existing hazard ledger at /hazards/import/ (upload → preview → confirm).

The files are built with openpyxl the way offices' ledgers look: a merged title line and a
"填报单位" line above the header, a two-row header with merged group cells, aliases for the
column names, Excel dates next to "2026.3.5" and "2026年3月5日", 治理经费 in 万元.
"""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from anjian.spreadsheets import parse_amount, parse_date
from inspections import workflow
from inspections.ledger_import import jobs
from inspections.ledger_import.reading import analyse
from inspections.models import Hazard, HazardEvent, ImportJob, Inspection, Notification
from tests import factories
from units.models import Unit
from units.validators import make_credit_code

D = datetime.date
S = Hazard.Status
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def street(db):
    return factories.area("兴华街道")


@pytest.fixture
def mall(street, fire_dept):
    return factories.unit(
        name="兴华购物广场",
        category=factories.category("mall"),
        area=street,
        lead_department=fire_dept,
    )


@pytest.fixture
def plant(street, safety_dept):
    # Matched by name within the street: the ledger gives no credit code for it.
    return factories.unit(
        name="兴华机械厂", credit_code="", category=factories.category("industrial"), area=street
    )


def ago(days: int) -> D:
    return TODAY() - datetime.timedelta(days=days)


def ledger_xlsx(rows: list[dict], *, funds_header: str = "治理经费（万元）") -> bytes:
    """A district ledger: title, 填报 line, a two-row header whose 整改情况 group is merged."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "隐患台账"
    top = [
        "序号",
        "隐患编号",
        "单位名称",
        "统一社会信用代码",
        "属地",
        "检查时间",
        "检查人员",
        "存在问题",
        "隐患部位",
        "级别",
        "整改措施",
        "整改责任人",
        "完成时限",
        funds_header,
        "整改情况",
        None,
        None,
        None,
        "备注",
        "重大隐患判定依据",
    ]
    sub = [None] * 14 + ["状态", "完成日期", "复查人", "销号日期", None, None]
    sheet.append(["兴华区2026年安全隐患排查治理台账"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(top))
    sheet.append(["填报单位：区安委办", None, None, None, None, None, "填报时间：2026年11月"])
    sheet.append(top)
    sheet.append(sub)
    sheet.merge_cells("O3:R3")
    for column in "ABCDEFGHIJKLMNST":
        sheet.merge_cells(f"{column}3:{column}4")
    keys = [
        "seq",
        "number",
        "unit",
        "code",
        "area",
        "found",
        "inspector",
        "description",
        "location",
        "level",
        "measures",
        "person",
        "deadline",
        "funds",
        "state",
        "done",
        "verifier",
        "closed",
        "remarks",
        "basis",
    ]
    for index, row in enumerate(rows, start=1):
        sheet.append([index if k == "seq" else row.get(k) for k in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def open_row(unit: Unit, **extra) -> dict:
    found = ago(40)
    return {
        "unit": unit.name,
        "code": unit.credit_code,
        "area": unit.area.name,
        "found": found,  # a real Excel date cell
        "inspector": "刘明、赵亮",
        "description": "二楼疏散通道堆放货物",
        "location": "二楼东侧",
        "level": "一般",
        "measures": "清理通道，设置警示标识",
        "person": "王经理",
        "deadline": f"{ago(10).year}.{ago(10).month}.{ago(10).day}",
        "state": "未整改",
        **extra,
    }


def done_row(unit: Unit, **extra) -> dict:
    found = ago(60)
    return {
        "unit": unit.name,
        "area": unit.area.name,
        "found": f"{found.year}年{found.month}月{found.day}日",
        "description": "配电箱箱门缺失，线路裸露",
        "level": "重大",
        "basis": "线路裸露处紧邻可燃物堆场，判定理由：易引发火灾",
        "deadline": ago(45),
        "funds": 2.5,
        "state": "已整改",
        "done": ago(50),
        "verifier": "陈复查",
        "closed": ago(48).isoformat(),
        **extra,
    }


def upload(content: bytes, name: str = "兴华区隐患台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def preview(client, content: bytes, name: str = "兴华区隐患台账.xlsx"):
    response = client.post(reverse("hazard_import"), {"file": upload(content, name)})
    assert response.status_code == 302, response.content.decode()
    return client.get(reverse("hazard_import_preview"))


def confirm(client, page) -> object:
    token = page.context["token"]
    return client.post(reverse("hazard_import_confirm"), {"token": token})


# --- reading the cells ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.datetime(2026, 3, 5), D(2026, 3, 5)),
        (46086, D(2026, 3, 5)),
        ("2026.3.5", D(2026, 3, 5)),
        ("2026年3月5日", D(2026, 3, 5)),
        ("2026-03-05", D(2026, 3, 5)),
        ("2026/3/5", D(2026, 3, 5)),
        ("20260305", D(2026, 3, 5)),
        ("２０２６年３月５日", D(2026, 3, 5)),
        ("", None),
    ],
)
def test_dates_as_ledgers_write_them(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2026.2.30", "三月五日", "下周"])
def test_a_date_that_is_not_one_is_refused(value):
    with pytest.raises(ValueError, match="不是有效日期"):
        parse_date(value)


def test_amounts_follow_the_header_or_the_cell():
    assert parse_amount(2.5, header="治理经费（万元）") == Decimal("25000.00")
    assert parse_amount("3,000", header="治理经费") == Decimal("3000.00")
    assert parse_amount("1.2万元", header="治理经费") == Decimal("12000.00")
    assert parse_amount("800元", header="整改资金（元）") == Decimal("800.00")


# --- preview and import ---------------------------------------------------------------------


def test_office_imports_a_real_looking_ledger(login, office, mall, plant):
    rows = [
        open_row(mall, number="XH-2026-001"),
        done_row(plant, number="XH-2026-002"),
    ]
    client = login(office)
    page = preview(client, ledger_xlsx(rows))
    html = page.content.decode()
    assert page.status_code == 200
    report = page.context["report"]
    assert report.errors == [], report.errors
    assert report.sheet.header_row == 4  # title, 填报 line, two header rows
    assert "序号" in report.sheet.ignored
    assert 'data-testid="new-rows">2<' in html and "没有此前已导入的行" in html

    response = confirm(client, page)
    assert response.status_code == 302 and response["Location"] == reverse("hazard_list")
    open_hazard = Hazard.objects.get(unit=mall)
    assert open_hazard.status == S.ASSIGNED
    assert open_hazard.found_on == ago(40)
    assert open_hazard.deadline == open_hazard.original_deadline == ago(10)
    assert open_hazard.is_overdue()  # derived as usual from the kept deadline
    assert open_hazard.lead_department == mall.lead_department
    assert open_hazard.number.startswith(f"YH-{ago(40).year}-")
    assert open_hazard.responsible_person == "王经理"
    assert open_hazard.hazard_type == Hazard.Type.OTHER and open_hazard.location == "二楼东侧"

    closed = Hazard.objects.get(unit=plant)
    assert closed.status == S.CLOSED and closed.level == Hazard.Level.MAJOR
    assert timezone.localdate(closed.closed_at) == ago(48)
    assert timezone.localdate(closed.reported_done_at) == ago(50)
    assert closed.plan_funds == Decimal("2.50")  # 万元, as the header says
    assert Hazard.objects.overdue().filter(pk=closed.pk).count() == 0

    for hazard, row in ((open_hazard, 5), (closed, 6)):
        assert hazard.inspection.kind == Inspection.Kind.HISTORY
        assert hazard.inspection.get_kind_display() == "历史导入"
        (event,) = hazard.events.all()
        assert event.action == HazardEvent.Action.IMPORT and event.get_action_display() == "导入"
        assert event.actor == office and event.to_status == hazard.status
        assert event.data["file"] == "兴华区隐患台账.xlsx" and event.data["row"] == row
        assert f"第{row}行" in event.note
    assert Hazard.objects.get(unit=plant).events.get().data["verifier"] == "陈复查"
    detail = client.get(reverse("hazard_detail", args=[open_hazard.pk])).content.decode()
    assert "导入" in detail and "兴华区隐患台账.xlsx" in detail


def test_reimporting_the_same_file_creates_nothing_twice(login, office, mall, plant):
    # One row keyed by the sheet's 隐患编号, one by unit + date + description.
    content = ledger_xlsx([open_row(mall, number="XH-7"), done_row(plant)])
    client = login(office)
    confirm(client, preview(client, content))
    assert Hazard.objects.count() == 2
    page = preview(client, content)
    html = page.content.decode()
    assert page.context["report"].already_in == 2
    assert "全部 2 行此前已导入" in html and 'data-testid="confirm-import"' not in html
    # The same file with one more row: only that one is new.
    more = ledger_xlsx(
        [
            open_row(mall, number="XH-7"),
            done_row(plant),
            open_row(plant, description="砂轮机无防护罩"),
        ]
    )
    page = preview(client, more)
    assert page.context["report"].already_in == 2 and len(page.context["report"].rows) == 1
    assert "其中 <strong>2</strong> 行此前已导入" in page.content.decode()
    confirm(client, page)
    assert Hazard.objects.count() == 3
    assert HazardEvent.objects.filter(action=HazardEvent.Action.IMPORT).count() == 3


def test_one_bad_row_imports_nothing_and_each_problem_is_named(login, office, mall):
    rows = [
        open_row(mall),
        open_row(mall, description="", found="2026.2.30"),
        open_row(mall, description="灭火器过期", level="很大", deadline=None),
        open_row(mall, description="电缆破损", deadline=ago(50).isoformat()),
    ]
    page = preview(login(office), ledger_xlsx(rows))
    errors = {(e.row, e.column): e.message for e in page.context["report"].errors}
    assert "不是有效日期" in errors[(6, "检查时间")]
    assert errors[(6, "存在问题")] == "必填项为空"
    assert "只能填写“一般”或“重大”" in errors[(7, "级别")]
    assert errors[(7, "完成时限")] == "未整改的隐患须填写整改期限"
    assert errors[(8, "完成时限")] == "整改期限不能早于排查日期"
    html = page.content.decode()
    assert "本次不会导入任何隐患" in html and 'data-testid="confirm-import"' not in html
    assert Hazard.objects.count() == 0


def test_a_major_row_without_its_basis_is_refused_with_row_column_and_reason(
    login, office, mall, plant
):
    rows = [open_row(mall), done_row(plant, basis=None), open_row(mall, level="较大", basis="")]
    page = preview(login(office), ledger_xlsx(rows))
    errors = {(e.row, e.column): e.message for e in page.context["report"].errors}
    assert set(errors) == {(6, "重大隐患判定依据"), (7, "重大隐患判定依据")}
    assert "重大隐患须填写判定依据" in errors[(6, "重大隐患判定依据")]
    assert "本次不会导入任何隐患" in page.content.decode()
    assert Hazard.objects.count() == 0


def test_a_sheet_without_the_basis_column_names_it_for_major_rows(office, plant):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["单位名称", "属地", "排查日期", "隐患描述", "隐患等级", "整改期限"])
    found, due = ago(20), ago(-10)
    sheet.append([plant.name, plant.area.name, found, "液氨储罐区无泄漏报警", "重大", due])
    sheet.append([plant.name, plant.area.name, found, "灭火器压力不足", "一般", due])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    report = analyse(buffer, create_units=False, max_rows=100)
    assert [(e.row, e.column, e.message[:11]) for e in report.errors] == [
        (2, "判定依据", "重大隐患须填写判定依据")
    ]


def test_the_basis_is_imported_with_the_major_hazard(login, office, plant):
    client = login(office)
    confirm(client, preview(client, ledger_xlsx([done_row(plant)])))
    hazard = Hazard.objects.get(unit=plant)
    assert hazard.level == Hazard.Level.MAJOR
    assert hazard.major_basis == "线路裸露处紧邻可燃物堆场，判定理由：易引发火灾"


def test_the_template_has_the_basis_column(login, office):
    response = login(office).get(reverse("hazard_import_template"))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    headers = [cell.value for cell in workbook["隐患台账"][2]]
    assert "判定依据" in headers
    cell = workbook["隐患台账"].cell(row=2, column=headers.index("判定依据") + 1)
    assert "重大隐患必填" in cell.comment.text
    notes = " ".join(row[0] or "" for row in workbook["填写说明"].iter_rows(values_only=True))
    assert "重大隐患须填写“判定依据”" in notes


def test_unmatched_units_are_errors_or_created_as_the_office_chooses(login, office, mall, street):
    code = make_credit_code("91210106", "MA0XH001")
    rows = [
        open_row(mall),
        {**open_row(mall), "unit": "兴华新开超市", "code": code, "description": "安全出口上锁"},
    ]
    client = login(office)
    page = preview(client, ledger_xlsx(rows))
    report = page.context["report"]
    assert [e.row for e in report.errors] == [6]
    assert "系统中没有单位“兴华新开超市”" in report.errors[0].message
    assert 'data-testid="create-units"' in page.content.decode()

    # Choosing to create them: 属地 and 行业领域 are needed, and this sheet has no 行业领域.
    client.post(reverse("hazard_import_preview"), {"create_units": "1"})
    page = client.get(reverse("hazard_import_preview"))
    assert "须填写行业领域" in page.context["report"].errors[0].message

    rows[1]["area"] = street.name
    with_category = ledger_xlsx(rows)
    workbook = openpyxl.load_workbook(io.BytesIO(with_category))
    sheet = workbook.active
    sheet.cell(row=3, column=20, value="行业领域")
    sheet.cell(row=6, column=20, value="商场超市")
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = preview(client, buffer.getvalue())
    client.post(reverse("hazard_import_preview"), {"create_units": "1"})
    page = client.get(reverse("hazard_import_preview"))
    assert page.context["report"].errors == [], page.context["report"].errors
    assert "将一并新建以下单位" in page.content.decode()
    confirm(client, page)
    created = Unit.objects.get(credit_code=code)
    assert created.name == "兴华新开超市" and created.area == street
    assert created.category.code == "mall" and created.lead_department.short_name == "商务"
    assert created.hazards.get().status == S.ASSIGNED


def test_confirm_revalidates_against_the_database_as_it_is_then(login, office, mall):
    client = login(office)
    page = preview(client, ledger_xlsx([open_row(mall, number="N1")]))
    # Meanwhile another import brought the same row in.
    other = client.__class__()
    other.force_login(office)
    confirm(other, preview(other, ledger_xlsx([open_row(mall, number="N1")])))
    response = confirm(client, page)
    assert response.status_code == 200
    assert "全部 1 行此前已导入" in response.content.decode()
    assert Hazard.objects.count() == 1


def test_template_downloads_with_every_column_and_imports_once_filled(login, office, mall):
    client = login(office)
    response = client.get(reverse("hazard_import_template"))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["隐患台账"]
    headers = [c.value for c in sheet[2]]
    assert headers[:4] == ["隐患编号", "单位名称", "统一社会信用代码", "属地（镇街）"]
    assert "填写说明" in workbook.sheetnames
    values = {
        "单位名称": mall.name,
        "排查日期": ago(5),
        "隐患描述": "消火栓被遮挡",
        "隐患等级": "一般",
        "整改期限": ago(-10),
        "统一社会信用代码": mall.credit_code,
    }
    sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = preview(client, buffer.getvalue(), "模板.xlsx")
    assert page.context["report"].errors == []
    confirm(client, page)
    assert Hazard.objects.get().deadline == ago(-10)


def test_only_the_office_may_import(login, inspector_a, leader, supervisor):
    for user in (inspector_a, leader, supervisor):
        client = login(user)
        assert client.get(reverse("hazard_import")).status_code == 403
        assert client.get(reverse("hazard_import_template")).status_code == 403


def test_workflow_refuses_an_import_by_anyone_but_the_office(inspector_a, mall):
    with pytest.raises(workflow.NotAllowed):
        workflow.enter_imported_hazards(actor=inspector_a, entries=[], filename="x.xlsx")


def test_two_columns_meaning_the_same_are_refused_naming_both(db, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["单位名称", "隐患描述", "存在问题", "排查日期", "隐患等级"])
    path = tmp_path / "dup.xlsx"
    workbook.save(path)
    from anjian.spreadsheets import ImportFileError

    with pytest.raises(ImportFileError, match="都表示“隐患描述”"):
        analyse(str(path), create_units=False, max_rows=10)


# --- the background job, as a plain function --------------------------------------------------


def _queued_job(office, content: bytes, tmp_path) -> ImportJob:
    target = tmp_path / "imports" / "jobs" / "queued.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return ImportJob.objects.create(
        user=office, filename="大台账.xlsx", file="imports/jobs/queued.xlsx", options={}
    )


def test_job_imports_once_however_often_it_runs_and_notifies(office, mall, plant, tmp_path):
    job = _queued_job(office, ledger_xlsx([open_row(mall), done_row(plant)]), tmp_path)
    jobs.run_import_job(job.pk)
    jobs.run_import_job(job.pk)  # a redelivered message finds the job done
    job.refresh_from_db()
    assert (job.status, job.imported, job.total, job.done) == (ImportJob.Status.DONE, 2, 2, 2)
    assert Hazard.objects.count() == 2
    assert not (tmp_path / "imports" / "jobs" / "queued.xlsx").exists() and job.file == ""
    (note,) = Notification.objects.filter(user=office, kind=Notification.Kind.IMPORT)
    assert note.link == reverse("hazard_import_job", args=[job.pk]) and "2条" in note.title


def test_job_that_finds_the_file_invalid_imports_nothing_and_lists_why(
    login, office, mall, tmp_path
):
    rows = [open_row(mall), open_row(mall, description="", level="")]
    job = _queued_job(office, ledger_xlsx(rows), tmp_path)
    jobs.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and Hazard.objects.count() == 0
    assert [6, "存在问题", "必填项为空"] in job.issues
    html = login(office).get(reverse("hazard_import_job", args=[job.pk])).content.decode()
    assert 'data-testid="import-failed"' in html and "必填项为空" in html
    assert Notification.objects.get(kind=Notification.Kind.IMPORT).title == "隐患台账未导入"


def test_sweeper_resends_lost_and_abandoned_import_jobs(office, settings, tmp_path):
    now = timezone.now()
    lost = ImportJob.objects.create(user=office, filename="a.xlsx")
    fresh = ImportJob.objects.create(user=office, filename="b.xlsx")
    dead = ImportJob.objects.create(
        user=office,
        filename="c.xlsx",
        status=ImportJob.Status.RUNNING,
        heartbeat_at=now - datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS + 5),
    )
    alive = ImportJob.objects.create(
        user=office, filename="d.xlsx", status=ImportJob.Status.RUNNING, heartbeat_at=now
    )
    ImportJob.objects.filter(pk=lost.pk).update(
        created_at=now - datetime.timedelta(seconds=settings.SWEEP_SECONDS + 5)
    )
    stuck = jobs.stuck_jobs(now)
    assert lost.pk in stuck and dead.pk in stuck
    assert fresh.pk not in stuck and alive.pk not in stuck
