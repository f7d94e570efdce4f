import datetime

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from anjian.forms import StyledFilterSet

from . import trail
from .models import EVENT_MODELS, AccessRecord, AuditEvent, ImportRecord
from .tracking import TRACKED, event_model_name

BIGINT_MAX = 2**63 - 1


def tracked_choices() -> list[tuple[str, str]]:
    return [
        (t.model, EVENT_MODELS[event_model_name(t)].pgh_tracked_model._meta.verbose_name)
        for t in TRACKED
    ]


def _users_matching(value: str):
    value = value.strip()
    return get_user_model().objects.filter(Q(username=value) | Q(name=value)).values("pk")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class DateRangeMixin(django_filters.FilterSet):
    """From and to as local (Asia/Shanghai) days; the column is compared, never a function of
    it, so the created_at index serves the range."""

    date_from = django_filters.DateFilter(label="起始日期", method="filter_from")
    date_to = django_filters.DateFilter(label="截止日期", method="filter_to")
    date_field = "created_at"

    def filter_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": _day_start(value)})

    def filter_to(self, queryset, name, value):
        return queryset.filter(
            **{f"{self.date_field}__lt": _day_start(value + datetime.timedelta(days=1))}
        )


class AuditEventFilter(DateRangeMixin, StyledFilterSet):
    model = django_filters.ChoiceFilter(label="对象类型", choices=tracked_choices, method="noop")
    obj = django_filters.NumberFilter(
        label="对象编号", method="noop", widget=forms.NumberInput(attrs={"min": 1})
    )
    user = django_filters.CharFilter(label="操作人（用户名或姓名）", method="filter_user")
    date_field = "pgh_created_at"

    class Meta:
        model = AuditEvent
        fields = ["model", "obj", "user", "date_from", "date_to"]

    def noop(self, queryset, name, value):
        return queryset  # the change list reads the trail through trail_filters()

    def filter_user(self, queryset, name, value):
        return queryset

    def trail_filters(self) -> trail.Filters:
        """The valid form's filters for audit/trail.py (index ranges on each event table)."""
        data = self.form.cleaned_data
        filters = trail.Filters()
        label, pk = data.get("model"), data.get("obj")
        if label:
            filters.owner = apps.get_model(label)
        if pk is not None:
            if not 1 <= pk <= BIGINT_MAX:
                filters.user_matched = False
            filters.obj = int(pk)
        name = (data.get("user") or "").strip()
        if name:
            filters.user_ids = [row["pk"] for row in _users_matching(name)]
            filters.user_matched = bool(filters.user_ids)
        if data.get("date_from"):
            filters.since = _day_start(data["date_from"])
        if data.get("date_to"):
            filters.until = _day_start(data["date_to"] + datetime.timedelta(days=1))
        return filters


class AccessRecordFilter(DateRangeMixin, StyledFilterSet):
    kind = django_filters.ChoiceFilter(label="类型", choices=AccessRecord.Kind.choices)
    user = django_filters.CharFilter(label="用户（用户名或姓名）", method="filter_user")
    what = django_filters.CharFilter(label="对象/文件", lookup_expr="contains")

    class Meta:
        model = AccessRecord
        fields = ["kind", "user", "what", "date_from", "date_to"]

    def filter_user(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(user__in=_users_matching(value)) | Q(username=value))


class ImportRecordFilter(DateRangeMixin, StyledFilterSet):
    kind = django_filters.ChoiceFilter(label="类型", choices=ImportRecord.Kind.choices)
    user = django_filters.CharFilter(label="导入人（用户名或姓名）", method="filter_user")

    class Meta:
        model = ImportRecord
        fields = ["kind", "user", "date_from", "date_to"]

    def filter_user(self, queryset, name, value):
        return queryset.filter(user__in=_users_matching(value)) if value.strip() else queryset
