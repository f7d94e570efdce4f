"""What the inspections app adds to /units/<id>/: inspections, open hazards, enforcement, accidents."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import Accident, EnforcementAction, Hazard
from tests import factories


def sections(response) -> dict[str, dict]:
    return {s["key"]: s for s in response.context["sections"]}


def seed_history(unit, inspector, office, n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        inspection = factories.inspection(
            unit, inspector, date=today - datetime.timedelta(days=i + 1)
        )
        factories.hazard(unit, inspector, inspection=inspection)
        EnforcementAction.objects.create(
            unit=unit,
            kind=EnforcementAction.Kind.FINE,
            fine_amount=1000 + i,
            decided_on=today - datetime.timedelta(days=i),
            department=inspector.department,
            created_by=office,
        )
        Accident.objects.create(
            unit=unit,
            area=unit.area,
            occurred_on=today - datetime.timedelta(days=i),
            kind=Accident.Kind.FIRE,
            injuries=1,
            description="仓库起火",
            created_by=office,
        )


@pytest.mark.django_db
def test_unit_page_lists_history_sections(login, office, inspector_a, unit_of_a):
    today = timezone.localdate()
    inspection = factories.inspection(unit_of_a, inspector_a)
    open_hazard = factories.hazard(
        unit_of_a, inspector_a, inspection=inspection, description="疏散通道堆放杂物"
    )
    closed = factories.hazard(unit_of_a, inspector_a, status=Hazard.Status.CLOSED)
    EnforcementAction.objects.create(
        unit=unit_of_a,
        kind=EnforcementAction.Kind.SUSPEND,
        decided_on=today,
        document_number="消停字〔2026〕8号",
        department=inspector_a.department,
        created_by=office,
    )
    Accident.objects.create(
        unit=unit_of_a,
        area=unit_of_a.area,
        occurred_on=today,
        kind=Accident.Kind.MACHINERY,
        deaths=1,
        description="机械伤害",
        created_by=office,
    )
    response = login(office).get(reverse("units:detail", args=[unit_of_a.pk]))
    found = sections(response)
    assert list(found) == ["inspections", "open-hazards", "enforcement", "accidents", "documents"]
    assert inspection in found["inspections"]["context"]["rows"]
    assert found["open-hazards"]["context"]["rows"] == [open_hazard]
    assert closed not in found["open-hazards"]["context"]["rows"]
    body = response.content.decode()
    assert "疏散通道堆放杂物" in body
    assert "消停字〔2026〕8号" in body
    assert "机械伤害" in body
    assert f"/hazards/?unit={unit_of_a.pk}&amp;status=open" not in body  # only when capped
    assert f"/hazards/?unit={unit_of_a.pk}" in body


@pytest.mark.django_db
def test_sections_show_only_what_the_viewer_may_see(
    login, inspector_a, inspector_b, unit_of_a, office
):
    """A street office inspector sees the unit (its area) but not another department's draft."""
    draft = factories.inspection(unit_of_a, inspector_a, status="draft")
    submitted = factories.inspection(unit_of_a, inspector_a)
    street = factories.user("street", "inspector", factories.street_office(unit_of_a.area))
    response = login(street).get(reverse("units:detail", args=[unit_of_a.pk]))
    rows = sections(response)["inspections"]["context"]["rows"]
    assert submitted in rows and draft not in rows
    assert login(inspector_b).get(reverse("units:detail", args=[unit_of_a.pk])).status_code == 404


@pytest.mark.django_db
def test_sections_are_capped_with_a_link_to_everything(login, office, inspector_a, unit_of_a):
    seed_history(unit_of_a, inspector_a, office, 32)
    response = login(office).get(reverse("units:detail", args=[unit_of_a.pk]))
    found = sections(response)
    assert len(found["inspections"]["context"]["rows"]) == 20
    assert found["inspections"]["context"]["more"]
    assert len(found["open-hazards"]["context"]["rows"]) == 30
    assert found["open-hazards"]["context"]["more"]
    assert len(found["enforcement"]["context"]["rows"]) == 20
    assert len(found["accidents"]["context"]["rows"]) == 20
    body = response.content.decode()
    assert f"/hazards/?unit={unit_of_a.pk}&amp;status=open" in body
    assert "全部" in body


@pytest.mark.django_db
def test_unit_page_query_count_is_constant(
    login, office, inspector_a, unit_of_a, django_assert_max_num_queries
):
    client = login(office)
    seed_history(unit_of_a, inspector_a, office, 2)
    # Unit page alone (session, user, department, unread count, unit) plus inspections,
    # their inspectors, open hazards, enforcement actions, accidents and documents (现场文书).
    with django_assert_max_num_queries(11):
        client.get(reverse("units:detail", args=[unit_of_a.pk]))
    seed_history(unit_of_a, inspector_a, office, 40)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("units:detail", args=[unit_of_a.pk]))
    assert response.status_code == 200
