"""通报: built from the records, numbered at circulation, immutable once circulated."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from units.models import Area

from .campaigns import Campaign


class BulletinQuerySet(models.QuerySet):
    def visible_to(self, user) -> "BulletinQuerySet":
        """Drafts are the office's; circulated bulletins are for every signed-in user."""
        if not user.is_authenticated:
            return self.none()
        if user.is_office:
            return self
        return self.filter(status=Bulletin.Status.CIRCULATED)


class Bulletin(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿（生成中）"
        READY = "ready", "待印发"
        FAILED = "failed", "生成失败"
        CIRCULATED = "circulated", "已印发"

    number = models.CharField("文号", max_length=40, null=True, blank=True, unique=True)
    year = models.PositiveIntegerField("文号年度", null=True, blank=True)
    seq = models.PositiveIntegerField("文号序号", null=True, blank=True)
    title = models.CharField("标题", max_length=200)
    period_start = models.DateField("统计开始日期")
    period_end = models.DateField("统计结束日期")
    campaign = models.ForeignKey(
        Campaign, verbose_name="专项检查", null=True, blank=True, on_delete=models.PROTECT
    )
    area = models.ForeignKey(
        Area, verbose_name="街道", null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    stats = models.JSONField("统计数据", default=dict, blank=True)
    narrative = models.TextField("正文（可编辑）", blank=True)
    praise_remarks = models.TextField("表扬意见", blank=True)
    criticism_remarks = models.TextField("批评意见", blank=True)
    requirements = models.TextField("下步工作要求", blank=True)
    pdf = models.FileField("PDF", upload_to="bulletins/", blank=True)
    attachment = models.FileField("附件（xlsx）", upload_to="bulletins/", blank=True)
    error = models.TextField("错误信息", blank=True)
    supersedes = models.ForeignKey(
        "self",
        verbose_name="更正/替代",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    generated_at = models.DateTimeField("生成时间", null=True, blank=True)
    circulated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="印发人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    circulated_at = models.DateTimeField("印发时间", null=True, blank=True)
    # Set by a database trigger on every write (units/changes.py); never by Python.
    change_seq = models.BigIntegerField("变更序号", default=0, editable=False)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "通报"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "seq"], name="bulletin_number_unique"),
            models.CheckConstraint(
                name="bulletin_period_valid",
                condition=Q(period_end__gte=F("period_start")),
                violation_error_message="结束日期不能早于开始日期",
            ),
            models.CheckConstraint(
                name="bulletin_circulated_numbered",
                condition=~Q(status="circulated") | Q(number__isnull=False),
            ),
        ]
        indexes = [
            # Leader home page: latest circulated bulletins.
            models.Index(
                fields=["-circulated_at"],
                name="bulletin_circulated_idx",
                condition=Q(status="circulated"),
            ),
            # API incremental sync: /api/v1/bulletins/ ordered by (change_seq, id).
            models.Index(
                fields=["change_seq", "id"],
                name="bulletin_change_idx",
                condition=Q(status="circulated"),
            ),
        ]

    def __str__(self) -> str:
        return self.number or self.title
