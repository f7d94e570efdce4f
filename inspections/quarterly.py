"""季报: the quarter's 隐患排查治理情况统计分析 (安监总局16号令), three tables — by department, by
street, by industry category — with the standard columns and a 合计 row each.

A 季报 is a Bulletin of kind QUARTERLY and goes through the bulletins' path (草稿 → 待签发 →
已签发 → 已印发, inspections/bulletins.py); this module computes its figures and writes its
xlsx. Like the bulletins' figures, every hazard count carries the ledger query (/hazards/?…,
inspections.filters.HazardFilter) that lists exactly the hazards counted, and every figure is
fixed at the quarter's end: a hazard closed or listed after the quarter does not change it,
whenever the report is built.
"""

import datetime
from decimal import Decimal
from io import BytesIO
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from units.models import Area, Category, Department

from . import stats as stats_module
from .models import Hazard

S = Hazard.Status
L = Hazard.Level
QUARTER_NAMES = "一二三四"
ORDINALS = "一二三四五六七八九十"
# The report is due by this day of the month after the quarter.
DUE_DAY = 15

DEFINITIONS = (
    "统计范围：本季度排查出的隐患，即发现日期在本季度内、已登记入台账的隐患；"
    "不予认定、已合并、作废的隐患和未提交的草稿不计入。",
    "排查单位数：本季度各部门、街道检查过的生产经营单位数（已提交的检查记录，"
    "不含单位自查、外部报送和历史导入），同一单位检查多次计一家；按部门统计为该部门检查的单位，"
    "按街道、行业领域统计为所在街道、所属行业领域的单位；合计行为全区数，单位按全区去重，"
    "可能小于各行之和。",
    "排查数：上述隐患的项数，一般隐患、重大隐患分别统计；按部门统计为首办负责部门，"
    "按街道、行业领域统计为隐患单位所在街道、所属行业领域。",
    "已整改：上述隐患中截至季度末（最后一日24时）已复查销号的项数；季度结束后销号的不计入本季度。",
    "整改率＝已整改÷排查数，保留一位小数。",
    "挂牌督办：上述重大隐患中截至季度末已挂牌督办的项数（挂牌日期不晚于季度末最后一日）。",
    "未整改：上述重大隐患中截至季度末尚未销号的项数，即重大隐患排查数－已整改。",
    "治理资金：上述隐患（一般和重大）在“五落实”中登记的治理经费（资金）之和，单位万元；"
    "未登记经费的隐患不计。",
)


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, 3 * quarter - 2, 1)
    after = (
        datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    )
    return start, after - datetime.timedelta(days=1)


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(today: datetime.date) -> tuple[int, int]:
    """The quarter that ended before `today`'s quarter began."""
    year, quarter = quarter_of(today)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def is_quarter(start: datetime.date, end: datetime.date) -> bool:
    year, quarter = quarter_of(start)
    return (start, end) == quarter_bounds(year, quarter)


def due_on(end: datetime.date) -> datetime.date:
    """报送期限: the 15th of the month after the quarter."""
    after = end + datetime.timedelta(days=1)
    return after.replace(day=DUE_DAY)


def quarter_label(start: datetime.date) -> str:
    year, quarter = quarter_of(start)
    return f"{year}年第{QUARTER_NAMES[quarter - 1]}季度"


def make_title(issuer: str, start: datetime.date) -> str:
    return f"{issuer}关于{quarter_label(start)}隐患排查治理情况统计分析的报告"


def _upper(end: datetime.date) -> datetime.datetime:
    """The quarter's end, 24:00 local time: closed_at before it is the ledger's closed_to=end."""
    return datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


def counted_hazards(start: datetime.date, end: datetime.date) -> QuerySet:
    """The hazards the report counts: found in the quarter, on the ledger, accepted."""
    return (
        Hazard.objects.exclude(status=S.DRAFT)
        .exclude(status__in=stats_module.NOT_ACCEPTED)
        .filter(found_on__range=(start, end))
    )


def _aggregates(end: datetime.date) -> dict:
    closed = Q(status=S.CLOSED, closed_at__lt=_upper(end))
    general, major = Q(level=L.GENERAL), Q(level=L.MAJOR)
    listed = ~Q(listed_document="") & Q(listed_on__lte=end)
    return {
        "general_found": Count("id", filter=general),
        "general_closed": Count("id", filter=general & closed),
        "major_found": Count("id", filter=major),
        "major_closed": Count("id", filter=major & closed),
        "major_listed": Count("id", filter=major & listed),
        "funds": Sum("plan_funds"),
    }


def _figure(value, base: list[tuple[str, str]], *params: tuple[str, str]) -> dict:
    return {"value": int(value or 0), "query": urlencode([*base, *params])}


def _row(counts: dict, units: int, start: datetime.date, end: datetime.date, base) -> dict:
    """One table row from its aggregates; `base` is the row's own ledger filter."""
    found = [
        *base,
        ("found_from", start.isoformat()),
        ("found_to", end.isoformat()),
    ]
    closed = (("status", "closed"), ("closed_to", end.isoformat()))
    accepted = ("status", "accepted")
    general = ("level", L.GENERAL.value)
    major = ("level", L.MAJOR.value)
    c = {key: counts.get(key) or 0 for key in ("general_found", "general_closed")}
    c |= {key: counts.get(key) or 0 for key in ("major_found", "major_closed", "major_listed")}
    funds = Decimal(counts.get("funds") or 0)
    return {
        "units": int(units or 0),
        "general_found": _figure(c["general_found"], found, general, accepted),
        "general_closed": _figure(c["general_closed"], found, general, *closed),
        "general_rate": stats_module.percent(c["general_closed"], c["general_found"]),
        "major_found": _figure(c["major_found"], found, major, accepted),
        "major_closed": _figure(c["major_closed"], found, major, *closed),
        "major_listed": _figure(
            c["major_listed"],
            found,
            major,
            accepted,
            ("listed", "1"),
            ("listed_to", end.isoformat()),
        ),
        "major_open": int(c["major_found"]) - int(c["major_closed"]),
        "funds": f"{funds.quantize(Decimal('0.01'))}",
        "funds_query": urlencode([*found, accepted]),
    }


def _inspected_units(start: datetime.date, end: datetime.date):
    return stats_module.Scope(start=start, end=end, today=end).inspections()


def _grouped(qs: QuerySet, key: str, aggregates: dict) -> dict:
    return {row[key]: row for row in qs.values(key).order_by().annotate(**aggregates)}


def _table(start, end, *, hazard_key: str, unit_key: str, param: str, names) -> list[dict]:
    """Rows for each (id, name) of `names` that has a figure, in that order, plus those
    `always` shows even when empty."""
    hazards = _grouped(counted_hazards(start, end), hazard_key, _aggregates(end))
    units = _grouped(
        _inspected_units(start, end), unit_key, {"units": Count("unit", distinct=True)}
    )
    rows = []
    for pk, name, always in names:
        if not (always or pk in hazards or pk in units):
            continue
        row = _row(
            hazards.get(pk, {}),
            units.get(pk, {}).get("units"),
            start,
            end,
            [(param, str(pk))],
        )
        rows.append({"id": pk, "name": name, **row})
    return rows


def _total(start: datetime.date, end: datetime.date) -> dict:
    counts = counted_hazards(start, end).aggregate(**_aggregates(end))
    units = _inspected_units(start, end).aggregate(units=Count("unit", distinct=True))["units"]
    return {"id": None, "name": "合计", **_row(counts, units, start, end, [])}


def compute(start: datetime.date, end: datetime.date, today: datetime.date) -> dict:
    """Every figure of the 季报, as JSON (stored in Bulletin.stats)."""
    regular = (Department.Kind.REGULATOR, Department.Kind.STREET)
    departments = [
        (d["id"], d["name"], d["kind"] in regular)
        for d in Department.objects.exclude(
            kind__in=[Department.Kind.OFFICE, Department.Kind.SUPERVISION]
        ).values("id", "name", "kind")
    ]
    # A hazard led by the office itself (rare) still has its row, so the rows add up to 合计.
    departments += [
        (d["id"], d["name"], False)
        for d in Department.objects.filter(
            kind__in=[Department.Kind.OFFICE, Department.Kind.SUPERVISION]
        ).values("id", "name")
    ]
    areas = [(a["id"], a["name"], True) for a in Area.objects.values("id", "name")]
    categories = [
        (c["id"], c["name"], False)
        for c in Category.objects.order_by("sort_order", "id").values("id", "name")
    ]
    tables = {
        "department": _table(
            start,
            end,
            hazard_key="lead_department",
            unit_key="department",
            param="department",
            names=departments,
        ),
        "area": _table(
            start, end, hazard_key="unit__area", unit_key="unit__area", param="area", names=areas
        ),
        "category": _table(
            start,
            end,
            hazard_key="unit__category",
            unit_key="unit__category",
            param="category",
            names=categories,
        ),
    }
    return {
        "kind": "quarterly",
        "period": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "label": quarter_label(start),
            "span": stats_module.chinese_span(start, end),
            "today": today.isoformat(),
            "today_label": stats_module.chinese_date(today),
            "due_on": due_on(end).isoformat(),
            "due_label": stats_module.chinese_date(due_on(end)),
        },
        "total": _total(start, end),
        "tables": tables,
        "definitions": list(DEFINITIONS),
    }


TABLES = (
    ("department", "各部门隐患排查治理情况统计表", "部门"),
    ("area", "各街道隐患排查治理情况统计表", "街道"),
    ("category", "各行业领域隐患排查治理情况统计表", "行业领域"),
)


def analysis_paragraphs(data: dict) -> list[str]:
    """Starting text of 二、分析: where the unrectified major hazards and the low rates are,
    named; a zero is not presented as a problem."""
    result = []
    departments = data["tables"]["department"]
    majors = sorted(
        (r for r in departments if r["major_open"]), key=lambda r: (-r["major_open"], r["name"])
    )
    if majors:
        names = "、".join(f"{r['name']}{r['major_open']}项" for r in majors[:3])
        more = "等" if len(majors) > 3 else ""
        result.append(f"重大隐患整改有待加快。截至季度末尚有重大隐患未整改，主要在{names}{more}。")
    low = [
        r
        for r in departments
        if r["general_found"]["value"] >= 5
        and r["general_closed"]["value"] * 2 < r["general_found"]["value"]
    ]
    if low:
        names = "、".join(f"{r['name']}（{r['general_rate']}）" for r in low[:3])
        result.append(f"部分部门一般隐患整改率不足50%，如{names}，需督促整改销号。")
    silent = [r["name"] for r in data["tables"]["area"] if not r["units"]]
    if silent:
        result.append(f"{'、'.join(silent[:5])}本季度无检查记录，排查工作需加强。")
    return [f"{ORDINALS[i]}是{text}" for i, text in enumerate(result)]


COLUMNS = (
    "排查单位数",
    "一般隐患排查数",
    "一般隐患已整改",
    "一般隐患整改率",
    "重大隐患排查数",
    "重大隐患已整改",
    "重大隐患挂牌督办",
    "重大隐患未整改",
    "治理资金（万元）",
)


def row_values(row: dict) -> list:
    return [
        row["units"],
        row["general_found"]["value"],
        row["general_closed"]["value"],
        row["general_rate"],
        row["major_found"]["value"],
        row["major_closed"]["value"],
        row["major_listed"]["value"],
        row["major_open"],
        Decimal(row["funds"]),
    ]


def xlsx(title: str, data: dict) -> bytes:
    """The three tables as sheets (two header rows as on paper, 合计 last) and the definitions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for key, sheet_title, label in TABLES:
        sheet = workbook.create_sheet(f"按{label}")
        sheet.append([f"{title}——{sheet_title}"])
        sheet["A1"].font = bold
        sheet.append([f"统计期间：{data['period']['span']}；口径见“统计口径”表"])
        sheet.append(
            ["序号", label, "排查单位数", "一般隐患", None, None, "重大隐患", None, None, None]
            + ["治理资金（万元）"]
        )
        sheet.append(
            [None, None, None, "排查数", "已整改", "整改率", "排查数", "已整改", "挂牌督办"]
            + ["未整改", None]
        )
        for cells in ("A3:A4", "B3:B4", "C3:C4", "D3:F3", "G3:J3", "K3:K4"):
            sheet.merge_cells(cells)
        for row in sheet.iter_rows(min_row=3, max_row=4, max_col=11):
            for cell in row:
                cell.font, cell.alignment, cell.border = bold, centre, box
        for serial, row in enumerate(data["tables"][key], start=1):
            sheet.append([serial, row["name"], *row_values(row)])
        total = data["total"]
        sheet.append([None, "合计", *row_values(total)])
        for row in sheet.iter_rows(min_row=5, max_row=sheet.max_row, max_col=11):
            for cell in row:
                cell.border = box
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row in sheet.iter_rows(min_row=5, min_col=11, max_col=11):
            row[0].number_format = "0.00"
        for index, width in enumerate((6, 28, 10, 9, 9, 9, 9, 9, 10, 9, 14), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "C5"
    notes = workbook.create_sheet("统计口径")
    notes.column_dimensions["A"].width = 120
    for line in data["definitions"]:
        notes.append([line])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
