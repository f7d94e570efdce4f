"""Registry pages: enforcement actions (四个一律), accidents (事故) and campaigns (专项检查)."""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from anjian.imports import TableImport
from anjian.lists import FilteredListView
from units.models import Unit, User

from .. import accident_import, enforcement, notify
from ..forms_registry import (
    AccidentFilter,
    AccidentForm,
    CampaignFilter,
    CampaignForm,
    EnforcementFilter,
    EnforcementForm,
    VoidForm,
)
from ..models import Accident, Campaign, EnforcementAction, Hazard, Inspection, overdue_q

# Rows shown on pages that are not paginated (the accident's 责任倒查 lists, the unit picker).
ACCIDENT_HISTORY_LIMIT = 50
PICKER_LIMIT = 20
NOT_INSPECTED_PAGE_SIZE = 50


def _require_office(request, what: str) -> None:
    if not request.user.is_office:
        raise PermissionDenied(f"只有安委办和管理员可以{what}")


def _unit_from_query(request) -> Unit | None:
    raw = request.GET.get("unit") or request.POST.get("unit")
    if not raw:
        return None
    if not str(raw).isdigit():
        raise Http404("单位不存在")
    return get_object_or_404(
        Unit.objects.visible_to(request.user).select_related("area", "category", "lead_department"),
        pk=int(raw),
    )


# ---------------------------------------------------------------- enforcement actions


class EnforcementListView(FilteredListView):
    template_name = "inspections/enforcement/list.html"
    filterset_class = EnforcementFilter
    sort_fields = {
        "decided": ("decided_on", "id"),
        "kind": ("kind", "-decided_on", "-id"),
        "amount": ("fine_amount", "id"),
        "unit": ("unit__name", "-decided_on", "-id"),
    }
    default_sort = "-decided"

    def get_base_queryset(self):
        return (
            EnforcementAction.objects.visible_to(self.request.user)
            .select_related("unit", "unit__area", "department")
            .annotate(hazard_count=Count("hazards"))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = _may_record_somewhere(self.request.user)
        return context


enforcement_list = EnforcementListView.as_view()


def _may_record_somewhere(user: User) -> bool:
    return user.is_office or (user.role == User.Role.INSPECTOR and user.department_id is not None)


def enforcement_create(request):
    user = request.user
    if not _may_record_somewhere(user):
        raise PermissionDenied("只有安委办、管理员和牵头部门检查员可以登记执法措施")
    unit = _unit_from_query(request)
    if unit is None:
        return _unit_picker(request)
    if not enforcement.can_record_enforcement(user, unit):
        raise PermissionDenied("只有安委办、管理员和该单位牵头部门的检查员可以登记执法措施")
    form = EnforcementForm(request.POST or None, user=user, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = enforcement.record_enforcement(
                unit_id=unit.pk,
                actor=user,
                kind=data["kind"],
                decided_on=data["decided_on"],
                department=data["department"],
                document_number=data["document_number"],
                fine_amount=data["fine_amount"],
                inspection_id=data["inspection"].pk if data["inspection"] else None,
                hazard_ids=[h.pk for h in data["hazards"]],
                note=data["note"],
            )
        except enforcement.EnforcementError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"已登记执法措施：{action.get_kind_display()}")
            return redirect("enforcement_detail", pk=action.pk)
    return render(request, "inspections/enforcement/form.html", {"form": form, "unit": unit})


def _unit_picker(request):
    """First step of the form: find the unit by name or credit code."""
    user = request.user
    query = request.GET.get("q", "").strip()
    units: list[Unit] = []
    if query:
        candidates = Unit.objects.visible_to(user)
        if not user.is_office:
            candidates = candidates.filter(lead_department_id=user.department_id)
        units = list(
            candidates.filter(Q(name__contains=query) | Q(credit_code=query.upper()))
            .select_related("area", "category")
            .order_by("name", "id")[:PICKER_LIMIT]
        )
    return render(
        request,
        "inspections/enforcement/unit_picker.html",
        {"query": query, "units": units, "limit": PICKER_LIMIT},
    )


def enforcement_detail(request, pk: int, *, void_form=None, status: int = 200):
    action = get_object_or_404(
        EnforcementAction.objects.visible_to(request.user).select_related(
            "unit",
            "unit__area",
            "unit__category",
            "department",
            "inspection",
            "created_by",
            "voided_by",
        ),
        pk=pk,
    )
    hazards = (
        Hazard.objects.visible_to(request.user)
        .filter(enforcement_actions=action)
        .select_related("lead_department")
        .order_by("-found_on", "-id")
    )
    inspection = action.inspection
    if (
        inspection is not None
        and not Inspection.objects.visible_to(request.user).filter(pk=inspection.pk).exists()
    ):
        inspection = None
    return render(
        request,
        "inspections/enforcement/detail.html",
        {
            "action": action,
            "hazards": hazards,
            "inspection": inspection,
            "can_void": request.user.is_office,
            "void_form": void_form or VoidForm(),
        },
        status=status,
    )


# ---------------------------------------------------------------- accidents


class AccidentListView(FilteredListView):
    template_name = "inspections/accidents/list.html"
    filterset_class = AccidentFilter
    sort_fields = {
        "occurred": ("occurred_on", "id"),
        "deaths": ("deaths", "injuries", "id"),
        "loss": ("direct_loss", "id"),
        "kind": ("kind", "-occurred_on", "-id"),
    }
    default_sort = "-occurred"

    def get_base_queryset(self):
        return Accident.objects.visible_to(self.request.user).select_related("unit", "area")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = self.request.user.is_office
        return context


accident_list = AccidentListView.as_view()


def accident_create(request):
    _require_office(request, "登记事故")
    unit = _unit_from_query(request) if request.method == "GET" else None
    form = AccidentForm(request.POST or None, user=request.user, unit=unit)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        with transaction.atomic():
            accident = form.save()
            notify.fatal_accident(accident, actor=request.user)
        messages.success(request, "事故已登记")
        return redirect("accident_detail", pk=accident.pk)
    return render(request, "inspections/accidents/form.html", {"form": form, "title": "登记事故"})


def accident_edit(request, pk: int):
    _require_office(request, "编辑事故")
    accident = get_object_or_404(
        Accident.objects.visible_to(request.user).select_related("unit"), pk=pk
    )
    was_fatal = accident.deaths > 0
    form = AccidentForm(request.POST or None, instance=accident, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            # A death found later (the injured died) makes it a fatal accident now.
            if not was_fatal:
                notify.fatal_accident(accident, actor=request.user)
        messages.success(request, "事故信息已保存")
        return redirect("accident_detail", pk=accident.pk)
    return render(
        request,
        "inspections/accidents/form.html",
        {"form": form, "title": "编辑事故", "accident": accident},
    )


def accident_detail(request, pk: int, *, void_form=None, status: int = 200):
    user = request.user
    accident = get_object_or_404(
        Accident.objects.visible_to(user).select_related(
            "unit",
            "unit__area",
            "unit__category",
            "unit__lead_department",
            "area",
            "created_by",
            "voided_by",
        ),
        pk=pk,
    )
    context = {
        "accident": accident,
        "can_edit": user.is_office,
        "can_void": user.is_office,
        "void_form": void_form or VoidForm(),
        "limit": ACCIDENT_HISTORY_LIMIT,
    }
    if accident.unit_id is not None:
        context.update(accident_history(accident, user))
    return render(request, "inspections/accidents/detail.html", context, status=status)


def accident_history(accident: Accident, user: User) -> dict:
    """责任倒查: what was known about the unit before the accident day, in five queries."""
    day = accident.occurred_on
    day_start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    # Still open on the accident day: not dismissed, and not closed before that day began.
    open_then = ~Q(
        status__in=[Hazard.Status.REJECTED, Hazard.Status.MERGED, Hazard.Status.VOID]
    ) & (Q(closed_at__isnull=True) | Q(closed_at__gte=day_start))
    overdue_then = open_then & Q(deadline__lt=day)

    inspections = list(
        Inspection.objects.visible_to(user)
        .filter(unit_id=accident.unit_id, status=Inspection.Status.SUBMITTED, date__lt=day)
        .select_related("department")
        .prefetch_related("inspectors")
        .annotate(hazard_count=Count("hazards", filter=~Q(hazards__status=Hazard.Status.DRAFT)))
        .order_by("-date", "-id")[: ACCIDENT_HISTORY_LIMIT + 1]
    )
    hazards_before = (
        Hazard.objects.visible_to(user)
        .filter(unit_id=accident.unit_id, found_on__lt=day)
        .exclude(status=Hazard.Status.DRAFT)
    )
    summary = hazards_before.aggregate(
        found=Count("pk"),
        major=Count("pk", filter=Q(level=Hazard.Level.MAJOR)),
        open_then=Count("pk", filter=open_then),
        overdue_then=Count("pk", filter=overdue_then),
    )
    hazards = list(
        hazards_before.select_related("lead_department")
        .annotate(
            open_then=ExpressionWrapper(open_then, output_field=BooleanField()),
            overdue_then=ExpressionWrapper(overdue_then, output_field=BooleanField()),
        )
        .order_by("-found_on", "-id")[: ACCIDENT_HISTORY_LIMIT + 1]
    )
    actions = list(
        EnforcementAction.objects.visible_to(user)
        .filter(unit_id=accident.unit_id, decided_on__lt=day)
        .select_related("department")
        .order_by("-decided_on", "-id")[: ACCIDENT_HISTORY_LIMIT + 1]
    )
    return {
        "inspections": inspections[:ACCIDENT_HISTORY_LIMIT],
        "inspections_more": len(inspections) > ACCIDENT_HISTORY_LIMIT,
        "hazards": hazards[:ACCIDENT_HISTORY_LIMIT],
        "hazards_more": len(hazards) > ACCIDENT_HISTORY_LIMIT,
        "hazard_summary": summary,
        "actions": actions[:ACCIDENT_HISTORY_LIMIT],
        "actions_more": len(actions) > ACCIDENT_HISTORY_LIMIT,
        "found_to": day - datetime.timedelta(days=1),
    }


# ---------------------------------------------------------------- campaigns


class CampaignListView(FilteredListView):
    template_name = "inspections/campaigns/list.html"
    filterset_class = CampaignFilter
    sort_fields = {
        "start": ("start_date", "id"),
        "end": ("end_date", "id"),
        "name": ("name", "id"),
    }
    default_sort = "-start"

    def get_base_queryset(self):
        # Campaigns are district-wide announcements; coverage figures on the page are scoped.
        return Campaign.objects.prefetch_related("categories", "areas")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = self.request.user.is_office
        context["today"] = timezone.localdate()
        return context


campaign_list = CampaignListView.as_view()


def campaign_create(request):
    _require_office(request, "创建专项检查")
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        campaign = form.save()
        messages.success(request, f"已创建专项检查：{campaign.name}")
        return redirect("campaign_detail", pk=campaign.pk)
    return render(
        request, "inspections/campaigns/form.html", {"form": form, "title": "新建专项检查"}
    )


def campaign_edit(request, pk: int):
    _require_office(request, "编辑专项检查")
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "专项检查已保存")
        return redirect("campaign_detail", pk=campaign.pk)
    return render(
        request,
        "inspections/campaigns/form.html",
        {"form": form, "title": f"编辑：{campaign.name}", "campaign": campaign},
    )


def _void(request, queryset, pk: int, *, detail, label: str):
    """作废 with a reason (office and admin): the record stays, with who, when and why, and
    leaves the statistics. Nothing here is deleted."""
    _require_office(request, f"作废{label}")
    obj = get_object_or_404(queryset, pk=pk)
    form = VoidForm(request.POST)
    if obj.is_void:
        messages.info(request, f"该{label}已作废")
        return redirect(request.resolver_match.url_name.replace("_void", "_detail"), pk=obj.pk)
    if not form.is_valid():
        return detail(request, pk, void_form=form, status=400)
    type(obj).objects.filter(pk=obj.pk, voided_at__isnull=True).update(
        voided_at=timezone.now(), voided_by=request.user, void_reason=form.cleaned_data["reason"]
    )
    messages.success(request, f"已作废该{label}")
    return redirect(request.resolver_match.url_name.replace("_void", "_detail"), pk=obj.pk)


@require_POST
def enforcement_void(request, pk: int):
    queryset = EnforcementAction.objects.visible_to(request.user)
    return _void(request, queryset, pk, detail=enforcement_detail, label="执法措施")


@require_POST
def accident_void(request, pk: int):
    queryset = Accident.objects.visible_to(request.user)
    return _void(request, queryset, pk, detail=accident_detail, label="事故")


@require_POST
def campaign_void(request, pk: int):
    """作废: a campaign is never deleted (inspections may name it, the audit trail keeps it)."""
    _require_office(request, "作废专项检查")
    campaign = get_object_or_404(Campaign, pk=pk)
    form = VoidForm(request.POST)
    if campaign.is_void:
        messages.info(request, "该专项检查已作废")
        return redirect("campaign_detail", pk=campaign.pk)
    if not form.is_valid():
        return campaign_detail(request, pk, void_form=form, status=400)
    Campaign.objects.filter(pk=campaign.pk, voided_at__isnull=True).update(
        voided_at=timezone.now(), voided_by=request.user, void_reason=form.cleaned_data["reason"]
    )
    messages.success(request, f"已作废专项检查：{campaign.name}")
    return redirect("campaign_detail", pk=campaign.pk)


@dataclass
class CategoryCoverage:
    category_id: int
    name: str
    total: int
    inspected: int

    @property
    def percent(self) -> int:
        return round(self.inspected * 100 / self.total) if self.total else 0

    @property
    def remaining(self) -> int:
        return self.total - self.inspected


@dataclass
class Coverage:
    rows: list[CategoryCoverage]
    total: int
    inspected: int
    hazards: dict
    inspection_count: int
    inspected_units: int
    not_inspected: QuerySet

    @property
    def percent(self) -> int:
        return round(self.inspected * 100 / self.total) if self.total else 0

    @property
    def inspected_outside_targets(self) -> int:
        return max(self.inspected_units - self.inspected, 0)


def campaign_targets(campaign: Campaign, user: User) -> QuerySet:
    """Target units the user may see, each annotated `inspected`.

    A target is a unit of the campaign's categories (all categories when none are set) in its
    areas (the whole district when none are set). Inspected means: a submitted inspection that
    names this campaign — routine inspections in the same period do not count, because they
    were not done against the campaign's checklist. Units closed (关闭取缔) are not targets
    unless they were inspected in the campaign before closing."""
    category_ids = [c.pk for c in campaign.categories.all()]
    area_ids = [a.pk for a in campaign.areas.all()]
    units = Unit.objects.visible_to(user)
    if category_ids:
        units = units.filter(category_id__in=category_ids)
    if area_ids:
        units = units.filter(area_id__in=area_ids)
    inspected = Inspection.objects.filter(
        campaign_id=campaign.pk, status=Inspection.Status.SUBMITTED, unit_id=OuterRef("pk")
    )
    return units.annotate(inspected=Exists(inspected)).filter(
        ~Q(status=Unit.Status.CLOSED) | Q(inspected=True)
    )


def campaign_coverage(
    campaign: Campaign, user: User, today: datetime.date | None = None
) -> Coverage:
    """Coverage in three aggregate queries (plus count and rows for the page of units not yet
    inspected), whatever the number of units, inspections and hazards. Expects the campaign's
    categories and areas prefetched."""
    today = today or timezone.localdate()
    targets = campaign_targets(campaign, user)
    grouped = (
        targets.order_by()
        .values("category_id", "category__name", "category__sort_order")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(inspected=True)))
        .order_by("category__sort_order", "category_id")
    )
    rows = [
        CategoryCoverage(g["category_id"], g["category__name"], g["total"], g["done"])
        for g in grouped
    ]
    hazards = (
        Hazard.objects.visible_to(user)
        .filter(inspection__campaign_id=campaign.pk)
        .exclude(status=Hazard.Status.DRAFT)
        .aggregate(
            found=Count("pk"),
            major=Count("pk", filter=Q(level=Hazard.Level.MAJOR)),
            open=Count("pk", filter=Q(status__in=Hazard.OPEN_STATUSES)),
            closed=Count("pk", filter=Q(status=Hazard.Status.CLOSED)),
            overdue=Count("pk", filter=overdue_q(today)),
        )
    )
    inspections = (
        Inspection.objects.visible_to(user)
        .filter(campaign_id=campaign.pk, status=Inspection.Status.SUBMITTED)
        .aggregate(count=Count("pk"), units=Count("unit_id", distinct=True))
    )
    not_inspected = (
        targets.filter(inspected=False)
        .select_related("category", "area", "lead_department")
        .order_by("category__sort_order", "area__sort_order", "name", "id")
    )
    return Coverage(
        rows=rows,
        total=sum(r.total for r in rows),
        inspected=sum(r.inspected for r in rows),
        hazards=hazards,
        inspection_count=inspections["count"],
        inspected_units=inspections["units"],
        not_inspected=not_inspected,
    )


def campaign_detail(request, pk: int, *, void_form=None, status: int = 200):
    campaign = get_object_or_404(
        Campaign.objects.select_related("created_by", "voided_by").prefetch_related(
            "categories", "areas"
        ),
        pk=pk,
    )
    coverage = campaign_coverage(campaign, request.user)
    page = Paginator(coverage.not_inspected, NOT_INSPECTED_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "inspections/campaigns/detail.html",
        {
            "campaign": campaign,
            "coverage": coverage,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "querystring": "",
            "can_manage": request.user.is_office,
            "today": timezone.localdate(),
            "void_form": void_form or VoidForm(),
        },
        status=status,
    )


class AccidentImport(TableImport):
    """Past accidents from the office's 事故台账 (inspections/accident_import.py)."""

    session_key = "accident_import"
    upload_template = "inspections/accidents/import_upload.html"
    preview_template = "inspections/accidents/import_preview.html"
    upload_url, preview_url = "accident_import", "accident_import_preview"
    list_url = "accident_list"
    template_filename = "事故台账导入模板.xlsx"
    columns = accident_import.COLUMNS
    max_rows = accident_import.MAX_ROWS
    refusal = "只有安委办可以导入事故"

    def read(self, path):
        return accident_import.read_accidents(path)

    def enter(self, path, *, actor, filename):
        return accident_import.import_accidents(path, actor=actor, filename=filename)

    def write_template(self, fileobj) -> None:
        accident_import.write_template(fileobj)

    def done_message(self, report, filename: str) -> str:
        message = f"已从“{filename}”导入 {len(report.rows)} 起事故"
        if report.already_in:
            message += f"；{report.already_in} 行此前已导入，已跳过"
        return message


ACCIDENT_IMPORT = AccidentImport()
