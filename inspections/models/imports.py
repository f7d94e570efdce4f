"""Large Excel imports, run by a worker; the row is the progress record the page polls."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ImportJobQuerySet":
        """A job (its file name, its errors) is its importer's own."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class ImportJob(models.Model):
    """One confirmed import too large to run inside the request. The uploaded file waits in
    the media storage (imports/jobs/) until the worker has imported it (or found it no longer valid)."""

    class Kind(models.TextChoices):
        HAZARDS = "hazards", "隐患台账"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "导入中"
        DONE = "done", "已完成"
        FAILED = "failed", "未导入"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.HAZARDS)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    filename = models.CharField("文件名", max_length=200)
    # Its name in the media storage; emptied once the file is deleted.
    file = models.CharField("文件", max_length=200, blank=True)
    options = models.JSONField("选项", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField("总行数", default=0)
    done = models.PositiveIntegerField("已校验行数", default=0)
    imported = models.PositiveIntegerField("导入条数", default=0)
    already_in = models.PositiveIntegerField("此前已导入", default=0)
    units_created = models.PositiveIntegerField("新建单位", default=0)
    # [[row, column, message], …] of a run that found the file no longer valid (capped).
    issues = models.JSONField("问题", default=list, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    heartbeat_at = models.DateTimeField("最近进度时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="importjob_status_valid",
                condition=Q(status__in=["pending", "running", "done", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"导入#{self.pk} {self.filename}"

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
