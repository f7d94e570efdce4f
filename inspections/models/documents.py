"""Documents handed over on site: 隐患整改通知书, 复查意见书 and the 检查记录, each an A4 PDF
with its own number and a QR code that anyone can check at /v/<token>/ (inspections/documents).

A document is immutable once issued: its content is the snapshot taken at issue, its PDF the
file rendered from that snapshot (and hashed). A correction is a new document with a new number
that supersedes the old one; the office may void one, and may revoke its verification link.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from units.models import Department, Unit

from .campaigns import Inspection
from .hazards import Hazard


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DocumentQuerySet":
        """Who sees a document: whoever sees its unit, and the issuing department."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        scope = Q(unit__in=Unit.objects.visible_to(user).values("pk"))
        if user.department_id:
            scope |= Q(department_id=user.department_id)
        return self.filter(scope)


class Document(models.Model):
    class Kind(models.TextChoices):
        NOTICE = "notice", "隐患整改通知书"
        REVIEW = "review", "复查意见书"
        RECORD = "record", "安全生产检查记录"

    class Status(models.TextChoices):
        ISSUED = "issued", "有效"
        SUPERSEDED = "superseded", "已被替代"
        VOID = "void", "已作废"

    STATUS_BADGES = {Status.ISSUED: "success", Status.SUPERSEDED: "warning", Status.VOID: "dark"}

    # Fields that may still change after issue: the document's standing, never its content.
    MUTABLE_FIELDS = frozenset(
        {"status", "voided_at", "voided_by", "void_reason", "token_revoked_at", "pdf", "sha256"}
    )

    kind = models.CharField("文书类型", max_length=10, choices=Kind.choices)
    number = models.CharField("文书编号", max_length=60, unique=True)
    department = models.ForeignKey(
        Department, verbose_name="出具部门", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveIntegerField("年度")
    seq = models.PositiveIntegerField("序号")
    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="documents"
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name="检查记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    hazards = models.ManyToManyField(Hazard, verbose_name="隐患", related_name="documents")
    issued_on = models.DateField("出具日期")
    issued_at = models.DateTimeField("出具时间", auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="出具人", on_delete=models.PROTECT, related_name="+"
    )
    # Everything the PDF shows, as it stood at issue: a later edit of the unit or the hazard
    # never changes a document already handed over.
    content = models.JSONField("内容", default=dict)
    # The random half of the verification token (the URL carries it signed, tokens.py).
    token_key = models.CharField(max_length=32, unique=True)
    token_revoked_at = models.DateTimeField("验证链接撤销时间", null=True, blank=True)
    pdf = models.FileField("PDF", upload_to="documents/%Y/", blank=True)
    sha256 = models.CharField("PDF SHA-256", max_length=64, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.ISSUED)
    supersedes = models.OneToOneField(
        "self",
        verbose_name="替代",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作废人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    void_reason = models.CharField("作废理由", max_length=200, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "现场文书"
        ordering = ["-issued_at", "-id"]
        constraints = [
            # The number series: gap-free per department, kind and year (YearSequence decides).
            models.UniqueConstraint(
                fields=["department", "kind", "year", "seq"], name="document_number_unique"
            ),
            models.CheckConstraint(
                name="document_kind_valid", condition=Q(kind__in=["notice", "review", "record"])
            ),
            models.CheckConstraint(
                name="document_status_valid",
                condition=Q(status__in=["issued", "superseded", "void"]),
            ),
            models.CheckConstraint(
                name="document_void_has_reason",
                condition=~Q(status="void") | ~Q(void_reason=""),
            ),
        ]
        indexes = [
            # The inspection page's list of its documents.
            models.Index(fields=["inspection", "kind"], name="document_inspection_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.MUTABLE_FIELDS:
                raise ValueError("An issued document is immutable; supersede it instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An issued document is never deleted; void it instead")

    @property
    def status_badge(self) -> str:
        return self.STATUS_BADGES.get(self.status, "secondary")

    @property
    def title(self) -> str:
        return self.get_kind_display()


class DocumentPrefix(models.Model):
    """文号 prefixes of one department (e.g. 铁消改 → 铁消改〔2026〕3号), kept by the office.

    A department without a row numbers with the default (numbering.default_prefix)."""

    department = models.OneToOneField(
        Department, verbose_name="部门", on_delete=models.PROTECT, related_name="+"
    )
    notice_prefix = models.CharField("整改通知书文号前缀", max_length=20)
    review_prefix = models.CharField("复查意见书文号前缀", max_length=20)
    record_prefix = models.CharField("检查记录文号前缀", max_length=20)

    class Meta:
        verbose_name = verbose_name_plural = "文书编号前缀"

    def __str__(self) -> str:
        return f"{self.department}：{self.notice_prefix} / {self.review_prefix}"

    def for_kind(self, kind: str) -> str:
        return {
            Document.Kind.NOTICE: self.notice_prefix,
            Document.Kind.REVIEW: self.review_prefix,
            Document.Kind.RECORD: self.record_prefix,
        }[kind]
