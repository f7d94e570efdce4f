"""Enforcement actions (四个一律): recording one and the unit status change it brings.

Views and the demo call `record_enforcement`; nothing else creates an EnforcementAction or moves a
unit to 停产整顿/关闭取缔 as a consequence of enforcement.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from units.models import Department, Unit, User

from .models import EnforcementAction, Hazard, HazardEvent, Inspection

Kind = EnforcementAction.Kind

# The unit status each kind leads to; fines and referrals leave the unit as it is.
STATUS_AFTER = {
    Kind.SUSPEND: Unit.Status.SUSPENDED,
    Kind.CLOSE: Unit.Status.CLOSED,
    Kind.RESUME: Unit.Status.OPERATING,
}

# "黑窝点不存在整改，一律关闭取缔": an illegal site is never suspended to be rectified.
ILLEGAL_SITE_KINDS = (Kind.CLOSE, Kind.FINE, Kind.JUDICIAL)

# Departments that coordinate rather than enforce.
NON_ENFORCING_KINDS = (Department.Kind.OFFICE, Department.Kind.SUPERVISION)


class EnforcementError(Exception):
    """Refused with a Chinese message; `field` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(EnforcementError):
    pass


class InvalidEnforcement(EnforcementError):
    pass


def can_record_enforcement(user: User, unit: Unit) -> bool:
    """Office and admin for any unit; an inspector only for units their department leads.

    The caller has already fetched `unit` through Unit.objects.visible_to(user)."""
    if not user.is_authenticated:
        return False
    if user.is_office:
        return True
    return (
        user.role == User.Role.INSPECTOR
        and user.department_id is not None
        and user.department_id == unit.lead_department_id
    )


def allowed_kinds(unit: Unit) -> list[str]:
    kinds = ILLEGAL_SITE_KINDS if unit.is_illegal else tuple(Kind)
    if unit.status != Unit.Status.SUSPENDED:
        kinds = tuple(k for k in kinds if k != Kind.RESUME)
    if unit.status == Unit.Status.CLOSED:
        # A closed unit can still be fined or referred, but not closed or suspended again.
        kinds = tuple(k for k in kinds if k not in STATUS_AFTER)
    return [k.value for k in kinds]


def enforcing_departments():
    return Department.objects.exclude(kind__in=NON_ENFORCING_KINDS)


def record_enforcement(
    *,
    unit_id: int,
    actor: User,
    kind: str,
    decided_on: datetime.date,
    department: Department,
    document_number: str = "",
    fine_amount: Decimal | None = None,
    inspection_id: int | None = None,
    hazard_ids: Iterable[int] = (),
    note: str = "",
) -> EnforcementAction:
    """Record an enforcement action on a unit and apply its consequence to the unit's status.

    Atomic, with the unit row locked so two actions decided at once (停产整顿 and 关闭取缔)
    cannot interleave their status writes. Raises NotAllowed / InvalidEnforcement."""
    hazard_ids = sorted({int(h) for h in hazard_ids})
    with transaction.atomic():
        unit = (
            Unit.objects.visible_to(actor).select_for_update().filter(pk=unit_id).first()
            if actor.is_authenticated
            else None
        )
        if unit is None or not can_record_enforcement(actor, unit):
            raise NotAllowed("您无权对该单位登记执法措施")
        _validate(
            unit=unit,
            actor=actor,
            kind=kind,
            decided_on=decided_on,
            department=department,
            fine_amount=fine_amount,
        )
        inspection = None
        if inspection_id is not None:
            inspection = (
                Inspection.objects.visible_to(actor)
                .filter(pk=inspection_id, unit_id=unit.pk, status=Inspection.Status.SUBMITTED)
                .first()
            )
            if inspection is None:
                raise InvalidEnforcement("所选检查记录不属于该单位或不可见", field="inspection")
        hazards: list[Hazard] = []
        if hazard_ids:
            hazards = list(
                Hazard.objects.visible_to(actor)
                .filter(pk__in=hazard_ids, unit_id=unit.pk)
                .exclude(status=Hazard.Status.DRAFT)
            )
            if len(hazards) != len(hazard_ids):
                raise InvalidEnforcement("所选隐患不属于该单位或不可见", field="hazards")

        action = EnforcementAction.objects.create(
            unit=unit,
            kind=kind,
            decided_on=decided_on,
            document_number=document_number.strip(),
            fine_amount=fine_amount if kind == Kind.FINE else None,
            department=department,
            inspection=inspection,
            note=note.strip(),
            created_by=actor,
        )
        new_status = STATUS_AFTER.get(kind)
        if new_status is not None and unit.status != new_status:
            unit.status = new_status
            unit.save(update_fields=["status", "updated_at"])
        if hazards:
            action.hazards.set(hazards)
            _log_on_hazards(action, hazards, actor)
    return action


def _validate(
    *,
    unit: Unit,
    actor: User,
    kind: str,
    decided_on: datetime.date,
    department: Department,
    fine_amount: Decimal | None,
) -> None:
    if kind not in Kind.values:
        raise InvalidEnforcement("请选择执法措施", field="kind")
    if unit.is_illegal and kind not in ILLEGAL_SITE_KINDS:
        raise InvalidEnforcement(
            "非法场所（黑窝点）不存在整改，只能关闭取缔、罚款或移送司法", field="kind"
        )
    if kind == Kind.RESUME and unit.status != Unit.Status.SUSPENDED:
        raise InvalidEnforcement("只有停产整顿的单位才能验收合格、恢复生产", field="kind")
    if unit.status == Unit.Status.CLOSED and kind in STATUS_AFTER:
        raise InvalidEnforcement("该单位已关闭取缔，不能再责令停产整顿或重复取缔", field="kind")
    if kind == Kind.FINE:
        if fine_amount is None or fine_amount <= 0:
            raise InvalidEnforcement("罚款必须填写大于0的金额", field="fine_amount")
    elif fine_amount is not None:
        raise InvalidEnforcement("只有罚款需要填写金额", field="fine_amount")
    if decided_on > timezone.localdate():
        raise InvalidEnforcement("决定日期不能晚于今天", field="decided_on")
    if department is None or department.kind in NON_ENFORCING_KINDS:
        raise InvalidEnforcement("请选择执法部门", field="department")
    if not actor.is_office and department.pk != actor.department_id:
        raise NotAllowed("检查员只能以本部门名义登记执法措施", field="department")


def _log_on_hazards(action: EnforcementAction, hazards: list[Hazard], actor: User) -> None:
    # A note on each hazard's timeline, not a transition: status stays the workflow's business.
    label = action.get_kind_display()
    text = f"执法措施：{label}"
    if action.document_number:
        text += f"（{action.document_number}）"
    if action.fine_amount is not None:
        text += f"，罚款 {action.fine_amount} 元"
    HazardEvent.objects.bulk_create(
        [
            HazardEvent(
                hazard=hazard,
                actor=actor,
                action=HazardEvent.Action.COMMENT,
                note=text,
                data={"enforcement_action": action.pk, "kind": action.kind},
            )
            for hazard in hazards
        ]
    )
