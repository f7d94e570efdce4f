"""首办负责制 and 限时办结制: a transfer names a 承办 department and never changes the 首办;
both see the hazard, act on it and are reminded; statistics stay with the 首办; the clock runs on."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections import reminders, stats, workflow
from inspections.filters import ledger_base_queryset
from inspections.forms_hazards import TransferForm
from inspections.models import Hazard, Notification
from tests import factories
from units.models import Department

S = Hazard.Status


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def transferred(unit_of_a, inspector_a, office, safety_dept):
    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    hazard = workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=hazard.lead_department,
        responsible_person="李四",
        deadline=days(1),
    )
    return workflow.transfer(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        department=safety_dept,
        note="属危化品监管",
    )


@pytest.mark.django_db
def test_transfer_keeps_the_first_department_and_the_clock(transferred, fire_dept, safety_dept):
    transferred.refresh_from_db()
    assert transferred.lead_department == fire_dept
    assert transferred.handling_department == safety_dept
    assert (transferred.deadline, transferred.original_deadline) == (days(1), days(1))


@pytest.mark.django_db
def test_second_transfer_moves_only_the_handler(transferred, office, fire_dept):
    street = factories.street_office(factories.area())
    transferred.refresh_from_db()
    workflow.transfer(
        hazard_id=transferred.pk,
        actor=office,
        version=transferred.version,
        department=street,
        note="属地处置",
    )
    transferred.refresh_from_db()
    assert (transferred.lead_department, transferred.handling_department) == (fire_dept, street)
    # Handed back to the 首办: no separate 承办 any more.
    workflow.transfer(
        hazard_id=transferred.pk,
        actor=office,
        version=transferred.version,
        department=fire_dept,
        note="退回首办",
    )
    transferred.refresh_from_db()
    assert (transferred.lead_department, transferred.handling_department) == (fire_dept, None)


@pytest.mark.django_db
def test_transfer_goes_to_regulators_and_streets_only(transferred, office):
    transferred.refresh_from_db()
    for name in ("安委办", "督查室"):
        with pytest.raises(workflow.Invalid, match="监管部门或街道"):
            workflow.transfer(
                hazard_id=transferred.pk,
                actor=office,
                version=transferred.version,
                department=factories.department(name),
                note="x",
            )
    form = TransferForm(hazard=transferred, options={"departments": list(Department.objects.all())})
    kinds = {
        Department.objects.get(pk=pk).kind for pk, _ in form.fields["department"].choices if pk
    }
    assert kinds <= {Department.Kind.REGULATOR, Department.Kind.STREET}
    assert Department.Kind.REGULATOR in kinds


@pytest.mark.django_db
def test_both_departments_see_and_act(transferred, inspector_a, inspector_b, login):
    for user in (inspector_a, inspector_b):
        assert ledger_base_queryset(user).filter(pk=transferred.pk).exists()
        response = login(user).get(reverse("hazard_detail", args=[transferred.pk]))
        assert response.status_code == 200
        assert "承办：" in response.content.decode()
    transferred.refresh_from_db()
    # The 承办 department's inspector may take it forward.
    workflow.start_rectifying(
        hazard_id=transferred.pk, actor=inspector_b, version=transferred.version
    )


@pytest.mark.django_db
def test_both_departments_are_reminded(transferred, inspector_a, inspector_b):
    reminders.run_daily(timezone.localdate())
    for user in (inspector_a, inspector_b):
        digest = Notification.objects.get(user=user, kind=Notification.Kind.DIGEST)
        items = digest.payload["due_1d"]["items"]
        assert [item["id"] for item in items] == [transferred.pk], user


@pytest.mark.django_db
def test_both_departments_have_it_in_their_queue(transferred, inspector_a, inspector_b, login):
    for user in (inspector_a, inspector_b):
        work = login(user).get(reverse("home")).context["my_work"]
        section = next(s for s in work["sections"] if s["key"] == "to_start")
        assert [h.pk for h in section["hazards"]] == [transferred.pk]


@pytest.mark.django_db
def test_statistics_attribute_it_to_the_first_department(transferred, fire_dept, safety_dept):
    today = timezone.localdate()
    scope = stats.Scope(start=today - datetime.timedelta(days=30), end=today, today=today)
    rows = {
        row["id"]: row
        for row in stats.by_department(scope, major_overdue_days=30, untouched_days=5)
    }
    assert rows[fire_dept.pk]["found"]["value"] == 1
    assert rows[safety_dept.pk]["found"]["value"] == 0
