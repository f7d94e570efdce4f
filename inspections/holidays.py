"""A year's 放假安排 from a small Excel table (日期, 放假/上班, 说明) into CalendarDay rows.

The State Council's notice lists each holiday and each make-up working day (调休上班); the
administrator types those dates into a two-column sheet, or downloads the template, and imports
it in the admin. All rows or none: one bad date leaves the calendar as it was.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import IO

from django.db import transaction
from openpyxl import Workbook
from openpyxl.styles import Font

from anjian.spreadsheets import Column, Issue, Layout, cell_text, parse_date, read_sheet
from audit.models import ImportRecord
from audit.records import read_source, record_import

from .models import CalendarDay

COLUMNS = (
    Column("date", "日期", ("日　期", "放假日期", "调休日期"), True),
    Column("kind", "放假/上班", ("类型", "安排", "放假或上班", "是否上班", "休/班"), True),
    Column("note", "说明", ("备注", "节日", "节假日", "名称")),
)
LAYOUT = Layout(COLUMNS, anchor="date", min_known=2)
MAX_ROWS = 400

_HOLIDAY = {"放假", "休", "休息", "假", "节假日", "休假", "否", "不上班"}
_WORKDAY = {"上班", "班", "调休上班", "补班", "工作日", "是", "调休"}


@dataclass
class Arrangement:
    days: list[CalendarDay] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def years(self) -> list[int]:
        return sorted({day.date.year for day in self.days})


def read_arrangement(source: str | IO[bytes]) -> Arrangement:
    sheet = read_sheet(source, LAYOUT, max_rows=MAX_ROWS)
    result = Arrangement()
    seen: dict[datetime.date, int] = {}
    for number, raw in sheet.rows:
        problems = []
        try:
            day = parse_date(raw.get("date"))
        except ValueError as exc:
            day = None
            problems.append(Issue(number, sheet.column(LAYOUT, "date"), str(exc)))
        else:
            if day is None:
                problems.append(Issue(number, sheet.column(LAYOUT, "date"), "必填项为空"))
            elif day in seen:
                problems.append(
                    Issue(number, sheet.column(LAYOUT, "date"), f"与第{seen[day]}行的日期重复")
                )
        kind = cell_text(raw.get("kind")).replace(" ", "")
        if kind in _HOLIDAY:
            is_workday = False
        elif kind in _WORKDAY:
            is_workday = True
        else:
            problems.append(
                Issue(number, sheet.column(LAYOUT, "kind"), "只能填写“放假”或“上班”（调休上班日）")
            )
        if problems:
            result.errors.extend(problems)
            continue
        seen[day] = number
        note = cell_text(raw.get("note"))[: CalendarDay._meta.get_field("note").max_length]
        result.days.append(CalendarDay(date=day, is_workday=is_workday, note=note))
    if not result.days and not result.errors:
        result.errors.append(Issue(None, "—", "文件中没有数据行"))
    return result


def import_arrangement(source: str | IO[bytes], *, user=None, filename: str = "") -> Arrangement:
    """Enters every listed day (a date already entered takes the file's value), or none."""
    result = read_arrangement(source)
    if result.errors:
        return result
    with transaction.atomic():
        existing = {
            day.date: day
            for day in CalendarDay.objects.select_for_update().filter(
                date__in=[d.date for d in result.days]
            )
        }
        changed = []
        for day in result.days:
            old = existing.get(day.date)
            if old is None:
                continue
            old.is_workday, old.note = day.is_workday, day.note
            changed.append(old)
        CalendarDay.objects.bulk_update(changed, ["is_workday", "note"])
        new = CalendarDay.objects.bulk_create([d for d in result.days if d.date not in existing])
        record_import(
            kind=ImportRecord.Kind.CALENDAR,
            user=user,
            filename=filename or getattr(source, "name", "") or str(source),
            content=read_source(source),
            created={"inspections.CalendarDay": [d.pk for d in new]},
            updated={"inspections.CalendarDay": [d.pk for d in changed]},
        )
    result.updated = len(changed)
    result.created = len(result.days) - result.updated
    return result


def write_template(fileobj: IO[bytes], year: int) -> None:
    """The table to fill in: header, two example rows of the usual shape, and how to fill it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{year}年放假安排"
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    # 1 January is a holiday by law every year: a true first row that shows the form.
    sheet.append([datetime.date(year, 1, 1), "放假", "元旦"])
    for row in sheet.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 20
    notes = workbook.create_sheet("填写说明")
    for line in (
        "按国务院办公厅公布的放假安排，每个放假日一行（“放假”），每个调休上班日一行（“上班”）。",
        "普通周末和普通工作日不用填写。日期可写 2027-01-01、2027.1.1 或 2027年1月1日。",
        "例如春节前的周日调休上班：2027-02-07 | 上班 | 春节调休。",
        "导入时任一行有错误则整张表不导入；已录入的日期以本表为准。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    workbook.save(fileobj)
