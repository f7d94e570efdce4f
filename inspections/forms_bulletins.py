"""Forms of the bulletin pages."""

import datetime

import django_filters
from django import forms
from django.db.models import Q

from anjian.forms import StyledFilterSet, StyledFormMixin
from units.models import Area, Department

from . import quarterly
from .models import Bulletin, BulletinAdjustment, BulletinDefaults, Campaign, VetoEntry

_date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _last_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


class BulletinCreateForm(StyledFormMixin, forms.Form):
    start = forms.DateField(label="统计开始日期", widget=_date)
    end = forms.DateField(label="统计结束日期", widget=_date)
    campaign = forms.ModelChoiceField(
        label="专项检查（可选）", queryset=Campaign.objects.all(), required=False
    )
    area = forms.ModelChoiceField(
        label="街道（可选，不选为全区）", queryset=Area.objects.all(), required=False
    )
    supersedes = forms.ModelChoiceField(
        label="更正并替代（可选）",
        queryset=Bulletin.objects.filter(status=Bulletin.Status.CIRCULATED),
        required=False,
        help_text="已印发的通报不能修改；如有错误，新建一份通报并选择被替代的原通报",
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = _last_month(today)
        self.fields["start"].initial = start
        self.fields["end"].initial = end

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "结束日期不能早于开始日期")
        if start and end and (end - start).days > 366:
            self.add_error("end", "统计期间不能超过一年")
        return data


class BulletinTextForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Bulletin
        fields = ["narrative", "praise_remarks", "criticism_remarks", "requirements", "contact"]
        labels = {
            "narrative": "二、存在问题",
            "praise_remarks": "表扬意见（附在表扬名单后）",
            "criticism_remarks": "批评意见（附在批评名单后）",
            "requirements": "四、下步工作要求",
            "contact": "联系人",
        }
        widgets = {
            **{name: forms.Textarea(attrs={"rows": 4}) for name in fields[:4]},
            "contact": forms.TextInput(),
        }
        help_texts = {
            "narrative": "每行一段；统计数字不可编辑，只能重新生成",
            "requirements": "每行一段；默认内容由安委办在“通报默认内容”中维护",
            "contact": "印在成文日期下，如：联系人：王某某，电话：024-00000000；留空不印",
        }


class QuarterlyTextForm(StyledFormMixin, forms.ModelForm):
    """A 季报's own words: the analysis and the contact line; its tables are computed."""

    class Meta:
        model = Bulletin
        fields = ["narrative", "contact"]
        labels = {"narrative": "二、分析", "contact": "联系人"}
        widgets = {"narrative": forms.Textarea(attrs={"rows": 6}), "contact": forms.TextInput()}
        help_texts = {
            "narrative": "每行一段；统计表不可编辑，只能重新生成",
            "contact": "印在成文日期下；留空不印",
        }


QUARTERS = [(str(n), f"第{'一二三四'[n - 1]}季度") for n in (1, 2, 3, 4)]


class QuarterlyCreateForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(
        label="年度",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "请填写年度",
            "min_value": "年度不正确",
            "max_value": "年度不正确",
        },
    )
    quarter = forms.ChoiceField(
        label="季度", choices=QUARTERS, error_messages={"required": "请选择季度"}
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        year, quarter = quarterly.previous_quarter(today)
        self.fields["year"].initial = year
        self.fields["quarter"].initial = str(quarter)

    def clean(self):
        data = super().clean()
        year, quarter = data.get("year"), data.get("quarter")
        if year and quarter:
            _, end = quarterly.quarter_bounds(year, int(quarter))
            if end >= self.today:
                self.add_error("quarter", "该季度尚未结束，季度结束后才能编制季报")
        return data


class BulletinDefaultsForm(StyledFormMixin, forms.ModelForm):
    """The office's standing 下步工作要求 and 联系人, copied into each new bulletin."""

    class Meta:
        model = BulletinDefaults
        fields = ["requirements", "contact"]
        labels = {"requirements": "下步工作要求（默认）", "contact": "联系人（默认）"}
        widgets = {"requirements": forms.Textarea(attrs={"rows": 8})}
        help_texts = {
            "requirements": "每行一段（一是…二是…）；新生成的通报从此开始，可在每份通报中再修改",
        }
        error_messages = {"requirements": {"required": "请填写下步工作要求"}}


class BulletinReturnForm(StyledFormMixin, forms.Form):
    remark = forms.CharField(
        label="退回意见",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "退回时请写明需要修改的内容"},
    )


class BulletinAdjustForm(StyledFormMixin, forms.Form):
    """Strike an entry of a list, or add one; the reason is required either way."""

    action = forms.ChoiceField(label="调整", choices=BulletinAdjustment.Action.choices)
    section = forms.ChoiceField(label="名单", choices=BulletinAdjustment.Section.choices)
    department = forms.ModelChoiceField(
        label="部门/街道",
        queryset=Department.objects.exclude(
            kind__in=[Department.Kind.OFFICE, Department.Kind.SUPERVISION]
        ),
        error_messages={"required": "请选择部门或街道"},
    )
    text = forms.CharField(
        label="通报事由（增加时必填，印在通报中）",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label="调整理由（记入流转记录）",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写调整理由"},
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == BulletinAdjustment.Action.ADD and not data.get("text"):
            self.add_error("text", "增加的名单须写明通报事由")
        return data


class BulletinFilter(StyledFilterSet):
    kind = django_filters.ChoiceFilter(label="类型", choices=Bulletin.Kind.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=Bulletin.Status.choices)
    q = django_filters.CharFilter(label="标题/文号", method="filter_text")

    class Meta:
        model = Bulletin
        fields = ["kind", "status", "q"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__contains=value) | Q(number__contains=value))


class VetoEntryFilter(StyledFilterSet):
    year = django_filters.NumberFilter(label="考核年度", min_value=2000, max_value=2100)
    department = django_filters.ModelChoiceFilter(
        label="部门/街道",
        queryset=Department.objects.exclude(
            kind__in=[Department.Kind.OFFICE, Department.Kind.SUPERVISION]
        ),
        empty_label="全部",
    )
    kind = django_filters.ChoiceFilter(
        label="否决事项", choices=VetoEntry.Kind.choices, empty_label="全部"
    )

    class Meta:
        model = VetoEntry
        fields = ["year", "department", "kind"]
