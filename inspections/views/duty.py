"""值班表 pages: the roster (office, supervision office, leaders), its form and its .xlsx import.

Reading is for the district-wide roles; entering, editing and importing are the office's.
The import is anjian/imports.py's TableImport (upload → preview → confirm), like accidents.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from anjian.imports import TableImport
from anjian.lists import FilteredListView

from .. import duty
from ..forms_duty import DutyFilter, DutyShiftForm
from ..models import DutyShift


def _require_reader(request: HttpRequest) -> None:
    if not request.user.sees_everything:
        raise PermissionDenied("值班表仅对安委办、督查室和区领导开放")


def _require_office(request: HttpRequest) -> None:
    if not request.user.is_office:
        raise PermissionDenied("只有安委办可以维护值班表")


class DutyListView(FilteredListView):
    template_name = "inspections/duty/list.html"
    filterset_class = DutyFilter
    sort_fields = {
        "date": ("date", "department__sort_order", "department_id", "id"),
        "department": ("department__sort_order", "department_id", "date", "id"),
    }
    default_sort = "date"

    def dispatch(self, request, *args, **kwargs):
        _require_reader(request)
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        queryset = DutyShift.objects.visible_to(self.request.user).select_related(
            "department", "leader"
        )
        # From today on unless a date range is asked for: what is coming is what matters.
        if not (self.request.GET.get("date_from") or self.request.GET.get("date_to")):
            queryset = queryset.filter(date__gte=timezone.localdate())
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.request.user.is_office
        context["today"] = timezone.localdate()
        return context


duty_list = DutyListView.as_view()


@require_http_methods(["GET", "POST"])
def duty_create(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    initial = {"date": request.GET.get("date") or timezone.localdate()}
    form = DutyShiftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        try:
            with transaction.atomic():
                shift = form.save()
        except IntegrityError:
            form.add_error("department", "该部门当天已有值班安排，请修改那一条")
        else:
            messages.success(request, f"已添加 {shift.date:%Y-%m-%d} {shift.department} 的值班")
            return redirect(_list_at(shift))
    return render(request, "inspections/duty/form.html", {"form": form, "title": "添加值班"})


@require_http_methods(["GET", "POST"])
def duty_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_office(request)
    shift = get_object_or_404(DutyShift.objects.visible_to(request.user), pk=pk)
    form = DutyShiftForm(request.POST or None, instance=shift)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:
            form.add_error("department", "该部门当天已有值班安排，请修改那一条")
        else:
            messages.success(request, "值班安排已保存")
            return redirect(_list_at(shift))
    return render(
        request,
        "inspections/duty/form.html",
        {"form": form, "title": "修改值班", "shift": shift},
    )


@require_POST
def duty_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_office(request)
    shift = get_object_or_404(DutyShift.objects.visible_to(request.user), pk=pk)
    shift.delete()
    messages.success(request, f"已删除 {shift.date:%Y-%m-%d} {shift.department} 的值班")
    return redirect(_list_at(shift))


def _list_at(shift: DutyShift) -> str:
    day = f"{shift.date:%Y-%m-%d}"
    return f"{reverse('duty_list')}?date_from={day}"


# --- import ---------------------------------------------------------------------------------


class DutyImport(TableImport):
    session_key = "duty_import"
    upload_template = "inspections/duty/import_upload.html"
    preview_template = "inspections/duty/import_preview.html"
    upload_url, preview_url, list_url = "duty_import", "duty_import_preview", "duty_list"
    template_filename = "值班表导入模板.xlsx"
    columns = duty.COLUMNS
    max_rows = duty.MAX_ROWS
    refusal = "只有安委办可以维护值班表"

    def read(self, path):
        return duty.read_roster(path)

    def enter(self, path, *, actor, filename):
        return duty.import_roster(path, actor=actor, filename=filename)

    def write_template(self, fileobj) -> None:
        duty.write_template(fileobj, start=timezone.localdate())

    def preview_context(self, report) -> dict:
        return {"replacing": sum(1 for row in report.rows if row.replaces)}

    def done_message(self, report, filename: str) -> str:
        first, last = report.dates
        message = (
            f"已从“{filename}”导入 {len(report.rows)} 条值班（{first:%Y-%m-%d} 至 {last:%Y-%m-%d}）"
        )
        if report.replaced:
            message += f"，其中 {report.replaced} 条替换了原有安排"
        return message

    def done_url(self, report) -> str:
        first, last = report.dates
        return f"{reverse('duty_list')}?date_from={first:%Y-%m-%d}&date_to={last:%Y-%m-%d}"


IMPORT = DutyImport()
PENDING = IMPORT.pending


def today_card(user) -> dict | None:
    """For the office and leaders' home pages: who is on duty today, when anyone is."""
    if not (user.is_office or user.role == user.Role.LEADER or user.is_superuser):
        return None
    today = timezone.localdate()
    shifts = list(
        DutyShift.objects.visible_to(user)
        .on(today)
        .select_related("department")
        .order_by("department__sort_order", "department_id")
    )
    if not shifts:
        return None
    return {"template": "inspections/duty/_home_card.html", "shifts": shifts, "today": today}
