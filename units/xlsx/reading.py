"""Read an office's ledger, validate it row by row against the model's own rules (plus what
UnitForm adds), and import it all-or-nothing — in bulk, so 20,000 rows cost a handful of
queries, not one per row."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from anjian.spreadsheets import ImportFileError, Issue, Sheet, open_workbook
from anjian.spreadsheets import read_sheet as read_layout

from ..models import Area, Category, Department, Unit
from ..validators import credit_code_warning
from .columns import (
    COLUMN_BY_FIELD,
    EXAMPLE_PREFIX,
    LAYOUT,
    NO_WORDS,
    STATUS_WORDS,
    YES_WORDS,
    cell_text,
)

__all__ = ["ImportFileError", "Issue", "Sheet", "analyse", "import_units", "open_workbook"]

BULK_BATCH = 1000


@dataclass
class ImportReport:
    sheet: Sheet
    units: list[Unit] = field(default_factory=list)
    unit_rows: list[int] = field(default_factory=list)  # Excel row of each unit in `units`
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    imported: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.units)

    @property
    def row_count(self) -> int:
        return len(self.sheet.rows)

    @property
    def bad_rows(self) -> int:
        return len({issue.row for issue in self.errors if issue.row is not None})


def read_sheet(source: str | IO[bytes], *, max_rows: int) -> Sheet:
    return read_layout(source, LAYOUT, max_rows=max_rows)


# --- validating ---------------------------------------------------------------------------


def _normalize_name(text: str) -> str:
    text = re.sub(r"[\s“”‘’\"'「」]", "", text)
    return text.replace("(", "（").replace(")", "）")


class _Index:
    """Name → object, where a name shared by two objects is ambiguous rather than silently one."""

    AMBIGUOUS = object()

    def __init__(self) -> None:
        self._by_key: dict[str, Any] = {}

    def add(self, key: str, obj: Any) -> None:
        key = _normalize_name(key)
        if not key:
            return
        current = self._by_key.get(key)
        if current is None:
            self._by_key[key] = obj
        elif current is not obj:
            self._by_key[key] = self.AMBIGUOUS

    def find(self, *keys: str) -> Any:
        for key in keys:
            found = self._by_key.get(_normalize_name(key))
            if found is not None:
                return found
        return None


class _Lookups:
    def __init__(self) -> None:
        self.categories = _Index()
        for category in Category.objects.select_related("lead_department"):
            self.categories.add(category.name, category)
            self.categories.add(category.code, category)
            # "居民楼" for "居民楼（无物业小区）".
            self.categories.add(re.sub(r"[（(].*[）)]$", "", category.name), category)
        self.areas = _Index()
        for area in Area.objects.all():
            self.areas.add(area.name, area)
            self.areas.add(area.code, area)
            self.areas.add(re.sub(r"(街道|镇|乡)$", "", area.name), area)
        self.departments = _Index()
        for department in Department.objects.all():
            self.departments.add(department.name, department)
            self.departments.add(department.short_name, department)

    def category(self, text: str) -> Any:
        return self.categories.find(text)

    def area(self, text: str) -> Any:
        return self.areas.find(text, re.sub(r"办事处$", "", text))

    def department(self, text: str) -> Any:
        return self.departments.find(text, "区" + text)


_LOOKUP_NAMES = {"category": "行业类别", "area": "属地（街道）", "lead_department": "部门"}


def _resolve(lookups: _Lookups, kind: str, text: str) -> tuple[Any, str | None]:
    found = getattr(lookups, {"lead_department": "department"}.get(kind, kind))(text)
    if found is _Index.AMBIGUOUS:
        return None, f"“{text}”对应多个{_LOOKUP_NAMES[kind]}，请填写全称"
    if found is None:
        return (
            None,
            f"系统中没有名为“{text}”的{_LOOKUP_NAMES[kind]}（可选值见导入模板的“填写说明”）",
        )
    return found, None


def _messages(error: ValidationError) -> list[str]:
    codes = {"blank", "null", "required"}
    return ["必填项为空" if e.code in codes else m for e in error.error_list for m in e.messages]


# Other imports (hazard ledgers) resolve the same names the same way.
Lookups = _Lookups


def resolve_lookup(lookups: _Lookups, kind: str, text: str) -> tuple[Any, str | None]:
    """(object, None) or (None, the Chinese reason); kind: category, area or lead_department."""
    return _resolve(lookups, kind, text)


def validate(sheet: Sheet) -> ImportReport:
    """Every problem of every row, with the file's own header; the units to create if none."""
    report = ImportReport(sheet=sheet)
    lookups = _Lookups()

    def column(field_name: str) -> str:
        return sheet.headers.get(field_name) or COLUMN_BY_FIELD[field_name].header

    first_row_of_code: dict[str, int] = {}
    for number, raw in sheet.rows:
        errors: list[Issue] = []

        def error(field_name: str, message: str, number: int = number, errors=errors) -> None:
            errors.append(Issue(number, column(field_name), message))

        text = {f: cell_text(raw.get(f)) for f in COLUMN_BY_FIELD}
        skip = set()  # fields already reported, so full_clean doesn't say it twice

        code = unicodedata.normalize("NFKC", text["credit_code"]).upper()
        if isinstance(raw.get("credit_code"), (int, float)) and code:
            error(
                "credit_code",
                "信用代码被 Excel 存成了数字，可能已丢失末尾几位；请把该列设为“文本”格式后重新填写",
            )
            skip.add("credit_code")
        if text["name"].startswith(EXAMPLE_PREFIX):
            error("name", "这是模板中的示例行，请删除后再导入")

        resolved: dict[str, Any] = {}
        for kind in ("category", "area", "lead_department"):
            if not text[kind]:
                continue
            resolved[kind], problem = _resolve(lookups, kind, text[kind])
            if problem:
                error(kind, problem)
        category = resolved.get("category")
        for kind in ("category", "area"):
            if not text[kind]:
                error(kind, "必填项为空")
        department = resolved.get("lead_department")
        if not text["lead_department"] and category is not None:
            department = category.lead_department
            if department is None:
                error("lead_department", f"未填写，且类别“{category.name}”没有默认牵头部门")

        status = Unit.Status.OPERATING
        if text["status"]:
            status = STATUS_WORDS.get(text["status"])
            if status is None:
                error("status", "只能填写：在营、停产整顿、关闭取缔")
                skip.add("status")
        is_illegal = False
        if text["is_illegal"]:
            word = text["is_illegal"].lower()
            if word not in YES_WORDS | NO_WORDS:
                error("is_illegal", "只能填写“是”或“否”")
            is_illegal = word in YES_WORDS

        unit = Unit(
            name=text["name"],
            credit_code=code,
            category=category,
            area=resolved.get("area"),
            address=text["address"],
            legal_rep=text["legal_rep"],
            legal_rep_phone=text["legal_rep_phone"],
            safety_contact=text["safety_contact"],
            safety_contact_phone=text["safety_contact_phone"],
            lead_department=department,
            status=status or Unit.Status.OPERATING,
            is_illegal=is_illegal,
        )
        # Related objects were looked up above (a missing one is already reported); uniqueness
        # is checked for the whole file below in one query instead of one per row.
        try:
            unit.full_clean(
                exclude=["category", "area", "lead_department", *skip],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for field_name, problems in exc.error_dict.items():
                for message in _messages(ValidationError(problems)):
                    if field_name == NON_FIELD_ERRORS:
                        errors.append(Issue(number, "—", message))
                    else:
                        error(field_name, message)

        code_ok = code and not any(e.column == column("credit_code") for e in errors)
        if code_ok:
            if code in first_row_of_code:
                error(
                    "credit_code",
                    f"与第{first_row_of_code[code]}行的统一社会信用代码重复（文件内重复）",
                )
            else:
                first_row_of_code[code] = number
                warning = credit_code_warning(code)
                if warning:
                    report.warnings.append(
                        Issue(
                            number,
                            column("credit_code"),
                            warning.split("；")[0] + "；确认导入即视为已核实该代码",
                        )
                    )
        report.errors.extend(errors)
        if not errors:
            report.units.append(unit)
            report.unit_rows.append(number)

    codes = list(first_row_of_code)
    for start in range(0, len(codes), BULK_BATCH):
        taken = Unit.objects.filter(credit_code__in=codes[start : start + BULK_BATCH])
        for taken_code, taken_name in taken.values_list("credit_code", "name"):
            row = first_row_of_code[taken_code]
            report.errors.append(
                Issue(
                    row,
                    column("credit_code"),
                    f"该统一社会信用代码已被系统中的单位“{taken_name}”使用",
                )
            )
    if report.errors:
        bad = {issue.row for issue in report.errors}
        kept = [(u, r) for u, r in zip(report.units, report.unit_rows, strict=True) if r not in bad]
        report.units = [u for u, _ in kept]
        report.unit_rows = [r for _, r in kept]
        order = {column(f): i for i, f in enumerate(COLUMN_BY_FIELD)}
        report.errors.sort(key=lambda issue: (issue.row or 0, order.get(issue.column, len(order))))
    return report


def analyse(source: str | IO[bytes], *, max_rows: int) -> ImportReport:
    return validate(read_sheet(source, max_rows=max_rows))


def import_units(source: str | IO[bytes], *, max_rows: int) -> ImportReport:
    """Re-validates the file against the database as it is now and creates every unit, or none.

    A concurrent insert of the same credit code between the check and the insert surfaces as
    IntegrityError from the unique constraint; the transaction then leaves nothing behind."""
    sheet = read_sheet(source, max_rows=max_rows)
    with transaction.atomic():
        report = validate(sheet)
        if report.errors or not report.units:
            return report
        Unit.objects.bulk_create(report.units, batch_size=BULK_BATCH)
        report.imported = len(report.units)
    return report
