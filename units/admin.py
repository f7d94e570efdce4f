from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import AdminPasswordChangeForm, AdminUserChangeForm, AdminUserCreationForm

from .models import Area, Category, Department, Unit, User


class NoDeleteMixin:
    """Records that matter are deactivated (users: 有效 unticked) or changed through their
    workflow, never deleted; PostgreSQL refuses the DELETE as well (audit/tracking.py)."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(NoDeleteMixin, BaseUserAdmin):
    # A password set here must be changed by its owner at the next login (accounts/).
    add_form = AdminUserCreationForm
    form = AdminUserChangeForm
    change_password_form = AdminPasswordChangeForm
    list_display = ("username", "name", "role", "department", "is_active")
    list_filter = ("role", "department", "is_active")
    search_fields = ("username", "name")
    # A unit account (单位账号) names its unit; the office normally opens one through an
    # activation code (/unit-accounts/), so that nobody but the unit knows its password.
    raw_id_fields = ("unit",)
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            "安检",
            {"fields": ("name", "role", "department", "unit", "phone", "must_change_password")},
        ),
        ("停用", {"fields": ("deactivation_reason", "deactivated_at", "deactivated_by")}),
    )
    readonly_fields = ("deactivated_at", "deactivated_by")
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("安检", {"fields": ("name", "role", "department")}),
    )

    def save_model(self, request, obj, form, change):
        if change:
            form.stamp(request.user)
        super().save_model(request, obj, form, change)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "area", "sort_order")
    list_filter = ("kind",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "lead_department", "is_key", "credit_code_optional")
    list_filter = ("is_key",)


@admin.register(Unit)
class UnitAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "credit_code", "category", "area", "lead_department", "status")
    list_filter = ("status", "category", "area")
    search_fields = ("name", "credit_code")
    list_select_related = ("category", "area", "lead_department")
    raw_id_fields = ()
    # 停产整顿/关闭取缔 and back only through an enforcement action (inspections/enforcement.py).
    readonly_fields = ("status",)
