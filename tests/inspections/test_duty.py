"""值班 (holiday duty roster): entered and imported by the office (row errors, all-or-nothing),
today's list on the office's and the leader's home pages, and an escalation or a fatal accident
on a duty day told at once to that day's leaders on duty."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from inspections import duty, workflow
from inspections.models import Accident, DutyShift, Hazard, Notification
from tests import factories

K = Notification.Kind
S = Hazard.Status


def today() -> datetime.date:
    return timezone.localdate()


def sheet(*rows, header=("值班日期", "部门", "带班领导", "值班人员", "值班电话")) -> io.BytesIO:
    workbook = Workbook()
    ws = workbook.active
    ws.append(["铁西区2026年国庆节值班表"])  # a title line above the header, as sheets come
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "值班表.xlsx"
    return buffer


@pytest.fixture
def fire_chief(fire_dept):
    return factories.user("fire_chief", "inspector", fire_dept, name="王局长", email="w@example.cn")


@pytest.fixture
def office_chief(office_dept):
    return factories.user(
        "office_chief", "office", office_dept, name="李主任", email="l@example.cn"
    )


def shift(department, leader=None, day=None, **fields) -> DutyShift:
    return DutyShift.objects.create(
        date=day or today(),
        department=department,
        leader_name=fields.pop("leader_name", leader.name if leader else "张三"),
        leader=leader,
        phone=fields.pop("phone", "13800138000"),
        **fields,
    )


# --- import ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_reads_aliases_links_leaders_and_warns_about_names_without_an_account(
    fire_dept, office_dept, fire_chief, office
):
    source = sheet(
        ("2026年10月1日", "消防", "王局长", "赵一、钱二", "024-12345678"),
        ("2026-10-01", office_dept.name, "不在系统的人", "", "13912345678"),
        header=("日期", "单位", "值班领导", "值班员", "联系电话"),
    )
    roster = duty.import_roster(source, actor=office)
    assert not roster.errors
    rows = list(DutyShift.objects.order_by("department__sort_order", "department_id"))
    assert {(r.department_id, r.leader_name, r.leader_id) for r in rows} == {
        (fire_dept.pk, "王局长", fire_chief.pk),
        (office_dept.pk, "不在系统的人", None),
    }
    assert all(r.date == datetime.date(2026, 10, 1) and r.created_by == office for r in rows)
    assert [w.message for w in roster.warnings] == [
        "“不在系统的人”没有系统账号，不会收到值班期间的督办和事故通知"
    ]


@pytest.mark.django_db
def test_one_bad_row_imports_nothing_and_each_problem_names_row_and_column(fire_dept, office):
    source = sheet(
        ("2026-10-01", "消防", "王局长", "", "024-12345678"),
        ("2026-10-02", "没有这个部门", "王局长", "", "024-12345678"),
        ("2026-10-40", "消防", "", "", "12345"),
        ("2026-10-01", "消防", "王局长", "", "024-12345678"),
    )
    roster = duty.import_roster(source, actor=office)
    assert DutyShift.objects.count() == 0
    found = {(issue.row, issue.column) for issue in roster.errors}
    assert found == {
        (4, "部门"),
        (5, "值班日期"),
        (5, "带班领导"),
        (5, "值班电话"),
        (6, "值班日期"),
    }
    assert "同一天、同一部门" in next(i.message for i in roster.errors if i.row == 6)


@pytest.mark.django_db
def test_reimport_replaces_the_same_day_and_department_and_keeps_the_rest(fire_dept, office):
    other_day = shift(fire_dept, day=datetime.date(2026, 10, 2), leader_name="留下")
    shift(fire_dept, day=datetime.date(2026, 10, 1), leader_name="旧的")
    roster = duty.import_roster(
        sheet(("2026-10-01", "消防", "新的", "", "024-12345678")), actor=office
    )
    assert (roster.created, roster.replaced) == (0, 1)
    assert set(DutyShift.objects.values_list("leader_name", flat=True)) == {"新的", "留下"}
    assert DutyShift.objects.filter(pk=other_day.pk).exists()


@pytest.mark.django_db
def test_import_pages_upload_preview_confirm(login, office, fire_dept, fire_chief):
    client = login(office)
    response = client.post(
        reverse("duty_import"),
        {"file": sheet(("2026-10-01", "消防", "王局长", "赵一", "024-12345678"))},
    )
    assert response.status_code == 302
    preview = client.get(reverse("duty_import_preview"))
    assert "确认导入 1 条值班" in preview.content.decode()
    token = preview.context["token"]
    response = client.post(reverse("duty_import_confirm"), {"token": token})
    assert response.status_code == 302
    assert DutyShift.objects.get().leader == fire_chief
    # The same preview confirmed twice (a double click) imports once.
    again = client.post(reverse("duty_import_confirm"), {"token": token})
    assert again.status_code == 302 and DutyShift.objects.count() == 1


@pytest.mark.django_db
def test_bad_sheet_preview_lists_errors_and_offers_no_confirm(login, office, fire_dept):
    client = login(office)
    client.post(reverse("duty_import"), {"file": sheet(("明天", "消防", "王局长", "", "1"))})
    page = client.get(reverse("duty_import_preview")).content.decode()
    assert "本次不会导入任何值班" in page and 'data-testid="confirm-import"' not in page


@pytest.mark.django_db
def test_template_reads_back_as_a_valid_header(login, office):
    response = login(office).get(reverse("duty_import_template"))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in workbook.active[1]] == [c.header for c in duty.COLUMNS]


# --- form -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_form_refuses_a_second_shift_of_the_same_day_next_to_the_field(login, office, fire_dept):
    shift(fire_dept)
    response = login(office).post(
        reverse("duty_create"),
        {
            "date": today().isoformat(),
            "department": fire_dept.pk,
            "leader_name": "另一人",
            "phone": "13800138000",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["department"] == ["该部门当天已有值班安排，请修改那一条"]
    assert DutyShift.objects.count() == 1


@pytest.mark.django_db
def test_form_refuses_a_leader_account_of_another_department(login, office, fire_dept, inspector_b):
    response = login(office).post(
        reverse("duty_create"),
        {
            "date": today().isoformat(),
            "department": fire_dept.pk,
            "leader_name": "应急检查员丙",
            "leader": inspector_b.pk,
            "phone": "024-1234",
        },
    )
    errors = response.context["form"].errors
    assert errors["leader"] == ["只能选择该部门的人员或区领导"]
    assert "电话格式不正确" in errors["phone"][0]
    assert not DutyShift.objects.exists()


# --- home and list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_todays_roster_on_the_office_and_leader_home_but_not_the_inspectors(
    login, office, leader, inspector_a, fire_dept, office_dept
):
    shift(fire_dept, leader_name="王局长", phone="024-11111111")
    shift(office_dept, leader_name="明天的人", day=today() + datetime.timedelta(days=1))
    for user in (office, leader):
        page = login(user).get(reverse("home")).content.decode()
        assert 'data-testid="duty-card"' in page
        assert "王局长" in page and "024-11111111" in page and "明天的人" not in page
    page = login(inspector_a).get(reverse("home")).content.decode()
    assert 'data-testid="duty-card"' not in page


@pytest.mark.django_db
def test_roster_list_runs_constant_queries(
    login, office, fire_dept, office_dept, django_assert_max_num_queries
):
    client = login(office)
    for n in range(30):
        shift(fire_dept if n % 2 else office_dept, day=today() + datetime.timedelta(days=n // 2))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("duty_list"))
    assert len(response.context["object_list"]) == 30


@pytest.mark.django_db
def test_roster_is_closed_to_inspectors(login, inspector_a):
    assert login(inspector_a).get(reverse("duty_list")).status_code == 403


# --- notifications on a duty day --------------------------------------------------------------


def told(kind, **where) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind, **where).values_list("user__username", flat=True)
    )


@pytest.mark.django_db
def test_escalation_on_a_duty_day_tells_the_leaders_on_duty_at_once(
    unit_of_a,
    inspector_a,
    supervisor,
    fire_dept,
    office_dept,
    fire_chief,
    office_chief,
    inspector_b,
):
    shift(fire_dept, fire_chief)
    shift(office_dept, office_chief)
    # The 应急管理局's duty leader answers for nothing of this hazard.
    shift(factories.department("应急管理局"), inspector_b)
    hazard = factories.hazard(unit_of_a, inspector_a, status=S.RECTIFYING, deadline=today())
    workflow.escalate(hazard_id=hazard.pk, note="逾期", actor=supervisor)
    assert {"fire_chief", "office_chief"} <= told(K.ESCALATED, hazard=hazard)
    assert "insp_b" not in told(K.ESCALATED, hazard=hazard)
    note = Notification.objects.get(kind=K.ESCALATED, user=fire_chief)
    assert note.urgent


@pytest.mark.django_db
def test_automatic_escalation_reaches_only_the_leaders_on_duty_at_once(
    unit_of_a, inspector_a, fire_dept, fire_chief
):
    shift(fire_dept, fire_chief)
    hazard = factories.hazard(unit_of_a, inspector_a, status=S.RECTIFYING, deadline=today())
    assert workflow.escalate(hazard_id=hazard.pk, note="自动督办", actor=None)
    assert told(K.ESCALATED, hazard=hazard) == {"fire_chief"}


@pytest.mark.django_db
def test_no_roster_today_no_duty_notification(unit_of_a, inspector_a, fire_dept, fire_chief):
    shift(fire_dept, fire_chief, day=today() + datetime.timedelta(days=1))
    hazard = factories.hazard(unit_of_a, inspector_a, status=S.RECTIFYING, deadline=today())
    workflow.escalate(hazard_id=hazard.pk, note="自动督办", actor=None)
    assert not told(K.ESCALATED, hazard=hazard)


def accident_post(unit, deaths: int) -> dict:
    return {
        "unit_lookup": unit.credit_code,
        "area": unit.area_id,
        "occurred_on": today().isoformat(),
        "kind": Accident.Kind.MACHINERY,
        "deaths": deaths,
        "injuries": 1,
        "direct_loss": "12.5",
        "description": "机械伤害致人死亡",
    }


@pytest.mark.django_db
def test_fatal_accident_on_a_duty_day_tells_the_leaders_on_duty(
    login, office, unit_of_a, fire_dept, office_dept, fire_chief, office_chief
):
    shift(fire_dept, fire_chief)
    shift(office_dept, office_chief)
    client = login(office)
    response = client.post(reverse("accident_create"), accident_post(unit_of_a, deaths=0))
    assert response.status_code == 302, response.context["form"].errors
    assert not told(K.FATAL_ACCIDENT)
    response = client.post(reverse("accident_create"), accident_post(unit_of_a, deaths=1))
    assert response.status_code == 302
    assert told(K.FATAL_ACCIDENT) == {"fire_chief", "office_chief"}
    note = Notification.objects.get(kind=K.FATAL_ACCIDENT, user=fire_chief)
    assert note.urgent and "死亡1人" in note.title
    assert note.link == reverse("accident_detail", args=[Accident.objects.get(deaths=1).pk])


@pytest.mark.django_db
def test_an_accident_that_becomes_fatal_on_edit_notifies_once(
    login, office, unit_of_a, fire_dept, fire_chief
):
    shift(fire_dept, fire_chief)
    client = login(office)
    client.post(reverse("accident_create"), accident_post(unit_of_a, deaths=0))
    accident = Accident.objects.get()
    edit = reverse("accident_edit", args=[accident.pk])
    client.post(edit, accident_post(unit_of_a, deaths=1))
    client.post(edit, accident_post(unit_of_a, deaths=2))
    assert Notification.objects.filter(kind=K.FATAL_ACCIDENT, user=fire_chief).count() == 1
