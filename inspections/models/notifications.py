"""Reminders (one row per hazard, kind and day) and the per-user daily digest built from them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .hazards import Hazard


class Reminder(models.Model):
    """A reminder the daily scan decided on. The unique constraint, not the broker, makes
    a rerun, a second beat or a retried task a no-op."""

    class Kind(models.TextChoices):
        DUE_IN_3_DAYS = "due_3d", "3天内到期"
        DUE_TOMORROW = "due_1d", "明天到期"
        OVERDUE = "overdue", "已逾期"
        ESCALATE = "escalate", "逾期督办"

    hazard = models.ForeignKey(
        Hazard, verbose_name="隐患", on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    day = models.DateField("日期")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["hazard", "kind", "day"], name="reminder_once_per_hazard_kind_day"
            ),
            models.CheckConstraint(
                name="reminder_kind_valid",
                condition=Q(kind__in=["due_3d", "due_1d", "overdue", "escalate"]),
            ),
        ]
        indexes = [
            # Digest building: all reminders of one day.
            models.Index(fields=["day", "kind"], name="reminder_day_kind_idx"),
        ]


class ReminderRun(models.Model):
    """How far the daily run of one day got. Its row is also the day's lock: a scan and a
    digest build of the same day take turns on it, so a build never marks as digested a
    reminder row that a concurrent scan committed after the build had read the day.

    The sweeper (inspections.reminders.sweep) reads it: a day scanned but not digested had its
    worker killed or its broker lost in between, and is finished from here."""

    day = models.DateField("日期", unique=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    scanned_at = models.DateTimeField("扫描完成", null=True, blank=True)
    # Null while some of the day's reminder rows are in no digest yet.
    digested_at = models.DateTimeField("汇总完成", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "每日提醒运行"
        indexes = [
            # The sweeper: days whose digests are not built yet.
            models.Index(
                fields=["day"], name="reminderrun_undigested_idx", condition=Q(digested_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class Notification(models.Model):
    """In-app notification; one reminder digest per user per day, and one per hazard event
    (inspections.notify) for each user it concerns."""

    class Kind(models.TextChoices):
        DIGEST = "digest", "每日提醒"
        BULLETIN = "bulletin", "通报"
        EXPORT = "export", "导出完成"
        IMPORT = "import", "导入结果"
        # Hazard events (inspections.notify.hazard_event).
        HAZARD_NEW = "hazard_new", "新隐患"
        ASSIGNED = "assigned", "交办"
        REPORTED_DONE = "reported_done", "待复查"
        VERIFY_FAILED = "verify_failed", "复查不合格"
        EXTENSION_REQUESTED = "extension_requested", "延期申请"
        EXTENSION_DECIDED = "extension_decided", "延期审批"
        ESCALATED = "escalated", "督办"
        LISTED = "listed", "挂牌督办"
        TRANSFERRED = "transferred", "转办"
        URGED = "urged", "催办"
        INTERVIEWED = "interviewed", "约谈"
        NOTICE = "notice", "督办通知"
        LISTING_PROPOSED = "listing_proposed", "建议挂牌"
        FATAL_ACCIDENT = "fatal_accident", "亡人事故"
        DISPOSAL_PROPOSED = "disposal_proposed", "处置待确认"
        DISPOSAL_DECIDED = "disposal_decided", "处置确认结果"

    EVENT_KINDS = (
        Kind.HAZARD_NEW,
        Kind.ASSIGNED,
        Kind.REPORTED_DONE,
        Kind.VERIFY_FAILED,
        Kind.EXTENSION_REQUESTED,
        Kind.EXTENSION_DECIDED,
        Kind.ESCALATED,
        Kind.LISTED,
        Kind.TRANSFERRED,
        Kind.URGED,
        Kind.INTERVIEWED,
        Kind.NOTICE,
        Kind.LISTING_PROPOSED,
        Kind.DISPOSAL_PROPOSED,
        Kind.DISPOSAL_DECIDED,
    )
    # Mailed at once and never muted; every other event kind waits for the next digest mail.
    URGENT_KINDS = frozenset(
        {Kind.ESCALATED, Kind.LISTED, Kind.URGED, Kind.NOTICE, Kind.FATAL_ACCIDENT}
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    day = models.DateField("日期")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    # Digest content grouped by reminder kind: {kind: [{"id":…, "number":…, …}, …]}.
    payload = models.JSONField("详情", default=dict, blank=True)
    # The hazard an event notification is about (its link); null for digests and the rest.
    hazard = models.ForeignKey(
        Hazard,
        verbose_name="隐患",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    urgent = models.BooleanField("紧急", default=False)
    # The digest whose mail carries this (non-urgent) event notification.
    digest = models.ForeignKey(
        "self",
        verbose_name="并入汇总",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="folded_events",
    )
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    # A sender's claim on the digest's mail: set and committed before the mail is handed to
    # SMTP, so a second sender leaves it alone; a claim older than TASK_LEASE_SECONDS
    # belongs to a worker that died mid-send and may be taken over.
    email_claimed_at = models.DateTimeField("邮件认领时间", null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField("邮件尝试次数", default=0)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"],
                condition=Q(kind="digest"),
                name="notification_one_digest_per_user_day",
            ),
        ]
        indexes = [
            # Unread badge in the navigation on every page.
            models.Index(
                fields=["user"], name="notification_unread_idx", condition=Q(read_at__isnull=True)
            ),
            models.Index(fields=["user", "created_at"], name="notification_user_idx"),
            # The sweeper: digests whose mail is not sent yet, by day.
            models.Index(
                fields=["day"],
                name="notification_unsent_digest_idx",
                condition=Q(kind="digest", emailed_at=None),
            ),
            # Digest building: event notifications not yet folded into a digest mail.
            models.Index(
                fields=["user"],
                name="notification_unfolded_idx",
                condition=Q(digest=None, urgent=False, hazard__isnull=False),
            ),
            # The sweeper: urgent event mails not sent yet.
            models.Index(
                fields=["created_at"],
                name="notification_unsent_urgent_idx",
                condition=Q(urgent=True, emailed_at=None),
            ),
            # Hazard detail and tests: who was told about a hazard.
            models.Index(fields=["hazard", "kind"], name="notification_hazard_idx"),
        ]


class MutedKind(models.Model):
    """A kind of event notification a user chose not to receive (urgent kinds cannot be)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="muted_kinds",
    )
    kind = models.CharField("类型", max_length=30, choices=Notification.Kind.choices)

    class Meta:
        verbose_name = verbose_name_plural = "已关闭的通知类型"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="muted_kind_once_per_user"),
        ]
