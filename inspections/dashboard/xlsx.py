"""The dashboard's figures as .xlsx: a sheet of headline figures, one sheet per chart (the
numbers of its table view) and the department league table — for pasting into a report."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from units.xlsx import text_cell

from .scope import Period

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses sheet names over 31 characters and some punctuation.
_SHEET_FORBIDDEN = str.maketrans({c: "" for c in "[]:*?/\\"})


def filename(period: Period) -> str:
    return f"数据看板 {period.label}.xlsx"


def _sheet_name(title: str, used: set[str]) -> str:
    name = title.split("（")[0].translate(_SHEET_FORBIDDEN)[:28] or "数据"
    base, n = name, 2
    while name in used:
        name = f"{base}{n}"
        n += 1
    used.add(name)
    return name


def _change(c: dict) -> str:
    return f"{c['arrow']} {c['text']}".strip()


def _period_row(label: str, cur, last, change: dict) -> list:
    """A figure of the period only: the three year-to-date columns stay empty."""
    return [label, cur, last, _change(change), "", "", ""]


def _current_row(label: str, value) -> list:
    """A figure of now (no last year to compare with)."""
    return [label, value, "", "", "", "", ""]


def _full_row(label: str, f: dict) -> list:
    """A figure with its period, year to date and both 同比."""
    return [
        label,
        f["cur"]["value"],
        f["last"]["value"],
        _change(f["change"]),
        f["ytd"]["value"],
        f["last_ytd"]["value"],
        _change(f["ytd_change"]),
    ]


def headline_rows(d: dict) -> list[list]:
    """指标, 本期, 去年同期, 同比, 本年累计, 去年同期累计, 累计同比."""
    h, e, a = d["hazards"], d["enforcement"], d["accidents"]
    r = h["rates"]
    rows = [
        _full_row("发现隐患（项）", h["found"]),
        _full_row("整改销号（项）", h["closed"]),
        _period_row("整改率", r["cur"]["rate_text"], r["last"]["rate_text"], r["rate_change"]),
        _period_row(
            "到期整改率",
            r["cur"]["due_rate_text"],
            r["last"]["due_rate_text"],
            r["due_rate_change"],
        ),
        _current_row("逾期未整改（项，当前）", h["overdue"]["value"]),
        _current_row("重大隐患在办（项，当前）", h["major_open"]["value"]),
        _current_row("其中挂牌督办（项，当前）", h["major_listed"]["value"]),
        _period_row("执法措施（起）", e["total"]["value"], e["total_last"]["value"], e["change"]),
    ]
    rows += [
        _period_row(f"　{k['label']}（起）", k["cur"]["value"], k["last"]["value"], k["change"])
        for k in e["kinds"]
    ]
    rows.append(
        _period_row(
            "罚款（万元）", e["fines"]["value"], e["fines_last"]["value"], e["fines_change"]
        )
    )
    rows += [_full_row(f"{f['label']}（{f['unit']}）", f) for f in a["rows"]]
    return rows


def league_rows(d: dict) -> list[list]:
    return [
        [
            i,
            r["name"],
            r["inspections"]["value"],
            r["found"]["value"],
            r["found_closed"]["value"],
            r["rate_text"],
            r["open"]["value"],
            r["overdue"]["value"],
            r["overdue_rate"],
            "；".join(r["veto"]),
        ]
        for i, r in enumerate(d["league"]["rows"], start=1)
    ]


def write(d: dict, period: Period, *, scope_label: str, computed_at) -> bytes:
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()

    def sheet(title: str, head: list[str], rows: list[list], widths: list[int]) -> None:
        ws = workbook.create_sheet(_sheet_name(title, used))
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        caption = WriteOnlyCell(ws, f"{title} —— {scope_label}")
        caption.font = bold
        ws.append([caption])
        ws.append([f"数据更新于 {computed_at:%Y-%m-%d %H:%M}"])
        header = []
        for label in head:
            cell = WriteOnlyCell(ws, label)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in rows:
            ws.append([text_cell(ws, value) for value in row])

    sheet(
        f"主要指标（{period.label}）",
        ["指标", "本期", "去年同期", "同比", "本年累计", "去年同期累计", "累计同比"],
        headline_rows(d),
        [26, 10, 10, 22, 10, 12, 22],
    )
    for chart in d["charts"]:
        rows = []
        for row in chart["rows"]:
            values = [row["label"], *[cell["value"] for cell in row["cells"]]]
            if row.get("rate"):
                values.append(row["rate"])
            rows.append(values)
        sheet(chart["title"], chart["head"], rows, [22] + [12] * (len(chart["head"]) - 1))
    sheet(
        f"各部门排名（{d['league']['period']}）",
        [
            "名次",
            "部门",
            "检查",
            "发现隐患",
            "已销号",
            "整改率",
            "在办",
            "逾期",
            "逾期率",
            "一票否决",
        ],
        league_rows(d),
        [6, 16, 8, 10, 8, 8, 8, 8, 8, 40],
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
