"""Past accidents (事故台账) from the office's Excel sheet into Accident rows.

An office switching to the system keeps a yearly accident table (发生日期 · 单位 · 属地 · 类型 ·
死亡/受伤 · 直接经济损失 · 简要经过); bulletins compare with last year, so last year's accidents
must come in. All rows or none. A row already entered (same date, street, type, deaths and
account) is skipped, so importing the same sheet twice enters nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from anjian.spreadsheets import (
    Column,
    Issue,
    Layout,
    cell_text,
    parse_amount,
    parse_date,
    read_sheet,
)
from audit.models import ImportRecord
from audit.records import read_source, record_import
from units.models import Area, Category, Department, Unit

from .models import Accident

COLUMNS = (
    Column("occurred_on", "发生日期", ("事故日期", "发生时间", "事故时间", "日期"), True),
    Column("unit", "单位名称", ("事故单位", "发生单位", "企业名称", "单位")),
    Column("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码")),
    Column("area", "属地（街道）", ("属地", "街道", "镇街", "发生地点（街道）", "所属街道")),
    Column("kind", "事故类型", ("类型", "事故类别", "类别"), True),
    Column("deaths", "死亡人数", ("死亡", "死亡（人）")),
    Column("injuries", "受伤人数", ("受伤", "受伤（人）", "重伤")),
    Column("loss", "直接经济损失（万元）", ("直接经济损失", "经济损失", "损失")),
    Column("description", "事故经过", ("简要经过", "事故概况", "事故简要情况", "基本情况"), True),
)
LAYOUT = Layout(COLUMNS, anchor="occurred_on", min_known=3)
MAX_ROWS = 2000

# The types as sheets write them, beyond the system's own labels.
KIND_WORDS = {label: value for value, label in Accident.Kind.choices} | {
    "火灾事故": Accident.Kind.FIRE,
    "起火": Accident.Kind.FIRE,
    "机械": Accident.Kind.MACHINERY,
    "电梯事故": Accident.Kind.ELEVATOR,
    "道路交通": Accident.Kind.TRAFFIC,
    "交通事故": Accident.Kind.TRAFFIC,
    "坍塌事故": Accident.Kind.COLLAPSE,
    "高坠": Accident.Kind.FALL,
    "触电事故": Accident.Kind.ELECTRIC,
    "中毒": Accident.Kind.POISONING,
    "窒息": Accident.Kind.POISONING,
    "中毒和窒息": Accident.Kind.POISONING,
    "爆炸事故": Accident.Kind.EXPLOSION,
    "其它": Accident.Kind.OTHER,
}


@dataclass
class AccidentRow:
    row: int
    accident: Accident


@dataclass
class AccidentReport:
    rows: list[AccidentRow] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    already_in: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    @property
    def bad_rows(self) -> int:
        return len({issue.row for issue in self.errors})


def _areas() -> dict[str, Area]:
    """Streets by their name and by their office's names (sheets write either)."""
    index = {a.name: a for a in Area.objects.all()}
    for office in Department.objects.filter(kind=Department.Kind.STREET).select_related("area"):
        for name in (office.name, office.short_name):
            if name:
                index.setdefault(name, office.area)
    return index


def _count(value, column: str, number: int, problems: list[Issue]) -> int:
    text = cell_text(value).removesuffix("人").strip()
    if not text:
        return 0
    if not text.isdigit():
        problems.append(Issue(number, column, f"“{cell_text(value)}”不是人数（应为0或正整数）"))
        return 0
    return int(text)


def _key(accident: Accident) -> tuple:
    return (
        accident.occurred_on,
        accident.area_id,
        accident.kind,
        accident.deaths,
        accident.description.strip(),
    )


def read_accidents(source: str | IO[bytes]) -> AccidentReport:
    sheet = read_sheet(source, LAYOUT, max_rows=MAX_ROWS)
    report = AccidentReport()
    areas = _areas()
    today = timezone.localdate()
    loss_header = sheet.headers.get("loss", COLUMNS[7].header)
    # A bare "直接经济损失" is in 万元 as accident reports write it; "（元）" says otherwise.
    if "万" not in loss_header and "元" not in loss_header:
        loss_header += "（万元）"
    parsed: list[tuple[int, Accident]] = []
    # The units the sheet names, read once (not a query per row).
    codes = {cell_text(raw.get("credit_code")).upper() for _n, raw in sheet.rows} - {""}
    names = {cell_text(raw.get("unit")) for _n, raw in sheet.rows} - {""}
    by_code = {u.credit_code: u for u in Unit.objects.filter(credit_code__in=codes)}
    by_name: dict[str, list[Unit]] = {}
    for unit in Unit.objects.filter(name__in=names).order_by("pk"):
        by_name.setdefault(unit.name, []).append(unit)
    seen: dict[tuple, int] = {}
    # As migration 0020 classified the accidents recorded before the flag: one without a unit
    # or in a residential building (no business there) is no 生产安全事故; the office corrects
    # an exception on the accident's page.
    no_business = set(
        Category.objects.filter(credit_code_optional=True).values_list("pk", flat=True)
    )

    def column(name: str) -> str:
        return sheet.column(LAYOUT, name)

    for number, raw in sheet.rows:
        problems: list[Issue] = []
        try:
            occurred_on = parse_date(raw.get("occurred_on"))
        except ValueError as exc:
            occurred_on = None
            problems.append(Issue(number, column("occurred_on"), str(exc)))
        else:
            if occurred_on is None:
                problems.append(Issue(number, column("occurred_on"), "必填项为空"))
            elif occurred_on > today:
                problems.append(Issue(number, column("occurred_on"), "发生日期不能晚于今天"))
        unit = None
        code = cell_text(raw.get("credit_code")).upper()
        name = cell_text(raw.get("unit"))
        area_text = cell_text(raw.get("area")).replace(" ", "")
        area = areas.get(area_text) if area_text else None
        if area_text and area is None:
            problems.append(Issue(number, column("area"), f"系统中没有名为“{area_text}”的街道"))
        if code:
            unit = by_code.get(code)
            if unit is None:
                problems.append(
                    Issue(
                        number, column("credit_code"), f"系统中没有统一社会信用代码为{code}的单位"
                    )
                )
        elif name:
            found = [u for u in by_name.get(name, ()) if area is None or u.area_id == area.pk]
            if len(found) == 1:
                unit = found[0]
            elif found:
                problems.append(
                    Issue(number, column("unit"), f"有多家名为“{name}”的单位，请填写属地或信用代码")
                )
            else:
                # A home fire, a site with no registered unit: kept without a unit.
                report.warnings.append(
                    Issue(number, column("unit"), f"系统中没有“{name}”，按未关联单位的事故导入")
                )
        if unit is not None and area is not None and unit.area_id != area.pk:
            problems.append(
                Issue(number, column("area"), f"单位“{unit.name}”在{unit.area}，与属地“{area}”不符")
            )
        if unit is None and area is None and not area_text:
            problems.append(Issue(number, column("area"), "未关联单位的事故须填写属地（街道）"))
        kind_text = cell_text(raw.get("kind")).replace(" ", "")
        kind = KIND_WORDS.get(kind_text)
        if kind is None:
            problems.append(
                Issue(
                    number,
                    column("kind"),
                    f"“{kind_text}”不是事故类型（可填：{'、'.join(Accident.Kind.labels)}）"
                    if kind_text
                    else "必填项为空",
                )
            )
        deaths = _count(raw.get("deaths"), column("deaths"), number, problems)
        injuries = _count(raw.get("injuries"), column("injuries"), number, problems)
        try:
            loss_yuan = parse_amount(raw.get("loss"), header=loss_header)
        except ValueError as exc:
            loss_yuan = None
            problems.append(Issue(number, column("loss"), str(exc)))
        description = cell_text(raw.get("description"))
        if not description:
            problems.append(Issue(number, column("description"), "必填项为空"))
        if problems:
            report.errors.extend(problems)
            continue
        accident = Accident(
            unit=unit,
            area=unit.area if unit is not None else area,
            occurred_on=occurred_on,
            kind=kind,
            production=unit is not None and unit.category_id not in no_business,
            deaths=deaths,
            injuries=injuries,
            direct_loss=((loss_yuan or Decimal(0)) / 10000).quantize(Decimal("0.01")),
            description=description,
        )
        key = _key(accident)
        if key in seen:
            report.errors.append(
                Issue(number, column("description"), f"与第{seen[key]}行是同一起事故")
            )
            continue
        seen[key] = number
        parsed.append((number, accident))
    existing = set()
    if parsed:
        dates = {a.occurred_on for _n, a in parsed}
        existing = {
            _key(a)
            for a in Accident.objects.filter(occurred_on__in=dates).only(
                "occurred_on", "area_id", "kind", "deaths", "description"
            )
        }
    for number, accident in parsed:
        if _key(accident) in existing:
            report.already_in += 1
        else:
            report.rows.append(AccidentRow(number, accident))
    if not sheet.rows:
        report.errors.append(Issue(None, "—", "文件中没有数据行"))
    return report


def import_accidents(source: str | IO[bytes], *, actor, filename: str = "") -> AccidentReport:
    """Enters every new row, or none when any row is bad."""
    report = read_accidents(source)
    if report.errors or not report.rows:
        return report
    with transaction.atomic():
        for row in report.rows:
            row.accident.created_by = actor
        created = Accident.objects.bulk_create([row.accident for row in report.rows])
        record_import(
            kind=ImportRecord.Kind.ACCIDENTS,
            user=actor,
            filename=filename or str(getattr(source, "name", source)),
            content=read_source(source),
            created={"inspections.Accident": [a.pk for a in created]},
        )
    return report


def write_template(fileobj: IO[bytes]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "事故台账"
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGHI", (12, 26, 22, 14, 12, 10, 10, 18, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    notes = workbook.create_sheet("填写说明")
    for line in (
        "每起事故一行。发生日期、事故类型、事故经过必填；有登记单位的填单位名称或统一社会信用代码，",
        "没有的（如居民住宅火灾）留空单位、填写属地（街道）。",
        f"事故类型可填：{'、'.join(Accident.Kind.labels)}。",
        "直接经济损失按万元填写（表头写“（元）”时按元）；死亡、受伤人数空着按0。",
        "任一行有错误时整张表不导入；此前已导入的同一起事故（日期、属地、类型、死亡人数、经过都相同）自动跳过。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    workbook.save(fileobj)
