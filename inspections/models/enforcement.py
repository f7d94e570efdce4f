"""Enforcement actions (四个一律) and accidents."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from units.models import Department, Unit

from .campaigns import Inspection
from .voiding import Voidable


class EnforcementActionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "EnforcementActionQuerySet":
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        return self.filter(unit__in=Unit.objects.visible_to(user).values("pk"))


class EnforcementAction(Voidable):
    """执法措施: 责令停产整顿, 关闭取缔, 罚款, 移送司法."""

    class Kind(models.TextChoices):
        SUSPEND = "suspend", "责令停产整顿"
        CLOSE = "close", "关闭取缔"
        FINE = "fine", "罚款"
        JUDICIAL = "judicial", "移送司法"
        # Not one of the 四个一律: the record that lifts a 停产整顿 after it was accepted.
        RESUME = "resume", "验收合格，恢复生产"

    # The 四个一律 counted in bulletins and on the dashboard.
    PENALTY_KINDS = (Kind.SUSPEND, Kind.CLOSE, Kind.FINE, Kind.JUDICIAL)

    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="enforcement_actions"
    )
    kind = models.CharField("措施", max_length=20, choices=Kind.choices)
    decided_on = models.DateField("决定日期")
    document_number = models.CharField("文书编号", max_length=60, blank=True)
    fine_amount = models.DecimalField(
        "罚款金额（元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    department = models.ForeignKey(Department, verbose_name="执法部门", on_delete=models.PROTECT)
    inspection = models.ForeignKey(
        Inspection, verbose_name="依据检查", null=True, blank=True, on_delete=models.PROTECT
    )
    hazards = models.ManyToManyField(
        "inspections.Hazard",
        verbose_name="相关隐患",
        blank=True,
        related_name="enforcement_actions",
        through="EnforcementActionHazard",
    )
    note = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = EnforcementActionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "执法措施"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="enforcement_kind_valid",
                condition=Q(kind__in=["suspend", "close", "fine", "judicial", "resume"]),
            ),
            models.CheckConstraint(
                name="enforcement_fine_has_amount",
                condition=~Q(kind="fine") | Q(fine_amount__gt=0),
                violation_error_message="罚款必须填写大于0的金额",
            ),
            models.CheckConstraint(
                name="enforcement_void_has_reason",
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
            ),
        ]
        indexes = [
            # Unit page history and period statistics.
            models.Index(fields=["unit", "decided_on"], name="enforcement_unit_date_idx"),
            models.Index(fields=["decided_on"], name="enforcement_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class EnforcementActionHazard(models.Model):
    """EnforcementAction.hazards as an explicit model (audited links; see campaigns.py)."""

    enforcementaction = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE)
    hazard = models.ForeignKey(
        "inspections.Hazard", verbose_name="相关隐患", on_delete=models.CASCADE
    )

    class Meta:
        db_table = "inspections_enforcementaction_hazards"
        unique_together = [("enforcementaction", "hazard")]


class AccidentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AccidentQuerySet":
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        return self.filter(unit__in=Unit.objects.visible_to(user).values("pk"))


class Accident(Voidable):
    """事故."""

    class Kind(models.TextChoices):
        FIRE = "fire", "火灾"
        MACHINERY = "machinery", "机械伤害"
        ELEVATOR = "elevator", "电梯"
        TRAFFIC = "traffic", "交通"
        COLLAPSE = "collapse", "坍塌"
        FALL = "fall", "高处坠落"
        ELECTRIC = "electric", "触电"
        POISONING = "poisoning", "中毒窒息"
        EXPLOSION = "explosion", "爆炸"
        OTHER = "other", "其他"

    unit = models.ForeignKey(
        Unit,
        verbose_name="单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accidents",
    )
    area = models.ForeignKey("units.Area", verbose_name="属地（街道）", on_delete=models.PROTECT)
    occurred_on = models.DateField("发生日期")
    kind = models.CharField("事故类型", max_length=20, choices=Kind.choices)
    # 生产安全事故 are those of production and business activity (《生产安全事故报告和调查处理
    # 条例》); a fire in a home is a 火灾 but not one. Bulletins count the two separately.
    production = models.BooleanField(
        "生产安全事故",
        default=True,
        help_text="生产经营活动中发生的事故；居民住宅火灾等非生产经营活动的事故不勾选",
    )
    deaths = models.PositiveIntegerField("死亡人数", default=0)
    injuries = models.PositiveIntegerField("受伤人数", default=0)
    direct_loss = models.DecimalField(
        "直接经济损失（万元）", max_digits=12, decimal_places=2, default=0
    )
    description = models.TextField("事故经过")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = AccidentQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "事故"
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="accident_void_has_reason",
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
            ),
        ]
        indexes = [
            # Period and year-to-date statistics in bulletins.
            models.Index(fields=["occurred_on"], name="accident_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.get_kind_display()}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None
