"""The audit trail: change history of the tracked models (tracking.py), the access log and the
import records. All three are append-only: PostgreSQL refuses UPDATE and DELETE on their tables
(pgtrigger.Protect), the admin shows them read-only and no page changes them."""

import zlib

import pghistory
import pgtrigger
from django.apps import apps
from django.conf import settings
from django.db import models
from pghistory.models import Events

from .tracking import TRACKED, TRACKED_LINKS, event_model_name, link_event_model_name

APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


def _page_indexes(name: str, owner_field: str) -> list[models.Index]:
    """What the /audit/ change list reads (audit/trail.py): the newest rows below a cursor,
    of everything or of one object, as backward index ranges — never the whole table."""
    tag = f"{zlib.crc32(name.encode()):08x}"
    return [
        models.Index(fields=["pgh_created_at", "pgh_id"], name=f"audit_{tag}_time"),
        models.Index(fields=[owner_field, "pgh_created_at", "pgh_id"], name=f"audit_{tag}_obj"),
    ]


def _create_event_models() -> dict[str, type[models.Model]]:
    created = {}
    for tracked in TRACKED:
        # By label, not by import: audit knows the tracked models only through tracking.py.
        model = apps.get_registered_model(tracked.app_label, tracked.model_name)
        name = event_model_name(tracked)
        created[name] = pghistory.create_event_model(
            model,
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            fields=tracked.fields,
            exclude=None if tracked.fields else tracked.exclude,
            obj_field=pghistory.ObjForeignKey(related_name="audit_history"),
            append_only=True,
            model_name=name,
            app_label="audit",
            abstract=False,
            meta={
                "verbose_name": f"{model._meta.verbose_name}变更记录",
                "indexes": _page_indexes(name, "pgh_obj"),
            },
        )
        if tracked.no_delete:
            condition = None
            if tracked.deletable_when:
                condition = ~pgtrigger.Q(
                    **{f"old__{column}": value for column, value in tracked.deletable_when.items()}
                )
            pgtrigger.register(
                pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete, condition=condition)
            )(model)
    return created


EVENT_MODELS = _create_event_models()


def _create_link_event_models() -> dict[str, type[models.Model]]:
    created = {}
    for link in TRACKED_LINKS:
        owner = apps.get_registered_model(link.app_label, link.model_name)
        m2m = owner._meta.get_field(link.field)
        through = m2m.remote_field.through
        name = link_event_model_name(link)
        created[name] = pghistory.create_event_model(
            through,
            pghistory.InsertEvent(),
            pghistory.DeleteEvent(),
            # The through row is gone once unlinked: the event names the two ends instead.
            obj_field=None,
            append_only=True,
            model_name=name,
            app_label="audit",
            abstract=False,
            meta={
                "verbose_name": f"{owner._meta.verbose_name}{m2m.verbose_name}变更记录",
                "indexes": _page_indexes(name, m2m.m2m_field_name()),
            },
        )
    return created


LINK_EVENT_MODELS = _create_link_event_models()


class AuditEvent(Events):
    """Every change of every tracked model, one row per event, with who, where and how from the
    context the change was made in (anjian web request, management command, Celery task)."""

    user = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            on_delete=models.DO_NOTHING,
            null=True,
            db_constraint=False,
            related_name="+",
        ),
    )
    url = pghistory.ProxyField("pgh_context__url", models.TextField(null=True))
    ip = pghistory.ProxyField("pgh_context__ip", models.TextField(null=True))
    command = pghistory.ProxyField("pgh_context__command", models.TextField(null=True))
    task = pghistory.ProxyField("pgh_context__task", models.TextField(null=True))

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "变更记录"


class AccessRecord(models.Model):
    """Who signed in or out, failed to, exported or downloaded what, and when."""

    class Kind(models.TextChoices):
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        EXPORT = "export", "导出"
        DOWNLOAD = "download", "下载"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # As typed at a failed login (there may be no such user).
    username = models.CharField("用户名", max_length=150, blank=True)
    what = models.CharField("对象", max_length=300, blank=True)
    path = models.CharField("地址", max_length=500, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "访问日志"
        ordering = ["-created_at", "-id"]
        triggers = [APPEND_ONLY]
        constraints = [
            models.CheckConstraint(
                name="accessrecord_kind_valid",
                condition=models.Q(
                    kind__in=["login", "login_failed", "logout", "export", "download"]
                ),
            ),
        ]
        indexes = [
            # The audit page's access tab filtered by user, newest first.
            models.Index(fields=["user", "created_at"], name="accessrecord_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username} {self.what}"


class ImportRecord(models.Model):
    """One confirmed import: the file as uploaded (kept), who, and the rows it created."""

    class Kind(models.TextChoices):
        UNITS = "units", "单位导入"
        HAZARDS = "hazards", "隐患台账导入"
        CALENDAR = "calendar", "放假安排导入"
        ACCIDENTS = "accidents", "事故台账导入"
        DUTY = "duty", "值班表导入"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    filename = models.CharField("文件名", max_length=200)
    file = models.FileField("文件", upload_to="audit/imports/", blank=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    # {"units.Unit": [ids…], "inspections.Hazard": [ids…]}
    created_rows = models.JSONField("新建记录", default=dict, blank=True)
    updated_rows = models.JSONField("更新记录", default=dict, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "导入记录"
        ordering = ["-created_at", "-id"]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def created_count(self) -> int:
        return sum(len(ids) for ids in self.created_rows.values())

    @property
    def updated_count(self) -> int:
        return sum(len(ids) for ids in self.updated_rows.values())
