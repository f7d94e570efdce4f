"""Past accidents from an Excel 事故台账 on the shared import mechanism: aliases and title rows,
万元/元 by header, units by credit code or name, accidents without a unit by street, every bad row
named, all-or-nothing, and the same sheet imported twice entering nothing twice."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from inspections import accident_import
from inspections.models import Accident
from tests import factories

HEADER = ("事故日期", "事故单位", "街道", "事故类别", "死亡", "受伤", "直接经济损失", "简要经过")


def sheet(*rows, header=HEADER) -> io.BytesIO:
    workbook = Workbook()
    ws = workbook.active
    ws.append(["2025年全区生产安全事故统计台账"])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "事故台账.xlsx"
    return buffer


@pytest.fixture
def street(db):
    area = factories.area("兴华街道")
    factories.street_office(area)
    return area


@pytest.mark.django_db
def test_rows_become_accidents_with_units_streets_and_loss_in_wan_yuan(unit_of_a, street, office):
    source = sheet(
        ("2025年3月5日", unit_of_a.name, "", "机械伤害", 1, 2, "12.5", "操作工被卷入设备"),
        ("2025.7.1", "", "兴华街道办事处", "火灾", "", "", 0.8, "居民住宅厨房起火"),
    )
    report = accident_import.import_accidents(source, actor=office)
    assert not report.errors, report.errors
    first, second = Accident.objects.order_by("occurred_on")
    assert (first.unit, first.area, first.kind, first.deaths, first.injuries) == (
        unit_of_a,
        unit_of_a.area,
        Accident.Kind.MACHINERY,
        1,
        2,
    )
    assert first.direct_loss == Decimal("12.50") and first.occurred_on == datetime.date(2025, 3, 5)
    assert (second.unit, second.area, second.deaths, second.direct_loss) == (
        None,
        street,
        0,
        Decimal("0.80"),
    )
    assert first.created_by == office


@pytest.mark.django_db
def test_a_home_fire_is_imported_as_no_production_accident(unit_of_a, street, office):
    home = factories.unit(category=factories.category("residential"), area=street)
    source = sheet(
        ("2025年3月5日", unit_of_a.name, "", "机械伤害", 1, 0, "", "操作工被卷入设备"),
        ("2025年3月6日", home.name, "", "火灾", 0, 1, "", "居民家中电暖器引燃窗帘"),
        ("2025年3月7日", "", "兴华街道办事处", "火灾", 0, 0, "", "楼道杂物起火"),
    )
    report = accident_import.import_accidents(source, actor=office)
    assert not report.errors, report.errors
    assert list(Accident.objects.order_by("occurred_on").values_list("production", flat=True)) == [
        True,
        False,
        False,
    ]


@pytest.mark.django_db
def test_loss_in_yuan_when_the_header_says_so(street, office):
    header = ("发生日期", "属地", "事故类型", "直接经济损失（元）", "事故经过")
    accident_import.import_accidents(
        sheet(("2025-05-01", "兴华街道", "触电", "35000", "维修工触电受伤"), header=header),
        actor=office,
    )
    assert Accident.objects.get().direct_loss == Decimal("3.50")


@pytest.mark.django_db
def test_one_bad_row_imports_nothing_and_each_problem_is_named(street, office):
    source = sheet(
        ("2025-03-05", "", "兴华街道", "火灾", 0, 0, 1, "仓库起火"),
        ("2099-01-01", "", "兴华街道", "雷击", "两人", 0, "很多", ""),
        ("2025-03-06", "", "", "火灾", 0, 0, 0, "未写属地"),
    )
    report = accident_import.import_accidents(source, actor=office)
    assert not Accident.objects.exists()
    found = {(i.row, i.column) for i in report.errors}
    assert found == {
        (4, "事故日期"),
        (4, "事故类别"),
        (4, "死亡"),
        (4, "直接经济损失"),
        (4, "简要经过"),
        (5, "街道"),
    }
    assert "不是事故类型" in next(i.message for i in report.errors if i.column == "事故类别")


@pytest.mark.django_db
def test_importing_the_same_sheet_twice_enters_nothing_twice(street, office):
    rows = [("2025-03-05", "", "兴华街道", "火灾", 0, 0, 1, "仓库起火")]
    accident_import.import_accidents(sheet(*rows), actor=office)
    again = accident_import.import_accidents(sheet(*rows), actor=office)
    assert (again.already_in, len(again.rows), Accident.objects.count()) == (1, 0, 1)


@pytest.mark.django_db
def test_a_unit_name_not_in_the_system_is_kept_as_an_accident_without_a_unit(street, office):
    report = accident_import.import_accidents(
        sheet(("2025-03-05", "无证小作坊", "兴华街道", "火灾", 0, 1, 2, "作坊起火")), actor=office
    )
    assert Accident.objects.get().unit is None
    assert "按未关联单位的事故导入" in report.warnings[0].message


@pytest.mark.django_db
def test_pages_upload_preview_confirm_and_template(login, office, street):
    client = login(office)
    client.post(
        reverse("accident_import"),
        {"file": sheet(("2025-03-05", "", "兴华街道", "火灾", 0, 0, 1, "仓库起火"))},
    )
    preview = client.get(reverse("accident_import_preview"))
    assert "确认导入 1 起事故" in preview.content.decode()
    response = client.post(reverse("accident_import_confirm"), {"token": preview.context["token"]})
    assert response.status_code == 302 and Accident.objects.count() == 1
    template = client.get(reverse("accident_import_template"))
    workbook = load_workbook(io.BytesIO(b"".join(template.streaming_content)))
    assert [c.value for c in workbook.active[1]] == [c.header for c in accident_import.COLUMNS]
    # The template reads back as a valid header (an empty sheet: no rows, one file error).
    report = accident_import.read_accidents(
        io.BytesIO(b"".join(client.get(reverse("accident_import_template")).streaming_content))
    )
    assert [i.message for i in report.errors] == ["文件中没有数据行"]


@pytest.mark.django_db
def test_inspectors_may_not_import(login, inspector_a):
    assert login(inspector_a).get(reverse("accident_import")).status_code == 403


@pytest.mark.django_db
def test_a_unit_the_ledger_import_created_is_flagged_until_filled_in(login, office, fire_dept):
    unit = factories.unit(lead_department=fire_dept, address="", legal_rep="", legal_rep_phone="")
    complete = factories.unit(lead_department=fire_dept)
    client = login(office)
    page = client.get(reverse("units:detail", args=[unit.pk])).content.decode()
    assert "缺少：地址、第一责任人、第一责任人电话" in page
    page = client.get(reverse("units:detail", args=[complete.pk])).content.decode()
    assert 'data-testid="unit-missing"' not in page
    listed = client.get(reverse("units:list"), {"incomplete": "true"}).context["object_list"]
    assert [u.pk for u in listed] == [unit.pk]
