"""Notification centre: the user's own notifications; nobody else's are reachable (404)."""

import django_filters
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from anjian.forms import StyledFilterSet, YesNoWidget
from anjian.lists import FilteredListView

from ..models import Hazard, Notification
from ..reminders import digest_sections


def _own(request):
    return Notification.objects.filter(user=request.user)


class NotificationFilter(StyledFilterSet):
    unread = django_filters.BooleanFilter(
        label="未读", field_name="read_at", lookup_expr="isnull", widget=YesNoWidget()
    )
    kind = django_filters.ChoiceFilter(label="类型", choices=Notification.Kind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationListView(FilteredListView):
    template_name = "notifications/list.html"
    filterset_class = NotificationFilter
    sort_fields = {"created": ("created_at", "id")}
    default_sort = "-created"
    paginate_by = 30

    def get_base_queryset(self):
        # The payload can hold hundreds of items; the list shows only the summary.
        return _own(self.request).defer("payload")


notification_list = NotificationListView.as_view()


def notification_detail(request, pk: int):
    notification = get_object_or_404(_own(request), pk=pk)
    if notification.read_at is None:
        # Opening it is reading it; an idempotent single-row update.
        notification.read_at = timezone.now()
        _own(request).filter(pk=pk, read_at__isnull=True).update(read_at=notification.read_at)
    sections = (
        digest_sections(notification.payload)
        if notification.kind == Notification.Kind.DIGEST
        else []
    )
    ids = [item["id"] for section in sections for item in section["items"]]
    # Scope may have changed since the digest was built (e.g. a transfer): show only what the
    # user may still see, with its current status.
    current = dict(
        Hazard.objects.visible_to(request.user).filter(pk__in=ids).values_list("pk", "status")
    )
    labels = dict(Hazard.Status.choices)
    for section in sections:
        section["items"] = [
            {
                **item,
                "status": labels[current[item["id"]]],
                "badge": Hazard.STATUS_BADGES.get(current[item["id"]], "secondary"),
            }
            for item in section["items"]
            if item["id"] in current
        ]
    return render(
        request,
        "notifications/detail.html",
        {"notification": notification, "sections": sections},
    )


def _back(request):
    target = request.POST.get("next", "")
    # Only a path of this site: redirect() would take "true" or "home" for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect("notification_list")


@require_POST
def mark_read(request, pk: int):
    notification = get_object_or_404(_own(request).only("pk", "read_at"), pk=pk)
    if notification.read_at is None:
        _own(request).filter(pk=pk).update(read_at=timezone.now())
    return _back(request)


@require_POST
def mark_all_read(request):
    count = _own(request).filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, f"已将 {count} 条通知标为已读")
    return _back(request)
