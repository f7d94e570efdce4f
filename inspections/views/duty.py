"""值班表 pages: the roster (office, supervision office, leaders), its form and its .xlsx import.

Reading is for the district-wide roles; entering, editing and importing are the office's.
The import is anjian/imports.py's upload → preview → confirm, like the unit and ledger imports.
"""

import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anjian.imports import ImportUploadForm, PendingUpload
from anjian.lists import FilteredListView
from anjian.spreadsheets import XLSX_CONTENT_TYPE, ImportFileError

from .. import duty
from ..forms_duty import DutyFilter, DutyShiftForm
from ..models import DutyShift

PENDING = PendingUpload("duty_import")
SHOWN_ISSUES = 500
PREVIEW_ROWS = 200


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


@require_http_methods(["GET", "POST"])
def duty_import(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        PENDING.store(request, form.cleaned_data["file"])
        return redirect("duty_import_preview")
    return render(
        request,
        "inspections/duty/import_upload.html",
        {
            "form": form,
            "columns": duty.COLUMNS,
            "max_mb": settings.IMPORT_MAX_BYTES // 1048576,
            "max_rows": duty.MAX_ROWS,
        },
    )


def _preview(request, *, roster=None, file_error="", token="", stale=False, filename=None):
    context = {
        "filename": PENDING.filename(request) if filename is None else filename,
        "report": roster,
        "file_error": file_error,
        "token": token,
        "stale": stale,
        "shown_issues": SHOWN_ISSUES,
        "preview_rows": PREVIEW_ROWS,
    }
    if roster is not None:
        context.update(
            errors=roster.errors[:SHOWN_ISSUES],
            warnings=roster.warnings[:SHOWN_ISSUES],
            preview=roster.rows[:PREVIEW_ROWS],
            replacing=sum(1 for row in roster.rows if row.replaces),
        )
    return render(request, "inspections/duty/import_preview.html", context)


@require_GET
def duty_import_preview(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    if not PENDING.exists(request):
        messages.info(request, "请先上传值班表")
        return redirect("duty_import")
    try:
        roster = duty.read_roster(PENDING.path(request))
    except ImportFileError as exc:
        filename = PENDING.filename(request)
        PENDING.discard(request)
        return _preview(request, file_error=str(exc), filename=filename)
    return _preview(request, roster=roster, token=PENDING.token(request))


@require_POST
def duty_import_confirm(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    claimed = PENDING.claim(request, request.POST.get("token"))
    if claimed is None:
        messages.warning(request, "该预览已失效（可能已导入，或之后又上传了其他文件），请重新上传")
        return redirect("duty_import")
    if claimed is False:
        messages.warning(request, "该文件正在导入或已导入，请在值班表中查看")
        return redirect("duty_list")
    try:
        roster = duty.import_roster(claimed.path, actor=request.user)
    except ImportFileError as exc:
        return _preview(request, file_error=str(exc), filename=claimed.filename)
    except IntegrityError:
        return _preview(
            request,
            file_error="导入时与同时进行的另一次修改冲突，未导入任何值班；请重新上传预览",
            filename=claimed.filename,
        )
    finally:
        claimed.path.unlink(missing_ok=True)
    if roster.errors:
        return _preview(request, roster=roster, stale=True, filename=claimed.filename)
    first, last = roster.dates
    message = f"已从“{claimed.filename}”导入 {len(roster.rows)} 条值班（{first:%Y-%m-%d} 至 {last:%Y-%m-%d}）"
    if roster.replaced:
        message += f"，其中 {roster.replaced} 条替换了原有安排"
    messages.success(request, message)
    return redirect(f"{reverse('duty_list')}?date_from={first:%Y-%m-%d}&date_to={last:%Y-%m-%d}")


@require_GET
def duty_import_template(request: HttpRequest) -> FileResponse:
    _require_office(request)
    buffer = io.BytesIO()
    duty.write_template(buffer, start=timezone.localdate())
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename="值班表导入模板.xlsx", content_type=XLSX_CONTENT_TYPE
    )


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
