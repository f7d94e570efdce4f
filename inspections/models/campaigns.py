"""Campaigns (专项检查) and the inspections done in them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from units.models import Area, Category, Department, Unit
from units.search import InArray

from .voiding import Voidable


class Campaign(Voidable):
    """专项检查/大排查, e.g. 中秋国庆节前安全生产大检查."""

    name = models.CharField("名称", max_length=100)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    categories = models.ManyToManyField(
        Category, verbose_name="目标行业/场所", blank=True, through="CampaignCategory"
    )
    areas = models.ManyToManyField(
        Area, verbose_name="目标街道", blank=True, help_text="不选表示全区", through="CampaignArea"
    )
    description = models.TextField("工作要求", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "专项检查"
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                name="campaign_end_after_start",
                condition=Q(end_date__gte=F("start_date")),
                violation_error_message="结束日期不能早于开始日期",
            ),
            models.CheckConstraint(
                name="campaign_void_has_reason",
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                violation_error_message="作废须说明原因",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user, *, filtered: bool = False) -> "InspectionQuerySet":
        """The one place that decides which inspections a user may see.

        Every arm of the OR is an index condition on this table (ids and unit ids as arrays,
        not EXISTS or IN subplans), so PostgreSQL answers an inspector's scope with one
        BitmapOr instead of a sequential scan of every inspection (2.3 s at 300,000).
        `filtered=True` when another condition picks the rows (the dashboard's date range) and
        the scope only filters them: the id lists are then IN subplans, which PostgreSQL hashes
        and probes per row, where an array is searched from end to end for every row (an
        inspector on 27,276 inspections, a month's 1,643 inspections: 200 ms)."""
        if not user.is_authenticated or user.role == user.Role.UNIT:
            # A unit sees its hazards in the portal, never the inspection records behind them.
            return self.none()

        def among(field: str, queryset) -> Q:
            return Q(**{f"{field}__in": queryset}) if filtered else InArray(field, queryset)

        mine = Q(created_by=user) | among(
            "pk",
            Inspection.inspectors.through.objects.filter(user_id=user.pk)
            .order_by()
            .values("inspection_id"),
        )
        # Submitted or voided: a voided record stays readable (with who voided it and why).
        shown = ~Q(status=Inspection.Status.DRAFT)
        if user.sees_everything:
            # Other people's drafts are private until submitted.
            return self.filter(shown | mine)
        department = user.department
        if department is None:
            return self.filter(mine)
        units = among("unit_id", Unit.objects.visible_to(user).order_by().values("pk"))
        departmental = Q(department=department) | units
        return self.filter(mine | (shown & departmental))


class Inspection(Voidable):
    """检查记录: who inspected which unit, when, and what was found."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", "日常检查"
        SPECIAL = "special", "专项检查"
        JOINT = "joint", "联合检查"
        REINSPECTION = "reinspection", "复查"
        # Not an inspection by the district's staff: the record that carries a unit's own
        # self-inspection (企业自查) or a report received from another system (e.g. 12345).
        SELF = "self", "企业自查"
        EXTERNAL = "external", "外部报送"
        # The carrier of hazards brought in from an office's old Excel ledger.
        HISTORY = "history", "历史导入"

    # Kinds done by inspectors: what inspection counts and coverage in statistics mean.
    NOT_BY_INSPECTORS = (Kind.SELF, Kind.EXTERNAL, Kind.HISTORY)

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        # 作废 (office only, with a reason): out of every count, its hazards voided with it.
        # Filters on status=SUBMITTED (statistics, coverage, the API) leave it out as they stand.
        VOID = "void", "已作废"

    unit = models.ForeignKey(
        Unit, verbose_name="被检查单位", on_delete=models.PROTECT, related_name="inspections"
    )
    department = models.ForeignKey(
        Department, verbose_name="检查部门", on_delete=models.PROTECT, related_name="inspections"
    )
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name="检查人员",
        related_name="inspections",
        through="InspectionInspector",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填报人",
        on_delete=models.PROTECT,
        related_name="created_inspections",
    )
    date = models.DateField("检查日期")
    kind = models.CharField("检查类型", max_length=20, choices=Kind.choices, default=Kind.ROUTINE)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="专项检查",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    checked_items = models.TextField("检查内容", blank=True, help_text="检查了哪些部位、项目")
    summary = models.TextField("检查情况", blank=True)
    no_hazards = models.BooleanField("未发现隐患", default=False)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Set by a database trigger on every write (units/changes.py); never by Python.
    change_seq = models.BigIntegerField("变更序号", default=0, editable=False)
    # Made by the phone that captured the record offline: a retried or doubled upload finds the
    # record it already created instead of making a second one (views/offline.py).
    client_uuid = models.UUIDField("本机记录标识", null=True, blank=True, editable=False)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "检查记录"
        ordering = ["-date", "-id"]
        constraints = [
            # The offline sync's get-or-create (views/offline.py) relies on it; partial, so that
            # SQLite adds it as an index instead of rebuilding the table.
            models.UniqueConstraint(
                fields=["client_uuid"],
                condition=Q(client_uuid__isnull=False),
                name="inspection_client_uuid_unique",
            ),
            models.CheckConstraint(
                name="inspection_status_valid",
                condition=Q(status__in=["draft", "submitted", "void"]),
            ),
            # Voided exactly when it has who, when and why.
            models.CheckConstraint(
                name="inspection_void_has_reason",
                condition=(Q(status="void") & Q(voided_at__isnull=False) & ~Q(void_reason=""))
                | (~Q(status="void") & Q(voided_at__isnull=True)),
                violation_error_message="作废须说明原因",
            ),
            models.CheckConstraint(
                name="inspection_submitted_has_time",
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
            ),
        ]
        indexes = [
            # The home page's draft counts (登记检查 card, 我的检查草稿): the few drafts, not the
            # inspector's tens of thousands of submitted inspections (17 + 63 ms at 300,000).
            models.Index(
                fields=["created_by"], name="inspection_draft_idx", condition=Q(status="draft")
            ),
            # A unit's inspection history (unit page, accident 责任倒查, coverage).
            models.Index(fields=["unit", "date"], name="inspection_unit_date_idx"),
            # Campaign coverage and period statistics in bulletins.
            models.Index(fields=["date", "id"], name="inspection_date_idx"),
            models.Index(fields=["campaign", "unit"], name="inspection_campaign_unit_idx"),
            # API incremental sync: /api/v1/inspections/ ordered by (change_seq, id).
            models.Index(fields=["change_seq", "id"], name="inspection_change_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.date:%Y-%m-%d} {self.get_kind_display()}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_void(self) -> bool:
        return self.status == self.Status.VOID

    @property
    def status_badge(self) -> str:
        return {
            self.Status.DRAFT: "text-bg-light border",
            self.Status.SUBMITTED: "text-bg-success",
        }.get(self.status, "text-bg-dark")


# The many-to-many links above, as explicit models on the tables Django had created for them:
# each link added or removed is recorded by the audit's triggers (audit/tracking.py), which
# PostgreSQL cannot install on an implicit through table.


class CampaignCategory(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, verbose_name="目标行业/场所", on_delete=models.CASCADE)

    class Meta:
        db_table = "inspections_campaign_categories"
        unique_together = [("campaign", "category")]


class CampaignArea(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE)
    area = models.ForeignKey(Area, verbose_name="目标街道", on_delete=models.CASCADE)

    class Meta:
        db_table = "inspections_campaign_areas"
        unique_together = [("campaign", "area")]


class InspectionInspector(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="检查人员", on_delete=models.CASCADE
    )

    class Meta:
        db_table = "inspections_inspection_inspectors"
        unique_together = [("inspection", "user")]
