"""The home page `/` and its cards: what each role comes to the site for."""

from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from units.models import Unit

from ..filters import ledger_base_queryset
from ..forms_inspections import may_log_inspections
from ..models import Bulletin, Hazard, Inspection, overdue_q
from ..workdays import years_to_enter


def home(request):
    context = {"unit_count": Unit.objects.visible_to(request.user).count(), "home_cards": []}
    ledger_card = ledger_home_card(request.user)
    if ledger_card:
        context["home_cards"].append(ledger_card)
    bulletin_card = bulletin_home_card(request.user)
    if bulletin_card:
        context["home_cards"].append(bulletin_card)
    # Leaders come for the dashboard first; the other roles find it next to the ledger card.
    dashboard_card = {
        "template": "inspections/dashboard/_home_card.html",
        "district": request.user.sees_everything,
    }
    if request.user.role == request.user.Role.LEADER:
        context["home_cards"].insert(0, dashboard_card)
    else:
        context["home_cards"].append(dashboard_card)
    inspection_card = inspection_home_card(request.user)
    if inspection_card:
        # First: logging an inspection is what an inspector comes for.
        context["home_cards"].insert(0, inspection_card)
    calendar_card = calendar_home_card(request.user)
    if calendar_card:
        # First of all: until it is entered, working-day deadlines into that year are refused.
        context["home_cards"].insert(0, calendar_card)
    return render(request, "home.html", context)


def calendar_home_card(user) -> dict | None:
    """For the office: the years whose 放假安排 nobody has entered yet."""
    if not user.is_office:
        return None
    years = years_to_enter(timezone.localdate())
    if not years:
        return None
    return {"template": "inspections/calendar_home_card.html", "years": years}


def ledger_home_card(user) -> dict | None:
    """The home page card of open / overdue / awaiting verification / major open hazards."""
    # Every role gets its own scope's figures: an inspector sees what their department must
    # chase today, the office and leaders the whole district.
    today = timezone.localdate()
    counts = ledger_base_queryset(user).aggregate(
        open=Count("pk", filter=Q(status__in=Hazard.OPEN_STATUSES)),
        overdue=Count("pk", filter=overdue_q(today)),
        awaiting=Count("pk", filter=Q(status=Hazard.Status.AWAITING_VERIFICATION)),
        major=Count("pk", filter=Q(status__in=Hazard.OPEN_STATUSES, level=Hazard.Level.MAJOR)),
    )
    url = reverse("hazard_list")
    items = [
        ("在办隐患", counts["open"], f"{url}?status=open", "primary"),
        ("逾期", counts["overdue"], f"{url}?status=overdue", "danger"),
        ("待复查", counts["awaiting"], f"{url}?status=awaiting_verification", "warning"),
        ("重大隐患在办", counts["major"], f"{url}?status=open&level=major", "danger"),
    ]
    return {
        "template": "inspections/ledger_home_card.html",
        "items": [{"label": a, "count": b, "url": c, "badge": d} for a, b, c, d in items],
        "url": url,
    }


def latest_circulated(user, limit: int = 5) -> list[Bulletin]:
    """For the home page card: served by the partial index on circulated_at."""
    return list(
        Bulletin.objects.visible_to(user)
        .filter(status=Bulletin.Status.CIRCULATED)
        .order_by("-circulated_at")
        .only("id", "number", "title", "circulated_at")[:limit]
    )


def bulletin_home_card(user) -> dict | None:
    """Leaders (and the other district-wide roles) see the latest circulated bulletins."""
    if not user.sees_everything:
        return None
    return {"template": "bulletins/_home_card.html", "bulletins": latest_circulated(user)}


def inspection_home_card(user) -> dict | None:
    """The prominent 登记检查 card on the home page, for those who log inspections."""
    if not may_log_inspections(user):
        return None
    drafts = Inspection.objects.filter(created_by=user, status=Inspection.Status.DRAFT).count()
    return {"template": "inspections/inspection_home_card.html", "may_log": True, "drafts": drafts}
