from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from anjian.lists import FilteredListView

from .filters import UnitFilter
from .forms import UnitForm
from .models import Unit
from .sections import sections_for


class UnitListView(FilteredListView):
    template_name = "units/unit_list.html"
    filterset_class = UnitFilter
    sort_fields = {
        "name": ("name", "id"),
        "category": ("category__sort_order", "name", "id"),
        "area": ("area__sort_order", "name", "id"),
        "updated": ("-updated_at", "id"),
    }
    default_sort = "name"
    paginate_ids_first = True

    def get_base_queryset(self):
        return Unit.objects.visible_to(self.request.user).select_related(
            "category", "area", "lead_department"
        )


unit_list = UnitListView.as_view()


def get_unit_for_user(request, pk: int) -> Unit:
    return get_object_or_404(
        Unit.objects.visible_to(request.user).select_related("category", "area", "lead_department"),
        pk=pk,
    )


def unit_detail(request, pk: int):
    unit = get_unit_for_user(request, pk)
    return render(
        request, "units/unit_detail.html", {"unit": unit, "sections": sections_for(request, unit)}
    )


def _require_unit_manager(request) -> None:
    if not request.user.can_manage_units:
        raise PermissionDenied("只有安委办和管理员可以维护单位信息")


def unit_create(request):
    _require_unit_manager(request)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        unit = form.save()
        messages.success(request, f"已新增单位：{unit.name}")
        return redirect("units:detail", pk=unit.pk)
    return render(request, "units/unit_form.html", {"form": form, "title": "新增单位"})


def unit_edit(request, pk: int):
    _require_unit_manager(request)
    unit = get_unit_for_user(request, pk)
    form = UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "单位信息已保存")
        return redirect("units:detail", pk=unit.pk)
    return render(
        request, "units/unit_form.html", {"form": form, "title": f"编辑：{unit.name}", "unit": unit}
    )
