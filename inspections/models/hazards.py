"""Hazards, their append-only event log, photos and deadline extensions.

`Hazard.status` is written only by `inspections.workflow`; everything else reads it.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from units.models import Area, Department, Unit, unit_scope_q

from .campaigns import Inspection


class YearSequence(models.Model):
    """Gap-free per-year counters (hazard numbers, bulletin numbers), locked row by row."""

    name = models.CharField(max_length=30)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "year"], name="year_sequence_unique"),
        ]

    @classmethod
    def next_value(cls, name: str, year: int) -> int:
        """Must run inside the transaction that stores the numbered row, so a rollback frees it."""
        cls.objects.bulk_create([cls(name=name, year=year)], ignore_conflicts=True)
        seq = cls.objects.select_for_update().get(name=name, year=year)
        seq.last += 1
        seq.save(update_fields=["last"])
        return seq.last

    @classmethod
    def reserve(cls, name: str, year: int, count: int) -> range:
        """`count` consecutive values at once (a bulk import), under the same row lock."""
        cls.objects.bulk_create([cls(name=name, year=year)], ignore_conflicts=True)
        seq = cls.objects.select_for_update().get(name=name, year=year)
        first = seq.last + 1
        seq.last += count
        seq.save(update_fields=["last"])
        return range(first, seq.last + 1)


# What an overdue count reads besides the clock's date (see the clock indexes in Hazard.Meta).
# The columns visible_to() and the queues' department_scope() filter on.
SCOPE_INCLUDE = [
    "lead_department",
    "handling_department",
    "scope_owner",
    "scope_inspection_department",
    "scope_unit_department",
    "scope_unit_area",
]

OVERDUE_COUNT_INCLUDE = [
    "found_on",  # the dashboard's league: found in the period and overdue now
    "status",
    "disposal",
    "level",
    "hazard_type",
    "lead_department",
    "handling_department",
    "scope_owner",
    "scope_inspection_department",
    "scope_unit_department",
    "scope_unit_area",
]


def hazard_scope_q(user, *, drafts: bool = True) -> Q:
    """The condition behind `Hazard.objects.visible_to()`, for a signed-in user. It names only
    columns that `HazardCount` has under the same names, so the maintained counts apply the
    very same rule (`HazardCount.objects.visible_to`)."""
    own = Q(scope_owner=user)
    submitted = ~Q(status=Hazard.Status.DRAFT)
    if user.sees_everything:
        return (submitted | own) if drafts else submitted
    department = user.department
    if department is None:
        return own if drafts else (submitted & own)
    departmental = (
        Q(lead_department=department)
        | Q(handling_department=department)
        | Q(scope_inspection_department=department)
        | unit_scope_q(department, "scope_unit_department_id", "scope_unit_area_id")
    )
    if drafts:
        return own | (submitted & departmental)
    return submitted & (own | departmental)


class HazardQuerySet(models.QuerySet):
    def visible_to(self, user, *, drafts: bool = True) -> "HazardQuerySet":
        """The one place that decides which hazards a user may see: the inspection's 填报人
        sees its hazards (drafts too); otherwise a hazard is seen, once submitted, by its 首办,
        承办 and inspecting departments and by whoever sees its unit.

        Every arm is a column of this table (the `scope_*` copies, see inspections/scope.py),
        so the scope is a BitmapOr of indexes, not a join to inspections and units.
        `drafts=False` leaves drafts out altogether (the ledger, statistics): then no OR is
        needed for the draft rule, and the office's scope is one index condition."""
        if not user.is_authenticated:
            return self.none()
        if user.role == user.Role.UNIT:
            # A unit account sees its own unit's submitted hazards, nothing else; it has no
            # drafts (what it self-reports is registered at once).
            return self.filter(~Q(status=Hazard.Status.DRAFT) & Q(unit_id=user.unit_id))
        return self.filter(hazard_scope_q(user, drafts=drafts))

    def bulk_create(self, objs, *args, **kwargs):
        from ..scope import fill_hazard_scope

        objs = list(objs)
        for hazard in objs:
            fill_hazard_scope(hazard)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        # Moving hazards to another unit or inspection moves their scope with them.
        from ..scope import scope_of_inspection, scope_of_unit

        if "unit" in kwargs or "unit_id" in kwargs:
            kwargs.update(scope_of_unit(kwargs.get("unit", kwargs.get("unit_id"))))
        if "inspection" in kwargs or "inspection_id" in kwargs:
            kwargs.update(
                scope_of_inspection(kwargs.get("inspection", kwargs.get("inspection_id")))
            )
        return super().update(**kwargs)

    def open(self) -> "HazardQuerySet":
        return self.filter(status__in=Hazard.OPEN_STATUSES)

    def overdue(self, today: datetime.date | None = None) -> "HazardQuerySet":
        """逾期 (see `overdue_q`)."""
        return self.filter(overdue_q(today or timezone.localdate()))

    def deadline_clock(self) -> "HazardQuerySet":
        """Hazards whose clock is their `deadline` (the reminders' due-soon/overdue ladder)."""
        return self.filter(deadline_clock_q())


class Hazard(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        REGISTERED = "registered", "已登记"
        ASSIGNED = "assigned", "已交办"
        RECTIFYING = "rectifying", "整改中"
        AWAITING_VERIFICATION = "awaiting_verification", "待复查"
        DISPOSAL = "disposal", "处置中"
        CLOSED = "closed", "已销号"
        REJECTED = "rejected", "不予认定"
        MERGED = "merged", "已合并"
        VOID = "void", "作废"

    STATUS_BADGES = {
        Status.DRAFT: "light",
        Status.REGISTERED: "secondary",
        Status.ASSIGNED: "info",
        Status.RECTIFYING: "primary",
        Status.AWAITING_VERIFICATION: "warning",
        Status.DISPOSAL: "danger",
        Status.CLOSED: "success",
        Status.REJECTED: "dark",
        Status.MERGED: "dark",
        Status.VOID: "dark",
    }

    class Level(models.TextChoices):
        GENERAL = "general", "一般隐患"
        MAJOR = "major", "重大隐患"

    class Type(models.TextChoices):
        FIRE = "fire", "消防"
        ELECTRICAL = "electrical", "用电"
        SPECIAL_EQUIPMENT = "special_equipment", "特种设备"
        HAZCHEM = "hazchem", "危化品"
        CONSTRUCTION = "construction", "建筑施工"
        TRAFFIC = "traffic", "交通"
        MACHINERY = "machinery", "机械"
        OTHER = "other", "其他"

    class Source(models.TextChoices):
        """来源, as hazard ledgers record it."""

        INSPECTION = "inspection", "检查"
        SELF_CHECK = "self_check", "自查"
        SUPERVISION = "supervision", "督查"
        REPORT = "report", "举报"

    class Disposal(models.TextChoices):
        SUSPEND = "suspend", "责令停产整顿"
        CLOSE = "close", "关闭取缔"
        ENFORCEMENT = "enforcement", "移交执法"
        JUDICIAL = "judicial", "移送司法"
        RISK_CONTROL = "risk_control", "风险管控"

    # Still in the loop: the ledger's "open" and the reminder scan.
    OPEN_STATUSES = (
        Status.REGISTERED,
        Status.ASSIGNED,
        Status.RECTIFYING,
        Status.AWAITING_VERIFICATION,
        Status.DISPOSAL,
    )
    # The rectification clock (整改期限) runs once the hazard is handed over for rectification.
    # In 处置中 the disposal's own limit counts instead: see `overdue_q`, the one definition.
    CLOCK_STATUSES = (Status.ASSIGNED, Status.RECTIFYING)
    # Disposals whose time limit is the deadline set with them (整顿/取缔期限).
    DEADLINE_DISPOSALS = (Disposal.SUSPEND, Disposal.CLOSE)
    # Handed to law enforcement or the judiciary: no rectification clock, shown as 已移交.
    HANDED_OVER_DISPOSALS = (Disposal.ENFORCEMENT, Disposal.JUDICIAL)
    ENDED_STATUSES = (Status.CLOSED, Status.REJECTED, Status.MERGED, Status.VOID)

    number = models.CharField("隐患编号", max_length=20, null=True, blank=True, unique=True)
    year = models.PositiveIntegerField("编号年度", null=True, blank=True)
    inspection = models.ForeignKey(
        Inspection, verbose_name="检查记录", on_delete=models.PROTECT, related_name="hazards"
    )
    # Copied from the inspection so the ledger filters without a join.
    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="hazards"
    )
    found_on = models.DateField("发现日期")
    source = models.CharField(
        "来源", max_length=20, choices=Source.choices, default=Source.INSPECTION
    )
    # A hazard received from another system: that system's code (api.ApiClient.code) and its
    # own id for the record, which makes a repeated submission find the first one.
    external_source = models.CharField("外部系统", max_length=40, blank=True)
    external_id = models.CharField("外部编号", max_length=100, blank=True)
    description = models.TextField("隐患描述")
    location = models.CharField("隐患部位", max_length=100, blank=True)
    hazard_type = models.CharField("隐患类别", max_length=30, choices=Type.choices)
    level = models.CharField("隐患等级", max_length=10, choices=Level.choices)
    legal_basis = models.CharField("依据", max_length=300, blank=True)
    # Why the hazard is 重大: the standard and clause (e.g. GB 35181-2017 第5.1.3条) or a
    # stated reason. Required to submit a 重大 hazard (workflow.completeness_errors); a draft
    # may still lack it, as it may lack its level. db_default lets raw inserts omit it.
    major_basis = models.CharField(
        "重大隐患判定依据", max_length=300, blank=True, default="", db_default=""
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name="首办负责部门",
        on_delete=models.PROTECT,
        related_name="led_hazards",
    )
    # 首办负责制: lead_department is the 首办 department, fixed at assignment and never changed
    # by a transfer; a transfer names the 承办 department that handles it from then on. Both
    # see it and are reminded; statistics and bulletins attribute it to the 首办.
    handling_department = models.ForeignKey(
        Department,
        verbose_name="承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_hazards",
    )
    responsible_person = models.CharField("整改责任人", max_length=30, blank=True)
    responsible_phone = models.CharField("责任人电话", max_length=30, blank=True)
    deadline = models.DateField("整改期限", null=True, blank=True)
    # The first deadline ever given; extensions and reopenings never overwrite it.
    original_deadline = models.DateField("原定期限", null=True, blank=True)
    deadline_working_days = models.PositiveSmallIntegerField(
        "期限（工作日）", null=True, blank=True
    )
    rectification_plan = models.TextField("整改方案", blank=True)
    measures = models.TextField("整改措施", blank=True)
    status = models.CharField("状态", max_length=30, choices=Status.choices, default=Status.DRAFT)
    fixed_on_spot = models.BooleanField("立即整改", default=False)
    disposal = models.CharField("处置措施", max_length=20, choices=Disposal.choices, blank=True)
    risk_review_on = models.DateField("风险管控复核日期", null=True, blank=True)
    # An inspector's disposal (停产整顿, 移交执法 …) is a proposal until the office confirms it;
    # the office's own is confirmed as it is recorded.
    disposal_confirmed_at = models.DateTimeField("处置确认时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("复查不合格次数", default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="合并至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    # Escalation ladder: 督办 by the supervision office, 挂牌督办 with a document number.
    escalated_at = models.DateTimeField("督办时间", null=True, blank=True)
    listed_document = models.CharField("挂牌督办文号", max_length=60, blank=True)
    listed_on = models.DateField("挂牌日期", null=True, blank=True)
    # 五落实 for major hazards.
    plan_responsible = models.CharField("治理责任人", max_length=30, blank=True)
    plan_measures = models.TextField("治理措施", blank=True)
    plan_funds = models.DecimalField(
        "治理经费（万元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    plan_deadline = models.DateField("治理时限", null=True, blank=True)
    # 五落实's fifth: the emergency plan (应急预案) while the hazard is not yet eliminated.
    # 验收 is not part of the plan: it is the verification at the end (复查/验收 events).
    plan_emergency = models.TextField("应急预案", blank=True, default="", db_default="")
    reported_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报告整改完成人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_done_at = models.DateTimeField("报告完成时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    # Bumped by every transition; a form posted against an older version is refused.
    version = models.PositiveIntegerField("版本", default=0)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Set by a database trigger on every write and on every new event (units/changes.py).
    change_seq = models.BigIntegerField("变更序号", default=0, editable=False)
    # See Inspection.client_uuid: the hazard as the phone captured it offline.
    client_uuid = models.UUIDField("本机记录标识", null=True, blank=True, editable=False)
    # What visible_to() depends on, copied from the inspection (填报人, 检查部门) and the unit
    # (牵头部门, 属地) so that a scope is a filter on this table alone. Written only by
    # inspections/scope.py, on every write that changes a source (hazard created or moved,
    # inspection or unit edited); migration 0022 filled them for existing rows.
    scope_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    scope_inspection_department = models.ForeignKey(
        Department,
        null=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    scope_unit_department = models.ForeignKey(
        Department,
        null=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    scope_unit_area = models.ForeignKey(
        Area,
        null=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    objects = HazardQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "隐患"
        ordering = ["-found_on", "-id"]
        constraints = [
            # The offline sync's get-or-create (views/offline.py) relies on it; partial, so that
            # SQLite adds it as an index instead of rebuilding the table.
            models.UniqueConstraint(
                fields=["client_uuid"],
                condition=Q(client_uuid__isnull=False),
                name="hazard_client_uuid_unique",
            ),
            models.CheckConstraint(
                name="hazard_status_valid",
                condition=Q(
                    status__in=[
                        "draft",
                        "registered",
                        "assigned",
                        "rectifying",
                        "awaiting_verification",
                        "disposal",
                        "closed",
                        "rejected",
                        "merged",
                        "void",
                    ]
                ),
            ),
            # A draft may be saved before its level is chosen; submission requires one.
            models.CheckConstraint(
                name="hazard_level_valid",
                condition=Q(level__in=["general", "major"]) | Q(status="draft", level=""),
            ),
            models.CheckConstraint(
                name="hazard_deadline_after_found",
                condition=Q(deadline__isnull=True) | Q(deadline__gte=F("found_on")),
                violation_error_message="整改期限不能早于发现日期",
            ),
            models.CheckConstraint(
                name="hazard_numbered_unless_draft",
                condition=Q(status="draft") | Q(number__isnull=False),
            ),
            models.CheckConstraint(
                name="hazard_merged_has_target",
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
            ),
            models.CheckConstraint(
                name="hazard_source_valid",
                condition=Q(source__in=["inspection", "self_check", "supervision", "report"]),
            ),
            # Idempotent creation from another system: one hazard per (system, its id).
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~Q(external_id=""),
                name="hazard_external_id_unique",
                violation_error_message="该外部编号已登记",
            ),
        ]
        indexes = [
            # Ledger "open/overdue of one department by deadline" and the reminder scan.
            models.Index(
                fields=["lead_department", "deadline"],
                name="hazard_open_dept_deadline_idx",
                condition=~Q(status__in=["closed", "void", "rejected", "merged", "draft"]),
            ),
            # overdue_q's deadline branch: the overdue scan over all departments (reminders,
            # 督办, the ledger's 逾期 count, bulletins). Its predicate is deadline_clock_q().
            # The included columns are the scope's and the counted filters': the overdue
            # count of any scope is an index-only scan of one branch (overdue_parts), not a
            # bitmap over 37,000 heap pages (145,000 overdue at 1M hazards: 220 ms → ms).
            models.Index(
                fields=["deadline"],
                name="hazard_clock_deadline_idx",
                condition=Q(status__in=["assigned", "rectifying"])
                | Q(status="disposal", disposal__in=["suspend", "close"]),
                include=OVERDUE_COUNT_INCLUDE,
            ),
            # overdue_q's 风险管控 branch, and the nightly review_risk_controls job.
            models.Index(
                fields=["risk_review_on"],
                name="hazard_risk_review_idx",
                condition=Q(status="disposal", disposal="risk_control"),
                include=OVERDUE_COUNT_INCLUDE,
            ),
            # The home page's 我的待办 counts that are not a status alone (待复查 but not by me,
            # 处置待确认/待销号, 挂牌待验收): index-only scans of the few 待复查 and 处置中 rows,
            # with every column those queues and visible_to() read (benchmarks/PLANS.md,
            # "Round 3: home").
            # Keyed like the 待复查 queue's order, so its first rows are the index's first entries.
            models.Index(
                fields=["status", "deadline", "found_on", "id"],
                name="hazard_queue_idx",
                condition=Q(status__in=["awaiting_verification", "disposal"]),
                include=[
                    "reported_done_by",
                    "disposal",
                    "disposal_confirmed_at",
                    "listed_document",
                    *SCOPE_INCLUDE,
                ],
            ),
            # 待交办 (registered): counted in HazardCount, its oldest rows first from here.
            models.Index(
                fields=["found_on", "id"],
                name="hazard_registered_idx",
                condition=Q(status="registered"),
            ),
            # 督办·挂牌督办 (the supervision office's queue): the escalated and listed hazards.
            models.Index(
                fields=["status"],
                name="hazard_supervised_idx",
                condition=Q(escalated_at__isnull=False) | ~Q(listed_document=""),
                include=["escalated_at", "listed_document", *SCOPE_INCLUDE],
            ),
            # Ledger pages ordered by found date; bulletin period statistics. The included
            # columns are those visible_to() reads: a page's ids, at any depth, are an
            # index-only scan filtered by the scope (page 500 of an inspector: 3.2 s → 0.13 s).
            # The dashboard counts a period's first and last days that do not fill a month
            # from here (level, type, source and deadline included), the whole months from
            # HazardMonthCount.
            models.Index(
                fields=["found_on", "id"],
                include=[
                    "status",
                    "level",
                    "hazard_type",
                    "source",
                    "deadline",
                    "lead_department",
                    "handling_department",
                    "scope_owner",
                    "scope_inspection_department",
                    "scope_unit_department",
                    "scope_unit_area",
                ],
                name="hazard_found_idx",
            ),
            # The dashboard's 销号 of the days that do not fill a month (see hazard_found_idx).
            models.Index(
                fields=["closed_at"],
                name="hazard_closed_idx",
                condition=Q(status="closed"),
                include=["status", "level", "hazard_type", "source", *SCOPE_INCLUDE],
            ),
            # The dashboard's 到期 hazards of whole months whose time limit falls in the month
            # the period ends in (a day the month counts cannot tell apart). Partial, so that
            # only a query bounding the deadline can use it: over every hazard, it was the
            # planner's path for "open major hazards by deadline, first 30" — a walk of all
            # 1,000,000 entries when none matched (the month bulletin's statistics 2.2 → 4.3 s).
            models.Index(
                fields=["deadline"],
                name="hazard_deadline_idx",
                condition=Q(deadline__isnull=False),
                include=["found_on", "status", "level", "hazard_type", "source", *SCOPE_INCLUDE],
            ),
            # Unit page: the unit's hazards; status counts per unit.
            models.Index(fields=["unit", "status"], name="hazard_unit_status_idx"),
            # Ledger status filter, and the counts above the ledger and on the home page as
            # index-only scans: the included columns are those of overdue_q, the level and
            # every column visible_to() filters on, so no role's GROUP BY reads the table
            # (536 MB at 1M hazards; this index 91 MB).
            models.Index(
                fields=["status"],
                include=[
                    "level",
                    "disposal",
                    "deadline",
                    "risk_review_on",
                    "lead_department",
                    "handling_department",
                    "scope_owner",
                    "scope_inspection_department",
                    "scope_unit_department",
                    "scope_unit_area",
                ],
                name="hazard_status_counts_idx",
            ),
            # API incremental sync: /api/v1/hazards/ ordered by (change_seq, id).
            models.Index(fields=["change_seq", "id"], name="hazard_change_idx"),
            # visible_to(): one index per arm of an inspector's scope (lead_department and
            # handling_department have their foreign-key indexes). Not partial on "not a
            # draft": such an index is a cheap path to every submitted row, which the planner
            # then takes instead of the keyword's bigram index.
            models.Index(fields=["scope_owner"], name="hazard_scope_owner_idx"),
            models.Index(fields=["scope_inspection_department"], name="hazard_scope_insp_dept_idx"),
            models.Index(fields=["scope_unit_department"], name="hazard_scope_unit_dept_idx"),
            models.Index(fields=["scope_unit_area"], name="hazard_scope_unit_area_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"草稿隐患#{self.pk}"

    def save(self, *args, **kwargs):
        from ..scope import fill_hazard_scope

        if getattr(self, "_scope_sources", None) != (self.inspection_id, self.unit_id):
            fill_hazard_scope(self)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *SCOPE_FIELDS}
        super().save(*args, **kwargs)
        self._scope_sources = (self.inspection_id, self.unit_id)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Which inspection and unit the stored scope_* were copied from (scope.py).
        instance._scope_sources = (
            instance.__dict__.get("inspection_id"),
            instance.__dict__.get("unit_id"),
        )
        return instance

    def refresh_from_db(self, *args, fields=None, **kwargs):
        super().refresh_from_db(*args, fields=fields, **kwargs)
        if fields is None or {"inspection", "inspection_id", "unit", "unit_id"} & set(fields):
            self._scope_sources = (self.inspection_id, self.unit_id)

    @property
    def status_badge(self) -> str:
        return self.STATUS_BADGES.get(self.status, "secondary")

    @property
    def current_working_days(self) -> int | None:
        """The working days the current deadline was given in; None once an extension or a
        failed verification moved it (the stored count then describes a past deadline)."""
        if self.deadline_working_days and self.deadline == self.original_deadline:
            return self.deadline_working_days
        return None

    @property
    def is_major(self) -> bool:
        return self.level == self.Level.MAJOR

    @staticmethod
    def clock_due_on(
        status: str,
        disposal: str,
        deadline: datetime.date | None,
        risk_review_on: datetime.date | None,
    ) -> datetime.date | None:
        """The day the running clock falls due, None when no clock runs: `overdue_q` in
        Python, for rows read with values() as well as for instances."""
        if status in Hazard.CLOCK_STATUSES:
            return deadline
        if status == Hazard.Status.DISPOSAL:
            if disposal in Hazard.DEADLINE_DISPOSALS:
                return deadline
            if disposal == Hazard.Disposal.RISK_CONTROL:
                return risk_review_on
        return None

    @property
    def due_on(self) -> datetime.date | None:
        return self.clock_due_on(self.status, self.disposal, self.deadline, self.risk_review_on)

    @property
    def handed_over(self) -> bool:
        """移交执法/移送司法: tracked as 已移交, never overdue."""
        return self.status == self.Status.DISPOSAL and self.disposal in self.HANDED_OVER_DISPOSALS

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        due = self.due_on
        return bool(due and due < (today or timezone.localdate()))

    def overdue_days(self, today: datetime.date | None = None) -> int:
        today = today or timezone.localdate()
        if not self.is_overdue(today):
            return 0
        return (today - self.due_on).days


SCOPE_FIELDS = (
    "scope_owner",
    "scope_inspection_department",
    "scope_unit_department",
    "scope_unit_area",
)


def clock_status_q(prefix: str = "") -> Q:
    """已交办/整改中: the rectification clock runs on `deadline` (and the month counts have
    every column this needs)."""
    return Q(**{f"{prefix}status__in": list(Hazard.CLOCK_STATUSES)})


def disposal_deadline_q(prefix: str = "") -> Q:
    """处置中 under 停产整顿 or 关闭取缔: the deadline set with the disposal runs."""
    p = prefix
    return Q(
        **{
            f"{p}status": Hazard.Status.DISPOSAL,
            f"{p}disposal__in": list(Hazard.DEADLINE_DISPOSALS),
        }
    )


def deadline_clock_q(prefix: str = "") -> Q:
    """Hazards whose time limit is `deadline`: 已交办/整改中, and 处置中 under 停产整顿 or
    关闭取缔 (the deadline set with the disposal). The predicate of hazard_clock_deadline_idx."""
    return clock_status_q(prefix) | disposal_deadline_q(prefix)


def risk_clock_q(prefix: str = "") -> Q:
    """处置中 under 风险管控: the time limit is the review date."""
    p = prefix
    return Q(**{f"{p}status": Hazard.Status.DISPOSAL, f"{p}disposal": Hazard.Disposal.RISK_CONTROL})


def overdue_parts(before: datetime.date) -> tuple[Q, Q]:
    """overdue_q's two branches, disjoint (their statuses differ): counted apart, each is an
    index-only scan of its partial index, where their OR is a bitmap scan of the table."""
    return (
        deadline_clock_q() & Q(deadline__lt=before),
        risk_clock_q() & Q(risk_review_on__lt=before),
    )


def overdue_beyond_clock_q(before: datetime.date) -> Q:
    """overdue_q(before) less its 已交办/整改中 part: the few 处置中 hazards past their own limit.
    overdue_q = (clock_status_q() & deadline < before) | this, the two disjoint — the split the
    month counts answer the 已交办/整改中 part of (models/counts.py `overdue_terms`)."""
    return (disposal_deadline_q() & Q(deadline__lt=before)) | (
        risk_clock_q() & Q(risk_review_on__lt=before)
    )


def overdue_q(before: datetime.date, prefix: str = "") -> Q:
    """逾期, the one definition every reader uses (ledger, home, reminders, 督办, bulletins,
    exports): the hazard's running time limit fell before `before` — today for "overdue",
    today − N for "overdue more than N days".

    The rectification clock (`deadline`) runs in 已交办/整改中; in 处置中 the disposal's own
    limit counts: 风险管控 → its review date, 停产整顿/关闭取缔 → the deadline set with it,
    移交执法/移送司法 → no clock (已移交). Nothing else (已登记, 待复查, ended) is ever overdue.
    Two branches, each the predicate and key of a partial index, so PostgreSQL answers it with
    one BitmapOr. `Hazard.clock_due_on` is the same rule in Python."""
    p = prefix
    return (deadline_clock_q(p) & Q(**{f"{p}deadline__lt": before})) | (
        risk_clock_q(p) & Q(**{f"{p}risk_review_on__lt": before})
    )


OVERDUE_DEFINITION = (
    "逾期：已交办、整改中的隐患超过整改期限未整改；处置中的隐患按处置措施自身的期限计算——"
    "风险管控以复核日期为限，责令停产整顿、关闭取缔以处置时确定的期限为限，"
    "移交执法、移送司法的不计整改期限（记为“已移交”）；已登记、待复查及已销号的不计逾期。"
)


class HazardEvent(models.Model):
    """流转记录: append-only; the hazard's history page is this log."""

    class Action(models.TextChoices):
        REGISTER = "register", "登记"
        ASSIGN = "assign", "交办"
        REJECT = "reject", "不予认定"
        MERGE = "merge", "合并重复"
        TRANSFER = "transfer", "转办"
        START = "start", "开始整改"
        REPORT_DONE = "report_done", "报告整改完成"
        VERIFY_OK = "verify_ok", "复查合格"
        VERIFY_FAIL = "verify_fail", "复查不合格"
        CANNOT_RECTIFY = "cannot_rectify", "无法整改转处置"
        DISPOSAL_CONFIRMED = "disposal_confirmed", "确认处置"
        DISPOSAL_RETURNED = "disposal_returned", "退回处置"
        DISPOSAL_DONE = "disposal_done", "处置完毕"
        RISK_REVIEW = "risk_review", "风险管控到期复核"
        FIX_ON_SPOT = "fix_on_spot", "立即整改"
        VOID = "void", "作废"
        REQUEST_EXTENSION = "request_extension", "申请延期"
        APPROVE_EXTENSION = "approve_extension", "批准延期"
        REFUSE_EXTENSION = "refuse_extension", "驳回延期"
        LIST = "list", "挂牌督办"
        ESCALATE = "escalate", "督办"
        # The supervision office's follow-up of an escalated or listed hazard.
        URGE = "urge", "催办"
        INTERVIEW = "interview", "约谈"
        NOTICE = "notice", "督办通知"
        PROPOSE_LISTING = "propose_listing", "建议挂牌"
        PLAN = "plan", "治理方案"
        COMMENT = "comment", "备注"
        IMPORT = "import", "导入"

    hazard = models.ForeignKey(
        Hazard, verbose_name="隐患", on_delete=models.PROTECT, related_name="events"
    )
    # Null for actions the system takes by itself (overdue escalation, risk review).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("时间", default=timezone.now)
    action = models.CharField("操作", max_length=30, choices=Action.choices)
    from_status = models.CharField(
        "原状态", max_length=30, choices=Hazard.Status.choices, blank=True
    )
    to_status = models.CharField("新状态", max_length=30, choices=Hazard.Status.choices, blank=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "隐患流转记录"
        ordering = ["created_at", "id"]
        indexes = [
            # Hazard detail timeline.
            models.Index(fields=["hazard", "created_at"], name="hazardevent_hazard_idx"),
            # "Last action" column in the ledger export and bulletin activity counts.
            models.Index(fields=["action", "created_at"], name="hazardevent_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hazard} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("HazardEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("HazardEvent is append-only")


def photo_upload_to(instance: "HazardPhoto", filename: str) -> str:
    # The name is ours, never the uploader's: photos are re-encoded to JPEG.
    today = timezone.localdate()
    return f"hazards/{today:%Y/%m}/{instance.token}.jpg"


def thumb_upload_to(instance: "HazardPhoto", filename: str) -> str:
    today = timezone.localdate()
    return f"hazards/{today:%Y/%m}/{instance.token}_thumb.jpg"


class HazardPhoto(models.Model):
    class Kind(models.TextChoices):
        BEFORE = "before", "整改前"
        AFTER = "after", "整改后"

    hazard = models.ForeignKey(
        Hazard, verbose_name="隐患", on_delete=models.PROTECT, related_name="photos"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.BEFORE)
    token = models.CharField(max_length=32, unique=True)
    image = models.ImageField("照片", upload_to=photo_upload_to)
    thumbnail = models.ImageField("缩略图", upload_to=thumb_upload_to)
    event = models.ForeignKey(
        HazardEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    # See Inspection.client_uuid: a photo uploaded twice from the phone is stored once.
    client_uuid = models.UUIDField("本机记录标识", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "隐患照片"
        ordering = ["created_at", "id"]
        constraints = [
            # The offline sync's get-or-create (views/offline.py) relies on it; partial, so that
            # SQLite adds it as an index instead of rebuilding the table.
            models.UniqueConstraint(
                fields=["client_uuid"],
                condition=Q(client_uuid__isnull=False),
                name="hazardphoto_client_uuid_unique",
            ),
        ]


class DeadlineExtension(models.Model):
    """延期申请: the office approves or refuses; the original deadline is kept on the hazard."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "已驳回"

    hazard = models.ForeignKey(
        Hazard, verbose_name="隐患", on_delete=models.PROTECT, related_name="extensions"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_deadline = models.DateField("申请延至")
    reason = models.TextField("延期理由")
    status = models.CharField(
        "审批状态", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "延期申请"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["hazard"],
                condition=Q(status="pending"),
                name="extension_one_pending_per_hazard",
                violation_error_message="该隐患已有待审批的延期申请",
            ),
        ]


def attachment_upload_to(instance: "HazardAttachment", filename: str) -> str:
    today = timezone.localdate()
    return f"attachments/{today:%Y/%m}/{instance.token}.pdf"


class HazardAttachment(models.Model):
    """A PDF sent with a rectification report (整改报告, 验收材料, 检测报告), usually by the unit
    itself through the portal. Stored under a random name; served only to who sees the hazard."""

    hazard = models.ForeignKey(
        Hazard, verbose_name="隐患", on_delete=models.PROTECT, related_name="attachments"
    )
    event = models.ForeignKey(
        HazardEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField("文件", upload_to=attachment_upload_to)
    # The uploader's file name, shown (escaped) as the link text; never used as a path.
    name = models.CharField("文件名", max_length=120)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "整改材料"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name
