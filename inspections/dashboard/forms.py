"""The dashboard's filters: period (month / quarter / year / custom), street, department,
campaign — all in the query string, so a dashboard can be shared, bookmarked and printed."""

import datetime

from django import forms

from anjian.forms import StyledFormMixin
from units.models import Area, Department

from ..models import Campaign
from .scope import Period

PERIODS = [("month", "月度"), ("quarter", "季度"), ("year", "年度"), ("custom", "自定义")]
MONTHS = [(str(m), f"{m}月") for m in range(1, 13)]
QUARTERS = [(str(q), f"第{'一二三四'[q - 1]}季度") for q in range(1, 5)]
# A custom period longer than this is a year-on-year comparison of years: use 年度.
MAX_CUSTOM_DAYS = 366
_date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def league_departments():
    """Departments a league table ranks: regulators and street offices."""
    return Department.objects.filter(
        kind__in=[Department.Kind.REGULATOR, Department.Kind.STREET]
    ).order_by("sort_order", "id")


class DashboardFilterForm(StyledFormMixin, forms.Form):
    period = forms.ChoiceField(label="统计周期", choices=PERIODS, required=False)
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100, required=False)
    month = forms.ChoiceField(label="月份", choices=MONTHS, required=False)
    quarter = forms.ChoiceField(label="季度", choices=QUARTERS, required=False)
    start = forms.DateField(label="起始日期", required=False, widget=_date)
    end = forms.DateField(label="截止日期", required=False, widget=_date)
    area = forms.ModelChoiceField(
        label="街道", queryset=Area.objects.all(), required=False, empty_label="全区"
    )
    department = forms.ModelChoiceField(
        label="部门", queryset=league_departments(), required=False, empty_label="全部部门"
    )
    campaign = forms.ModelChoiceField(
        label="专项检查", queryset=Campaign.objects.all(), required=False, empty_label="不限"
    )

    def __init__(self, data=None, *, user, today: datetime.date):
        super().__init__(data)
        self.today = today
        # Unbound: the form shows the period the page shows, the current month.
        self.fields["period"].initial = "month"
        self.fields["year"].initial = today.year
        self.fields["month"].initial = str(today.month)
        self.fields["quarter"].initial = str((today.month - 1) // 3 + 1)
        if not user.sees_everything:
            # An inspector's dashboard is their department's already (visible_to).
            del self.fields["department"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") == "custom":
            start, end = cleaned.get("start"), cleaned.get("end")
            if not start:
                self.add_error("start", "自定义周期请填写起始日期")
            if not end:
                self.add_error("end", "自定义周期请填写截止日期")
            if start and end and end < start:
                self.add_error("end", "截止日期不能早于起始日期")
            elif start and end and (end - start).days >= MAX_CUSTOM_DAYS:
                self.add_error("end", "自定义周期不能超过一年，更长的比较请按年度查看")
        return cleaned

    def get_period(self) -> Period:
        """The period asked for; the current month when nothing (valid) was asked."""
        data = self.cleaned_data if self.is_valid() else {}
        today = self.today
        kind = data.get("period") or "month"
        year = data.get("year") or today.year
        if kind == "custom":
            return Period("custom", data["start"], data["end"], today)
        if kind == "year":
            return Period("year", datetime.date(year, 1, 1), datetime.date(year, 12, 31), today)
        if kind == "quarter":
            quarter = int(data.get("quarter") or (today.month - 1) // 3 + 1)
            first = 3 * quarter - 2
            return Period(
                "quarter", datetime.date(year, first, 1), _month_end(year, first + 2), today
            )
        month = int(data.get("month") or today.month)
        return Period("month", datetime.date(year, month, 1), _month_end(year, month), today)

    def choice(self, name: str) -> int | None:
        if name not in self.fields or not self.is_valid():
            return None
        value = self.cleaned_data.get(name)
        return value.pk if value is not None else None


def _month_end(year: int, month: int) -> datetime.date:
    if month == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
