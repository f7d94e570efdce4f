"""一票否决台账 page (/vetoes/): for the office and the leaders, filterable by year and
department; anyone else sees only their own department's entries (VetoEntry.visible_to)."""

from anjian.lists import FilteredListView

from .. import vetoes
from ..forms_bulletins import VetoEntryFilter
from ..models import VetoEntry


class VetoListView(FilteredListView):
    template_name = "bulletins/vetoes.html"
    filterset_class = VetoEntryFilter
    sort_fields = {
        "year": ("year", "occurred_on", "id"),
        "occurred": ("occurred_on", "id"),
    }
    default_sort = "-year"
    paginate_by = 50

    def get_base_queryset(self):
        return VetoEntry.objects.visible_to(self.request.user).select_related(
            "department", "bulletin"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The annual evaluation's reading of the same filtered entries.
        context["summary"] = vetoes.vetoed_departments(self.filterset.qs)
        return context


veto_list = VetoListView.as_view()
