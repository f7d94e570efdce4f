"""The duty roster's form and filter (值班表)."""

import django_filters
from django import forms
from django.db.models import Q

from anjian.forms import StyledFilterSet, StyledFormMixin
from units.models import Department, User

from .duty import leader_candidates
from .models import DutyShift

DATE_WIDGET = {"type": "date"}


class DutyShiftForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = DutyShift
        fields = ["date", "department", "leader_name", "leader", "staff", "phone", "note"]
        widgets = {"date": forms.DateInput(attrs=DATE_WIDGET)}
        help_texts = {
            "leader": "带班领导有系统账号时选择，值班当天的督办和亡人事故会通知其本人",
            "staff": "多人用顿号分隔",
        }
        error_messages = {
            "date": {"required": "请填写值班日期"},
            "department": {"required": "请选择部门"},
            "leader_name": {"required": "请填写带班领导"},
            "phone": {"required": "请填写值班电话"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = (
            User.objects.filter(is_active=True)
            .filter(Q(role=User.Role.LEADER) | Q(department__isnull=False))
            .select_related("department")
            .order_by("department__sort_order", "name")
        )
        self.fields["leader"].label_from_instance = lambda u: (
            f"{u.name or u.username}（{u.department or u.get_role_display()}）"
        )

    def clean(self):
        cleaned = super().clean()
        leader, department = cleaned.get("leader"), cleaned.get("department")
        if leader and department and not leader_candidates(department).filter(pk=leader.pk):
            self.add_error("leader", "只能选择该部门的人员或区领导")
        day = cleaned.get("date")
        if day and department:
            taken = DutyShift.objects.filter(date=day, department=department)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                # On the field, so the model's own unique check (which would speak of the
                # whole form) is skipped for it.
                self.add_error("department", "该部门当天已有值班安排，请修改那一条")
        return cleaned


class DutyFilter(StyledFilterSet):
    date_from = django_filters.DateFilter(
        label="日期起", field_name="date", lookup_expr="gte", widget=forms.DateInput(DATE_WIDGET)
    )
    date_to = django_filters.DateFilter(
        label="日期止", field_name="date", lookup_expr="lte", widget=forms.DateInput(DATE_WIDGET)
    )
    department = django_filters.ModelChoiceFilter(label="部门", queryset=Department.objects.all())
    q = django_filters.CharFilter(label="姓名/电话", method="filter_text")

    class Meta:
        model = DutyShift
        fields = ["date_from", "date_to", "department", "q"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(leader_name__contains=value) | Q(staff__contains=value) | Q(phone__contains=value)
        )
