"""The import template and the unit-list export."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..models import Area, Category, Department, Unit
from ..validators import make_credit_code
from .columns import COLUMN_BY_FIELD, COLUMNS, EXAMPLE_PREFIX, text_cell

_WIDTHS = {
    "name": 30,
    "credit_code": 22,
    "category": 16,
    "area": 14,
    "address": 32,
    "legal_rep": 12,
    "legal_rep_phone": 16,
    "safety_contact": 12,
    "safety_contact_phone": 16,
    "lead_department": 14,
    "status": 10,
    "is_illegal": 12,
}
_TEXT_FIELDS = ("credit_code", "legal_rep_phone", "safety_contact_phone")
_BOLD = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
_HEADER_FILL = PatternFill("solid", fgColor="E9ECEF")


def write_template(fileobj: IO[bytes]) -> None:
    """The import template: the headers, one example row (rejected if left in) and a sheet of
    the values the dropdowns offer."""
    categories = list(Category.objects.select_related("lead_department"))
    areas = list(Area.objects.all())
    departments = list(Department.objects.all())

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "单位导入"
    sheet.append([c.header for c in COLUMNS])
    for index, col in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = _BOLD
        cell.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
        hint = "必填。" if col.required else "选填。"
        if col.aliases:
            hint += "也可用列名：" + "、".join(col.aliases)
        cell.comment = Comment(hint, "安检")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDTHS[col.field]
        if col.field in _TEXT_FIELDS:
            # Excel turns an 18-digit code into 9.1E+17 and loses digits unless the column is text.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"

    category = next(
        (c for c in categories if c.code == "furniture-market"),
        categories[0] if categories else None,
    )
    example = {
        "name": f"{EXAMPLE_PREFIX}：兴华家具城（导入前删除本行）",
        "credit_code": make_credit_code("91210106", "MA0Q7X3B"),
        "category": category.name if category else "",
        "area": areas[0].name if areas else "",
        "address": "兴华南街18号",
        "legal_rep": "张三",
        "legal_rep_phone": "13800138000",
        "safety_contact": "李四",
        "safety_contact_phone": "024-12345678",
        "lead_department": str(category.lead_department)
        if category and category.lead_department
        else "",
        "status": Unit.Status.OPERATING.label,
        "is_illegal": "否",
    }
    sheet.append([example[c.field] for c in COLUMNS])
    for index, col in enumerate(COLUMNS, start=1):
        if col.field in _TEXT_FIELDS:
            sheet.cell(row=2, column=index).number_format = "@"

    notes = workbook.create_sheet("填写说明")
    lists = {
        "category": [c.name for c in categories],
        "area": [a.name for a in areas],
        "lead_department": [d.short_name or d.name for d in departments],
        "status": [label for _, label in Unit.Status.choices],
        "is_illegal": ["是", "否"],
    }
    for index, (field_name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        head = notes.cell(row=1, column=index, value=COLUMN_BY_FIELD[field_name].header)
        head.font = _BOLD
        for offset, value in enumerate(values, start=2):
            notes.cell(row=offset, column=index, value=value)
        notes.column_dimensions[letter].width = 20
        if values:
            target = get_column_letter([c.field for c in COLUMNS].index(field_name) + 1)
            rule = DataValidation(
                type="list",
                formula1=f"'填写说明'!${letter}$2:${letter}${len(values) + 1}",
                allow_blank=True,
                showErrorMessage=False,  # aliases and short names are accepted too
            )
            rule.add(f"{target}2:{target}20001")
            sheet.add_data_validation(rule)
    remarks = [
        "说明：",
        "1. 第一行为表头，列名须与模板一致（括号中的常用别名也可识别），列的顺序不限。",
        "2. 统一社会信用代码为18位；居民楼（无物业小区）、电梯、非法场所可不填。",
        "3. 牵头部门不填时，按行业类别的默认牵头部门。",
        "4. 经营状态不填时为“在营”；是否非法场所不填时为“否”。",
        "5. 任一行有错误时整批不导入，请按提示修改后重新上传。",
    ]
    start_col = len(lists) + 2
    for offset, line in enumerate(remarks, start=1):
        notes.cell(row=offset, column=start_col, value=line)
    notes.column_dimensions[get_column_letter(start_col)].width = 70
    workbook.save(fileobj)


EXPORT_EXTRA_HEADERS = ("更新时间",)


def export_row(unit: Unit) -> list[str]:
    return [
        unit.name,
        unit.credit_code,
        unit.category.name,
        unit.area.name,
        unit.address,
        unit.legal_rep,
        unit.legal_rep_phone,
        unit.safety_contact,
        unit.safety_contact_phone,
        str(unit.lead_department),
        unit.get_status_display(),
        "是" if unit.is_illegal else "否",
        timezone.localtime(unit.updated_at).strftime("%Y-%m-%d %H:%M"),
    ]


def write_units(units: Iterable[Unit], fileobj: IO[bytes]) -> int:
    """Writes rows as they come (write-only mode keeps them on disk, not in memory); the columns
    are the import template's, so an export can be edited and imported elsewhere."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("单位名单")
    for index, col in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS[col.field]
    sheet.column_dimensions[get_column_letter(len(COLUMNS) + 1)].width = 18
    sheet.freeze_panes = "A2"
    header = []
    for title in [c.header for c in COLUMNS] + list(EXPORT_EXTRA_HEADERS):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = _BOLD
        header.append(cell)
    sheet.append(header)
    count = 0
    for unit in units:
        sheet.append([text_cell(sheet, value) for value in export_row(unit)])
        count += 1
    workbook.save(fileobj)
    return count
