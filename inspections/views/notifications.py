"""Notification centre: the user's own notifications; nobody else's are reachable (404)."""

import django_filters
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from anjian.forms import StyledFilterSet, YesNoWidget
from anjian.lists import FilteredListView

from ..models import Hazard, MutedKind, Notification
from ..reminders import EVENTS, digest_sections


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
    if notification.hazard_id:
        # An event notification is its hazard: the hazard page (scoped, 404 if out of scope).
        return redirect("hazard_detail", pk=notification.hazard_id)
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
    events = (
        notification.payload.get(EVENTS) if notification.kind == Notification.Kind.DIGEST else None
    )
    return render(
        request,
        "notifications/detail.html",
        {"notification": notification, "sections": sections, "events": events},
    )


MUTABLE_KINDS = [
    (kind, Notification.Kind(kind).label)
    for kind in Notification.EVENT_KINDS
    if kind not in Notification.URGENT_KINDS
]


class MuteForm(forms.Form):
    muted = forms.MultipleChoiceField(
        label="不接收以下类型的通知",
        choices=MUTABLE_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="督办、挂牌督办等紧急通知不能关闭",
        error_messages={"invalid_choice": "“%(value)s”是紧急通知，不能关闭"},
    )


def notification_settings(request):
    """Mute non-urgent event kinds; urgent ones (督办, 挂牌) always arrive."""
    mine = MutedKind.objects.filter(user=request.user)
    form = MuteForm(
        request.POST if request.method == "POST" else None,
        initial={"muted": list(mine.values_list("kind", flat=True))},
    )
    if request.method == "POST" and form.is_valid():
        wanted = set(form.cleaned_data["muted"])
        with transaction.atomic():
            mine.exclude(kind__in=wanted).delete()
            MutedKind.objects.bulk_create(
                [MutedKind(user=request.user, kind=kind) for kind in wanted],
                ignore_conflicts=True,
            )
        messages.success(request, "通知设置已保存")
        return redirect("notification_settings")
    return render(request, "notifications/settings.html", {"form": form})


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
