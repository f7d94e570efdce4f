"""Every change of a hazard's status happens here, one function per transition.

Each function is keyword-only and atomic: it locks the hazard row, checks the caller's version
(optimistic concurrency: two people acting at once produce one transition, the other is told),
checks the permission table, changes the hazard and writes exactly one HazardEvent.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from units.models import Department, Unit, User

from . import notify, permissions
from .documents import issuing as documents
from .models import (
    DeadlineExtension,
    Hazard,
    HazardEvent,
    Inspection,
    Notification,
    YearSequence,
)
from .workdays import add_working_days

S = Hazard.Status
A = HazardEvent.Action
N = Notification.Kind


class WorkflowError(Exception):
    """A refused transition; str(error) is the Chinese message shown to the user."""


class NotAllowed(WorkflowError):
    pass


class StaleHazard(WorkflowError):
    def __init__(self, message: str = "该隐患已被他人修改，请刷新页面后重试"):
        super().__init__(message)


class Invalid(WorkflowError):
    pass


allowed_actions = permissions.allowed_actions


def _lock(hazard_id: int, version: int | None) -> Hazard:
    hazard = (
        Hazard.objects.select_for_update(of=("self",))
        .select_related("unit", "inspection")
        .get(pk=hazard_id)
    )
    if version is not None and hazard.version != version:
        raise StaleHazard()
    return hazard


def _authorize(actor, action: str, hazard: Hazard) -> None:
    if not Hazard.objects.visible_to(actor).filter(pk=hazard.pk).exists():
        raise NotAllowed("您无权处理该隐患")
    reason = permissions.refusal(actor, action, hazard)
    if reason:
        raise NotAllowed(reason)


def _record(
    hazard: Hazard,
    *,
    actor,
    action: str,
    from_status: str,
    note: str = "",
    data: dict | None = None,
    update_fields: Iterable[str] = (),
) -> HazardEvent:
    hazard.version += 1
    hazard.save(update_fields=["status", "version", "updated_at", *update_fields])
    return HazardEvent.objects.create(
        hazard=hazard,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=hazard.status,
        note=note,
        data=data or {},
    )


def _required(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(message)
    return value


def _resolve_deadline(
    hazard: Hazard, deadline: datetime.date | None, working_days: int | None
) -> tuple[datetime.date, int | None]:
    if working_days:
        deadline = add_working_days(timezone.localdate(), working_days)
    if deadline is None:
        raise Invalid("请填写整改期限（日期或工作日数）")
    if deadline < hazard.found_on:
        raise Invalid("整改期限不能早于发现日期")
    return deadline, working_days or None


# --- submission ------------------------------------------------------------------------------


def _number(hazard: Hazard) -> None:
    """YH-<year>-<n>, gap-free per year of discovery: the caller's transaction holds the count."""
    seq = YearSequence.next_value("hazard", hazard.found_on.year)
    hazard.number = f"YH-{hazard.found_on.year}-{seq:06d}"
    hazard.year = hazard.found_on.year


def submission_errors(inspection: Inspection) -> dict[str, list[str]]:
    """What keeps an inspection from being submitted ("说具体、讲明白"), keyed by field;
    hazard errors are keyed "hazard-<id>-<field>"."""
    hazards = list(inspection.hazards.all()) if inspection.pk else []
    # An unsaved inspection has no inspector rows yet; saving it adds its author.
    has_inspectors = not inspection.pk or inspection.inspectors.exists()
    errors, per_hazard = completeness_errors(inspection, hazards, has_inspectors=has_inspectors)
    for hazard, hazard_errors in zip(hazards, per_hazard, strict=True):
        for field, messages in hazard_errors.items():
            errors[f"hazard-{hazard.pk}-{field}"] = messages
    return errors


# "消防隐患" or "堵塞" says nothing of where and what; "配电箱无门" is about the shortest real one.
MIN_DESCRIPTION_CHARS = 5


def _meaningful_length(text: str) -> int:
    return sum(1 for char in text if char.isalnum())


def completeness_errors(
    inspection: Inspection, hazards: list[Hazard], *, has_inspectors: bool
) -> tuple[dict[str, list[str]], list[dict[str, list[str]]]]:
    """The rules of submission_errors on objects that need not be saved (the form checks an
    unsaved POST with them, so every error shows in one round): the inspection's errors by
    field, and one dict of errors per hazard, in the order given."""
    errors: dict[str, list[str]] = {}
    per_hazard: list[dict[str, list[str]]] = []

    def add(target: dict, key: str, message: str) -> None:
        target.setdefault(key, []).append(message)

    if not inspection.unit_id:
        add(errors, "unit", "请选择被检查单位")
    if not inspection.date:
        add(errors, "date", "请填写检查日期")
    elif inspection.date > timezone.localdate():
        add(errors, "date", "检查日期不能晚于今天")
    if not has_inspectors:
        add(errors, "inspectors", "至少需要一名检查人员")
    if not hazards:
        if not inspection.no_hazards:
            add(errors, "no_hazards", "未登记隐患时须明确勾选“未发现隐患”")
        if not inspection.checked_items.strip():
            add(errors, "checked_items", "未发现隐患时须写明检查了哪些部位、项目")
    elif inspection.no_hazards:
        add(errors, "no_hazards", "已登记隐患，不能同时勾选“未发现隐患”")
    illegal = inspection.unit_id and inspection.unit.is_illegal
    for hazard in hazards:
        mine: dict[str, list[str]] = {}
        per_hazard.append(mine)
        description = hazard.description.strip()
        if not description:
            add(mine, "description", "请描述隐患（部位、问题）")
        elif _meaningful_length(description) < MIN_DESCRIPTION_CHARS:
            add(
                mine,
                "description",
                f"隐患描述过于简单：请写明部位和存在的问题（不少于{MIN_DESCRIPTION_CHARS}个字），"
                "例如“二楼安全出口被货物堵塞”",
            )
        if not hazard.level:
            add(mine, "level", "请选择隐患等级")
        elif hazard.level == Hazard.Level.MAJOR and not hazard.major_basis.strip():
            add(mine, "major_basis", "重大隐患须写明判定依据（标准条款或判定理由）")
        if not hazard.hazard_type:
            add(mine, "hazard_type", "请选择隐患类别")
        if illegal:
            if hazard.disposal != Hazard.Disposal.CLOSE:
                add(mine, "disposal", "非法场所（黑窝点）的隐患只能处置为“关闭取缔”")
        elif not hazard.deadline and not hazard.fixed_on_spot:
            add(mine, "deadline", "请填写整改期限（立即整改的除外）")
        if hazard.deadline and inspection.date and hazard.deadline < inspection.date:
            add(mine, "deadline", "整改期限不能早于检查日期")
    return errors, per_hazard


@transaction.atomic
def submit_inspection(*, inspection_id: int, actor) -> list[Hazard]:
    """Draft → submitted: numbers its hazards (gap-free per year) and registers them."""
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=inspection_id)
    )
    if inspection.status != Inspection.Status.DRAFT:
        raise StaleHazard("该检查记录已提交，不能重复提交")
    is_author = inspection.created_by_id == actor.pk
    if not is_author and not inspection.inspectors.filter(pk=actor.pk).exists():
        raise NotAllowed("只有填报人或检查人员可以提交该检查记录")
    errors = submission_errors(inspection)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    hazards = list(inspection.hazards.select_for_update().order_by("pk"))
    for hazard in hazards:
        _number(hazard)
        hazard.original_deadline = hazard.deadline
        fields = ["number", "year", "original_deadline"]
        if inspection.unit.is_illegal:
            hazard.status = S.DISPOSAL
            hazard.disposal = Hazard.Disposal.CLOSE
            # 四个一律: the law decides this one, nobody need confirm it.
            hazard.disposal_confirmed_at = now
            action, note = A.REGISTER, "非法场所：不整改，依法关闭取缔"
            fields += ["disposal", "disposal_confirmed_at"]
        elif hazard.fixed_on_spot:
            hazard.status = S.AWAITING_VERIFICATION
            hazard.reported_done_by = actor
            hazard.reported_done_at = now
            action, note = A.FIX_ON_SPOT, "现场立即整改，待复查"
            fields += ["reported_done_by", "reported_done_at"]
        else:
            hazard.status = S.REGISTERED
            action, note = A.REGISTER, ""
        _record(
            hazard, actor=actor, action=action, from_status=S.DRAFT, note=note, update_fields=fields
        )
        _notify_submitted(hazard, actor)
    inspection.status = Inspection.Status.SUBMITTED
    inspection.submitted_at = now
    inspection.save(update_fields=["status", "submitted_at", "updated_at"])
    documents.on_submission(inspection=inspection, hazards=hazards, actor=actor)
    return hazards


def _notify_submitted(hazard: Hazard, actor) -> None:
    if hazard.status == S.AWAITING_VERIFICATION:
        _notify_verifiers(hazard, actor, "现场立即整改，待复查")
        return
    notify.hazard_event(
        hazard,
        kind=N.HAZARD_NEW,
        actor=actor,
        recipients=[notify.departments(hazard.lead_department_id)],
        title=hazard.unit.name,
        body=hazard.description[:200],
    )


def _notify_verifiers(hazard: Hazard, actor, note: str) -> None:
    """Anyone of the departments who may verify, never the reporter (the actor)."""
    notify.hazard_event(
        hazard,
        kind=N.REPORTED_DONE,
        actor=actor,
        recipients=[
            notify.hazard_department(hazard),
            notify.departments(hazard.inspection.department_id),
        ],
        title=f"{hazard.unit.name} 报告整改完成，请复查",
        body=note,
    )


def register_reported_hazard(
    *,
    actor,
    unit,
    external_source: str,
    external_id: str,
    found_on: datetime.date,
    description: str,
    hazard_type: str,
    level: str,
    source: str = Hazard.Source.REPORT,
    location: str = "",
    legal_basis: str = "",
    major_basis: str = "",
    note: str = "",
) -> tuple[Hazard, bool]:
    """A hazard reported by another system (the 12345 hotline, the provincial platform) enters
    at 已登记 for the office's triage. Idempotent by (external_source, external_id): a repeat,
    even a concurrent one, returns the first hazard and False. The unique constraint decides."""
    key = {
        "external_source": external_source,
        "external_id": _required(external_id, "缺少外部编号"),
    }
    existing = Hazard.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    try:
        hazard = _register_reported(
            actor=actor,
            unit=unit,
            key=key,
            found_on=found_on,
            description=description,
            hazard_type=hazard_type,
            level=level,
            source=source,
            location=location,
            legal_basis=legal_basis,
            major_basis=major_basis.strip(),
            note=note,
        )
    except IntegrityError:
        existing = Hazard.objects.filter(**key).first()
        if existing is None:
            raise
        return existing, False
    return hazard, True


@transaction.atomic
def _register_reported(*, actor, unit, key: dict, note: str, **fields) -> Hazard:
    if not Unit.objects.visible_to(actor).filter(pk=unit.pk).exists():
        raise NotAllowed("该单位不在您的范围内")
    if fields["source"] == Hazard.Source.SELF_CHECK:
        raise Invalid("企业自查的隐患只能由单位自己报送")
    _required(fields["description"], "请描述隐患（部位、问题）")
    if fields["level"] == Hazard.Level.MAJOR and not fields["major_basis"]:
        raise Invalid("重大隐患须写明判定依据（标准条款或判定理由）")
    if fields["found_on"] > timezone.localdate():
        raise Invalid("发现日期不能晚于今天")
    now = timezone.now()
    # The record of who reported it: the carrier "inspection" of kind 外部报送.
    carrier = Inspection.objects.create(
        unit=unit,
        department=actor.department or unit.lead_department,
        created_by=actor,
        date=fields["found_on"],
        kind=Inspection.Kind.EXTERNAL,
        summary=note,
        status=Inspection.Status.SUBMITTED,
        submitted_at=now,
    )
    carrier.inspectors.add(actor)
    hazard = Hazard(
        inspection=carrier,
        unit=unit,
        lead_department=unit.lead_department,
        status=S.REGISTERED,
        **key,
        **fields,
    )
    _number(hazard)
    hazard.save()
    HazardEvent.objects.create(
        hazard=hazard,
        actor=actor,
        action=A.REGISTER,
        to_status=S.REGISTERED,
        note=note,
        data={"external_source": key["external_source"], "external_id": key["external_id"]},
    )
    _notify_submitted(hazard, actor)
    return hazard


# --- 企业自查自报 ------------------------------------------------------------------------------


def self_report_errors(*, unit: Unit, found_on, **fields) -> dict[str, list[str]]:
    """The inspectors' completeness rules (completeness_errors) on a unit's own report: the
    same "说具体、讲明白", keyed by the hazard's field names."""
    carrier = Inspection(unit=unit, date=found_on, kind=Inspection.Kind.SELF)
    hazard = Hazard(unit=unit, found_on=found_on or timezone.localdate(), **fields)
    errors, (hazard_errors,) = completeness_errors(carrier, [hazard], has_inspectors=True)
    if "date" in errors:
        hazard_errors["found_on"] = [m.replace("检查日期", "发现日期") for m in errors["date"]]
    return hazard_errors


@transaction.atomic
def self_report(*, actor, found_on: datetime.date, photos: Iterable = (), **fields) -> Hazard:
    """A hazard the unit found in its own self-inspection (source 自查): registered at once
    for the office's triage, carried by an inspection record of kind 企业自查 by the unit."""
    from .photos import discard_files, prepare_photo, save_photo

    if actor.role != User.Role.UNIT or actor.unit_id is None:
        raise NotAllowed("只有单位账号可以自查自报")
    unit = Unit.objects.select_related("lead_department").get(pk=actor.unit_id)
    errors = self_report_errors(unit=unit, found_on=found_on, **fields)
    if errors:
        raise ValidationError(errors)
    prepared = [(upload, prepare_photo(upload)) for upload in photos]
    carrier = Inspection.objects.create(
        unit=unit,
        department=unit.lead_department,
        created_by=actor,
        date=found_on,
        kind=Inspection.Kind.SELF,
        status=Inspection.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    carrier.inspectors.add(actor)
    hazard = Hazard(
        inspection=carrier,
        unit=unit,
        found_on=found_on,
        source=Hazard.Source.SELF_CHECK,
        lead_department=unit.lead_department,
        status=S.REGISTERED,
        original_deadline=fields.get("deadline"),
        **fields,
    )
    _number(hazard)
    hazard.save()
    event = HazardEvent.objects.create(
        hazard=hazard, actor=actor, action=A.REGISTER, to_status=S.REGISTERED, note="企业自查自报"
    )
    saved = []
    try:
        for upload, ready in prepared:
            saved.append(
                save_photo(
                    hazard=hazard,
                    upload=upload,
                    kind="before",
                    user=actor,
                    event=event,
                    prepared=ready,
                )
            )
    except Exception:
        discard_files(saved)
        raise
    _notify_submitted(hazard, actor)
    return hazard


# --- history import ---------------------------------------------------------------------------

# Hazard.external_source of imported ledger rows; not a slug, so no API client can own it.
IMPORT_SOURCE = "台账导入"
_IMPORT_BATCH = 1000


@dataclass
class ImportedHazard:
    """One validated row of an office's old ledger (inspections/ledger_import)."""

    unit: Unit
    key: str  # unique per imported row: re-importing the file finds it
    row: int
    sheet_number: str
    closed: bool
    fields: dict  # Hazard fields: found_on, description, …, lead_department, deadline
    record: dict  # the ledger's own facts the 导入 event keeps (排查人, 验收人, dates, 备注)


def _local_noon(day: datetime.date) -> datetime.datetime:
    # A date-only ledger fact as a moment that reads as the same date in Asia/Shanghai.
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def enter_imported_hazards(*, actor, entries: list[ImportedHazard], filename: str) -> list[Hazard]:
    """历史导入: hazards that exist already on paper enter where the ledger says they are —
    open ones 已交办 with their deadline (kept as the original deadline, so overdue follows as
    usual), done ones 已销号 with their dates. Each gets a carrier inspection of kind 历史导入
    (one per unit, date and department) and exactly one 导入 event naming the file and row.
    Numbers are reserved per year in one locked step. The caller's transaction holds it all."""
    if not actor.is_office:
        raise NotAllowed("只有安委办可以导入历史隐患台账")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enter_imported_hazards must run inside the import's transaction")
    now = timezone.now()
    carriers: dict[tuple, Inspection] = {}
    for entry in entries:
        group = (entry.unit.pk, entry.fields["found_on"], entry.fields["lead_department"].pk)
        if group not in carriers:
            carriers[group] = Inspection(
                unit=entry.unit,
                department=entry.fields["lead_department"],
                created_by=actor,
                date=entry.fields["found_on"],
                kind=Inspection.Kind.HISTORY,
                summary=f"历史台账导入：{filename}"[:500],
                status=Inspection.Status.SUBMITTED,
                submitted_at=now,
            )
    Inspection.objects.bulk_create(carriers.values(), batch_size=_IMPORT_BATCH)
    Inspection.inspectors.through.objects.bulk_create(
        [
            Inspection.inspectors.through(inspection_id=carrier.pk, user_id=actor.pk)
            for carrier in carriers.values()
        ],
        batch_size=_IMPORT_BATCH,
    )
    by_year: dict[int, list[ImportedHazard]] = {}
    for entry in entries:
        by_year.setdefault(entry.fields["found_on"].year, []).append(entry)
    numbers: dict[int, str] = {}
    for year in sorted(by_year):
        values = YearSequence.reserve("hazard", year, len(by_year[year]))
        for entry, seq in zip(by_year[year], values, strict=True):
            numbers[id(entry)] = f"YH-{year}-{seq:06d}"
    hazards = []
    for entry in entries:
        fields = entry.fields
        group = (entry.unit.pk, fields["found_on"], fields["lead_department"].pk)
        hazard = Hazard(
            inspection=carriers[group],
            unit=entry.unit,
            number=numbers[id(entry)],
            year=fields["found_on"].year,
            external_source=IMPORT_SOURCE,
            external_id=entry.key,
            original_deadline=fields["deadline"],
            status=S.CLOSED if entry.closed else S.ASSIGNED,
            version=1,
            **fields,
        )
        if hazard.is_major:
            # 五落实 as far as the ledger states it; the rest is completed later, as events.
            hazard.plan_responsible = hazard.responsible_person
            hazard.plan_measures = hazard.measures
            hazard.plan_deadline = hazard.deadline
        if entry.closed:
            done_on = entry.record["done_on"] or entry.record["closed_on"]
            hazard.reported_done_at = _local_noon(datetime.date.fromisoformat(done_on))
            hazard.closed_at = _local_noon(datetime.date.fromisoformat(entry.record["closed_on"]))
        hazards.append(hazard)
    Hazard.objects.bulk_create(hazards, batch_size=_IMPORT_BATCH)
    HazardEvent.objects.bulk_create(
        [
            HazardEvent(
                hazard=hazard,
                actor=actor,
                action=A.IMPORT,
                from_status="",
                to_status=hazard.status,
                note=f"历史台账导入：{filename} 第{entry.row}行"[:500],
                data={
                    "file": filename,
                    "row": entry.row,
                    "sheet_number": entry.sheet_number,
                    **{k: v for k, v in entry.record.items() if v},
                },
            )
            for hazard, entry in zip(hazards, entries, strict=True)
        ],
        batch_size=_IMPORT_BATCH,
    )
    return hazards


# --- triage by the office --------------------------------------------------------------------


@transaction.atomic
def assign(
    *,
    hazard_id: int,
    actor,
    version: int,
    lead_department: Department,
    responsible_person: str,
    deadline: datetime.date | None = None,
    working_days: int | None = None,
    responsible_phone: str = "",
    note: str = "",
) -> Hazard:
    """已登记 → 已交办: the 整改通知 with deadline, 首办 department and responsible person."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "assign", hazard)
    hazard.deadline, hazard.deadline_working_days = _resolve_deadline(
        hazard, deadline, working_days
    )
    # The deadline the office sets is the one every later extension is measured against.
    hazard.original_deadline = hazard.deadline
    hazard.lead_department = lead_department
    if hazard.handling_department_id == lead_department.pk:
        hazard.handling_department = None
    hazard.responsible_person = _required(responsible_person, "请填写整改责任人")
    hazard.responsible_phone = responsible_phone
    from_status, hazard.status = hazard.status, S.ASSIGNED
    _record(
        hazard,
        actor=actor,
        action=A.ASSIGN,
        from_status=from_status,
        note=note,
        data={
            "deadline": hazard.deadline.isoformat(),
            "working_days": working_days,
            "lead_department": lead_department.name,
            "responsible_person": hazard.responsible_person,
        },
        update_fields=[
            "deadline",
            "deadline_working_days",
            "original_deadline",
            "lead_department",
            "handling_department",
            "responsible_person",
            "responsible_phone",
        ],
    )
    documents.on_assignment(hazard=hazard, actor=actor)
    notify.hazard_event(
        hazard,
        kind=N.ASSIGNED,
        actor=actor,
        recipients=[notify.hazard_department(hazard)],
        title=f"{hazard.unit.name} 限 {hazard.deadline:%Y-%m-%d} 前整改",
        body=note,
    )
    return hazard


@transaction.atomic
def reject(*, hazard_id: int, actor, version: int, reason: str) -> Hazard:
    hazard = _lock(hazard_id, version)
    _authorize(actor, "reject", hazard)
    reason = _required(reason, "请填写不予认定的理由")
    from_status, hazard.status = hazard.status, S.REJECTED
    _record(hazard, actor=actor, action=A.REJECT, from_status=from_status, note=reason)
    return hazard


@transaction.atomic
def merge(*, hazard_id: int, actor, version: int, into_id: int, note: str = "") -> Hazard:
    """A duplicate report of the same problem is folded into the hazard already on record."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "merge", hazard)
    target = Hazard.objects.visible_to(actor).filter(pk=into_id).first()
    if target is None or target.pk == hazard.pk:
        raise Invalid("请选择要合并到的另一条隐患")
    if target.unit_id != hazard.unit_id:
        raise Invalid("只能合并同一单位的重复隐患")
    if target.status in Hazard.ENDED_STATUSES or target.status == S.DRAFT:
        raise Invalid(f"目标隐患{target.number}已{target.get_status_display()}，不能合并")
    hazard.merged_into = target
    from_status, hazard.status = hazard.status, S.MERGED
    _record(
        hazard,
        actor=actor,
        action=A.MERGE,
        from_status=from_status,
        note=note,
        data={"into": target.number},
        update_fields=["merged_into"],
    )
    return hazard


# A hazard is handed only to those who rectify: regulators and street offices, never to the
# committee office or the supervision office.
TRANSFER_KINDS = (Department.Kind.REGULATOR, Department.Kind.STREET)


@transaction.atomic
def transfer(*, hazard_id: int, actor, version: int, department: Department, note: str) -> Hazard:
    """转办 to a 承办 department (首办负责制): the 首办 department stays, and stays answerable;
    the deadline clock keeps running (限时办结). Handing it back to the 首办 ends the 承办."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "transfer", hazard)
    if department.kind not in TRANSFER_KINDS:
        raise Invalid("只能转办至监管部门或街道办事处")
    current = hazard.handling_department or hazard.lead_department
    if department.pk == current.pk:
        raise Invalid("转办部门与当前承办部门相同")
    note = _required(note, "请填写转办理由")
    old = current.name
    old_department_id = current.pk
    hazard.handling_department = None if department.pk == hazard.lead_department_id else department
    _record(
        hazard,
        actor=actor,
        action=A.TRANSFER,
        from_status=hazard.status,
        note=note,
        data={
            "from_department": old,
            "to_department": department.name,
            "lead_department": hazard.lead_department.name,
        },
        update_fields=["handling_department"],
    )
    notify.hazard_event(
        hazard,
        kind=N.TRANSFERRED,
        actor=actor,
        recipients=[notify.departments(old_department_id), notify.hazard_department(hazard)],
        title=f"由{old}转{department.name}",
        body=note,
    )
    return hazard


# --- rectification ---------------------------------------------------------------------------


@transaction.atomic
def start_rectifying(
    *, hazard_id: int, actor, version: int, plan: str = "", note: str = ""
) -> Hazard:
    hazard = _lock(hazard_id, version)
    _authorize(actor, "start", hazard)
    if plan.strip():
        hazard.rectification_plan = plan.strip()
    from_status, hazard.status = hazard.status, S.RECTIFYING
    _record(
        hazard,
        actor=actor,
        action=A.START,
        from_status=from_status,
        note=note,
        update_fields=["rectification_plan"],
    )
    return hazard


def _governance_plan_missing(hazard: Hazard) -> list[str]:
    fields = {
        "plan_responsible": "责任",
        "plan_measures": "措施",
        "plan_funds": "资金",
        "plan_deadline": "时限",
        "plan_emergency": "预案",
    }
    return [label for field, label in fields.items() if getattr(hazard, field) in (None, "")]


@transaction.atomic
def report_done(
    *,
    hazard_id: int,
    actor,
    version: int,
    note: str,
    photos: Iterable = (),
    pdfs: Iterable = (),
) -> Hazard:
    """整改完成, with after-photos as evidence (and PDFs: `pdfs`, pairs of the upload and
    its bytes as attachments.validate_pdf returned them); someone else verifies it. A unit
    account reports its own rectification this way (the portal)."""
    from .attachments import save_attachment
    from .photos import discard_files, prepare_photo, save_photo

    hazard = _lock(hazard_id, version)
    _authorize(actor, "report_done", hazard)
    note = _required(note, "请说明整改情况")
    # Every photo is validated before anything is written, so one bad file stores nothing.
    photos = [(upload, prepare_photo(upload)) for upload in photos]
    has_after = hazard.photos.filter(kind="after").exists()
    if not photos and not has_after:
        raise Invalid("请上传整改后照片")
    if hazard.is_major:
        missing = _governance_plan_missing(hazard)
        if missing:
            raise Invalid(f"重大隐患须先填写治理方案“五落实”：缺少{'、'.join(missing)}")
    hazard.reported_done_by = actor
    hazard.reported_done_at = timezone.now()
    from_status, hazard.status = hazard.status, S.AWAITING_VERIFICATION
    event = _record(
        hazard,
        actor=actor,
        action=A.REPORT_DONE,
        from_status=from_status,
        note=note,
        update_fields=["reported_done_by", "reported_done_at"],
    )
    saved, stored = [], []
    try:
        for upload, prepared in photos:
            saved.append(
                save_photo(
                    hazard=hazard,
                    upload=upload,
                    kind="after",
                    user=actor,
                    event=event,
                    prepared=prepared,
                )
            )
        for upload, data in pdfs:
            stored.append(
                save_attachment(hazard=hazard, upload=upload, data=data, user=actor, event=event)
            )
    except Exception:
        discard_files(saved)
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    _notify_verifiers(hazard, actor, note)
    return hazard


@transaction.atomic
def verify(
    *,
    hazard_id: int,
    actor,
    version: int,
    ok: bool,
    note: str,
    new_deadline: datetime.date | None = None,
) -> Hazard:
    """复查: pass → 已销号; fail → back to 整改中 with a new deadline and the reopen count +1."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "verify", hazard)
    note = _required(note, "请填写复查意见")
    from_status = hazard.status
    if ok:
        hazard.status = S.CLOSED
        hazard.closed_at = timezone.now()
        data = {"delisted": hazard.listed_document} if hazard.listed_document else {}
        _record(
            hazard,
            actor=actor,
            action=A.VERIFY_OK,
            from_status=from_status,
            note=note,
            data=data,
            update_fields=["closed_at"],
        )
        documents.on_verification(hazard=hazard, actor=actor, ok=True, note=note)
        return hazard
    if new_deadline is None or new_deadline < timezone.localdate():
        raise Invalid("复查不合格须给出不早于今天的新整改期限")
    old_deadline = hazard.deadline
    hazard.deadline = new_deadline
    hazard.reopen_count += 1
    hazard.status = S.RECTIFYING
    _record(
        hazard,
        actor=actor,
        action=A.VERIFY_FAIL,
        from_status=from_status,
        note=note,
        data={
            "old_deadline": old_deadline.isoformat() if old_deadline else None,
            "new_deadline": new_deadline.isoformat(),
            "reopen_count": hazard.reopen_count,
        },
        update_fields=["deadline", "reopen_count"],
    )
    documents.on_verification(
        hazard=hazard, actor=actor, ok=False, note=note, old_deadline=old_deadline
    )
    notify.hazard_event(
        hazard,
        kind=N.VERIFY_FAILED,
        actor=actor,
        recipients=[notify.hazard_department(hazard), notify.users(hazard.reported_done_by_id)],
        title=f"{hazard.unit.name} 复查不合格，新期限 {new_deadline:%Y-%m-%d}",
        body=note,
    )
    return hazard


# --- disposal --------------------------------------------------------------------------------


@transaction.atomic
def cannot_rectify(
    *,
    hazard_id: int,
    actor,
    version: int,
    disposal: str,
    note: str,
    review_on: datetime.date | None = None,
    deadline: datetime.date | None = None,
) -> Hazard:
    """改不了的怎么办: 停产整顿 / 关闭取缔 with the deadline set with it (整顿/取缔期限, the
    hazard's clock from now on), 移交执法 / 移送司法 (no clock), 风险管控 with a review date."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "cannot_rectify", hazard)
    if disposal not in Hazard.Disposal.values:
        raise Invalid("请选择处置措施")
    if hazard.unit.is_illegal and disposal != Hazard.Disposal.CLOSE:
        raise Invalid("非法场所（黑窝点）只能关闭取缔")
    note = _required(note, "请说明无法整改的原因和处置安排")
    if disposal == Hazard.Disposal.RISK_CONTROL:
        if review_on is None or review_on <= timezone.localdate():
            raise Invalid("风险管控须填写晚于今天的复核日期")
        hazard.risk_review_on = review_on
    else:
        hazard.risk_review_on = None
    old_deadline = hazard.deadline
    if disposal in Hazard.DEADLINE_DISPOSALS:
        if deadline is None or deadline < hazard.found_on:
            raise Invalid(f"{Hazard.Disposal(disposal).label}须填写不早于发现日期的期限")
        hazard.deadline = deadline
    hazard.disposal = disposal
    # The office decides disposals: its own stands at once, an inspector's is a proposal.
    by_office = permissions.is_office_role(actor)
    hazard.disposal_confirmed_at = timezone.now() if by_office else None
    from_status, hazard.status = hazard.status, S.DISPOSAL
    data = {"disposal": disposal, "review_on": review_on.isoformat() if review_on else None}
    if hazard.deadline != old_deadline:
        data.update(
            old_deadline=old_deadline.isoformat() if old_deadline else None,
            new_deadline=hazard.deadline.isoformat(),
        )
    _record(
        hazard,
        actor=actor,
        action=A.CANNOT_RECTIFY,
        from_status=from_status,
        note=note,
        data=data,
        update_fields=["disposal", "risk_review_on", "deadline", "disposal_confirmed_at"],
    )
    if not by_office:
        notify.hazard_event(
            hazard,
            kind=N.DISPOSAL_PROPOSED,
            actor=actor,
            recipients=[notify.roles(User.Role.OFFICE)],
            title=f"{hazard.unit.name} 拟{Hazard.Disposal(disposal).label}，待确认",
            body=note,
        )
    return hazard


def _disposal_event(hazard: Hazard) -> HazardEvent | None:
    """The 无法整改转处置 event that proposed the current disposal (its actor, old deadline)."""
    return hazard.events.filter(action=A.CANNOT_RECTIFY).order_by("-id").first()


@transaction.atomic
def confirm_disposal(*, hazard_id: int, actor, version: int, note: str = "") -> Hazard:
    """安委办 confirms an inspector's disposal: from now on it stands, and can be finished."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "confirm_disposal", hazard)
    hazard.disposal_confirmed_at = timezone.now()
    _record(
        hazard,
        actor=actor,
        action=A.DISPOSAL_CONFIRMED,
        from_status=hazard.status,
        note=(note or "").strip(),
        data={"disposal": hazard.disposal},
        update_fields=["disposal_confirmed_at"],
    )
    _tell_disposal_decided(
        hazard, actor, _disposal_event(hazard), f"{hazard.get_disposal_display()}已确认", note
    )
    return hazard


@transaction.atomic
def return_disposal(*, hazard_id: int, actor, version: int, note: str) -> Hazard:
    """安委办 does not confirm an inspector's disposal: back to 整改中 with the deadline it had
    before (the disposal's own deadline goes with it), and the reason."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "return_disposal", hazard)
    note = _required(note, "请说明退回理由（如：应责令限期整改，不必停产）")
    proposal = _disposal_event(hazard)
    old_deadline = (proposal.data or {}).get("old_deadline") if proposal else None
    disposal = hazard.disposal
    if old_deadline:
        hazard.deadline = datetime.date.fromisoformat(old_deadline)
    hazard.disposal, hazard.risk_review_on, hazard.disposal_confirmed_at = "", None, None
    from_status, hazard.status = hazard.status, S.RECTIFYING
    _record(
        hazard,
        actor=actor,
        action=A.DISPOSAL_RETURNED,
        from_status=from_status,
        note=note,
        data={"disposal": disposal},
        update_fields=["deadline", "disposal", "risk_review_on", "disposal_confirmed_at"],
    )
    _tell_disposal_decided(
        hazard, actor, proposal, f"{Hazard.Disposal(disposal).label}未获确认，退回整改", note
    )
    return hazard


def _tell_disposal_decided(hazard: Hazard, actor, proposal, outcome: str, note: str) -> None:
    """The department and whoever proposed the disposal hear the office's decision."""
    notify.hazard_event(
        hazard,
        kind=N.DISPOSAL_DECIDED,
        actor=actor,
        recipients=[
            notify.hazard_department(hazard),
            notify.users(proposal.actor_id if proposal else None),
        ],
        title=f"{hazard.unit.name} {outcome}",
        body=note,
    )


@transaction.atomic
def finish_disposal(*, hazard_id: int, actor, version: int, note: str) -> Hazard:
    hazard = _lock(hazard_id, version)
    _authorize(actor, "finish_disposal", hazard)
    note = _required(note, "请说明处置结果")
    hazard.closed_at = timezone.now()
    from_status, hazard.status = hazard.status, S.CLOSED
    _record(
        hazard,
        actor=actor,
        action=A.DISPOSAL_DONE,
        from_status=from_status,
        note=note,
        data={"disposal": hazard.disposal},
        update_fields=["closed_at"],
    )
    return hazard


def review_risk_controls(*, today: datetime.date) -> int:
    """System job: a 风险管控 hazard whose review date has come goes back to 整改中."""
    due = Hazard.objects.filter(
        status=S.DISPOSAL, disposal=Hazard.Disposal.RISK_CONTROL, risk_review_on__lte=today
    ).values_list("pk", flat=True)
    reopened = 0
    for hazard_id in list(due):
        with transaction.atomic():
            hazard = _lock(hazard_id, None)
            if hazard.status != S.DISPOSAL or hazard.disposal != Hazard.Disposal.RISK_CONTROL:
                continue
            review_on = hazard.risk_review_on
            # The clock restarts at the review date, so an unattended reopening shows as overdue.
            hazard.deadline = max(review_on, hazard.found_on)
            hazard.disposal = ""
            hazard.risk_review_on = None
            hazard.disposal_confirmed_at = None
            hazard.status = S.RECTIFYING
            _record(
                hazard,
                actor=None,
                action=A.RISK_REVIEW,
                from_status=S.DISPOSAL,
                note="风险管控到期，重新进入整改",
                data={"review_on": review_on.isoformat()},
                update_fields=["deadline", "disposal", "risk_review_on", "disposal_confirmed_at"],
            )
            reopened += 1
    return reopened


@transaction.atomic
def void(*, hazard_id: int, actor, version: int, reason: str) -> Hazard:
    """作废 (office only): the record stays, with the reason."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "void", hazard)
    reason = _required(reason, "请填写作废理由")
    from_status, hazard.status = hazard.status, S.VOID
    _record(hazard, actor=actor, action=A.VOID, from_status=from_status, note=reason)
    return hazard


# Hazards a voided inspection leaves as they are: already out of every count.
NOT_VOIDED_WITH_INSPECTION = (S.DRAFT, S.REJECTED, S.MERGED, S.VOID)


@transaction.atomic
def void_inspection(*, inspection_id: int, actor, reason: str) -> list[Hazard]:
    """作废 a submitted inspection (office only): the record stays, with who, when and why,
    and leaves every count; each of its hazards is voided with the same reason, each with its
    own 作废 event, in the same transaction — all or none.

    A hazard already 已销号 is voided too: the closure stays in its event log, but a record
    entered in error (a duplicate, the wrong unit) must not keep counting as a hazard found
    and rectified. Hazards already out of the counts (不予认定, 已合并, 作废) are left alone."""
    inspection = Inspection.objects.select_for_update(of=("self",)).get(pk=inspection_id)
    if not Inspection.objects.visible_to(actor).filter(pk=inspection.pk).exists():
        raise NotAllowed("您无权处理该检查记录")
    if not permissions.is_office_role(actor):
        raise NotAllowed("只有安委办和管理员可以作废检查记录")
    if inspection.status == Inspection.Status.VOID:
        raise StaleHazard("该检查记录已作废")
    if inspection.status != Inspection.Status.SUBMITTED:
        raise Invalid("草稿尚未提交，不能作废")
    reason = _required(reason, "请填写作废原因")
    hazards = list(
        inspection.hazards.select_for_update(of=("self",))
        .exclude(status__in=NOT_VOIDED_WITH_INSPECTION)
        .order_by("pk")
    )
    for hazard in hazards:
        from_status, hazard.status = hazard.status, S.VOID
        _record(
            hazard,
            actor=actor,
            action=A.VOID,
            from_status=from_status,
            note=f"检查记录作废：{reason}",
            data={"inspection_voided": inspection.pk},
        )
    inspection.status = Inspection.Status.VOID
    inspection.voided_at = timezone.now()
    inspection.voided_by = actor
    inspection.void_reason = reason
    inspection.save(update_fields=["status", "voided_at", "voided_by", "void_reason", "updated_at"])
    return hazards


# --- deadlines -------------------------------------------------------------------------------


@transaction.atomic
def request_extension(
    *, hazard_id: int, actor, version: int, deadline: datetime.date, reason: str
) -> DeadlineExtension:
    hazard = _lock(hazard_id, version)
    _authorize(actor, "request_extension", hazard)
    reason = _required(reason, "请填写延期理由")
    if hazard.deadline and deadline <= hazard.deadline:
        raise Invalid(f"申请的期限须晚于当前期限 {hazard.deadline:%Y-%m-%d}")
    try:
        with transaction.atomic():
            extension = DeadlineExtension.objects.create(
                hazard=hazard, requested_by=actor, requested_deadline=deadline, reason=reason
            )
    except IntegrityError:
        raise Invalid("该隐患已有待审批的延期申请") from None
    _record(
        hazard,
        actor=actor,
        action=A.REQUEST_EXTENSION,
        from_status=hazard.status,
        note=reason,
        data={"requested_deadline": deadline.isoformat(), "extension": extension.pk},
    )
    notify.hazard_event(
        hazard,
        kind=N.EXTENSION_REQUESTED,
        actor=actor,
        recipients=[notify.roles(User.Role.OFFICE)],
        title=f"{actor} 申请延期至 {deadline:%Y-%m-%d}",
        body=reason,
    )
    return extension


@transaction.atomic
def decide_extension(*, extension_id: int, actor, approve: bool, note: str = "") -> Hazard:
    """The office approves or refuses; the original deadline always stays on record."""
    extension = DeadlineExtension.objects.select_for_update().get(pk=extension_id)
    hazard = _lock(extension.hazard_id, None)
    _authorize(actor, "decide_extension", hazard)
    if extension.status != DeadlineExtension.Status.PENDING:
        raise StaleHazard("该延期申请已审批")
    extension.status = (
        DeadlineExtension.Status.APPROVED if approve else DeadlineExtension.Status.REFUSED
    )
    extension.decided_by = actor
    extension.decided_at = timezone.now()
    extension.decision_note = note
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    old_deadline = hazard.deadline
    if approve:
        hazard.deadline = extension.requested_deadline
    _record(
        hazard,
        actor=actor,
        action=A.APPROVE_EXTENSION if approve else A.REFUSE_EXTENSION,
        from_status=hazard.status,
        note=note,
        data={
            "old_deadline": old_deadline.isoformat() if old_deadline else None,
            "requested_deadline": extension.requested_deadline.isoformat(),
            "original_deadline": hazard.original_deadline.isoformat()
            if hazard.original_deadline
            else None,
        },
        update_fields=["deadline"],
    )
    notify.hazard_event(
        hazard,
        kind=N.EXTENSION_DECIDED,
        actor=actor,
        recipients=[notify.users(extension.requested_by_id)],
        title=f"延期至 {extension.requested_deadline:%Y-%m-%d} 的申请{extension.get_status_display()}",
        body=note,
    )
    return hazard


# --- major hazards and escalation ------------------------------------------------------------


@transaction.atomic
def set_governance_plan(
    *,
    hazard_id: int,
    actor,
    version: int,
    responsible: str,
    measures: str,
    funds: Decimal,
    deadline: datetime.date,
    emergency_plan: str,
) -> Hazard:
    """重大隐患治理方案, the 五落实: 责任、措施、资金、时限、预案 (responsible person, measures,
    funds, time limit, and the emergency plan that holds until the hazard is eliminated)."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "set_plan", hazard)
    hazard.plan_responsible = _required(responsible, "请填写治理责任人")
    hazard.plan_measures = _required(measures, "请填写治理措施")
    if funds is None or funds < 0:
        raise Invalid("请填写治理经费（万元），可为0")
    hazard.plan_funds = funds
    if deadline is None or deadline < hazard.found_on:
        raise Invalid("请填写不早于发现日期的治理时限")
    hazard.plan_deadline = deadline
    hazard.plan_emergency = _required(emergency_plan, "请填写应急预案（治理完成前的应急措施）")
    _record(
        hazard,
        actor=actor,
        action=A.PLAN,
        from_status=hazard.status,
        data={
            "plan_responsible": hazard.plan_responsible,
            "funds": str(funds),
            "plan_deadline": deadline.isoformat(),
            "emergency_plan": hazard.plan_emergency[:200],
        },
        update_fields=[
            "plan_responsible",
            "plan_measures",
            "plan_funds",
            "plan_deadline",
            "plan_emergency",
        ],
    )
    return hazard


@transaction.atomic
def list_for_supervision(
    *, hazard_id: int, actor, version: int, document: str, listed_on: datetime.date
) -> Hazard:
    """挂牌督办 of a major hazard, under a document number (文号)."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "list", hazard)
    hazard.listed_document = _required(document, "请填写挂牌督办文号")
    if listed_on is None:
        raise Invalid("请填写挂牌日期")
    hazard.listed_on = listed_on
    _record(
        hazard,
        actor=actor,
        action=A.LIST,
        from_status=hazard.status,
        data={"document": hazard.listed_document, "listed_on": listed_on.isoformat()},
        update_fields=["listed_document", "listed_on"],
    )
    notify.hazard_event(
        hazard,
        kind=N.LISTED,
        actor=actor,
        recipients=[notify.hazard_department(hazard), notify.street_of(hazard)],
        title=f"{hazard.unit.name} {hazard.listed_document}",
    )
    return hazard


@transaction.atomic
def escalate(*, hazard_id: int, note: str, actor=None) -> bool:
    """督办: by the supervision office, or by the reminder job (actor None). Idempotent."""
    hazard = _lock(hazard_id, None)
    if actor is not None:
        _authorize(actor, "escalate", hazard)
    elif hazard.escalated_at or hazard.status not in permissions.ACTION_FROM["escalate"]:
        return False
    hazard.escalated_at = timezone.now()
    _record(
        hazard,
        actor=actor,
        action=A.ESCALATE,
        from_status=hazard.status,
        note=note,
        update_fields=["escalated_at"],
    )
    # The reminder job's own escalations reach everyone in that run's digest, except the
    # leaders on duty of a holiday (值班), who are told at once either way.
    recipients = [notify.on_duty_for(hazard)]
    if actor is not None:
        recipients += [
            notify.roles(User.Role.SUPERVISOR, User.Role.OFFICE, User.Role.LEADER),
            notify.hazard_department(hazard),
        ]
    notify.hazard_event(
        hazard,
        kind=N.ESCALATED,
        actor=actor,
        recipients=recipients,
        title=hazard.unit.name,
        body=note,
    )
    return True


# --- supervision (督查室) ------------------------------------------------------------------------


def _notify_supervised(hazard: Hazard, *, kind: str, actor, title: str, body: str) -> None:
    """The departments that answer for it and the office hear of every supervision step."""
    notify.hazard_event(
        hazard,
        kind=kind,
        actor=actor,
        recipients=[notify.hazard_department(hazard), notify.roles(User.Role.OFFICE)],
        title=title,
        body=body,
    )


@transaction.atomic
def urge(*, hazard_id: int, actor, version: int, note: str) -> Hazard:
    """催办 again on an escalated or listed hazard: logged, counted (第N次), the department told."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "urge", hazard)
    note = _required(note, "请填写催办意见")
    count = hazard.events.filter(action=A.URGE).count() + 1
    _record(
        hazard,
        actor=actor,
        action=A.URGE,
        from_status=hazard.status,
        note=note,
        data={"urge_count": count},
    )
    _notify_supervised(
        hazard, kind=N.URGED, actor=actor, title=f"第{count}次催办：{hazard.unit.name}", body=note
    )
    return hazard


@transaction.atomic
def record_interview(
    *,
    hazard_id: int,
    actor,
    version: int,
    interviewee: str,
    held_on: datetime.date,
    outcome: str,
) -> Hazard:
    """约谈: who was talked to (e.g. the unit's 第一责任人 or the department's leader), when, and
    what was agreed."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "interview", hazard)
    interviewee = _required(interviewee, "请填写约谈对象")
    outcome = _required(outcome, "请填写约谈结果")
    if held_on is None or held_on > timezone.localdate():
        raise Invalid("请填写不晚于今天的约谈日期")
    _record(
        hazard,
        actor=actor,
        action=A.INTERVIEW,
        from_status=hazard.status,
        note=outcome,
        data={"interviewee": interviewee, "held_on": held_on.isoformat()},
    )
    _notify_supervised(
        hazard,
        kind=N.INTERVIEWED,
        actor=actor,
        title=f"{held_on:%Y-%m-%d} 约谈{interviewee}",
        body=outcome,
    )
    return hazard


@transaction.atomic
def issue_notice(
    *,
    hazard_id: int,
    actor,
    version: int,
    due_on: datetime.date,
    requirements: str,
    document: str = "",
) -> Hazard:
    """督办通知 with its own time limit for the department's reply; the rectification deadline
    is not touched (限时办结)."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "notice", hazard)
    requirements = _required(requirements, "请填写督办要求")
    if due_on is None or due_on <= timezone.localdate():
        raise Invalid("督办通知须给出晚于今天的办结时限")
    _record(
        hazard,
        actor=actor,
        action=A.NOTICE,
        from_status=hazard.status,
        note=requirements,
        data={"due_on": due_on.isoformat(), "notice_document": document.strip()},
    )
    _notify_supervised(
        hazard,
        kind=N.NOTICE,
        actor=actor,
        title=f"{document.strip() or '督办通知'}，限 {due_on:%Y-%m-%d} 前办结回复",
        body=requirements,
    )
    return hazard


@transaction.atomic
def propose_listing(*, hazard_id: int, actor, version: int, reason: str) -> Hazard:
    """The supervision office proposes 挂牌督办 of a major hazard; the office decides (list)."""
    hazard = _lock(hazard_id, version)
    _authorize(actor, "propose_listing", hazard)
    reason = _required(reason, "请填写建议挂牌的理由")
    _record(hazard, actor=actor, action=A.PROPOSE_LISTING, from_status=hazard.status, note=reason)
    notify.hazard_event(
        hazard,
        kind=N.LISTING_PROPOSED,
        actor=actor,
        recipients=[notify.roles(User.Role.OFFICE)],
        title=f"督查室建议挂牌督办：{hazard.unit.name}",
        body=reason,
    )
    return hazard
