"""The leaders' dashboard `/dashboard/`: the district (or the inspector's department) at a
glance. Figures come from inspections.dashboard, cached briefly per filter set and scope."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from anjian.db_routers import replica_reads

from ..dashboard import compute, headline
from ..dashboard import xlsx as dashboard_xlsx
from ..dashboard.forms import DashboardFilterForm
from ..dashboard.scope import DashboardScope, Period, make_scope

CACHE_VERSION = 1


def scope_key(user) -> str:
    """Who sees the same figures: the district-wide roles share them; anybody else's depend on
    their own visible_to (department, street, own inspections), so they are kept per user."""
    return "district" if user.sees_everything else f"user{user.pk}"


def cache_key(user, period: Period, scope: DashboardScope) -> str:
    parts = [
        scope_key(user),
        period.today.isoformat(),
        period.kind,
        period.start.isoformat(),
        period.end.isoformat(),
        str(scope.area_id or ""),
        str(scope.department_id or ""),
        str(scope.campaign_id or ""),
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return f"dashboard:v{CACHE_VERSION}:{digest}"


def figures(user, period: Period, scope: DashboardScope) -> dict:
    """{"data": …, "computed_at": datetime}: from the cache when fresh enough."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    key = cache_key(user, period, scope)
    if seconds > 0:
        cached = cache.get(key)
        if cached is not None:
            return cached
    # Aggregates over the whole scope, cached for minutes anyway: a replica's lag of a few
    # seconds changes nothing here, and the primary is spared the heaviest reads of a page.
    with replica_reads():
        data = compute(scope, period)
    result = {"data": data, "computed_at": timezone.now()}
    if seconds > 0:
        cache.set(key, result, seconds)
    return result


def _scope_from_request(request):
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, user=request.user, today=today)
    period = form.get_period()
    department_id = form.choice("department")
    scope = make_scope(
        request.user,
        period,
        area_id=form.choice("area"),
        department_id=department_id,
        campaign_id=form.choice("campaign"),
    )
    return form, period, scope


def scope_label(request, form, period) -> str:
    parts = [period.label]
    if form.is_valid():
        parts += [
            str(form.cleaned_data[name])
            for name in ("area", "department", "campaign")
            if form.cleaned_data.get(name)
        ]
    if not request.user.sees_everything and request.user.department:
        parts.append(f"{request.user.department}可见范围")
    return " · ".join(parts)


@require_GET
def dashboard_export(request):
    """The same figures as the page (same cache entry), one sheet per chart."""
    form, period, scope = _scope_from_request(request)
    result = figures(request.user, period, scope)
    content = dashboard_xlsx.write(
        result["data"],
        period,
        scope_label=scope_label(request, form, period),
        computed_at=timezone.localtime(result["computed_at"]),
    )
    response = HttpResponse(content, content_type=dashboard_xlsx.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, dashboard_xlsx.filename(period)
    )
    return response


@require_GET
def dashboard_page(request):
    form, period, scope = _scope_from_request(request)
    result = figures(request.user, period, scope)
    return render(
        request,
        "inspections/dashboard.html",
        {
            "form": form,
            "period": period,
            "scope": scope,
            "spans": headline.spans_context(period),
            "d": result["data"],
            "computed_at": timezone.localtime(result["computed_at"]),
            "cache_minutes": max(settings.DASHBOARD_CACHE_SECONDS // 60, 1),
            "cached": settings.DASHBOARD_CACHE_SECONDS > 0,
            "querystring": request.GET.urlencode(),
            "veto_days": settings.BULLETIN_VETO_MAJOR_OVERDUE_DAYS,
            "own_department": None if request.user.sees_everything else request.user.department,
        },
    )
