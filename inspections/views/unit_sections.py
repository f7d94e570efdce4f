"""Sections the inspections app adds to the unit page (/units/<id>/), registered with
units.sections from InspectionsConfig.ready. Each section is one query whatever the history
size (the inspections section two: its inspectors come in one prefetch)."""

from django.db.models import Prefetch
from django.urls import reverse

from units.models import User

from ..filters import ledger_base_queryset
from ..models import Accident, EnforcementAction, Hazard, Inspection

INSPECTIONS_SHOWN = 20
HAZARDS_SHOWN = 30
ENFORCEMENT_SHOWN = 20
ACCIDENTS_SHOWN = 20


def _capped(queryset, limit: int) -> tuple[list, bool]:
    """One query for the rows and whether there are more: fetch one row beyond the cap."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def unit_sections(request, unit) -> list[dict]:
    user = request.user
    inspections, more_inspections = _capped(
        Inspection.objects.visible_to(user)
        .filter(unit=unit)
        .select_related("department", "campaign")
        .prefetch_related(
            Prefetch("inspectors", queryset=User.objects.only("id", "name", "username"))
        )
        .order_by("-date", "-id"),
        INSPECTIONS_SHOWN,
    )
    hazards, more_hazards = _capped(
        ledger_base_queryset(user)
        .filter(unit=unit, status__in=Hazard.OPEN_STATUSES)
        .order_by("deadline", "id"),
        HAZARDS_SHOWN,
    )
    for hazard in hazards:
        hazard.days_overdue = hazard.overdue_days()
    actions, more_actions = _capped(
        EnforcementAction.objects.visible_to(user)
        .filter(unit=unit)
        .select_related("department")
        .order_by("-decided_on", "-id"),
        ENFORCEMENT_SHOWN,
    )
    accidents, more_accidents = _capped(
        Accident.objects.visible_to(user).filter(unit=unit).order_by("-occurred_on", "-id"),
        ACCIDENTS_SHOWN,
    )
    ledger = reverse("hazard_list")
    return [
        {
            "key": "inspections",
            "title": "检查记录",
            "template": "inspections/unit_sections/inspections.html",
            "context": {"rows": inspections, "more": more_inspections, "unit": unit},
        },
        {
            "key": "open-hazards",
            "title": "在办隐患",
            "template": "inspections/unit_sections/hazards.html",
            "context": {
                "rows": hazards,
                "more": more_hazards,
                "all_url": f"{ledger}?unit={unit.pk}&status=open",
                "history_url": f"{ledger}?unit={unit.pk}",
            },
        },
        {
            "key": "enforcement",
            "title": "执法措施",
            "template": "inspections/unit_sections/enforcement.html",
            "context": {"rows": actions, "more": more_actions, "unit": unit},
        },
        {
            "key": "accidents",
            "title": "事故",
            "template": "inspections/unit_sections/accidents.html",
            "context": {"rows": accidents, "more": more_accidents, "unit": unit},
        },
    ]
