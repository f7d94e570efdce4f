"""/audit/: the change history, the access log and the import records, for the office and admin.

Read-only pages: nothing here (nor in the admin) edits or deletes a record of the trail."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse

from anjian.lists import FilteredListView

from . import trail
from .context import tracking_enabled
from .filters import AccessRecordFilter, AuditEventFilter, ImportRecordFilter
from .models import AccessRecord, AuditEvent, ImportRecord

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
# A many-to-many link of the object (检查人员, 目标街道 …) added or removed.
LINK_LABELS = {"insert": "添加关联", "delete": "移除关联"}


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


def _changes(model, event) -> list[tuple]:
    if event.pgh_label == "update" and event.previous is not None:
        names = sorted(
            name
            for name, value in event.data.items()
            if name in event.previous and event.previous[name] != value
        )
        return [
            (
                _verbose(model, n),
                _shown(model, n, event.previous[n]),
                _shown(model, n, event.data[n]),
            )
            for n in names
        ]
    return [
        (_verbose(model, name), None, _shown(model, name, value))
        for name, value in sorted(event.data.items())
        if value not in (None, "", [], {})
    ]


def _row(event, users: dict, targets: dict) -> dict:
    table = trail.BY_SOURCE[event.source]
    model = table.owner
    context = event.context or {}
    url = None
    if event.pgh_obj_model in OBJECT_PAGES and (table.is_link or event.pgh_label != "delete"):
        try:
            url = reverse(OBJECT_PAGES[event.pgh_obj_model], args=[event.pgh_obj_id])
        except NoReverseMatch:
            url = None
    if table.is_link:
        target_id = event.data.get(table.target_column)
        target = targets.get(event.source, {}).get(target_id)
        sign = "＋" if event.pgh_label == "insert" else "－"
        label = LINK_LABELS.get(event.pgh_label, event.pgh_label)
        changes = [(_verbose(model, table.link_field), None, f"{sign} {target or f'#{target_id}'}")]
    else:
        label = LABELS.get(event.pgh_label, event.pgh_label)
        changes = _changes(model, event)
    by = context.get("command") and f"命令 {context['command']}"
    if context.get("task"):
        by = f"任务 {context['task']}"
    return {
        "event": event,
        "model": model._meta.verbose_name,
        "label": label,
        "url": url,
        "changes": changes,
        "user": users.get(context.get("user")),
        "ip": context.get("ip"),
        "path": context.get("url"),
        "by": by,
    }


def change_list(request):
    """The change history, newest first, one keyset page at a time (audit/trail.py): a fixed
    number of queries and index ranges whatever the size of the trail."""
    _require_auditor(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    filterset = AuditEventFilter(request.GET or None, queryset=AuditEvent.no_objects.all())
    if not filterset.is_bound:
        filters = trail.Filters()
    elif filterset.form.is_valid():
        filters = filterset.trail_filters()
    else:
        filters = trail.Filters(user_matched=False)  # a malformed filter shows nothing
    size = settings.AUDIT_PAGE_SIZE
    cursor = trail.Cursor.decode(request.GET.get("before", ""))
    keys = trail.page_keys(filters, size, cursor) if tracking_enabled() else []
    has_next = len(keys) > size
    events = trail.page_events(keys[:size])
    user_ids = {e.context.get("user") for e in events}
    users = get_user_model().objects.in_bulk([pk for pk in user_ids if isinstance(pk, int)])
    targets = _link_targets(events)
    query = request.GET.copy()
    query.pop("before", None)
    next_query = None
    if has_next and events:
        last = events[-1]
        query["before"] = trail.Cursor(last.pgh_created_at, last.source, last.pgh_id).encode()
        next_query = query.urlencode()
        query.pop("before")
    return render(
        request,
        "audit/changes.html",
        {
            "filter": filterset,
            "rows": [_row(event, users, targets) for event in events],
            "next_query": next_query,
            "first_query": query.urlencode() if cursor else None,
            "tracking_enabled": tracking_enabled(),
            "tab": "changes",
        },
    )


def _link_targets(events) -> dict[str, dict]:
    """The other ends of the page's many-to-many links, by table: one query per link kind."""
    wanted: dict[str, set] = {}
    for event in events:
        table = trail.BY_SOURCE[event.source]
        if table.is_link:
            wanted.setdefault(event.source, set()).add(event.data.get(table.target_column))
    found = {}
    for source, ids in wanted.items():
        table = trail.BY_SOURCE[source]
        target = table.owner._meta.get_field(table.link_field).related_model
        found[source] = target._default_manager.in_bulk([pk for pk in ids if pk is not None])
    return found


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
