"""Who may do what to a hazard: one table (role × action) plus the status each action starts from.

`workflow` enforces it; views ask `allowed_actions` to decide which buttons to show.
"""

from units.models import User

from .models import DeadlineExtension, Hazard

S = Hazard.Status
R = User.Role

INSPECTOR, OFFICE, SUPERVISOR, LEADER, ADMIN, UNIT = (
    R.INSPECTOR,
    R.OFFICE,
    R.SUPERVISOR,
    R.LEADER,
    R.ADMIN,
    R.UNIT,
)

# action → roles that may take it. An inspector acts only on hazards of their own department
# (the 首办 lead department or the department that found it); see `_inspector_may_act`.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "assign": frozenset({OFFICE, ADMIN}),
    "reject": frozenset({OFFICE, ADMIN}),
    "merge": frozenset({OFFICE, ADMIN}),
    "transfer": frozenset({OFFICE, ADMIN}),
    "start": frozenset({INSPECTOR, OFFICE, ADMIN}),
    # The unit reports its own rectification (portal); it never verifies it.
    "report_done": frozenset({INSPECTOR, OFFICE, ADMIN, UNIT}),
    "verify": frozenset({INSPECTOR, OFFICE, ADMIN}),
    "cannot_rectify": frozenset({INSPECTOR, OFFICE, ADMIN}),
    "confirm_disposal": frozenset({OFFICE, ADMIN}),
    "return_disposal": frozenset({OFFICE, ADMIN}),
    "finish_disposal": frozenset({OFFICE, ADMIN}),
    "void": frozenset({OFFICE, ADMIN}),
    "request_extension": frozenset({INSPECTOR, OFFICE, ADMIN, UNIT}),
    "decide_extension": frozenset({OFFICE, ADMIN}),
    "set_plan": frozenset({INSPECTOR, OFFICE, ADMIN}),
    "list": frozenset({OFFICE, ADMIN}),
    "escalate": frozenset({SUPERVISOR, OFFICE, ADMIN}),
    # The supervision office follows up what it escalated or what is listed (督查督办).
    "urge": frozenset({SUPERVISOR, ADMIN}),
    "interview": frozenset({SUPERVISOR, ADMIN}),
    "notice": frozenset({SUPERVISOR, ADMIN}),
    "propose_listing": frozenset({SUPERVISOR, ADMIN}),
}

# action → statuses it may start from.
ACTION_FROM: dict[str, tuple[str, ...]] = {
    "assign": (S.REGISTERED,),
    "reject": (S.REGISTERED,),
    "merge": (S.REGISTERED,),
    "transfer": (S.REGISTERED, S.ASSIGNED, S.RECTIFYING),
    "start": (S.ASSIGNED,),
    "report_done": (S.ASSIGNED, S.RECTIFYING),
    "verify": (S.AWAITING_VERIFICATION,),
    "cannot_rectify": (S.ASSIGNED, S.RECTIFYING),
    "confirm_disposal": (S.DISPOSAL,),
    "return_disposal": (S.DISPOSAL,),
    "finish_disposal": (S.DISPOSAL,),
    "void": (
        S.REGISTERED,
        S.ASSIGNED,
        S.RECTIFYING,
        S.AWAITING_VERIFICATION,
        S.DISPOSAL,
    ),
    "request_extension": (S.ASSIGNED, S.RECTIFYING),
    "decide_extension": (S.ASSIGNED, S.RECTIFYING, S.DISPOSAL, S.AWAITING_VERIFICATION),
    "set_plan": (S.REGISTERED, S.ASSIGNED, S.RECTIFYING, S.DISPOSAL),
    "list": (S.REGISTERED, S.ASSIGNED, S.RECTIFYING, S.DISPOSAL),
    "escalate": (S.ASSIGNED, S.RECTIFYING, S.DISPOSAL),
    "urge": (S.ASSIGNED, S.RECTIFYING, S.AWAITING_VERIFICATION, S.DISPOSAL),
    "interview": (S.ASSIGNED, S.RECTIFYING, S.AWAITING_VERIFICATION, S.DISPOSAL),
    "notice": (S.ASSIGNED, S.RECTIFYING, S.DISPOSAL),
    "propose_listing": (S.ASSIGNED, S.RECTIFYING, S.DISPOSAL),
}

# Follow-up of an escalated (督办) or listed (挂牌督办) hazard only.
SUPERVISION_ACTIONS = frozenset({"urge", "interview", "notice", "propose_listing"})

# Actions that make no sense at an illegal site (黑窝点): nothing there is rectified.
NOT_AT_ILLEGAL_SITE = frozenset({"start", "report_done", "request_extension"})
# Actions only for 重大隐患.
MAJOR_ONLY = frozenset({"set_plan", "list", "propose_listing"})

ACTION_LABELS = {
    "assign": "交办",
    "reject": "不予认定",
    "merge": "合并重复",
    "transfer": "转办",
    "start": "开始整改",
    "report_done": "报告整改完成",
    "verify": "复查",
    "cannot_rectify": "无法整改转处置",
    "confirm_disposal": "确认处置措施",
    "return_disposal": "退回处置（继续整改）",
    "finish_disposal": "处置完毕销号",
    "void": "作废",
    "request_extension": "申请延期",
    "decide_extension": "审批延期",
    "set_plan": "治理方案（五落实）",
    "list": "挂牌督办",
    "escalate": "督办",
    "urge": "催办",
    "interview": "记录约谈",
    "notice": "下发督办通知",
    "propose_listing": "建议挂牌督办",
}


def _role(user) -> str:
    return ADMIN if user.is_superuser else user.role


def is_office_role(user) -> bool:
    """The office (or admin) takes decisions that are proposals when an inspector makes them."""
    return user is not None and _role(user) in (OFFICE, ADMIN)


def _inspector_may_act(user, hazard: Hazard) -> bool:
    dept = user.department_id
    return dept is not None and dept in (
        hazard.lead_department_id,
        hazard.handling_department_id,
        hazard.inspection.department_id,
    )


def pending_extension(hazard: Hazard):
    """The hazard's pending extension request, looked up once per hazard instance."""
    if not hasattr(hazard, "_pending_extension"):
        hazard._pending_extension = hazard.extensions.filter(
            status=DeadlineExtension.Status.PENDING
        ).first()
    return hazard._pending_extension


def refusal(user, action: str, hazard: Hazard) -> str | None:
    """Why `user` may not take `action` on `hazard` now, in Chinese; None when allowed."""
    role = _role(user)
    if role not in ACTION_ROLES[action]:
        return f"您的角色（{User.Role(role).label}）无权执行“{ACTION_LABELS[action]}”"
    if role == INSPECTOR and not _inspector_may_act(user, hazard):
        return "只有首办部门或检查部门的检查员可以处理该隐患"
    if hazard.status not in ACTION_FROM[action]:
        return f"隐患当前状态为“{hazard.get_status_display()}”，不能执行“{ACTION_LABELS[action]}”"
    if action in NOT_AT_ILLEGAL_SITE and hazard.unit.is_illegal:
        return "非法场所（黑窝点）不存在整改，只能关闭取缔"
    if action in MAJOR_ONLY and not hazard.is_major:
        return f"“{ACTION_LABELS[action]}”仅适用于重大隐患"
    if action == "verify" and hazard.reported_done_by_id == user.pk:
        return "复查人不能是报告整改完成的人"
    if action == "verify" and hazard.listed_document and role not in (OFFICE, ADMIN):
        return "挂牌督办的重大隐患由安委办验收、摘牌销号"
    if action in SUPERVISION_ACTIONS and not (hazard.escalated_at or hazard.listed_document):
        return f"“{ACTION_LABELS[action]}”仅适用于已督办或挂牌督办的隐患"
    if action == "propose_listing" and hazard.listed_document:
        return "该隐患已挂牌督办"
    if action in ("confirm_disposal", "return_disposal") and hazard.disposal_confirmed_at:
        return "该处置措施已确认"
    if action == "finish_disposal" and not hazard.disposal_confirmed_at:
        return "处置措施尚待安委办确认，确认后才能销号"
    if action == "decide_extension" and pending_extension(hazard) is None:
        return "没有待审批的延期申请"
    if action == "request_extension" and pending_extension(hazard) is not None:
        return "该隐患已有待审批的延期申请"
    if action == "list" and hazard.listed_document:
        return "该隐患已挂牌督办"
    if action == "escalate" and hazard.escalated_at:
        return "该隐患已督办"
    return None


def allowed_actions(user, hazard: Hazard) -> list[str]:
    """Action names `user` may take on `hazard` now, in the table's order."""
    if not user.is_authenticated:
        return []
    return [action for action in ACTION_ROLES if refusal(user, action, hazard) is None]
