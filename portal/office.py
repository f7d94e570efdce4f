"""The office's side of unit accounts (/unit-accounts/): activation codes per unit, and the
主体责任 signal — units that never signed in or never self-reported."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from inspections.models import Hazard
from units import activation
from units.models import ActivationCode, Area, Department, Unit, User

PAGE_SIZE = 50
SIGNALS = (
    ("", "全部单位"),
    ("never_logged_in", "从未登录（含未开通账号）"),
    ("never_self_reported", "从未自查自报"),
)


def _require_district(request) -> None:
    if not request.user.sees_everything or request.user.role == User.Role.API:
        raise PermissionDenied("只有安委办、督查室和领导可以查看单位主体责任情况")


def responsibility_queryset():
    """Units with their account and self-report facts, as one annotated query."""
    accounts = User.objects.filter(unit=OuterRef("pk"), role=User.Role.UNIT, is_active=True)
    self_reports = (
        Hazard.objects.filter(unit=OuterRef("pk"), source=Hazard.Source.SELF_CHECK)
        .exclude(status=Hazard.Status.DRAFT)
        .order_by()
        .values("unit")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Unit.objects.select_related("area", "lead_department").annotate(
        has_account=Exists(accounts),
        last_login=Subquery(
            accounts.filter(last_login__isnull=False)
            .order_by("-last_login")
            .values("last_login")[:1]
        ),
        self_reports=Coalesce(Subquery(self_reports), 0),
        open_code=Exists(ActivationCode.objects.usable().filter(unit=OuterRef("pk"))),
    )


@require_GET
def responsibility(request: HttpRequest) -> HttpResponse:
    _require_district(request)
    qs = responsibility_queryset()
    area = request.GET.get("area", "")
    department = request.GET.get("department", "")
    signal = request.GET.get("signal", "")
    if area.isdigit():
        qs = qs.filter(area_id=int(area))
    if department.isdigit():
        qs = qs.filter(lead_department_id=int(department))
    counts = qs.aggregate(
        units=Count("id"),
        with_account=Count("id", filter=Q(has_account=True)),
        never_logged_in=Count("id", filter=Q(last_login__isnull=True)),
        never_self_reported=Count("id", filter=Q(self_reports=0)),
    )
    if signal == "never_logged_in":
        qs = qs.filter(last_login__isnull=True)
    elif signal == "never_self_reported":
        qs = qs.filter(self_reports=0)
    page = Paginator(qs.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "counts": counts,
        "areas": list(Area.objects.all()),
        "departments": list(Department.objects.exclude(kind=Department.Kind.OFFICE)),
        "signals": SIGNALS,
        "selected": {"area": area, "department": department, "signal": signal},
        "querystring": urlencode(
            {k: v for k, v in (("area", area), ("department", department), ("signal", signal)) if v}
        ),
    }
    return render(request, "portal/office/responsibility.html", context)


def _unit_for_issuer(request, pk: int) -> Unit:
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=pk)
    if not activation.may_issue(request.user, unit):
        raise PermissionDenied("只有安委办或负责该单位的检查员可以管理单位账号")
    return unit


@require_GET
def unit_accounts(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit_for_issuer(request, pk)
    codes = list(unit.activation_codes.select_related("issued_by", "account", "revoked_by")[:20])
    accounts = list(unit.accounts.order_by("-is_active", "-date_joined"))
    return render(
        request,
        "portal/office/unit.html",
        {"unit": unit, "codes": codes, "accounts": accounts},
    )


@never_cache
@require_POST
def issue_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The code is shown on this response only (printable); nothing can show it again."""
    unit = _unit_for_issuer(request, pk)
    code, plaintext = activation.issue(unit=unit, actor=request.user)
    activate_url = request.build_absolute_uri("/portal/activate/")
    return render(
        request,
        "portal/office/code.html",
        {"unit": unit, "code": code, "plaintext": plaintext, "activate_url": activate_url},
    )


@require_POST
def revoke_code(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_object_or_404(
        ActivationCode.objects.filter(unit__in=Unit.objects.visible_to(request.user)), pk=pk
    )
    _unit_for_issuer(request, code.unit_id)
    if activation.revoke(code=code, actor=request.user):
        messages.success(request, "激活码已作废。")
    else:
        messages.info(request, "该激活码已使用或已作废。")
    return redirect("unit_accounts:unit", pk=code.unit_id)
