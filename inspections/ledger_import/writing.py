"""The downloadable template of a hazard ledger: the columns, an example and how to fill it."""

from __future__ import annotations

import datetime
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .columns import COLUMNS

_BOLD = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
_HEADER_FILL = PatternFill("solid", fgColor="E9ECEF")
_WIDE = {
    "unit_name": 28,
    "description": 36,
    "measures": 28,
    "location": 16,
    "credit_code": 22,
    "major_basis": 28,
}


def write_template(fileobj: IO[bytes]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "隐患台账"
    # The title line real ledgers carry: the importer skips it, the template shows that it may.
    sheet.append(["隐患排查治理台账（导入模板：标题行可保留，表头从第2行开始）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([c.header for c in COLUMNS])
    for index, col in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=2, column=index)
        cell.font = _BOLD
        cell.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
        hint = "必填。" if col.required else "选填。"
        if col.field == "major_basis":
            hint = "重大隐患必填（标准条款或判定理由）。"
        if col.aliases:
            hint += "也可用列名：" + "、".join(col.aliases)
        cell.comment = Comment(hint, "安检")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDE.get(col.field, 13)
        if col.field == "credit_code":
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A3"
    notes = workbook.create_sheet("填写说明")
    today = timezone.localdate()
    example = today - datetime.timedelta(days=30)
    lines = [
        "填写说明",
        "1. 每行一条隐患。列的顺序不限；表头上方可以有标题行，合并单元格的两行表头也可识别。",
        "2. 单位按“统一社会信用代码”匹配，没有代码时按“属地（镇街）+单位名称”完全一致匹配。"
        "系统中没有的单位：预览时可选择“创建这些单位”（须填写属地和行业领域），否则该行报错。",
        f"3. 日期可写 {example:%Y-%m-%d}、{example.year}.{example.month}.{example.day} 或 "
        f"{example.year}年{example.month}月{example.day}日，也可以是 Excel 日期。",
        "4. 隐患等级：一般 / 重大（“较大”按重大导入）。来源：检查 / 自查 / 督查 / 举报（不填为检查）。",
        "   重大隐患须填写“判定依据”：依据的标准条款（如 GB 50016-2014 第5.5.17条），"
        "或判定为重大隐患的理由；缺少时该行报错。一般隐患可不填。",
        "5. 整改完成情况：已整改（已销号）或 未整改（整改中）；不填时有完成日期即视为已整改。"
        "未整改的须有整改期限，导入为“已交办”；已整改的须有完成、验收或销号日期，导入为“已销号”。",
        "6. 治理经费：表头写“治理经费（万元）”按万元，否则按元；单元格里写“2.5万元”也可以。",
        "7. 有“隐患编号”时按编号识别重复；没有时按单位+排查日期+隐患描述+部位识别。"
        "同一文件再次导入不会重复，预览会说明多少行此前已导入。",
        "8. 任一行有错误时整批不导入；按预览中列出的行号、列和原因修改后重新上传。",
    ]
    for line in lines:
        notes.append([line])
    notes["A1"].font = _BOLD
    notes.column_dimensions["A"].width = 120
    workbook.save(fileobj)
