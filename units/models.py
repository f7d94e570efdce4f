"""Who is supervised (units) and who supervises (departments, users)."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac

from .validators import validate_credit_code, validate_phone


class Area(models.Model):
    """街道/乡镇."""

    name = models.CharField("名称", max_length=50, unique=True)
    code = models.CharField("编码", max_length=20, unique=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "街道/乡镇"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    class Kind(models.TextChoices):
        REGULATOR = "regulator", "监管部门"
        OFFICE = "office", "安委会办公室"
        SUPERVISION = "supervision", "督查室"
        STREET = "street", "街道办事处"
        OTHER = "other", "其他"

    name = models.CharField("名称", max_length=60, unique=True)
    short_name = models.CharField("简称", max_length=20, blank=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.REGULATOR)
    # A street office's scope is its area.
    area = models.ForeignKey(
        Area, verbose_name="辖区", null=True, blank=True, on_delete=models.PROTECT
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "部门"
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                name="department_street_has_area",
                condition=~Q(kind="street") | Q(area__isnull=False),
                violation_error_message="街道办事处必须指定辖区",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


class Category(models.Model):
    """行业/场所类别."""

    name = models.CharField("名称", max_length=40, unique=True)
    code = models.SlugField("编码", max_length=40, unique=True)
    lead_department = models.ForeignKey(
        Department,
        verbose_name="默认牵头部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_categories",
    )
    is_key = models.BooleanField("重点行业/场所", default=False)
    # Residential buildings without property management have no registered entity.
    credit_code_optional = models.BooleanField("可无统一社会信用代码", default=False)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "行业/场所类别"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        INSPECTOR = "inspector", "检查员"
        OFFICE = "office", "安委办"
        SUPERVISOR = "supervisor", "督查室"
        LEADER = "leader", "领导"
        ADMIN = "admin", "管理员"
        # The service account of an API client (api.ApiClient): never logs in to the pages.
        API = "api", "外部系统"
        # A unit's own safety contact (企业主体责任): sees its own unit only, in the portal
        # (/portal/); activated with a code the office issues (units.ActivationCode).
        UNIT = "unit", "单位账号"

    # Roles that see the whole district. An API client does too unless it is limited to a
    # department or street (then it is scoped like that department's inspectors).
    DISTRICT_ROLES = frozenset({Role.OFFICE, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
    # People, as opposed to service accounts: who "everyone" means for a notification.
    PEOPLE_ROLES = (Role.INSPECTOR, Role.OFFICE, Role.SUPERVISOR, Role.LEADER, Role.ADMIN)

    name = models.CharField("姓名", max_length=30, blank=True)
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.INSPECTOR)
    department = models.ForeignKey(
        Department,
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = models.CharField("电话", max_length=30, blank=True, validators=[validate_phone])
    # Set when someone else (the admin) chose the password: the next login must change it.
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    # The unit a 单位账号 speaks for; empty for everyone else (a constraint says so).
    unit = models.ForeignKey(
        "Unit",
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    # The last deactivation (停用): who, when and why, set by the admin's user form, which refuses
    # to untick 有效 without a reason; cleared on reactivation (the audit keeps every one).
    deactivated_at = models.DateTimeField("停用时间", null=True, blank=True)
    deactivated_by = models.ForeignKey(
        "self",
        verbose_name="停用人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deactivation_reason = models.TextField("停用原因", blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                name="user_role_valid",
                condition=Q(
                    role__in=["inspector", "office", "supervisor", "leader", "admin", "api", "unit"]
                ),
            ),
            # A unit account speaks for exactly one unit and belongs to no department; nobody
            # else is linked to a unit.
            models.CheckConstraint(
                name="user_unit_only_for_unit_role",
                condition=Q(role="unit", unit__isnull=False, department__isnull=True)
                | (~Q(role="unit") & Q(unit__isnull=True)),
                violation_error_message="单位账号须且只能关联一个单位，且不属于任何部门",
            ),
        ]
        indexes = [
            # The office's 主体责任 page: units whose accounts never signed in.
            models.Index(fields=["unit", "last_login"], name="user_unit_login_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.username

    def _get_session_auth_hash(self, secret=None) -> str:
        # Every session carries this hash and is dropped on its next request once it differs
        # (django.contrib.auth.get_user): a new password, deactivation or another role or
        # department ends the user's sessions at once, since what they may see has changed.
        key_salt = "units.User.get_session_auth_hash"
        scope = f"{self.password}|{self.is_active}|{self.role}|{self.department_id}|{self.unit_id}"
        return salted_hmac(key_salt, scope, secret=secret, algorithm="sha256").hexdigest()

    @property
    def sees_everything(self) -> bool:
        if self.is_superuser or self.role in self.DISTRICT_ROLES:
            return True
        return self.role == self.Role.API and self.department_id is None

    @property
    def is_unit_account(self) -> bool:
        return self.role == self.Role.UNIT and not self.is_superuser

    @property
    def is_office(self) -> bool:
        return self.is_superuser or self.role in (self.Role.OFFICE, self.Role.ADMIN)

    @property
    def can_manage_units(self) -> bool:
        return self.is_office


def unit_scope_q(department, lead: str = "lead_department_id", area: str = "area_id") -> Q:
    """The units a department's staff see: those it leads, and a street office's whole area.
    `lead`/`area` name the columns, so a table that copies a unit's lead department and area
    (Hazard.scope_unit_*) applies the same rule without joining units."""
    scope = Q(**{lead: department.pk})
    if department.kind == Department.Kind.STREET and department.area_id:
        scope |= Q(**{area: department.area_id})
    return scope


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user) -> "UnitQuerySet":
        """The one place that decides which units a user may see."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self
        if user.role == User.Role.UNIT:
            return self.filter(pk=user.unit_id)
        department = user.department
        if department is None:
            return self.none()
        return self.filter(unit_scope_q(department))


class Unit(models.Model):
    """生产经营单位/场所."""

    class Status(models.TextChoices):
        OPERATING = "operating", "在营"
        SUSPENDED = "suspended", "停产整顿"
        CLOSED = "closed", "关闭取缔"

    STATUS_BADGES = {
        Status.OPERATING: "success",
        Status.SUSPENDED: "warning",
        Status.CLOSED: "dark",
    }

    name = models.CharField("单位名称", max_length=100)
    credit_code = models.CharField(
        "统一社会信用代码",
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
        help_text="18位，居民楼和非法场所可不填",
    )
    category = models.ForeignKey(Category, verbose_name="行业/场所类别", on_delete=models.PROTECT)
    area = models.ForeignKey(Area, verbose_name="属地（街道）", on_delete=models.PROTECT)
    address = models.CharField("地址", max_length=200)
    legal_rep = models.CharField("第一责任人", max_length=30)
    legal_rep_phone = models.CharField("第一责任人电话", max_length=30, validators=[validate_phone])
    safety_contact = models.CharField("安全联系人", max_length=30, blank=True)
    safety_contact_phone = models.CharField(
        "安全联系人电话", max_length=30, blank=True, validators=[validate_phone]
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name="牵头监管部门",
        on_delete=models.PROTECT,
        related_name="led_units",
    )
    status = models.CharField(
        "经营状态", max_length=20, choices=Status.choices, default=Status.OPERATING
    )
    is_illegal = models.BooleanField("非法场所（黑窝点/黑加工点）", default=False)
    # Category-specific facts, e.g. {"施工许可证号": "...", "电梯注册代码": "..."}.
    attributes = models.JSONField("行业属性", default=dict, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Set by a database trigger on every write (units/changes.py); never by Python.
    change_seq = models.BigIntegerField("变更序号", default=0, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "生产经营单位"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="unit_credit_code_unique",
                violation_error_message="该统一社会信用代码已被其他单位使用",
            ),
            models.CheckConstraint(
                name="unit_status_valid",
                condition=Q(status__in=["operating", "suspended", "closed"]),
            ),
        ]
        indexes = [
            # Unit list page 1 for the office (everything, ordered by name, id).
            models.Index(fields=["name", "id"], name="unit_name_idx"),
            # Unit list filtered by a department's scope, ordered by name.
            models.Index(fields=["lead_department", "name"], name="unit_dept_name_idx"),
            # Street office scope and the area filter.
            models.Index(fields=["area", "name"], name="unit_area_name_idx"),
            # Category filter and campaign coverage counts.
            models.Index(fields=["category", "name"], name="unit_category_name_idx"),
            # API incremental sync: /api/v1/units/ ordered by (change_seq, id).
            models.Index(fields=["change_seq", "id"], name="unit_change_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    # What the register must hold of every unit; a unit a hazard ledger's import created lacks
    # them until someone fills them in (the ledger names only the unit).
    PARTICULARS = (
        ("address", "地址"),
        ("legal_rep", "第一责任人"),
        ("legal_rep_phone", "第一责任人电话"),
    )

    @property
    def missing_particulars(self) -> list[str]:
        return [label for name, label in self.PARTICULARS if not getattr(self, name)]

    @property
    def status_badge(self) -> str:
        return self.STATUS_BADGES.get(self.status, "secondary")

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not self.credit_code and not self.is_illegal:
            category = self.category if self.category_id else None
            if category is not None and not category.credit_code_optional:
                raise ValidationError(
                    {"credit_code": "该类别单位必须填写统一社会信用代码（居民楼、非法场所除外）"}
                )


class ActivationCodeQuerySet(models.QuerySet):
    def usable(self, now=None) -> "ActivationCodeQuerySet":
        from django.utils import timezone

        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now()
        )


class ActivationCode(models.Model):
    """激活码: how a unit's safety contact becomes the unit's account without anyone typing a
    password for them. The office (or an inspector whose scope holds the unit) issues it; it is
    shown once, printed, and stored only as a hash (units/activation.py). It works once, until
    it expires, and issuing a new one for the unit revokes the old."""

    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="activation_codes"
    )
    # sha256 of the normalised code with the site's secret (salted_hmac): a leaked table
    # gives no usable code, and a lookup by hash is one index probe.
    code_hash = models.CharField("激活码摘要", max_length=64, unique=True)
    issued_by = models.ForeignKey(
        User, verbose_name="签发人", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("签发时间", auto_now_add=True)
    expires_at = models.DateTimeField("有效期至")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    account = models.ForeignKey(
        User,
        verbose_name="激活的账号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField("作废时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        verbose_name="作废人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ActivationCodeQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "单位账号激活码"
        ordering = ["-issued_at", "-id"]
        constraints = [
            # At most one code a unit may still use: issuing revokes the previous one first,
            # and two offices issuing at once cannot both leave a live code behind.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(used_at__isnull=True, revoked_at__isnull=True),
                name="activation_one_open_code_per_unit",
            ),
            models.CheckConstraint(
                name="activation_used_has_account",
                condition=Q(used_at__isnull=True) | Q(account__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} 激活码（{self.issued_at:%Y-%m-%d}）"

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.used_at:
            return "已使用"
        if self.revoked_at:
            return "已作废"
        if self.expires_at <= timezone.now():
            return "已过期"
        return "有效"
