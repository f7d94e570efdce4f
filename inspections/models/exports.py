"""Large ledger exports, written by a worker and downloaded by the user who asked."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ExportJob(models.Model):
    """One asynchronous 台账 export. Its row is the progress record, so the web process and
    the worker see the same progress without a shared cache."""

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    # The ledger's GET parameters as lists ({"status": ["overdue"], …}); the worker re-applies
    # them with the user's scope at run time.
    params = models.JSONField("筛选条件", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField("总行数", default=0)
    done = models.PositiveIntegerField("已写行数", default=0)
    # Its name in the media storage (MEDIA_ROOT or the bucket), exports/YYYY/MM/….
    file = models.CharField("文件", max_length=200, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    # Set when a worker claims the job and at every chunk written: a running job whose
    # heartbeat stops belongs to a dead worker, and the sweeper hands it to another.
    heartbeat_at = models.DateTimeField("最近进度时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "台账导出"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="exportjob_status_valid",
                condition=Q(status__in=["pending", "running", "done", "failed"]),
            ),
        ]
        indexes = [
            # The sweeper: jobs not finished yet.
            models.Index(
                fields=["created_at"],
                name="exportjob_unfinished_idx",
                condition=Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"台账导出#{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
