"""通报: built from the records, signed by a leader, numbered at circulation, immutable once
circulated. Path: 草稿 → 待签发 (office submits) → 已签发 (a leader approves, or returns it to the
office with a remark) → 已印发 (number assigned). Every step is a BulletinEvent."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from units.models import Area, Department

from .campaigns import Campaign


class BulletinQuerySet(models.QuerySet):
    def visible_to(self, user) -> "BulletinQuerySet":
        """Drafts are the office's; leaders also see what is put to them for signing and what
        they signed; circulated bulletins are for every signed-in user."""
        if not user.is_authenticated or user.is_unit_account:
            # A unit reads only the entries that name it (portal), never a whole bulletin.
            return self.none()
        if user.is_office:
            return self
        if user.role == user.Role.LEADER:
            return self.filter(status__in=Bulletin.LEADER_STATUSES)
        return self.filter(status=Bulletin.Status.CIRCULATED)


class Bulletin(models.Model):
    class Kind(models.TextChoices):
        BULLETIN = "bulletin", "通报"
        # 隐患排查治理情况统计分析 per 16号令: a quarter's tables by department, street and
        # category, due by the 15th of the next month (inspections/quarterly.py).
        QUARTERLY = "quarterly", "季报"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿（生成中）"
        READY = "ready", "草稿"
        FAILED = "failed", "生成失败"
        SUBMITTED = "submitted", "待签发"
        APPROVED = "approved", "已签发"
        CIRCULATED = "circulated", "已印发"

    BADGES = {
        Status.DRAFT: "secondary",
        Status.READY: "primary",
        Status.FAILED: "danger",
        Status.SUBMITTED: "warning",
        Status.APPROVED: "info",
        Status.CIRCULATED: "success",
    }
    # What a leader sees: put to them for signing, signed, circulated.
    LEADER_STATUSES = (Status.SUBMITTED, Status.APPROVED, Status.CIRCULATED)
    # The office's wording and the figures can change only here; from 待签发 on the leader
    # signs exactly what is circulated.
    EDITABLE_STATUSES = (Status.DRAFT, Status.READY, Status.FAILED)
    # A built document (PDF, preview) exists.
    BUILT_STATUSES = (Status.READY, Status.SUBMITTED, Status.APPROVED, Status.CIRCULATED)

    kind = models.CharField(
        "类型", max_length=20, choices=Kind.choices, default=Kind.BULLETIN, db_default="bulletin"
    )
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
    due_on = models.DateField("报送期限", null=True, blank=True)
    stats = models.JSONField("统计数据", default=dict, blank=True)
    narrative = models.TextField("正文（可编辑）", blank=True)
    praise_remarks = models.TextField("表扬意见", blank=True)
    criticism_remarks = models.TextField("批评意见", blank=True)
    requirements = models.TextField("下步工作要求", blank=True)
    contact = models.CharField("联系人", max_length=200, blank=True)
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
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="送签人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField("送签时间", null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签发人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField("签发时间", null=True, blank=True)
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
            models.CheckConstraint(
                name="bulletin_status_valid",
                condition=Q(
                    status__in=["draft", "ready", "failed", "submitted", "approved", "circulated"]
                ),
            ),
            # Bulletins circulated before signing existed have no signer; from then on the
            # database refuses an approved bulletin without one.
            models.CheckConstraint(
                name="bulletin_approved_signed",
                condition=~Q(status="approved")
                | Q(signed_by__isnull=False, signed_at__isnull=False),
            ),
            models.CheckConstraint(
                name="bulletin_submitted_has_submitter",
                condition=~Q(status="submitted") | Q(submitted_by__isnull=False),
            ),
            models.CheckConstraint(
                name="bulletin_kind_valid", condition=Q(kind__in=["bulletin", "quarterly"])
            ),
            # A 季报 covers the whole district and has its 报送期限.
            models.CheckConstraint(
                name="bulletin_quarterly_district_due",
                condition=~Q(kind="quarterly")
                | Q(due_on__isnull=False, campaign__isnull=True, area__isnull=True),
            ),
            # One 季报 per quarter (a correction supersedes it): the beat's auto-draft running
            # twice, or beside the office's own, is refused here, not by a check in Python.
            models.UniqueConstraint(
                fields=["period_start"],
                condition=Q(kind="quarterly", supersedes__isnull=True),
                name="bulletin_one_quarterly_per_quarter",
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

    @property
    def badge(self) -> str:
        return self.BADGES.get(self.status, "secondary")

    @property
    def is_built(self) -> bool:
        return self.status in self.BUILT_STATUSES

    @property
    def is_quarterly(self) -> bool:
        return self.kind == self.Kind.QUARTERLY


class BulletinEvent(models.Model):
    """The draft's history: who submitted, signed, returned (with the remark), circulated,
    edited; append-only."""

    class Action(models.TextChoices):
        CREATE = "create", "新建"
        EDIT = "edit", "修改文字"
        REGENERATE = "regenerate", "重新生成"
        SUBMIT = "submit", "送签"
        WITHDRAW = "withdraw", "撤回送签"
        APPROVE = "approve", "签发"
        RETURN = "return", "退回修改"
        CIRCULATE = "circulate", "印发"
        ADJUST = "adjust", "调整名单"

    bulletin = models.ForeignKey(
        Bulletin, verbose_name="通报", on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "通报流转记录"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="bulletinevent_action_valid",
                condition=Q(
                    action__in=[
                        "create",
                        "edit",
                        "regenerate",
                        "submit",
                        "withdraw",
                        "approve",
                        "return",
                        "circulate",
                        "adjust",
                    ]
                ),
            ),
            # A leader's return must say what to change.
            models.CheckConstraint(
                name="bulletinevent_return_has_remark",
                condition=~Q(action="return") | ~Q(note=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"


class BulletinAdjustment(models.Model):
    """The office strikes a computed entry of the praise, criticism or veto list, or adds one,
    before circulation, always with a reason. The figures are not touched: the rules' lists stay
    in the statistics snapshot, and the printed lists are those lists with these applied
    (inspections.bulletins.effective_lists). A mistaken adjustment is revoked, not deleted."""

    class Section(models.TextChoices):
        PRAISE = "praise", "表扬"
        CRITICISE = "criticise", "通报批评"
        VETO = "veto", "一票否决"

    class Action(models.TextChoices):
        STRIKE = "strike", "划去"
        ADD = "add", "增加"

    bulletin = models.ForeignKey(
        Bulletin, verbose_name="通报", on_delete=models.PROTECT, related_name="adjustments"
    )
    section = models.CharField("名单", max_length=20, choices=Section.choices)
    action = models.CharField("调整", max_length=10, choices=Action.choices)
    department = models.ForeignKey(
        Department, verbose_name="部门/街道", on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField("通报事由", blank=True)
    reason = models.TextField("调整理由")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "通报名单调整"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="bulletinadjustment_section_valid",
                condition=Q(section__in=["praise", "criticise", "veto"]),
            ),
            models.CheckConstraint(
                name="bulletinadjustment_action_valid", condition=Q(action__in=["strike", "add"])
            ),
            models.CheckConstraint(name="bulletinadjustment_has_reason", condition=~Q(reason="")),
            # An added entry says what it is for; that text is printed in the bulletin.
            models.CheckConstraint(
                name="bulletinadjustment_add_has_text", condition=~Q(action="add") | ~Q(text="")
            ),
            # One live adjustment per department and list: striking twice or adding twice is
            # refused by the database, whatever two browser tabs do.
            models.UniqueConstraint(
                fields=["bulletin", "section", "department"],
                condition=Q(revoked_at__isnull=True),
                name="bulletinadjustment_one_live_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}{self.get_section_display()}：{self.department.name}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


DEFAULT_REQUIREMENTS = "\n".join(
    [
        "一是压实整改责任。对逾期隐患逐项落实责任、措施、资金、时限、预案“五落实”，"
        "整改完成后及时复查销号，重大隐患整改完成后报区安委办验收。",
        "二是提高检查质量。检查要说具体、讲明白，杜绝走过场、流于形式，"
        "对重点行业领域做到检查全覆盖。",
        "三是严格执法问责。对拒不整改或整改不力的单位，依法责令停产整顿、关闭取缔；"
        "对履职不力的部门和人员严肃追责问责。",
    ]
)


class BulletinDefaults(models.Model):
    """The office's standing wording: each new bulletin starts from it (下步工作要求, 联系人)
    and is then edited on its own; changing it changes no bulletin already drafted.
    One row (pk=1), created on first read."""

    requirements = models.TextField("下步工作要求（默认）", default=DEFAULT_REQUIREMENTS)
    contact = models.CharField(
        "联系人（默认）",
        max_length=200,
        blank=True,
        help_text="如：联系人：王某某，电话：024-00000000",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "通报默认内容"
        constraints = [
            models.CheckConstraint(name="bulletindefaults_single_row", condition=Q(pk=1)),
        ]

    def __str__(self) -> str:
        return "通报默认内容"

    @classmethod
    def current(cls) -> "BulletinDefaults":
        defaults, _ = cls.objects.get_or_create(
            pk=1, defaults={"contact": settings.BULLETIN_CONTACT}
        )
        return defaults
