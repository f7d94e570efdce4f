"""Inspection records: logging one on a phone (draft → submit), its page, its printable form,
the list, the unit search the form uses, and the only way hazard photos are served."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from anjian.lists import FilteredListView
from units.models import Unit

from .. import workflow
from ..documents.views import section_context as documents_section
from ..forms_inspections import (
    InspectionFilter,
    InspectionForm,
    UnitSearchForm,
    department_choices,
    hazard_formset_class,
    may_log_inspections,
)
from ..forms_registry import VoidForm
from ..models import Document, Hazard, HazardAttachment, HazardPhoto, Inspection
from ..photos import discard_files, save_photo

UNIT_SEARCH_LIMIT = 20
# ?check on the edit page lists what keeps the draft from being submitted.
CHECK_PARAM = "check"


# --- list ------------------------------------------------------------------------------------


class InspectionListView(FilteredListView):
    template_name = "inspections/inspection_list.html"
    filterset_class = InspectionFilter
    sort_fields = {
        "date": ("date", "id"),
        "unit": ("unit__name", "id"),
        "hazards": ("hazard_count", "id"),
    }
    default_sort = "-date"
    # Counting each inspection's hazards over every visible inspection before LIMIT scanned the
    # whole hazard table (3.5 s at 1M hazards); the count now runs for the page's rows only.
    paginate_ids_first = True

    def get_base_queryset(self):
        return Inspection.objects.visible_to(self.request.user)

    def filtered_queryset(self):
        queryset = super().filtered_queryset()
        if self.current_sort().lstrip("-") == "hazards":
            # Sorting by the count needs it for every row; only this rarely used sort pays for it.
            queryset = queryset.annotate(hazard_count=_hazard_count())
        return queryset

    def get_page_rows_queryset(self):
        return (
            self.get_base_queryset()
            .select_related("unit", "department", "campaign", "created_by")
            .prefetch_related("inspectors")
            .annotate(hazard_count=_hazard_count())
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_log"] = may_log_inspections(self.request.user)
        # How many units the listed inspections cover — for the dashboard's coverage links
        # (staff=1, as statistics count inspections); the everyday list does not pay for it.
        if self.request.GET.get("staff") == "1":
            context["unit_count"] = (
                self.filterset.qs.order_by().values("unit_id").distinct().count()
            )
        return context


def _hazard_count():
    hazards = Hazard.objects.filter(inspection=OuterRef("pk")).order_by().values("inspection")
    return Coalesce(Subquery(hazards.annotate(n=Count("pk")).values("n")), 0)


inspection_list = InspectionListView.as_view()


# --- detail and print ------------------------------------------------------------------------


def get_inspection_for_user(request: HttpRequest, pk: int) -> Inspection:
    return get_object_or_404(
        Inspection.objects.visible_to(request.user).select_related(
            "unit__category",
            "unit__area",
            "unit__lead_department",
            "department",
            "campaign",
            "created_by",
        ),
        pk=pk,
    )


def _record_context(request: HttpRequest, inspection: Inspection) -> dict:
    hazards = list(
        Hazard.objects.visible_to(request.user)
        .filter(inspection=inspection)
        .select_related("lead_department")
        .prefetch_related(Prefetch("photos", queryset=HazardPhoto.objects.order_by("pk")))
        .order_by("pk")
    )
    inspectors = list(inspection.inspectors.order_by("name", "pk"))
    return {
        "inspection": inspection,
        "hazards": hazards,
        "inspectors": inspectors,
        "may_edit": inspection.is_draft and inspection.created_by_id == request.user.pk,
    }


def inspection_detail(
    request: HttpRequest, pk: int, *, void_form=None, status: int = 200
) -> HttpResponse:
    inspection = get_inspection_for_user(request, pk)
    context = _record_context(request, inspection)
    context["can_void"] = (
        request.user.is_office and inspection.status == Inspection.Status.SUBMITTED
    )
    context["void_form"] = void_form or VoidForm()
    context.update(
        documents_section(
            request, Document.objects.visible_to(request.user).filter(inspection=inspection)
        )
    )
    context["record_document"] = next(
        (
            d
            for d in context["documents"]
            if d.kind == Document.Kind.RECORD and d.status == Document.Status.ISSUED
        ),
        None,
    )
    return render(request, "inspections/inspection_detail.html", context, status=status)


@require_POST
def inspection_void(request: HttpRequest, pk: int) -> HttpResponse:
    """作废 with a reason (office and admin): a submitted inspection is never deleted; it and
    its hazards leave the counts (workflow.void_inspection)."""
    if not request.user.is_office:
        raise PermissionDenied("只有安委办和管理员可以作废检查记录")
    inspection = get_inspection_for_user(request, pk)
    form = VoidForm(request.POST)
    if inspection.is_void:
        messages.info(request, "该检查记录已作废")
        return redirect("inspection_detail", pk=inspection.pk)
    if not form.is_valid():
        return inspection_detail(request, pk, void_form=form, status=400)
    try:
        hazards = workflow.void_inspection(
            inspection_id=inspection.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except workflow.WorkflowError as error:
        form.add_error("reason", str(error))
        return inspection_detail(request, pk, void_form=form, status=400)
    messages.success(request, f"已作废该检查记录及其 {len(hazards)} 条隐患")
    return redirect("inspection_detail", pk=inspection.pk)


def inspection_print(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_inspection_for_user(request, pk)
    context = _record_context(request, inspection)
    context["printed_at"] = timezone.localtime()
    return render(request, "inspections/inspection_print.html", context)


# --- create / edit ---------------------------------------------------------------------------


class RolledBack(Exception):
    """Raised inside the transaction to undo everything this POST wrote."""


class NoLongerDraft(Exception):
    """The draft this POST was built from has been submitted meanwhile (a second tab, a double
    tap on 提交): nothing of it may be written back."""


def _require_logger(request: HttpRequest) -> None:
    if not may_log_inspections(request.user):
        raise PermissionDenied("只有检查员和安委办可以登记检查记录")


def inspection_create(request: HttpRequest) -> HttpResponse:
    _require_logger(request)
    user = request.user
    inspection = Inspection(created_by=user, department_id=user.department_id)
    unit_id = request.GET.get("unit", "")
    if request.method == "GET" and unit_id.isdigit():
        # Started from a unit's page: preselect it if the user may inspect it.
        inspection.unit = Unit.objects.visible_to(user).filter(pk=unit_id).first()
    return _edit(request, inspection)


def inspection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_logger(request)
    inspection = get_inspection_for_user(request, pk)
    if not inspection.is_draft:
        messages.warning(request, "检查记录已提交，不能再修改；后续变化请在各隐患页面办理。")
        return redirect("inspection_detail", pk=inspection.pk)
    if inspection.created_by_id != request.user.pk:
        messages.warning(request, "只有填报人可以修改草稿。")
        return redirect("inspection_detail", pk=inspection.pk)
    return _edit(request, inspection)


def _edit(request: HttpRequest, inspection: Inspection) -> HttpResponse:
    user = request.user
    departments = department_choices()
    creating = inspection.pk is None
    existing = (
        Hazard.objects.filter(inspection=inspection)
        .prefetch_related(Prefetch("photos", queryset=HazardPhoto.objects.order_by("pk")))
        .order_by("pk")
        if not creating
        else Hazard.objects.none()
    )
    formset_class = hazard_formset_class(extra=0)
    if request.method != "POST":
        form = InspectionForm(instance=inspection, user=user)
        formset = formset_class(
            instance=inspection,
            queryset=existing,
            prefix="hazards",
            form_kwargs={"department_choices": departments},
        )
        if not creating and CHECK_PARAM in request.GET:
            # Back from a refused submission that was kept as a draft: say what is missing.
            errors = workflow.submission_errors(inspection)
            for unbound in [form, *formset.forms]:
                unbound.cleaned_data = {}  # lets add_error work on a form that was not posted
            if errors:
                _put_submission_errors(ValidationError(errors), form, formset)
        return _render_form(request, form, formset, inspection)

    form = InspectionForm(request.POST, instance=inspection, user=user)
    form_ok = form.is_valid()
    formset = formset_class(
        request.POST,
        request.FILES,
        instance=inspection,
        queryset=existing,
        prefix="hazards",
        form_kwargs={
            "department_choices": departments,
            "inspection_date": form.cleaned_data.get("date"),
            "unit": form.cleaned_data.get("unit"),
        },
    )
    formset_ok = formset.is_valid()
    submitting = "submit" in request.POST
    if form_ok and formset_ok:
        new_forms = [f for f in formset.forms if f.instance.pk is None]
        stored_photos: list[HazardPhoto] = []
        try:
            with transaction.atomic():
                hazards = save_record(form, formset, user, stored_photos, submitting=submitting)
        except NoLongerDraft:
            discard_files(stored_photos)
            messages.warning(request, "检查记录已提交，不能再修改；后续变化请在各隐患页面办理。")
            return redirect("inspection_detail", pk=inspection.pk)
        except RolledBack:
            discard_files(stored_photos)
            # The rows are gone: show the form as a new one again.
            if creating:
                inspection.pk = None
                inspection._state.adding = True
            for hazard_form in new_forms:
                hazard_form.instance.pk = None
                hazard_form.instance._state.adding = True
        except BaseException:
            discard_files(stored_photos)
            raise
        else:
            inspection = form.instance
            if hazards is None:
                messages.error(
                    request,
                    "未提交：请改正标出的错误后再提交。已填写的内容和照片已保存为草稿。",
                )
                return redirect(f"{reverse('inspection_edit', args=[inspection.pk])}?{CHECK_PARAM}")
            if submitting:
                numbers = "、".join(h.number for h in hazards)
                messages.success(
                    request,
                    f"检查记录已提交；登记隐患 {len(hazards)} 条{'：' + numbers if numbers else ''}",
                )
                return redirect("inspection_detail", pk=inspection.pk)
            messages.success(request, "草稿已保存，可继续填写后提交。")
            return redirect("inspection_edit", pk=inspection.pk)
    if submitting:
        put_completeness_errors(form, formset)
    # Browsers never re-send a chosen file: say so rather than let the photos vanish silently.
    note = "，已选择的照片需要重新选择" if request.FILES else ""
    action = "提交" if submitting else "保存"
    messages.error(request, f"未{action}：请改正标出的错误{note}。本次填写的内容均未保存。")
    return _render_form(request, form, formset, inspection, status=200)


def save_record(
    form, formset, user, stored_photos: list, *, submitting: bool
) -> list[Hazard] | None:
    """Write the inspection, its hazards and photos; submit if asked (the form and the offline
    sync both save through here). An incomplete record
    stays a draft, photos included, and None says its submission was refused; other refusals
    raise RolledBack with the error put on the form."""
    if form.instance.pk is not None:
        # Re-checked under the row lock: the draft was read before this transaction, and a
        # submission committed since then must not be overwritten by the stale form.
        still_draft = (
            Inspection.objects.select_for_update()
            .filter(pk=form.instance.pk, status=Inspection.Status.DRAFT, created_by=user)
            .exists()
        )
        if not still_draft:
            raise NoLongerDraft
    inspection = form.save()
    inspection.inspectors.set([user.pk, *(u.pk for u in form.cleaned_data["inspectors"])])
    unit = inspection.unit
    pending_photos = []
    deleted_photos = []
    for hazard_form in formset.forms:
        if formset._should_delete_form(hazard_form):
            if hazard_form.instance.pk:
                photos = list(hazard_form.instance.photos.all())
                deleted_photos += photos
                HazardPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
                hazard_form.instance.delete()
            continue
        if hazard_form.instance.pk is None and not hazard_form.has_changed():
            continue
        hazard = hazard_form.save(commit=False)
        hazard.inspection = inspection
        hazard.unit = unit
        hazard.found_on = inspection.date
        hazard.status = Hazard.Status.DRAFT
        chosen = hazard_form.cleaned_data.get("lead_department")
        if chosen:
            hazard.lead_department_id = chosen
        elif hazard.lead_department_id is None:
            hazard.lead_department_id = unit.lead_department_id
        hazard.save()
        pending_photos.append((hazard, hazard_form.prepared_photos))
    # Hazards left untouched in this POST still follow the inspection's unit and date.
    Hazard.objects.filter(inspection=inspection).update(unit=unit, found_on=inspection.date)
    if deleted_photos:
        transaction.on_commit(lambda: discard_files(deleted_photos))

    hazards: list[Hazard] | None = []
    if submitting:
        try:
            # A savepoint of its own: a refused submission undoes only itself, not the draft.
            hazards = workflow.submit_inspection(inspection_id=inspection.pk, actor=user)
        except ValidationError:
            hazards = None
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
            raise RolledBack from None
    for hazard, prepared in pending_photos:
        for upload, photo in prepared:
            stored_photos.append(
                save_photo(
                    hazard=hazard,
                    upload=upload,
                    kind="before",
                    user=user,
                    prepared=photo,
                    # Set by the offline sync (views/sync.py) on the uploads it builds.
                    client_uuid=getattr(upload, "client_uuid", None),
                )
            )
    return hazards


def _put_submission_errors(error: ValidationError, form, formset) -> None:
    """workflow.submission_errors keys → the field each message belongs next to."""
    by_pk = {f.instance.pk: f for f in formset.forms if f.instance.pk}
    for key, texts in error.message_dict.items():
        if key.startswith("hazard-"):
            _, pk, field = key.split("-", 2)
            target = by_pk.get(int(pk)) if pk.isdigit() else None
            if target is not None:
                target.add_error(field if field in target.fields else None, texts)
                continue
            form.add_error(None, texts)
        else:
            form.add_error(key if key in form.fields else None, texts)


def put_completeness_errors(form, formset) -> None:
    """On a POST refused for malformed fields, also list what submission would refuse, so the
    inspector corrects everything in one round; a field keeps only its first complaint."""
    kept = [
        f
        for f in formset.forms
        if not formset._should_delete_form(f) and (f.instance.pk or f.has_changed())
    ]
    errors, per_hazard = workflow.completeness_errors(
        form.instance, [f.instance for f in kept], has_inspectors=True
    )
    for target, found in [(form, errors), *zip(kept, per_hazard, strict=True)]:
        for field, texts in found.items():
            if field in target.fields and not target.errors.get(field):
                target.add_error(field, texts)


def _render_form(request, form, formset, inspection, status: int = 200) -> HttpResponse:
    unit = form.selected_unit()
    context = {
        "form": form,
        "formset": formset,
        "inspection": inspection,
        "creating": inspection.pk is None,
        "selected_unit": unit,
        "hazard_errors": any(f.errors for f in formset.forms) or bool(formset.non_form_errors()),
    }
    return render(request, "inspections/inspection_form.html", context, status=status)


# --- unit search -----------------------------------------------------------------------------


@require_GET
def unit_search(request: HttpRequest) -> JsonResponse:
    """Search as you type for the inspection form: at most 20 units the user may see."""
    form = UnitSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if not query:
        return JsonResponse({"results": []})
    units = (
        Unit.objects.visible_to(request.user)
        # Plain LIKE, as in the unit list: Chinese has no case and UPPER() defeats indexes.
        .filter(
            Q(name__contains=query)
            | Q(credit_code__contains=query.upper())
            | Q(address__contains=query)
        )
        .select_related("lead_department", "category")
        .order_by("name", "id")[:UNIT_SEARCH_LIMIT]
    )
    return JsonResponse({"results": [unit_search_row(unit) for unit in units]})


def unit_search_row(unit: Unit) -> dict:
    """A unit as the form's unit search shows it, online and from the phone's offline list."""
    return {
        "id": unit.pk,
        "name": unit.name,
        "credit_code": unit.credit_code,
        "address": unit.address,
        "category": unit.category.name,
        "is_illegal": unit.is_illegal,
        "lead_department": unit.lead_department_id,
        "lead_department_name": unit.lead_department.name,
    }


# --- photos ----------------------------------------------------------------------------------


def _photo_response(request: HttpRequest, pk: int, *, thumbnail: bool) -> FileResponse:
    photo = get_object_or_404(
        HazardPhoto.objects.filter(hazard__in=Hazard.objects.visible_to(request.user)), pk=pk
    )
    field = photo.thumbnail if thumbnail else photo.image
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404("照片文件不存在") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    # The file behind a pk never changes, but who may see it can: cache privately, briefly.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.jpg"'
    return response


def _attachment_response(request: HttpRequest, pk: int) -> FileResponse:
    """A rectification PDF, to whoever sees its hazard (the portal's URL uses it too)."""
    attachment = get_object_or_404(
        HazardAttachment.objects.filter(hazard__in=Hazard.objects.visible_to(request.user)),
        pk=pk,
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=True, filename=attachment.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def hazard_attachment(request: HttpRequest, pk: int) -> FileResponse:
    return _attachment_response(request, pk)


@require_GET
def hazard_photo(request: HttpRequest, pk: int) -> FileResponse:
    return _photo_response(request, pk, thumbnail=False)


@require_GET
def hazard_photo_thumb(request: HttpRequest, pk: int) -> FileResponse:
    return _photo_response(request, pk, thumbnail=True)
