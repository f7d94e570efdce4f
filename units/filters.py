import django_filters
from django.db.models import Q

from anjian.forms import StyledFilterSet, YesNoWidget

from .models import Area, Category, Department, Unit
from .search import UNIT_DOCUMENT, BigramMatch, has_bigram, is_postgresql

# Still on the register as a unit to inspect: 在营 or 停产整顿 (coverage counts these).
ACTIVE = "active"
ACTIVE_CHOICE = (ACTIVE, "未关闭（在营、停产整顿）")


class UnitFilter(StyledFilterSet):
    q = django_filters.CharFilter(label="关键词", method="filter_text")
    category = django_filters.ModelChoiceFilter(
        label="行业/场所类别", queryset=Category.objects.all()
    )
    area = django_filters.ModelChoiceFilter(label="街道", queryset=Area.objects.all())
    department = django_filters.ModelChoiceFilter(
        label="牵头部门", field_name="lead_department", queryset=Department.objects.all()
    )
    status = django_filters.ChoiceFilter(
        label="经营状态", choices=[*Unit.Status.choices, ACTIVE_CHOICE], method="filter_status"
    )
    key_only = django_filters.BooleanFilter(
        label="仅重点行业/场所",
        method="filter_key_only",
        widget=YesNoWidget(only_yes=True),
    )
    is_illegal = django_filters.BooleanFilter(label="非法场所", widget=YesNoWidget())
    incomplete = django_filters.BooleanFilter(
        label="仅登记信息不全",
        method="filter_incomplete",
        widget=YesNoWidget(only_yes=True),
    )

    class Meta:
        model = Unit
        fields = [
            "q",
            "category",
            "area",
            "department",
            "status",
            "key_only",
            "is_illegal",
            "incomplete",
        ]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Plain LIKE (contains), not icontains: Chinese has no case and UPPER() defeats indexes.
        # Credit codes are stored upper-case.
        code = value.upper()
        exact = Q(name__contains=value) | Q(address__contains=value) | Q(credit_code__contains=code)
        if not (is_postgresql(queryset) and has_bigram(value)):
            return queryset.filter(exact)
        # PostgreSQL: the bigram index finds a superset (units/search.py), the LIKEs keep it
        # exact; the same index serves the ledger's search on unit names.
        superset = Q(BigramMatch(UNIT_DOCUMENT, value))
        if code != value:
            superset |= BigramMatch(UNIT_DOCUMENT, code)
        return queryset.filter(superset, exact)

    def filter_incomplete(self, queryset, name, value):
        if not value:
            return queryset
        blank = Q(pk__in=[])
        for field, _label in Unit.PARTICULARS:
            blank |= Q(**{field: ""})
        return queryset.filter(blank)

    def filter_status(self, queryset, name, value):
        if value == ACTIVE:
            return queryset.exclude(status=Unit.Status.CLOSED)
        return queryset.filter(status=value)

    def filter_key_only(self, queryset, name, value):
        return queryset.filter(category__is_key=True) if value else queryset
