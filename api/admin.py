from django.contrib import admin, messages
from django.db.models import Max

from . import clients
from .models import ApiCallLog, ApiClient

TOKEN_NOTICE = "“{name}”的令牌（只显示这一次，请复制后交给对方系统，本系统只保存其摘要）：{token}"


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "scope",
        "may_create_hazards",
        "rate_per_minute",
        "token_issued_at",
        "revoked_at",
        "last_call",
    )
    list_filter = ("may_create_hazards", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "code")
    fields = ("name", "code", "department", "may_create_hazards", "rate_per_minute", "contact")
    readonly_fields = ()
    actions = ("revoke_tokens", "rotate_tokens")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("department")
            .annotate(last_call_at=Max("calls__created_at"))
        )

    def get_readonly_fields(self, request, obj=None):
        # Hazards it reported carry the code as their external_source.
        return ("code",) if obj is not None else ()

    @admin.display(description="数据范围")
    def scope(self, client: ApiClient) -> str:
        return client.department.name if client.department_id else "全区"

    @admin.display(description="最近调用", ordering="last_call_at")
    def last_call(self, client: ApiClient):
        return client.last_call_at

    def save_model(self, request, obj, form, change):
        if change:
            clients.update_client(client=obj)
            return
        token = clients.create_client(client=obj, created_by=request.user)
        messages.warning(request, TOKEN_NOTICE.format(name=obj.name, token=token))

    def has_delete_permission(self, request, obj=None) -> bool:
        # Calls and reported hazards point to it; revoke instead.
        return False

    @admin.action(description="吊销所选客户端的令牌（立即失效）")
    def revoke_tokens(self, request, queryset):
        count = sum(clients.revoke(client_id=c.pk, by=request.user) for c in queryset)
        messages.success(request, f"已吊销 {count} 个客户端的令牌")

    @admin.action(description="重新签发令牌（旧令牌立即失效）")
    def rotate_tokens(self, request, queryset):
        for client in queryset:
            token = clients.rotate_token(client_id=client.pk)
            messages.warning(request, TOKEN_NOTICE.format(name=client.name, token=token))


@admin.register(ApiCallLog)
class ApiCallLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "client", "method", "path", "status", "duration_ms", "ip")
    list_filter = ("client", "status", "method")
    search_fields = ("path", "query")
    date_hierarchy = "created_at"
    list_select_related = ("client",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
