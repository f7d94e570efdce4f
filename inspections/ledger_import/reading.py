"""Validate a hazard ledger row by row and import it all-or-nothing.

Units are matched by 统一社会信用代码, then by exact name within the street; a row whose unit is
not in the system is an error unless the office chose to create those units. A row already
imported (same key: the sheet's 隐患编号 for that unit, or unit + found date + description +
location) is counted and skipped, so importing the same file twice creates nothing twice.
Lookups are made once per file, not per row: 20,000 rows cost a few dozen queries.
"""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from anjian.spreadsheets import (
    Issue,
    Sheet,
    cell_text,
    parse_amount,
    parse_date,
    read_sheet,
)
from audit.models import ImportRecord
from audit.records import read_source, record_import
from units.models import Unit
from units.validators import validate_credit_code
from units.xlsx import Lookups, resolve_lookup

from .. import workflow
from ..models import Hazard
from .columns import (
    DONE_WORDS,
    LAYOUT,
    LEVEL_UPGRADED,
    LEVEL_WORDS,
    OPEN_WORDS,
    SOURCE_WORDS,
    TYPE_WORDS,
)

BATCH = 1000
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class NewUnit:
    """A unit the ledger names and the system lacks, created at confirm if the office chose."""

    name: str
    area: Any
    category: Any
    credit_code: str
    lead_department: Any
    first_row: int


@dataclass
class LedgerRow:
    row: int
    unit: Unit | None
    new_unit: tuple | None  # NewUnit.identity when the unit is created by this import
    sheet_number: str
    fields: dict[str, Any]
    closed: bool
    record: dict[str, Any]  # what the 导入 event keeps beyond the hazard's own fields

    def key(self, unit_pk: int) -> str:
        if self.sheet_number:
            return f"{unit_pk}:编号:{self.sheet_number}"[:100]
        text = f"{self.fields['description']}|{self.fields['location']}"
        digest = hashlib.sha256(text.encode()).hexdigest()[:24]
        return f"{unit_pk}:{self.fields['found_on']:%Y%m%d}:{digest}"


@dataclass
class LedgerReport:
    sheet: Sheet
    create_units: bool
    rows: list[LedgerRow] = field(default_factory=list)
    new_units: dict[tuple, NewUnit] = field(default_factory=dict)
    unmatched_units: dict[tuple, NewUnit] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    already_in: int = 0
    imported: int = 0
    units_created: int = 0

    @property
    def row_count(self) -> int:
        return len(self.sheet.rows)

    @property
    def bad_rows(self) -> int:
        return len({issue.row for issue in self.errors if issue.row is not None})

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def open_count(self) -> int:
        return sum(not r.closed for r in self.rows)

    @property
    def closed_count(self) -> int:
        return sum(r.closed for r in self.rows)


def _code(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").upper()


def _hazard_type(text: str) -> str:
    for word, value in TYPE_WORDS:
        if word in text:
            return value
    return Hazard.Type.OTHER


class _UnitIndex:
    """The units a file names, fetched in two queries: by credit code, and by name."""

    def __init__(self, sheet: Sheet):
        codes, names = set(), set()
        for _number, raw in sheet.rows:
            code = _code(cell_text(raw.get("credit_code")))
            if code:
                codes.add(code)
            name = cell_text(raw.get("unit_name"))
            if name:
                names.add(name)
        self.by_code: dict[str, Unit] = {}
        self.by_name: dict[str, list[Unit]] = {}
        related = ("lead_department", "area", "category")
        codes_list, names_list = sorted(codes), sorted(names)
        for start in range(0, len(codes_list), BATCH):
            chunk = codes_list[start : start + BATCH]
            for unit in Unit.objects.select_related(*related).filter(credit_code__in=chunk):
                self.by_code[unit.credit_code] = unit
        for start in range(0, len(names_list), BATCH):
            chunk = names_list[start : start + BATCH]
            for unit in Unit.objects.select_related(*related).filter(name__in=chunk):
                self.by_name.setdefault(unit.name, []).append(unit)

    def find(self, code: str, name: str, area) -> tuple[Unit | None, str | None]:
        if code and code in self.by_code:
            return self.by_code[code], None
        candidates = self.by_name.get(name, [])
        if area is not None:
            candidates = [u for u in candidates if u.area_id == area.pk]
        if len(candidates) == 1:
            found = candidates[0]
            if code and found.credit_code and found.credit_code != code:
                return None, (
                    f"系统中的“{found.name}”统一社会信用代码为{found.credit_code}，与本行不一致"
                )
            return found, None
        if len(candidates) > 1:
            return (
                None,
                f"系统中有{len(candidates)}家名为“{name}”的单位，请填写统一社会信用代码或属地",
            )
        return None, None


def validate(
    sheet: Sheet,
    *,
    create_units: bool,
    progress: Callable[[int], None] | None = None,
) -> LedgerReport:
    report = LedgerReport(sheet=sheet, create_units=create_units)
    lookups = Lookups()
    units = _UnitIndex(sheet)
    today = timezone.localdate()

    def column(name: str) -> str:
        return sheet.column(LAYOUT, name)

    first_row_of_key: dict[tuple, int] = {}
    pending_keys: dict[str, list[LedgerRow]] = {}
    for index, (number, raw) in enumerate(sheet.rows, start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress(index)
        errors: list[Issue] = []

        def error(name: str, message: str, number: int = number, errors=errors) -> None:
            errors.append(Issue(number, column(name), message))

        def warn(name: str, message: str, number: int = number) -> None:
            report.warnings.append(Issue(number, column(name), message))

        text = {name: cell_text(raw.get(name)) for name in LAYOUT.by_field}
        dates: dict[str, datetime.date | None] = {}
        for name in ("found_on", "deadline", "done_on", "verified_on", "closed_on"):
            try:
                dates[name] = parse_date(raw.get(name))
            except ValueError as exc:
                dates[name] = None
                error(name, str(exc))
                continue
            if dates[name] and dates[name] > today and name != "deadline":
                error(name, "日期不能晚于今天")
        found_on = dates["found_on"]
        if not text["found_on"]:
            error("found_on", "必填项为空")
        description = text["description"]
        if not description:
            error("description", "必填项为空")

        level_text = text["level"].upper() if len(text["level"]) == 1 else text["level"]
        level = LEVEL_WORDS.get(level_text)
        if level is None and level_text in LEVEL_UPGRADED:
            level = LEVEL_UPGRADED[level_text]
            warn("level", f"“{text['level']}”按重大隐患导入（隐患只分一般、重大两级）")
        if level is None:
            error("level", "必填项为空" if not text["level"] else "只能填写“一般”或“重大”")
        major_basis = text["major_basis"]
        if level == Hazard.Level.MAJOR and not major_basis:
            error(
                "major_basis",
                "重大隐患须填写判定依据（依据的标准条款，或判定为重大的理由）",
            )
        elif len(major_basis) > 300:
            error("major_basis", "判定依据不能超过300字")

        source = Hazard.Source.INSPECTION
        if text["source"]:
            source = SOURCE_WORDS.get(text["source"])
            if source is None:
                error("source", "只能填写：检查、自查、督查、举报")

        funds = None
        if text["funds"]:
            try:
                funds = parse_amount(raw.get("funds"), header=column("funds"))
            except ValueError as exc:
                error("funds", str(exc))

        state = text["state"]
        if state in DONE_WORDS:
            closed = True
        elif state in OPEN_WORDS:
            closed = False
        elif state:
            closed = False
            error("state", "只能填写“已整改”“未整改”“整改中”等（或留空按完成日期判断）")
        else:
            closed = any(dates[name] for name in ("done_on", "verified_on", "closed_on"))
        closed_on = dates["closed_on"] or dates["verified_on"] or dates["done_on"]
        if closed and closed_on is None and not errors:
            error("done_on", "已整改的隐患须填写完成日期、验收日期或销号日期")
        deadline = dates["deadline"]
        if not closed and deadline is None and not text["deadline"]:
            error("deadline", "未整改的隐患须填写整改期限")
        if found_on:
            if deadline and deadline < found_on:
                error("deadline", "整改期限不能早于排查日期")
            if closed and closed_on and closed_on < found_on:
                error("closed_on" if dates["closed_on"] else "done_on", "不能早于排查日期")

        area = None
        if text["area"]:
            area, problem = resolve_lookup(lookups, "area", text["area"])
            if problem:
                error("area", problem)
        department = None
        if text["responsible_unit"]:
            found, _problem = resolve_lookup(lookups, "lead_department", text["responsible_unit"])
            # 整改责任单位 is often the unit itself: only a known department becomes 首办.
            department = found

        code = _code(text["credit_code"])
        name = text["unit_name"]
        unit, problem = (None, None)
        new_identity = None
        if not name:
            error("unit_name", "必填项为空")
        elif not any(e.column == column("area") for e in errors):
            unit, problem = units.find(code, name, area)
            if problem:
                error("credit_code" if code else "unit_name", problem)
            elif unit is None:
                new_identity = _plan_new_unit(
                    report, lookups, text, code, area, department, number, error
                )
        if unit is not None:
            department = department or unit.lead_department
        elif new_identity is not None:
            department = department or report.new_units[new_identity].lead_department

        if errors:
            report.errors.extend(errors)
            continue
        fields = {
            "found_on": found_on,
            "description": description,
            "location": text["location"][:100],
            "hazard_type": _hazard_type(text["hazard_type"]),
            "level": level,
            "major_basis": major_basis if level == Hazard.Level.MAJOR else "",
            "source": source,
            "measures": text["measures"],
            "responsible_person": text["responsible_person"][:30],
            "lead_department": department,
            "deadline": deadline,
            "plan_funds": None if funds is None else (funds / 10000).quantize(Decimal("0.01")),
        }
        record = {
            "inspector": text["inspector"],
            "responsible_unit": text["responsible_unit"],
            "state": state,
            "done_on": dates["done_on"].isoformat() if dates["done_on"] else "",
            "verifier": text["verifier"],
            "verified_on": dates["verified_on"].isoformat() if dates["verified_on"] else "",
            "closed_on": closed_on.isoformat() if closed and closed_on else "",
            "funds_yuan": str(funds) if funds is not None else "",
            "remarks": text["remarks"],
        }
        entry = LedgerRow(
            row=number,
            unit=unit,
            new_unit=new_identity,
            sheet_number=text["number"],
            fields=fields,
            closed=closed,
            record=record,
        )
        identity = (unit.pk,) if unit else ("new", *new_identity)
        file_key = (identity, entry.key(0))
        if file_key in first_row_of_key:
            report.errors.append(
                Issue(number, column("description"), f"与第{first_row_of_key[file_key]}行重复")
            )
            continue
        first_row_of_key[file_key] = number
        report.rows.append(entry)
        if unit is not None:
            pending_keys.setdefault(entry.key(unit.pk), []).append(entry)

    _drop_already_imported(report, pending_keys)
    if report.unmatched_units and not create_units:
        report.new_units = {}
    report.errors.sort(key=lambda issue: issue.row or 0)
    if report.errors:
        report.rows = [r for r in report.rows if r.row not in {e.row for e in report.errors}]
    return report


def _plan_new_unit(report, lookups, text, code, area, department, number, error) -> tuple | None:
    """Records the unit this row needs; an error when it cannot (or may not) be created."""
    if code:
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            error("credit_code", exc.messages[0])
            return None
    category = None
    if text["category"]:
        category, problem = resolve_lookup(lookups, "category", text["category"])
        if problem:
            error("category", problem)
            return None
    lead = department or (category.lead_department if category else None)
    unit = NewUnit(
        name=text["unit_name"][:100],
        area=area,
        category=category,
        credit_code=code,
        lead_department=lead,
        first_row=number,
    )
    if report.create_units and (area is None or category is None):
        missing = "、".join(
            n for n, v in (("属地（镇街）", area), ("行业领域", category)) if v is None
        )
        error("unit_name", f"系统中没有该单位；要创建它，本行须填写{missing}")
        return None
    if lead is None and report.create_units:
        error("unit_name", f"系统中没有该单位；行业领域“{category.name}”没有默认牵头部门")
        return None
    identity = (code,) if code else (unit.name, area.pk if area else None)
    if report.create_units:
        report.new_units.setdefault(identity, unit)
    else:
        report.unmatched_units.setdefault(identity, unit)
        error(
            "unit_name",
            f"系统中没有单位“{unit.name}”（按统一社会信用代码、属地+名称均未找到）；"
            "可在预览中选择“创建这些单位”，或先导入单位",
        )
        return None
    return identity


def _drop_already_imported(report: LedgerReport, pending: dict[str, list[LedgerRow]]) -> None:
    keys = list(pending)
    already: set[int] = set()
    for start in range(0, len(keys), BATCH):
        found = Hazard.objects.filter(
            external_source=workflow.IMPORT_SOURCE, external_id__in=keys[start : start + BATCH]
        ).values_list("external_id", flat=True)
        for key in found:
            already.update(id(entry) for entry in pending[key])
    if already:
        report.already_in = len(already)
        report.rows = [r for r in report.rows if id(r) not in already]


def analyse(source: str | IO[bytes], *, create_units: bool, max_rows: int) -> LedgerReport:
    return validate(read_sheet(source, LAYOUT, max_rows=max_rows), create_units=create_units)


def import_ledger(
    source: str | IO[bytes],
    *,
    actor,
    filename: str,
    create_units: bool,
    max_rows: int,
    progress: Callable[[int], None] | None = None,
) -> LedgerReport:
    """Re-reads and re-validates the file as the database is now, then creates every unit and
    hazard it needs in one transaction, or nothing. A concurrent import of the same rows loses
    on the (external source, key) unique constraint: IntegrityError, and nothing is left."""
    sheet = read_sheet(source, LAYOUT, max_rows=max_rows)
    report = validate(sheet, create_units=create_units, progress=progress)
    if report.errors or not report.rows:
        return report
    with transaction.atomic():
        created = _create_units(report)
        entries = []
        for entry in report.rows:
            unit = entry.unit or created[entry.new_unit]
            fields = dict(entry.fields)
            fields["lead_department"] = fields["lead_department"] or unit.lead_department
            entries.append(
                workflow.ImportedHazard(
                    unit=unit,
                    key=entry.key(unit.pk),
                    row=entry.row,
                    sheet_number=entry.sheet_number,
                    closed=entry.closed,
                    fields=fields,
                    record=entry.record,
                )
            )
        hazards = workflow.enter_imported_hazards(actor=actor, entries=entries, filename=filename)
        record_import(
            kind=ImportRecord.Kind.HAZARDS,
            user=actor,
            filename=filename,
            content=read_source(source),
            created={
                "inspections.Hazard": [h.pk for h in hazards],
                "units.Unit": [u.pk for u in created.values()],
            },
        )
    report.imported = len(entries)
    report.units_created = len(created)
    return report


def _create_units(report: LedgerReport) -> dict[tuple, Unit]:
    planned = list(report.new_units.items())
    units = [
        Unit(
            name=new.name,
            credit_code=new.credit_code,
            category=new.category,
            area=new.area,
            lead_department=new.lead_department,
            # What a hazard ledger does not say; the unit page shows it as missing.
            address="",
            legal_rep="",
            legal_rep_phone="",
        )
        for _identity, new in planned
    ]
    Unit.objects.bulk_create(units, batch_size=BATCH)
    return {identity: unit for (identity, _new), unit in zip(planned, units, strict=True)}
