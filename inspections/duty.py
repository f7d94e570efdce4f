"""The holiday duty roster (值班表) from the sheet departments send in, and who is on duty.

Departments usually return a table of 日期 · 单位 · 带班领导 · 值班人员 · 值班电话 for the holiday;
the office uploads it (anjian/imports.py's upload → preview → confirm). All rows or none: one bad
row leaves the roster as it was. A row for a day and department already in the roster replaces
it, so a corrected sheet can simply be imported again.

The leader's name is matched to an account (same name, active, in that department or a
district leader) so that the escalations and fatal accidents of the day reach them; a name
without an account is kept and the preview says the leader will not be notified.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from openpyxl import Workbook
from openpyxl.styles import Font

from anjian.spreadsheets import Column, Issue, Layout, cell_text, parse_date, read_sheet
from audit.models import ImportRecord
from audit.records import read_source, record_import
from units.models import Department, User
from units.validators import validate_phone

from .models import DutyShift

COLUMNS = (
    Column("date", "值班日期", ("日期", "日　期", "值班时间"), True),
    Column("department", "部门", ("单位", "值班单位", "部门名称", "单位名称", "责任单位"), True),
    Column("leader", "带班领导", ("值班领导", "带班领导姓名", "领导"), True),
    Column("staff", "值班人员", ("值班员", "值班人", "工作人员")),
    Column("phone", "值班电话", ("联系电话", "电话", "手机", "值班室电话"), True),
    Column("note", "备注", ("说明",)),
)
LAYOUT = Layout(COLUMNS, anchor="date", min_known=3)
# A year of holidays for every department of a district stays far below this.
MAX_ROWS = 3000


@dataclass
class RosterRow:
    row: int
    shift: DutyShift
    replaces: bool = False


@dataclass
class Roster:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    header_row: int = 0
    created: int = 0
    replaced: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    @property
    def bad_rows(self) -> int:
        return len({issue.row for issue in self.errors})

    @property
    def dates(self) -> tuple[datetime.date, datetime.date] | None:
        days = [r.shift.date for r in self.rows]
        return (min(days), max(days)) if days else None


def _department_index() -> dict[str, Department]:
    """Each department by its full and its short name (sheets use either)."""
    index: dict[str, Department] = {}
    for department in Department.objects.all():
        for name in (department.name, department.short_name):
            if name:
                index[name.replace(" ", "")] = department
    return index


def leader_candidates(department: Department) -> QuerySet:
    """Whose account a roster's leader may be: the department's own staff or a district leader."""
    return User.objects.filter(is_active=True).filter(
        Q(department=department) | Q(role=User.Role.LEADER)
    )


def match_leader(name: str, department: Department, accounts: dict[str, list[User]]) -> list[User]:
    """The accounts `name` may mean for `department` (accounts by name)."""
    return [
        u
        for u in accounts.get(name, ())
        if u.department_id == department.pk or u.role == User.Role.LEADER
    ]


def read_roster(source: str | IO[bytes]) -> Roster:
    sheet = read_sheet(source, LAYOUT, max_rows=MAX_ROWS)
    result = Roster(header_row=sheet.header_row)
    departments = _department_index()
    accounts: dict[str, list[User]] = {}
    for user in (
        User.objects.filter(is_active=True)
        .exclude(name="")
        .filter(Q(role=User.Role.LEADER) | Q(department__isnull=False))
        .only("id", "name", "role", "department_id")
    ):
        accounts.setdefault(user.name, []).append(user)
    seen: dict[tuple, int] = {}
    limits = {f: DutyShift._meta.get_field(f).max_length for f in ("leader_name", "staff", "note")}

    def column(name: str) -> str:
        return sheet.column(LAYOUT, name)

    for number, raw in sheet.rows:
        problems: list[Issue] = []
        try:
            day = parse_date(raw.get("date"))
        except ValueError as exc:
            day = None
            problems.append(Issue(number, column("date"), str(exc)))
        else:
            if day is None:
                problems.append(Issue(number, column("date"), "必填项为空"))
        department_name = cell_text(raw.get("department")).replace(" ", "")
        department = departments.get(department_name)
        if not department_name:
            problems.append(Issue(number, column("department"), "必填项为空"))
        elif department is None:
            problems.append(
                Issue(
                    number,
                    column("department"),
                    f"系统中没有名为“{department_name}”的部门（请用部门全称或简称）",
                )
            )
        leader_name = cell_text(raw.get("leader"))
        if not leader_name:
            problems.append(Issue(number, column("leader"), "必填项为空"))
        phone = cell_text(raw.get("phone")).replace(" ", "")
        if not phone:
            problems.append(Issue(number, column("phone"), "必填项为空"))
        else:
            try:
                validate_phone(phone)
            except ValidationError as exc:
                problems.append(Issue(number, column("phone"), exc.messages[0]))
        staff = cell_text(raw.get("staff"))
        note = cell_text(raw.get("note"))
        for name, value, key in (
            ("leader", leader_name, "leader_name"),
            ("staff", staff, "staff"),
            ("note", note, "note"),
        ):
            if len(value) > limits[key]:
                problems.append(Issue(number, column(name), f"不能超过{limits[key]}个字"))
        if day and department:
            key = (day, department.pk)
            if key in seen:
                problems.append(
                    Issue(number, column("date"), f"与第{seen[key]}行是同一天、同一部门的值班")
                )
            else:
                seen[key] = number
        if problems:
            result.errors.extend(problems)
            continue
        matches = match_leader(leader_name, department, accounts)
        leader = matches[0] if len(matches) == 1 else None
        if not matches:
            result.warnings.append(
                Issue(
                    number,
                    column("leader"),
                    f"“{leader_name}”没有系统账号，不会收到值班期间的督办和事故通知",
                )
            )
        elif len(matches) > 1:
            result.warnings.append(
                Issue(
                    number,
                    column("leader"),
                    f"有{len(matches)}个名为“{leader_name}”的账号，未关联；可在值班表中手工选择",
                )
            )
        shift = DutyShift(
            date=day,
            department=department,
            leader_name=leader_name,
            leader=leader,
            staff=staff,
            phone=phone,
            note=note,
        )
        result.rows.append(RosterRow(number, shift))
    # Which rows replace a day already entered: only the sheet's days are read.
    existing = set(
        DutyShift.objects.filter(date__in={row.shift.date for row in result.rows}).values_list(
            "date", "department_id"
        )
    )
    for row in result.rows:
        row.replaces = (row.shift.date, row.shift.department_id) in existing
    if not result.rows and not result.errors:
        result.errors.append(Issue(None, "—", "文件中没有数据行"))
    return result


def import_roster(source: str | IO[bytes], *, actor, filename: str = "") -> Roster:
    """Enters every row (replacing the same day and department), or none when any row is bad."""
    result = read_roster(source)
    if result.errors:
        return result
    with transaction.atomic():
        replaced = Q(pk__in=[])
        for row in result.rows:
            replaced |= Q(date=row.shift.date, department_id=row.shift.department_id)
        # Deleting and re-creating keeps one code path for new and corrected rows; the unique
        # constraint turns a racing import of the same rows into an error, not a double.
        result.replaced, _ = DutyShift.objects.filter(replaced).delete()
        for row in result.rows:
            row.shift.created_by = actor
        created = DutyShift.objects.bulk_create([row.shift for row in result.rows])
        record_import(
            kind=ImportRecord.Kind.DUTY,
            user=actor,
            filename=filename or str(getattr(source, "name", source)),
            content=read_source(source),
            created={"inspections.DutyShift": [s.pk for s in created]},
        )
    result.created = len(result.rows) - result.replaced
    return result


def leaders_on_duty(day: datetime.date, department_ids, *, area_id: int | None = None) -> QuerySet:
    """The accounts of the day's leaders on duty for these departments, the street office of
    `area_id` and the office. Lazy: it joins the caller's query as a subquery."""
    ids = [pk for pk in department_ids if pk]
    answers = Q(department_id__in=ids) | Q(department__kind=Department.Kind.OFFICE)
    if area_id is not None:
        answers |= Q(department__kind=Department.Kind.STREET, department__area_id=area_id)
    shifts = DutyShift.objects.on(day).filter(answers, leader__isnull=False)
    return User.objects.filter(is_active=True, pk__in=shifts.values("leader_id"))


def write_template(fileobj: IO[bytes], *, start: datetime.date) -> None:
    """The table to fill in, with one example row and how to fill it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "值班表"
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    office = Department.objects.filter(kind=Department.Kind.OFFICE).first()
    sheet.append([start, office.name if office else "区安委会办公室", "", "", "", ""])
    sheet["A2"].number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEF", (14, 24, 12, 24, 16, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    notes = workbook.create_sheet("填写说明")
    for line in (
        "每个部门每个值班日一行：值班日期、部门（全称或简称）、带班领导、值班人员、值班电话。",
        "带班领导与系统账号同名时自动关联，值班当天发生的督办和亡人事故会通知其本人。",
        "同一天同一部门已录入的值班以本表为准（整行替换）；任一行有错误时整张表不导入。",
        "日期可写 2026-10-01、2026.10.1 或 2026年10月1日；电话为手机号或带区号的座机。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    workbook.save(fileobj)
