"""/audit/: the change history, the access log and the import records, for the office and admin.

Read-only pages: nothing here (nor in the admin) edits or deletes a record of the trail."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse

from anjian.lists import FilteredListView

from .context import tracking_enabled
from .filters import AccessRecordFilter, AuditEventFilter, ImportRecordFilter
from .models import EVENT_MODELS, AccessRecord, AuditEvent, ImportRecord

# The page of each tracked object, so a history row links back to it.
OBJECT_PAGES = {
    "units.Unit": "units:detail",
    "inspections.Inspection": "inspection_detail",
    "inspections.Hazard": "hazard_detail",
    "inspections.EnforcementAction": "enforcement_detail",
    "inspections.Accident": "accident_detail",
    "inspections.Campaign": "campaign_detail",
    "inspections.Bulletin": "bulletin_detail",
}
LABELS = {"insert": "新增", "update": "修改", "delete": "删除"}


def _require_auditor(request) -> None:
    if not request.user.is_office:
        raise PermissionDenied("只有安委办和管理员可以查看审计记录")


class AuditListView(FilteredListView):
    def dispatch(self, request, *args, **kwargs):
        _require_auditor(request)
        return super().dispatch(request, *args, **kwargs)

    def get_paginate_by(self, queryset):
        return settings.AUDIT_PAGE_SIZE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tracking_enabled"] = tracking_enabled()
        context["tab"] = self.tab
        return context


class ChangeListView(AuditListView):
    template_name = "audit/changes.html"
    filterset_class = AuditEventFilter
    tab = "changes"

    def get_base_queryset(self):
        if not tracking_enabled():
            # SQLite: no triggers, no event rows, and pghistory's aggregate query is PostgreSQL.
            return AuditEvent.no_objects.all()
        return AuditEvent.objects.across(*EVENT_MODELS.values()).order_by(
            "-pgh_created_at", "-pgh_slug"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        user_ids = {row.pgh_context.get("user") for row in rows if row.pgh_context}
        users = get_user_model().objects.in_bulk([pk for pk in user_ids if isinstance(pk, int)])
        context["rows"] = [_row(event, users) for event in rows]
        return context


def _model_of(label: str):
    for event_model in EVENT_MODELS.values():
        if event_model.pgh_tracked_model._meta.label == label:
            return event_model.pgh_tracked_model
    return None


def _field(model, name: str):
    try:
        return model._meta.get_field(name) if model is not None else None
    except Exception:  # a column since removed from the model
        return None


def _verbose(model, name: str) -> str:
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name


def _shown(model, name: str, value):
    """A stored value as the pages show it: choices by their label, yes/no in Chinese."""
    if isinstance(value, bool):
        return "是" if value else "否"
    field = _field(model, name)
    if field is not None and field.choices and value is not None:
        return dict(field.flatchoices).get(value, value)
    return value


def _row(event, users: dict) -> dict:
    model = _model_of(event.pgh_obj_model)
    context = event.pgh_context or {}
    url = None
    if event.pgh_obj_model in OBJECT_PAGES and event.pgh_label != "delete":
        try:
            url = reverse(OBJECT_PAGES[event.pgh_obj_model], args=[event.pgh_obj_id])
        except NoReverseMatch:
            url = None
    if event.pgh_label == "update" and event.pgh_diff:
        changes = [
            (_verbose(model, name), _shown(model, name, values[0]), _shown(model, name, values[1]))
            for name, values in sorted(event.pgh_diff.items())
        ]
    else:
        changes = [
            (_verbose(model, name), None, _shown(model, name, value))
            for name, value in sorted((event.pgh_data or {}).items())
            if value not in (None, "", [], {})
        ]
    by = context.get("command") and f"命令 {context['command']}"
    if context.get("task"):
        by = f"任务 {context['task']}"
    return {
        "event": event,
        "model": model._meta.verbose_name if model else event.pgh_obj_model,
        "label": LABELS.get(event.pgh_label, event.pgh_label),
        "url": url,
        "changes": changes,
        "user": users.get(context.get("user")),
        "ip": context.get("ip"),
        "path": context.get("url"),
        "by": by,
    }


class AccessListView(AuditListView):
    template_name = "audit/access.html"
    filterset_class = AccessRecordFilter
    tab = "access"

    def get_base_queryset(self):
        return AccessRecord.objects.select_related("user").order_by("-created_at", "-id")


class ImportListView(AuditListView):
    template_name = "audit/imports.html"
    filterset_class = ImportRecordFilter
    tab = "imports"

    def get_base_queryset(self):
        return ImportRecord.objects.select_related("user").order_by("-created_at", "-id")


change_list = ChangeListView.as_view()
access_list = AccessListView.as_view()
import_list = ImportListView.as_view()


def import_file(request, pk: int):
    _require_auditor(request)
    record = get_object_or_404(ImportRecord, pk=pk)
    if not record.file:
        raise Http404
    try:
        handle = record.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=record.filename)
