"""API clients (one per external system) and the log of every call they make."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from units.models import Department


class ApiClient(models.Model):
    """An external system (the provincial platform, the 12345 hotline …) with its own token.

    Its scope is a service account (`user`, role 外部系统) that every API view hands to the same
    `visible_to(user)` the pages use: limited to `department` (a regulator or a street office),
    or the whole district when none is set. The token is stored only as a hash."""

    name = models.CharField("系统名称", max_length=60, unique=True)
    code = models.SlugField(
        "系统代码",
        max_length=40,
        unique=True,
        help_text="英文字母、数字、连字符，例如 12345-hotline；创建后不能修改，隐患的外部编号按它区分",
    )
    department = models.ForeignKey(
        Department,
        verbose_name="数据范围（部门/街道）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="不选表示全区；选部门或街道办事处时，只能读写该部门/街道检查员可见的数据",
    )
    may_create_hazards = models.BooleanField(
        "可报送隐患", default=False, help_text="允许通过 POST /api/v1/hazards/ 登记隐患"
    )
    rate_per_minute = models.PositiveIntegerField("每分钟请求上限", default=120)
    contact = models.CharField("对接联系人及电话", max_length=100, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="服务账号",
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    # The token's first characters, to find the row; the rest is only compared as a hash.
    token_prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    token_issued_at = models.DateTimeField("令牌签发时间", default=timezone.now, editable=False)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="吊销人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口客户端"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ApiCallLog(models.Model):
    """One row per request to /api/v1/, answered or refused, with the client when known."""

    client = models.ForeignKey(
        ApiClient,
        verbose_name="客户端",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
    )
    created_at = models.DateTimeField("时间", default=timezone.now)
    method = models.CharField("方法", max_length=10)
    path = models.CharField("路径", max_length=300)
    query = models.CharField("查询参数", max_length=1000, blank=True)
    status = models.PositiveSmallIntegerField("状态码")
    duration_ms = models.PositiveIntegerField("耗时（毫秒）")
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    user_agent = models.CharField("User-Agent", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口调用记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            # Admin: one client's calls, newest first.
            models.Index(fields=["client", "-created_at"], name="apicall_client_idx"),
            # Admin: all calls, newest first.
            models.Index(fields=["-created_at"], name="apicall_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
