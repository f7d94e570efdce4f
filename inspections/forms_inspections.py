"""The inspection form an inspector fills in on a phone at the site, with its hazards inline.

Field-level rules live here (types, scope, dates). What makes a record complete enough to submit
("说具体、讲明白") is decided by `workflow.submission_errors`; the view maps those errors back
onto these fields, so a draft may be incomplete but never malformed.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from anjian.forms import StyledFilterSet, StyledFormMixin, YesNoWidget
from units.models import Area, Category, Department, Unit, User

from .models import Campaign, Hazard, Inspection
from .photos import check_request_pixels, prepare_photo
from .workdays import add_working_days, working_days_problem

MAX_PHOTOS_PER_HAZARD = 9
LOGGING_ROLES = (User.Role.INSPECTOR, User.Role.OFFICE, User.Role.ADMIN)


def may_log_inspections(user) -> bool:
    """Inspectors and the office log inspections; supervisors and leaders only read."""
    if not user.is_authenticated or user.department_id is None:
        return False
    return user.is_superuser or user.role in LOGGING_ROLES


class InspectionForm(StyledFormMixin, forms.ModelForm):
    unit = forms.ModelChoiceField(
        label="被检查单位",
        queryset=Unit.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": "请选择被检查单位",
            "invalid_choice": "所选单位不存在或不在您的检查范围内",
        },
    )
    inspectors = forms.ModelMultipleChoiceField(
        label="同行检查人员",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="您本人自动列为检查人员",
    )

    class Meta:
        model = Inspection
        fields = ["unit", "date", "kind", "campaign", "checked_items", "summary", "no_hazards"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "checked_items": forms.Textarea(attrs={"rows": 3}),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = Unit.objects.visible_to(user).select_related(
            "lead_department"
        )
        colleagues = User.objects.filter(is_active=True).exclude(pk=user.pk).order_by("name")
        self.fields["inspectors"].queryset = (
            colleagues.filter(department_id=user.department_id)
            if user.department_id
            else colleagues.none()
        )
        today = timezone.localdate()
        campaigns = Campaign.objects.filter(
            start_date__lte=today, end_date__gte=today, voided_at__isnull=True
        )
        if self.instance.campaign_id:
            campaigns = campaigns | Campaign.objects.filter(pk=self.instance.campaign_id)
        self.fields["campaign"].queryset = campaigns.order_by("-start_date", "-id")
        self.fields["campaign"].empty_label = "（不属于专项检查）"
        self.fields["date"].error_messages["invalid"] = "请输入正确的日期"
        if self.instance.pk:
            self.initial["inspectors"] = [
                pk for pk in self.instance.inspectors.values_list("pk", flat=True) if pk != user.pk
            ]
        if self.initial.get("date") is None:
            # model_to_dict put the new instance's None here; today is the usual answer.
            self.initial["date"] = today

    def clean_date(self) -> datetime.date:
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("检查日期不能晚于今天")
        return date

    def selected_unit(self) -> Unit | None:
        """The unit chosen in this POST (even when other fields are invalid), for re-display."""
        if self.is_bound and "unit" in getattr(self, "cleaned_data", {}):
            return self.cleaned_data["unit"]
        return self.instance.unit if self.instance.unit_id else None


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; each is validated and re-encoded in HazardForm.clean_photos."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(uploads) > MAX_PHOTOS_PER_HAZARD:
            raise forms.ValidationError(f"每条隐患最多上传{MAX_PHOTOS_PER_HAZARD}张照片")
        return [super(MultiplePhotoField, self).clean(f, initial) for f in uploads]


class HazardForm(StyledFormMixin, forms.ModelForm):
    deadline_working_days = forms.IntegerField(
        label="或 N 个工作日",
        required=False,
        min_value=1,
        max_value=365,
        help_text="从检查日期起算，节假日和调休按国家安排",
    )
    lead_department = forms.TypedChoiceField(label="首办负责部门", coerce=int, required=False)
    disposal = forms.ChoiceField(
        label="处置措施",
        required=False,
        choices=[("", "—"), (Hazard.Disposal.CLOSE.value, Hazard.Disposal.CLOSE.label)],
        help_text="非法场所（黑窝点）不整改，只能关闭取缔",
    )
    photos = MultiplePhotoField(label="现场照片", required=False)

    class Meta:
        model = Hazard
        fields = [
            "description",
            "hazard_type",
            "level",
            "location",
            "legal_basis",
            "deadline",
            "deadline_working_days",
            "fixed_on_spot",
            "disposal",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {"deadline": "整改期限（日期）", "fixed_on_spot": "已立即整改（现场整改完毕）"}
        help_texts = {"description": "提交时必填：写明部位和存在的问题"}

    def __init__(
        self,
        *args,
        department_choices: list[tuple[int, str]],
        inspection_date: datetime.date | None = None,
        unit: Unit | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.inspection_date = inspection_date
        self.unit = unit
        self.prepared_photos = []
        # A draft may be incomplete; submission requires these (workflow.completeness_errors).
        for name in ("description", "level", "hazard_type"):
            self.fields[name].required = False
        self.fields["level"].choices = [("", "请选择")] + list(Hazard.Level.choices)
        self.fields["hazard_type"].choices = [("", "请选择")] + list(Hazard.Type.choices)
        self.fields["lead_department"].choices = [
            ("", "默认：单位的牵头部门"),
            *department_choices,
        ]
        self.valid_departments = {pk for pk, _ in department_choices}
        if self.instance.pk:
            self.initial["lead_department"] = self.instance.lead_department_id
            if self.instance.deadline_working_days and not self.is_bound:
                # The date was computed from the working days; showing both would make the
                # next save refuse them as two answers to one question.
                self.initial["deadline"] = None
                if self.instance.deadline:
                    self.fields["deadline_working_days"].help_text = (
                        f"现按{self.instance.deadline_working_days}个工作日计为"
                        f"{self.instance.deadline:%Y-%m-%d}"
                    )

    def clean_lead_department(self) -> int | None:
        value = self.cleaned_data.get("lead_department")
        if value in (None, ""):
            return None
        if value not in self.valid_departments:
            raise forms.ValidationError("请选择有效的部门")
        return value

    def clean_photos(self) -> list:
        prepared = []
        if self.cleaned_data.get("photos"):
            check_request_pixels(self.files)
        for upload in self.cleaned_data.get("photos") or []:
            try:
                prepared.append((upload, prepare_photo(upload)))
            except forms.ValidationError as error:
                name = getattr(upload, "name", "")
                raise forms.ValidationError(f"{name}：{error.messages[0]}") from None
        self.prepared_photos = prepared
        return self.cleaned_data.get("photos") or []

    def clean(self):
        cleaned = super().clean()
        deadline = cleaned.get("deadline")
        working_days = cleaned.get("deadline_working_days")
        if deadline and working_days:
            self.add_error("deadline_working_days", "整改期限请填日期或工作日数，二选一")
        elif working_days and self.inspection_date:
            cleaned["deadline"] = deadline = add_working_days(self.inspection_date, working_days)
            problem = working_days_problem(self.inspection_date, deadline)
            if problem:
                self.add_error("deadline_working_days", problem)
        if deadline and self.inspection_date and deadline < self.inspection_date:
            self.add_error("deadline", "整改期限不能早于检查日期")
        if self.unit is not None and not self.unit.is_illegal and cleaned.get("disposal"):
            # 关闭取缔 at the outset is only for illegal sites; elsewhere disposal comes later.
            cleaned["disposal"] = ""
        return cleaned


class BaseHazardFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "删除此隐患"
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


def hazard_formset_class(extra: int):
    return inlineformset_factory(
        Inspection,
        Hazard,
        form=HazardForm,
        formset=BaseHazardFormSet,
        extra=extra,
        can_delete=True,
        max_num=50,
        validate_max=True,
    )


def department_choices() -> list[tuple[int, str]]:
    """One query for every hazard row's department select."""
    return list(Department.objects.order_by("sort_order", "id").values_list("pk", "name"))


class UnitSearchForm(forms.Form):
    q = forms.CharField(max_length=50, required=False)


class InspectionFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="单位", method="filter_unit")
    kind = django_filters.ChoiceFilter(label="检查类型", choices=Inspection.Kind.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=Inspection.Status.choices)
    date_from = django_filters.DateFilter(
        label="检查日期从",
        field_name="date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label="至",
        field_name="date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    mine = django_filters.BooleanFilter(
        label="仅我参与的", method="filter_mine", widget=YesNoWidget(only_yes=True)
    )
    # Link-only parameters (the dashboard's inspection and coverage figures): bare ids, so the
    # page renders no list of every department, street, campaign or category.
    department = django_filters.ModelChoiceFilter(
        label="检查部门", queryset=Department.objects.all(), widget=forms.HiddenInput
    )
    area = django_filters.ModelChoiceFilter(
        label="街道", field_name="unit__area", queryset=Area.objects.all(), widget=forms.HiddenInput
    )
    campaign = django_filters.ModelChoiceFilter(
        label="专项检查", queryset=Campaign.objects.all(), widget=forms.HiddenInput
    )
    category = django_filters.ModelChoiceFilter(
        label="行业/场所",
        field_name="unit__category",
        queryset=Category.objects.all(),
        widget=forms.HiddenInput,
    )
    # staff=1: inspections by the district's staff, as statistics count them (no 企业自查, no
    # reports received from other systems).
    staff = django_filters.CharFilter(
        label="仅检查人员的检查", method="filter_staff", widget=forms.HiddenInput
    )

    class Meta:
        model = Inspection
        fields = [
            "q",
            "kind",
            "status",
            "date_from",
            "date_to",
            "mine",
            "department",
            "area",
            "campaign",
            "category",
            "staff",
        ]

    def filter_staff(self, queryset, name, value):
        if value != "1":
            return queryset
        return queryset.exclude(kind__in=Inspection.NOT_BY_INSPECTORS)

    def filter_unit(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(unit__name__contains=value)
            | Q(unit__credit_code__contains=value.upper())
            | Q(unit__address__contains=value)
        )

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = self.request.user
        joined = Inspection.inspectors.through.objects.filter(
            inspection_id=OuterRef("pk"), user_id=user.pk
        )
        return queryset.filter(Q(created_by=user) | Exists(joined))
