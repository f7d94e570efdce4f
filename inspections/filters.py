"""The hazard ledger's filters: one contract for the ledger page, its xlsx export and the
bulletins' figure links (parameter names documented in briefs/ledger-filters.md)."""

import datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from anjian.forms import StyledFilterSet
from units.models import Area, Category, Department, Unit
from units.search import (
    HAZARD_DOCUMENT,
    UNIT_DOCUMENT,
    BigramMatch,
    InArray,
    has_bigram,
    is_postgresql,
)

from . import queues
from .models import Campaign, Hazard, overdue_q

# Derived statuses: not stored, computed from the status and the deadline.
OVERDUE = "overdue"
OPEN = "open"
# Not dismissed (不予认定 / 合并 / 作废): the hazards a rectification rate is counted over.
ACCEPTED = "accepted"
NOT_ACCEPTED_STATUSES = (Hazard.Status.REJECTED, Hazard.Status.MERGED, Hazard.Status.VOID)

STATUS_CHOICES = [
    (OPEN, "未销号（全部在办）"),
    (OVERDUE, "逾期"),
    (ACCEPTED, "有效隐患（在办及已销号）"),
    *[(value, label) for value, label in Hazard.Status.choices if value != Hazard.Status.DRAFT],
]

YES_CHOICES = [("1", "是")]

_date_widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HazardFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="关键词", method="filter_text")
    status = django_filters.ChoiceFilter(
        label="状态", choices=STATUS_CHOICES, method="filter_status"
    )
    level = django_filters.ChoiceFilter(label="等级", choices=Hazard.Level.choices)
    type = django_filters.ChoiceFilter(
        label="类别", field_name="hazard_type", choices=Hazard.Type.choices
    )
    # 来源: 自查 are the units' own self-reports (portal), told apart from what inspectors found.
    source = django_filters.ChoiceFilter(label="来源", choices=Hazard.Source.choices)
    department = django_filters.ModelChoiceFilter(
        label="首办部门", field_name="lead_department", queryset=Department.objects.all()
    )
    area = django_filters.ModelChoiceFilter(
        label="街道", field_name="unit__area", queryset=Area.objects.all()
    )
    category = django_filters.ModelChoiceFilter(
        label="行业/场所", field_name="unit__category", queryset=Category.objects.all()
    )
    campaign = django_filters.ModelChoiceFilter(
        label="专项检查", field_name="inspection__campaign", queryset=Campaign.objects.all()
    )
    # A bare id (links from the unit page): a choice list of every unit would be unusable.
    unit = django_filters.NumberFilter(label="单位", field_name="unit_id", widget=forms.HiddenInput)
    found_from = django_filters.DateFilter(
        label="发现日期从", field_name="found_on", lookup_expr="gte", widget=_date_widget
    )
    found_to = django_filters.DateFilter(
        label="发现日期至", field_name="found_on", lookup_expr="lte", widget=_date_widget
    )
    deadline_from = django_filters.DateFilter(
        label="整改期限从", field_name="deadline", lookup_expr="gte", widget=_date_widget
    )
    deadline_to = django_filters.DateFilter(
        label="整改期限至", field_name="deadline", lookup_expr="lte", widget=_date_widget
    )
    # The running time limit (整改期限, or a disposal's own: see overdue_q) on or before this
    # day: with status=overdue, "overdue more than N days" as the bulletins link it.
    due_to = django_filters.DateFilter(
        label="到期日至", method="filter_due_to", widget=_date_widget
    )
    # __date converts to the current time zone (Asia/Shanghai), the office's calendar day.
    closed_from = django_filters.DateFilter(
        label="销号日期从", field_name="closed_at", lookup_expr="date__gte", widget=_date_widget
    )
    closed_to = django_filters.DateFilter(
        label="销号日期至", field_name="closed_at", lookup_expr="date__lte", widget=_date_widget
    )
    escalated = django_filters.ChoiceFilter(
        label="已督办", choices=YES_CHOICES, method="filter_escalated"
    )
    listed = django_filters.ChoiceFilter(
        label="挂牌督办", choices=YES_CHOICES, method="filter_listed"
    )
    # 挂牌 on or before this day: the 季报's 挂牌督办 column counts the listings up to the
    # quarter's end, whenever the report is built.
    listed_to = django_filters.DateFilter(
        label="挂牌日期至", field_name="listed_on", lookup_expr="lte", widget=_date_widget
    )
    # A work queue of the home page (inspections/queues.py); hidden, shown as a heading.
    queue = django_filters.ChoiceFilter(
        label="待办", choices=queues.CHOICES, method="filter_queue", widget=forms.HiddenInput
    )

    class Meta:
        model = Hazard
        fields: list[str] = []

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Queues depend on who asks (their department, their own reports and requests).
        self.user = user or getattr(self.request, "user", None)

    def filter_queue(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value or self.user is None:
            return queryset
        return queryset.filter(queues.condition(value, self.user))

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        # Plain LIKE, not icontains: Chinese has no case. The number is stored upper-case.
        code = value.upper()
        if not (is_postgresql(queryset) and has_bigram(value)):
            return queryset.filter(
                Q(number__contains=code)
                | Q(unit__name__contains=value)
                | Q(description__contains=value)
            )
        # PostgreSQL, 1M hazards: LIKE '%消防%' is a sequential scan. The bigram indexes find a
        # superset (units/search.py); the LIKEs, AND-ed to it, keep the result exact. The
        # superset condition is an OR of index conditions on the hazard table alone (the unit
        # names as an array of unit ids), so PostgreSQL answers it with one BitmapOr and, the
        # bitmap being exact, does not evaluate anjian_bigrams() again on the rows it fetches.
        units = InArray(
            "unit_id",
            Unit.objects.using(queryset.db)
            .filter(BigramMatch(UNIT_DOCUMENT, value), name__contains=value)
            .order_by()
            .values("pk"),
        )
        superset = Q(BigramMatch(HAZARD_DOCUMENT, value)) | units
        if code != value:  # e.g. "yh-2026": the number is looked up upper-cased
            superset |= BigramMatch(HAZARD_DOCUMENT, code)
        exact = Q(number__contains=code) | Q(description__contains=value) | units
        return queryset.filter(superset, exact)

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == OVERDUE:
            return queryset.filter(overdue_q(timezone.localdate()))
        if value == OPEN:
            return queryset.filter(status__in=Hazard.OPEN_STATUSES)
        if value == ACCEPTED:
            return queryset.exclude(status__in=NOT_ACCEPTED_STATUSES)
        return queryset.filter(status=value)

    def filter_due_to(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(overdue_q(value + datetime.timedelta(days=1)))

    def filter_escalated(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(escalated_at__isnull=False) if value == "1" else queryset

    def filter_listed(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.exclude(listed_document="") if value == "1" else queryset

    def queryset_without(self, *names: str) -> QuerySet:
        """The filtered queryset with some filters left out — e.g. the per-status counts above
        the ledger are counted over every other filter, so each count is what its link shows."""
        queryset = self.queryset.all()
        if not self.is_bound:
            return queryset
        self.form.is_valid()  # an invalid field is left out, exactly as `qs` does
        for name, value in self.form.cleaned_data.items():
            if name not in names:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


# Sort keys of the ledger (?sort=…, "-" for descending); the pk keeps every order total so a
# page, the next page and the export agree row for row.
LEDGER_SORTS: dict[str, tuple[str, ...]] = {
    "number": ("number", "id"),
    "found_on": ("found_on", "id"),
    "deadline": ("deadline", "id"),
    "status": ("status", "id"),
    "unit": ("unit__name", "unit_id", "id"),
}
LEDGER_DEFAULT_SORT = "-found_on"


def ledger_sort(raw: str | None) -> str:
    """A whitelisted sort key, or the default."""
    raw = raw or LEDGER_DEFAULT_SORT
    return raw if raw.lstrip("-") in LEDGER_SORTS else LEDGER_DEFAULT_SORT


def ledger_order(queryset: QuerySet, sort: str) -> QuerySet:
    fields = LEDGER_SORTS[sort.lstrip("-")]
    if sort.startswith("-"):
        fields = tuple(f[1:] if f.startswith("-") else "-" + f for f in fields)
    return queryset.order_by(*fields)


def ledger_base_queryset(user) -> QuerySet:
    """What the ledger lists for `user`: their scope, without drafts (own drafts included —
    a draft is not yet on the ledger until its inspection is submitted)."""
    return Hazard.objects.visible_to(user, drafts=False).select_related(
        "unit", "unit__area", "unit__category", "lead_department", "handling_department"
    )


def ledger_queryset(user, params) -> tuple[HazardFilter, QuerySet]:
    """The ledger exactly as /hazards/?params shows it, in the same order (the export uses it)."""
    filterset = HazardFilter(params or None, queryset=ledger_base_queryset(user), user=user)
    return filterset, ledger_order(
        filterset.qs, ledger_sort(params.get("sort") if params else None)
    )
