"""The holiday calendar: the admin page and its import of a year's 放假安排, deadlines in working
days across 元旦 and 春节, and the warnings while a year is missing.

`chinesecalendar` 1.11 knows up to 2026; 2027 is the year an office has to enter itself.
"""

import datetime
import io

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anjian.spreadsheets import parse_date
from inspections import workdays
from inspections.forms_hazards import AssignForm
from inspections.forms_inspections import HazardForm
from inspections.models import CalendarDay, Hazard
from tests import factories

D = datetime.date
# An arrangement of the usual shape for 2027: 元旦 Fri–Sun, 春节 eight days from Sat 6 Feb with
# the Sunday after and a Saturday later as make-up working days.
ARRANGEMENT_2027 = [
    ("2027年1月1日", "放假", "元旦"),
    (D(2027, 1, 2), "放假", "元旦"),
    ("2027.1.3", "放假", "元旦"),
    *[(D(2027, 2, day), "放假", "春节") for day in range(6, 14)],
    (D(2027, 2, 14), "上班", "春节调休"),
    ("2027-02-20", "上班", "春节调休"),
]


def arrangement_xlsx(rows, *, title_row: bool = True) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title_row:
        sheet.append(["国务院办公厅关于2027年部分节假日安排的通知"])
        sheet.merge_cells("A1:C1")
    sheet.append(["日期", "放假/上班", "说明"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "2027年放假安排.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


IMPORT_URL = "/admin/inspections/calendarday/import/"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def calendar_admin(admin_user):
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    return admin_user


def test_admin_page_lists_entered_days_and_links_the_import(login, calendar_admin):
    CalendarDay.objects.create(date=D(2027, 2, 14), is_workday=True, note="春节调休")
    assert reverse("admin:inspections_calendarday_changelist") == "/admin/inspections/calendarday/"
    page = login(calendar_admin).get("/admin/inspections/calendarday/").content.decode()
    assert "节假日/调休" in page and "春节调休" in page
    assert IMPORT_URL in page


def test_admin_imports_a_years_arrangement_from_a_small_table(login, calendar_admin):
    client = login(calendar_admin)
    response = client.post(IMPORT_URL, {"file": upload(arrangement_xlsx(ARRANGEMENT_2027))})
    assert response.status_code == 302, response.content.decode()
    days = dict(CalendarDay.objects.values_list("date", "is_workday"))
    assert len(days) == len(ARRANGEMENT_2027)
    assert days[D(2027, 1, 1)] is False and days[D(2027, 1, 3)] is False
    assert days[D(2027, 2, 14)] is True and days[D(2027, 2, 20)] is True
    assert "已导入2027年放假安排：新增 13 天" in client.get(response["Location"]).content.decode()
    # Importing a corrected table again changes the day, and adds nothing twice.
    corrected = [*ARRANGEMENT_2027[:-1], ("2027-02-20", "放假", "更正")]
    client.post(IMPORT_URL, {"file": upload(arrangement_xlsx(corrected))})
    assert CalendarDay.objects.count() == len(ARRANGEMENT_2027)
    assert CalendarDay.objects.get(date=D(2027, 2, 20)).is_workday is False


def test_a_bad_row_imports_nothing_and_is_named_with_row_and_column(login, calendar_admin):
    rows = [*ARRANGEMENT_2027, ("2027-02-30", "放假", ""), ("2027-10-01", "半天", "")]
    response = login(calendar_admin).post(IMPORT_URL, {"file": upload(arrangement_xlsx(rows))})
    assert response.status_code == 200
    html = response.content.decode()
    # Title row 1, header row 2: the 14th and 15th data rows are Excel rows 16 and 17.
    assert "<td>16</td><td>日期</td>" in html and "不是有效日期" in html
    assert "<td>17</td><td>放假/上班</td>" in html
    assert CalendarDay.objects.count() == 0


def test_import_template_downloads_and_imports_as_is(login, calendar_admin):
    client = login(calendar_admin)
    response = client.get(reverse("admin:inspections_calendarday_import_template"))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]] == ["日期", "放假/上班", "说明"]
    client.post(IMPORT_URL, {"file": upload(content)})
    assert CalendarDay.objects.filter(is_workday=False, note="元旦").count() == 1


def test_office_and_inspectors_cannot_reach_the_calendar_admin(login, office, inspector_a):
    for user in (office, inspector_a):
        response = login(user).get(IMPORT_URL)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- counting working days -------------------------------------------------------------------


def test_deadline_across_new_year_and_spring_festival_counts_entered_days(db):
    CalendarDay.objects.bulk_create(
        CalendarDay(date=parse_date(day), is_workday=kind == "上班", note=note)
        for day, kind, note in ARRANGEMENT_2027
    )
    # Fri 25 Dec 2026 (package year) + 30: Dec 28–31 (4), Jan 4–29 (20), Feb 1–5 (5),
    # the eight days of 春节 off, then the make-up Sunday 14 Feb is the 30th.
    assert workdays.add_working_days(D(2026, 12, 25), 30) == D(2027, 2, 14)
    assert workdays.add_working_days(D(2026, 12, 25), 4) == D(2026, 12, 31)
    assert workdays.add_working_days(D(2026, 12, 25), 5) == D(2027, 1, 4)
    # The make-up Saturday counts, the holiday week does not.
    assert workdays.add_working_days(D(2027, 2, 19), 1) == D(2027, 2, 20)
    assert workdays.working_days_problem(D(2026, 12, 25), D(2027, 2, 14)) is None


def test_without_entries_the_same_count_is_mon_to_fri_and_flagged(db):
    deadline = workdays.add_working_days(D(2026, 12, 25), 30)
    assert deadline == D(2027, 2, 5)  # 1 January counted as a working day
    problem = workdays.working_days_problem(D(2026, 12, 25), deadline)
    assert problem.startswith("2027年节假日安排尚未录入")


# --- the warnings ----------------------------------------------------------------------------


def _hazard_form(inspection_date: D, working_days: int) -> HazardForm:
    return HazardForm(
        data={
            "description": "配电箱无防护",
            "hazard_type": Hazard.Type.ELECTRICAL,
            "level": Hazard.Level.GENERAL,
            "deadline_working_days": str(working_days),
        },
        department_choices=[],
        inspection_date=inspection_date,
    )


def test_inspection_form_warns_next_to_the_working_days_field_when_the_year_is_missing(db):
    form = _hazard_form(D(2026, 12, 1), 30)
    assert not form.is_valid()
    assert "2027年节假日安排尚未录入" in form.errors["deadline_working_days"][0]
    assert "请改填具体日期" in form.errors["deadline_working_days"][0]
    # Inside a covered year nothing is said; and once 2027 is entered, nothing either.
    assert _hazard_form(D(2026, 11, 2), 10).is_valid()
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    assert _hazard_form(D(2026, 12, 1), 30).is_valid()


@time_machine.travel(datetime.datetime(2026, 12, 10, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_assign_form_warns_and_the_detail_page_shows_it(login, office, unit_of_a, inspector_a):
    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    form = AssignForm(
        data={
            "version": hazard.version,
            "lead_department": inspector_a.department_id,
            "responsible_person": "王五",
            "working_days": "30",
        },
        hazard=hazard,
    )
    assert not form.is_valid()
    assert "2027年节假日安排尚未录入" in form.errors["working_days"][0]
    response = login(office).post(
        reverse("hazard_act", kwargs={"pk": hazard.pk, "action": "assign"}),
        dict(form.data),
    )
    assert response.status_code == 400
    assert "2027年节假日安排尚未录入" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.REGISTERED


@pytest.mark.parametrize(
    ("today", "shown"),
    [(D(2026, 12, 3), ["2027年"]), (D(2026, 6, 1), []), (D(2027, 3, 1), ["2027年"])],
)
def test_office_home_says_which_years_are_missing(login, office, inspector_a, today, shown):
    noon = datetime.datetime.combine(today, datetime.time(4, 0), tzinfo=datetime.UTC)
    with time_machine.travel(noon, tick=False):
        html = login(office).get("/").content.decode()
        for year in shown:
            assert f"{year}节假日安排尚未录入" in html
        assert ('data-testid="calendar-card"' in html) == bool(shown)
        # An inspector cannot enter it and is not told.
        assert "节假日安排尚未录入" not in login(inspector_a).get("/").content.decode()
        CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
        assert "节假日安排尚未录入" not in login(office).get("/").content.decode()
