"""工作队列: what waits for whom. One definition per queue, used by both the home page's
"我的待办" (its count and its first rows) and the ledger's `?queue=` filter, so a count on the
home page is, by construction, the number of rows its link lists.

A queue is a condition on the ledger's own queryset (`filters.ledger_base_queryset(user)`):
the user's scope still comes from `Hazard.objects.visible_to`, the queue only narrows it.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from units.models import Department, User
from units.search import InArray

from .models import Bulletin, DeadlineExtension, Hazard

S = Hazard.Status
# A decision on one's own extension request stays in the requester's queue this long.
EXTENSION_DECISION_DAYS = 14


def department_scope(user) -> Q:
    """The hazards a department answers for: 首办 (lead), 承办 (handling, after a transfer),
    the department that found it and, for a street office, every hazard in its area (属地管理)."""
    department = user.department
    if department is None:
        return Q(pk__in=[])
    # The hazard's own copies of the inspection's department and the unit's area (scope.py):
    # index conditions on the hazard table, no join.
    scope = (
        Q(lead_department=department)
        | Q(handling_department=department)
        | Q(scope_inspection_department=department)
    )
    if department.kind == Department.Kind.STREET and department.area_id:
        scope |= Q(scope_unit_area_id=department.area_id)
    return scope


def _to_start(user, today: datetime.date) -> Q:
    return department_scope(user) & Q(status=S.ASSIGNED)


def _to_report(user, today: datetime.date) -> Q:
    return department_scope(user) & Q(status=S.RECTIFYING)


def _to_verify(user, today: datetime.date) -> Q:
    # The reporter never verifies their own report (permissions.refusal), so it is not theirs.
    return (
        department_scope(user) & Q(status=S.AWAITING_VERIFICATION) & ~Q(reported_done_by_id=user.pk)
    )


def _my_extension_decisions(user, today: datetime.date) -> Q:
    since = timezone.now() - datetime.timedelta(days=EXTENSION_DECISION_DAYS)
    decided = DeadlineExtension.objects.filter(
        requested_by_id=user.pk,
        status__in=(DeadlineExtension.Status.APPROVED, DeadlineExtension.Status.REFUSED),
        decided_at__gte=since,
    )
    # An array of ids, not EXISTS: inside the home page's COUNT … FILTER an EXISTS is a
    # subplan run once per hazard of the scope (a million times for the office), and unlike
    # IN (subquery) the array is an index condition, so the OR of the queues is a BitmapOr.
    return Q(InArray("pk", decided.order_by().values("hazard_id")))


def _to_triage(user, today: datetime.date) -> Q:
    return Q(status=S.REGISTERED)


def _extension_pending(user, today: datetime.date) -> Q:
    pending = DeadlineExtension.objects.filter(status=DeadlineExtension.Status.PENDING)
    return Q(InArray("pk", pending.order_by().values("hazard_id")))


def _disposal_to_confirm(user, today: datetime.date) -> Q:
    # An inspector's disposal is a proposal until the office confirms or returns it.
    return Q(status=S.DISPOSAL, disposal_confirmed_at__isnull=True)


def _disposal_to_close(user, today: datetime.date) -> Q:
    # 风险管控 waits for its review date, which reopens it by itself; every other confirmed
    # disposal waits for the office to record its outcome (finish_disposal).
    return Q(status=S.DISPOSAL, disposal_confirmed_at__isnull=False) & ~Q(
        disposal=Hazard.Disposal.RISK_CONTROL
    )


def _listed_to_accept(user, today: datetime.date) -> Q:
    """挂牌 hazards reported rectified: the office's 验收 and 摘牌."""
    return Q(status=S.AWAITING_VERIFICATION) & ~Q(listed_document="")


def _supervision(user, today: datetime.date) -> Q:
    """督办 and 挂牌督办 hazards still open: what the supervision office follows up."""
    return Q(status__in=Hazard.OPEN_STATUSES) & (
        Q(escalated_at__isnull=False) | ~Q(listed_document="")
    )


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    condition: Callable[[User, datetime.date], Q]
    # The home page's first rows: overdue first (earliest deadline) or oldest first.
    order: tuple[str, ...]
    hint: str = ""
    # The condition names only columns `HazardCount` keeps (status and the scope columns): the
    # home page sums the maintained counts for it instead of counting hazards.
    counted: bool = False


BY_DEADLINE = ("deadline", "found_on", "id")
OLDEST_FIRST = ("found_on", "id")

QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        Queue("to_start", "待开始整改", _to_start, BY_DEADLINE, "已交办，尚未开始整改", True),
        Queue(
            "to_report", "待报告完成", _to_report, BY_DEADLINE, "整改中，完成后上传整改后照片", True
        ),
        Queue("to_verify", "待复查", _to_verify, BY_DEADLINE, "已报告完成，须由报告人以外的人复查"),
        Queue(
            "my_extensions",
            "延期审批结果",
            _my_extension_decisions,
            BY_DEADLINE,
            f"近{EXTENSION_DECISION_DAYS}天安委办对我的延期申请作出的决定",
        ),
        Queue("to_triage", "待交办", _to_triage, OLDEST_FIRST, "已登记，待审核交办", True),
        Queue("extension_pending", "延期待审批", _extension_pending, OLDEST_FIRST),
        Queue(
            "disposal_to_confirm",
            "处置待确认",
            _disposal_to_confirm,
            OLDEST_FIRST,
            "检查员提出的停产整顿、移交执法等处置，待确认或退回",
        ),
        Queue(
            "disposal_to_close",
            "处置待销号",
            _disposal_to_close,
            OLDEST_FIRST,
            "处置已确认，处置完毕后销号",
        ),
        Queue(
            "listed_to_accept", "挂牌待验收", _listed_to_accept, OLDEST_FIRST, "验收合格后摘牌销号"
        ),
        Queue(
            "supervision",
            "督办·挂牌督办",
            _supervision,
            ("deadline", "found_on", "id"),
            "已督办或挂牌督办、尚未销号",
        ),
    )
}

# Which queues each role's home page shows, in this order.
INSPECTOR_QUEUES = ("to_start", "to_report", "to_verify", "my_extensions")
OFFICE_QUEUES = (
    "to_triage",
    "extension_pending",
    "disposal_to_confirm",
    "disposal_to_close",
    "listed_to_accept",
)
SUPERVISOR_QUEUES = ("supervision",)

CHOICES = [(q.key, q.label) for q in QUEUES.values()]


def queues_for(user) -> tuple[str, ...]:
    if user.is_office:
        return OFFICE_QUEUES
    if user.role == User.Role.SUPERVISOR:
        return SUPERVISOR_QUEUES
    if user.role == User.Role.INSPECTOR and user.department_id:
        return INSPECTOR_QUEUES
    return ()


def condition(key: str, user, today: datetime.date | None = None) -> Q:
    return QUEUES[key].condition(user, today or timezone.localdate())


def quarterly_reports_waiting(user):
    """The office's 季报 not yet circulated (印发), earliest 报送期限 first: in 我的待办 from the
    day the draft exists until it is circulated."""
    if not user.is_office:
        return Bulletin.objects.none()
    return (
        Bulletin.objects.visible_to(user)
        .filter(kind=Bulletin.Kind.QUARTERLY)
        .exclude(status=Bulletin.Status.CIRCULATED)
        .order_by("due_on", "id")
    )
