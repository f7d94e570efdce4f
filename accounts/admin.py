from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin


class ReadOnlyLogMixin:
    """Who signed in, failed or signed out is evidence: nobody edits or deletes it in the app."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


for model, model_admin in ((AccessLog, AccessLogAdmin), (AccessFailureLog, AccessFailureLogAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, type(model_admin.__name__, (ReadOnlyLogMixin, model_admin), {}))
