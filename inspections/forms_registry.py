"""Forms and filters of the registry pages: enforcement actions, accidents, campaigns."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from anjian.forms import StyledFilterSet, StyledFormMixin, YesNoWidget
from units.models import Area, Department, Unit, User

from . import enforcement, stats
from .models import Accident, Campaign, EnforcementAction, Hazard, Inspection

DATE_WIDGET = {"type": "date"}


class EnforcementForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="执法措施")
    decided_on = forms.DateField(label="决定日期", widget=forms.DateInput(attrs=DATE_WIDGET))
    department = forms.ModelChoiceField(label="执法部门", queryset=Department.objects.none())
    document_number = forms.CharField(label="文书编号", max_length=60, required=False)
    fine_amount = forms.DecimalField(
        label="罚款金额（元）",
        max_digits=12,
        decimal_places=2,
        min_value=0.01,
        required=False,
        help_text="仅罚款填写",
    )
    inspection = forms.ModelChoiceField(
        label="依据检查", queryset=Inspection.objects.none(), required=False
    )
    hazards = forms.ModelMultipleChoiceField(
        label="相关隐患",
        queryset=Hazard.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user: User, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        labels = dict(EnforcementAction.Kind.choices)
        self.fields["kind"].choices = [("", "---------")] + [
            (k, labels[k]) for k in enforcement.allowed_kinds(unit)
        ]
        if unit.is_illegal:
            self.fields["kind"].help_text = "非法场所不存在整改，只能关闭取缔、罚款或移送司法"
        departments = enforcement.enforcing_departments()
        if not user.is_office:
            departments = departments.filter(pk=user.department_id)
        self.fields["department"].queryset = departments
        self.fields["department"].initial = (
            unit.lead_department_id if user.is_office else user.department_id
        )
        self.fields["decided_on"].initial = timezone.localdate()
        self.fields["inspection"].queryset = (
            Inspection.objects.visible_to(user)
            .filter(unit=unit, status=Inspection.Status.SUBMITTED)
            .select_related("department")
            .order_by("-date", "-id")
        )
        self.fields["inspection"].label_from_instance = lambda i: (
            f"{i.date:%Y-%m-%d} {i.department} {i.get_kind_display()}"
        )
        self.fields["hazards"].queryset = (
            Hazard.objects.visible_to(user)
            .filter(unit=unit)
            .exclude(status=Hazard.Status.DRAFT)
            .order_by("-found_on", "-id")
        )
        self.fields["hazards"].label_from_instance = lambda h: (
            f"{h.number} {h.description[:30]}（{h.get_status_display()}）"
        )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        amount = cleaned.get("fine_amount")
        if (
            kind == EnforcementAction.Kind.FINE
            and amount is None
            and "fine_amount" not in self.errors
        ):
            self.add_error("fine_amount", "罚款必须填写大于0的金额")
        if kind and kind != EnforcementAction.Kind.FINE and amount is not None:
            self.add_error("fine_amount", "只有罚款需要填写金额")
        return cleaned


class UnitLookupMixin:
    """A unit picked by typing its name or credit code: no select list of every unit."""

    unit_queryset = None

    def resolve_unit(self, text: str) -> Unit | None:
        text = text.strip()
        if not text:
            return None
        by_code = list(self.unit_queryset.filter(credit_code=text.upper())[:2])
        if len(by_code) == 1:
            return by_code[0]
        by_name = list(self.unit_queryset.filter(name=text)[:2])
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            raise forms.ValidationError("有多个同名单位，请输入统一社会信用代码")
        raise forms.ValidationError("未找到该单位，请输入完整的单位名称或统一社会信用代码")


class AccidentForm(UnitLookupMixin, StyledFormMixin, forms.ModelForm):
    unit_lookup = forms.CharField(
        label="单位（名称或统一社会信用代码）",
        max_length=100,
        required=False,
        help_text="不属于任何登记单位的事故可留空，但须选择属地",
    )

    class Meta:
        model = Accident
        fields = [
            "unit_lookup",
            "occurred_on",
            "kind",
            "production",
            "area",
            "deaths",
            "injuries",
            "direct_loss",
            "description",
        ]
        widgets = {
            "occurred_on": forms.DateInput(attrs=DATE_WIDGET),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user: User, unit: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_queryset = Unit.objects.visible_to(user)
        self.fields["area"].required = False
        self.fields["area"].help_text = "已填单位时按单位所在街道"
        self.fields["direct_loss"].min_value = 0
        unit = unit or self.instance.unit
        if unit is not None and not self.is_bound:
            self.initial["unit_lookup"] = unit.credit_code or unit.name

    def clean_unit_lookup(self) -> Unit | None:
        return self.resolve_unit(self.cleaned_data.get("unit_lookup", ""))

    def clean_occurred_on(self):
        value = self.cleaned_data["occurred_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("发生日期不能晚于今天")
        return value

    def clean_direct_loss(self):
        value = self.cleaned_data["direct_loss"]
        if value is not None and value < 0:
            raise forms.ValidationError("直接经济损失不能为负数")
        return value

    def clean(self):
        cleaned = super().clean()
        unit = cleaned.get("unit_lookup")
        if unit is not None:
            cleaned["area"] = unit.area
        elif not cleaned.get("area") and "unit_lookup" not in self.errors:
            self.add_error("area", "未填单位时必须选择属地（街道）")
        return cleaned

    def save(self, commit: bool = True) -> Accident:
        self.instance.unit = self.cleaned_data.get("unit_lookup")
        self.instance.area = self.cleaned_data["area"]
        return super().save(commit=commit)


class VoidForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label="作废原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写作废原因"},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 2:
            raise forms.ValidationError("请写明作废原因")
        return reason


class CampaignForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "start_date", "end_date", "categories", "areas", "description"]
        widgets = {
            "start_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "categories": forms.CheckboxSelectMultiple,
            "areas": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"categories": "不选表示全部行业/场所"}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期")
        return cleaned


def _date_filter(label: str, field: str, lookup: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=label,
        field_name=field,
        lookup_expr=lookup,
        widget=forms.DateInput(attrs=DATE_WIDGET),
    )


class UnitScopedFilterMixin:
    """`?unit=<id>` (links from the unit page): hidden, and only units the viewer may see."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["unit"].queryset = (
            Unit.objects.visible_to(user) if user is not None else Unit.objects.none()
        )


def _unit_filter() -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        label="单位", queryset=Unit.objects.none(), widget=forms.HiddenInput
    )


class EnforcementFilter(UnitScopedFilterMixin, StyledFilterSet):
    q = django_filters.CharFilter(label="单位/文书编号", method="filter_text")
    kind = django_filters.ChoiceFilter(label="措施", choices=EnforcementAction.Kind.choices)
    department = django_filters.ModelChoiceFilter(
        label="执法部门", queryset=enforcement.enforcing_departments()
    )
    area = django_filters.ModelChoiceFilter(
        label="街道", field_name="unit__area", queryset=Area.objects.all()
    )
    decided_from = _date_filter("决定日期起", "decided_on", "gte")
    decided_to = _date_filter("决定日期止", "decided_on", "lte")
    # Links from the dashboard's figures of one campaign: a bare id, like `unit`, so the
    # page renders no list of every campaign.
    campaign = django_filters.ModelChoiceFilter(
        label="专项检查",
        field_name="inspection__campaign",
        queryset=Campaign.objects.all(),
        widget=forms.HiddenInput,
    )
    unit = _unit_filter()

    class Meta:
        model = EnforcementAction
        fields = [
            "q",
            "kind",
            "department",
            "area",
            "decided_from",
            "decided_to",
            "campaign",
            "unit",
        ]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Plain LIKE: Chinese has no case, and UPPER() would defeat an index.
        return queryset.filter(Q(unit__name__contains=value) | Q(document_number__contains=value))


class AccidentFilter(UnitScopedFilterMixin, StyledFilterSet):
    q = django_filters.CharFilter(label="单位/经过", method="filter_text")
    kind = django_filters.ChoiceFilter(label="事故类型", choices=Accident.Kind.choices)
    # 生产安全事故 / 火灾 / 其他事故 as the bulletins and the dashboard count them
    # (stats.ACCIDENT_KINDS): a home fire is a 火灾, not a 生产安全事故.
    group = django_filters.ChoiceFilter(
        label="事故分类",
        choices=[(key, label) for key, label, _ in stats.ACCIDENT_KINDS],
        method="filter_group",
    )
    area = django_filters.ModelChoiceFilter(label="街道", queryset=Area.objects.all())
    # The dashboard's accident figures of one department (those at the units it leads): a
    # bare id from its links, like `unit`.
    department = django_filters.ModelChoiceFilter(
        label="牵头部门",
        field_name="unit__lead_department",
        queryset=Department.objects.all(),
        widget=forms.HiddenInput,
    )
    occurred_from = _date_filter("发生日期起", "occurred_on", "gte")
    occurred_to = _date_filter("发生日期止", "occurred_on", "lte")
    with_deaths = django_filters.BooleanFilter(
        label="有死亡",
        method="filter_with_deaths",
        widget=YesNoWidget(),
    )
    unit = _unit_filter()

    class Meta:
        model = Accident
        fields = [
            "q",
            "kind",
            "group",
            "area",
            "department",
            "occurred_from",
            "occurred_to",
            "with_deaths",
            "unit",
        ]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(unit__name__contains=value) | Q(description__contains=value))

    def filter_group(self, queryset, name, value):
        conditions = {key: condition for key, _, condition in stats.ACCIDENT_KINDS}
        return queryset.filter(conditions[value]) if value in conditions else queryset

    def filter_with_deaths(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(deaths__gt=0) if value else queryset.filter(deaths=0)


class CampaignFilter(StyledFilterSet):
    PHASES = (("ongoing", "进行中"), ("upcoming", "未开始"), ("ended", "已结束"))

    q = django_filters.CharFilter(label="名称", field_name="name", lookup_expr="contains")
    phase = django_filters.ChoiceFilter(label="阶段", choices=PHASES, method="filter_phase")

    class Meta:
        model = Campaign
        fields = ["q", "phase"]

    def filter_phase(self, queryset, name, value):
        today = timezone.localdate()
        if value == "ongoing":
            return queryset.filter(start_date__lte=today, end_date__gte=today)
        if value == "upcoming":
            return queryset.filter(start_date__gt=today)
        if value == "ended":
            return queryset.filter(end_date__lt=today)
        return queryset
