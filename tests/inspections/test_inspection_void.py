"""作废 of a submitted inspection: never deleted, voided with a reason by the office, its
hazards voided with it in one transaction, and out of the counts of bulletins, the dashboard,
campaign coverage and reminders."""

import datetime

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from inspections import reminders, stats, workflow
from inspections.dashboard.scope import DashboardScope
from inspections.models import Campaign, Hazard, HazardEvent, Inspection
from inspections.views.registry import campaign_coverage
from tests import factories

S = Hazard.Status
TODAY = timezone.localdate


def _closed(hazard: Hazard) -> Hazard:
    Hazard.objects.filter(pk=hazard.pk).update(status=S.CLOSED, closed_at=timezone.now())
    hazard.refresh_from_db()
    return hazard


def _figures(office, campaign) -> dict:
    today = TODAY()
    start = today - datetime.timedelta(days=60)
    scope = stats.Scope(start=start, end=today, today=today, campaign_id=campaign.pk)
    summary = stats.summary(scope, major_overdue_days=20)
    dashboard = DashboardScope(
        start=start, end=today, today=today, campaign_id=campaign.pk, user=office
    )
    coverage = campaign_coverage(
        Campaign.objects.prefetch_related("categories", "areas").get(pk=campaign.pk), office
    )
    due = reminders.candidates(today)
    return {
        "summary": {
            key: int((value["value"] if isinstance(value, dict) else value) or 0)
            for key, value in summary.items()
            if key not in ("rate", "due_rate", "overdue_rate")
        },
        "rates": (summary["rate"], summary["due_rate"]),
        "dashboard_inspections": dashboard.inspections().count(),
        "dashboard_open": dashboard.hazards().filter(status__in=Hazard.OPEN_STATUSES).count(),
        "coverage": (coverage.inspection_count, coverage.inspected_units, coverage.hazards),
        "overdue_reminders": sorted(due["overdue"].values_list("pk", flat=True)),
    }


@pytest.fixture
def campaign(office):
    return Campaign.objects.create(
        name="节前大检查",
        start_date=TODAY() - datetime.timedelta(days=60),
        end_date=TODAY(),
        created_by=office,
    )


@pytest.mark.django_db
def test_office_voids_an_inspection_with_its_hazards_and_every_count_is_as_before_it(
    login, office, inspector_a, unit_of_a, campaign
):
    kept = factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=factories.inspection(unit_of_a, inspector_a, campaign=campaign),
        deadline=TODAY() - datetime.timedelta(days=3),
    )
    before = _figures(office, campaign)

    inspection = factories.inspection(unit_of_a, inspector_a, campaign=campaign)
    overdue = factories.hazard(
        unit_of_a, inspector_a, inspection=inspection, deadline=TODAY() - datetime.timedelta(days=2)
    )
    closed = _closed(factories.hazard(unit_of_a, inspector_a, inspection=inspection))
    rejected = factories.hazard(unit_of_a, inspector_a, inspection=inspection, status=S.REJECTED)
    assert _figures(office, campaign) != before

    client = login(office)
    url = reverse("inspection_void", args=[inspection.pk])
    refused = client.post(url, {"reason": " "})
    assert refused.status_code == 400
    assert refused.context["void_form"].errors["reason"] == ["请填写作废原因"]
    assert Inspection.objects.get(pk=inspection.pk).status == Inspection.Status.SUBMITTED
    assert Hazard.objects.get(pk=overdue.pk).status == S.ASSIGNED

    response = client.post(url, {"reason": "重复录入，与同日检查记录相同"})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.VOID
    assert inspection.voided_by == office and inspection.voided_at is not None
    assert inspection.void_reason == "重复录入，与同日检查记录相同"

    # Open and closed hazards voided, each with its own event saying why; 不予认定 untouched.
    statuses = dict(Hazard.objects.filter(inspection=inspection).values_list("pk", "status"))
    assert statuses == {overdue.pk: S.VOID, closed.pk: S.VOID, rejected.pk: S.REJECTED}
    events = HazardEvent.objects.filter(action=HazardEvent.Action.VOID).order_by("hazard_id")
    assert [(e.hazard_id, e.from_status, e.actor_id) for e in events] == [
        (overdue.pk, S.ASSIGNED, office.pk),
        (closed.pk, S.CLOSED, office.pk),
    ]
    assert {e.note for e in events} == {"检查记录作废：重复录入，与同日检查记录相同"}
    # The closure keeps its time: the hazard's record says it had been closed.
    assert Hazard.objects.get(pk=closed.pk).closed_at == closed.closed_at

    after = _figures(office, campaign)
    # Hazards found in the period include the voided ones, listed as 不予认定/合并/作废 (as a
    # hazard voided on its own page is); every other figure is as if the inspection never was.
    found_more = after["summary"].pop("found") - before["summary"].pop("found")
    not_accepted_more = after["summary"].pop("found_not_accepted") - before["summary"].pop(
        "found_not_accepted"
    )
    general_more = after["summary"].pop("found_general") - before["summary"].pop("found_general")
    # Found by inspectors rather than by the unit's own self-inspection (portal, 自查自报).
    not_self_more = after["summary"].pop("found_not_self") - before["summary"].pop("found_not_self")
    assert found_more == not_accepted_more == general_more == not_self_more == 3
    after["coverage"][2].pop("found")
    before["coverage"][2].pop("found")
    assert after == before
    assert kept.pk in after["overdue_reminders"]

    page = client.get(reverse("inspection_detail", args=[inspection.pk])).content.decode()
    assert "已作废" in page and "重复录入，与同日检查记录相同" in page
    assert 'data-testid="voided"' in page
    assert reverse("inspection_void", args=[inspection.pk]) not in page
    # Still on the list for whoever may see it, marked as voided.
    listed = client.get(reverse("inspection_list"), {"status": "void"})
    assert [i.pk for i in listed.context["page_obj"]] == [inspection.pk]

    again = client.post(url, {"reason": "再次作废"}, follow=True)
    assert "该检查记录已作废" in again.content.decode()
    assert Inspection.objects.get(pk=inspection.pk).void_reason == "重复录入，与同日检查记录相同"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["insp_a", "insp_b", "supervisor", "leader"])
def test_only_the_office_and_admin_may_void_an_inspection(
    request, login, role, inspector_a, inspector_b, supervisor, leader, unit_of_a
):
    user = {"insp_a": inspector_a, "insp_b": inspector_b}.get(role) or request.getfixturevalue(role)
    hazard = factories.hazard(unit_of_a, inspector_a)
    response = login(user).post(
        reverse("inspection_void", args=[hazard.inspection_id]), {"reason": "不应作废"}
    )
    assert response.status_code == 403
    assert Inspection.objects.get(pk=hazard.inspection_id).status == Inspection.Status.SUBMITTED
    assert Hazard.objects.get(pk=hazard.pk).status == S.ASSIGNED
    with pytest.raises(workflow.NotAllowed):
        workflow.void_inspection(inspection_id=hazard.inspection_id, actor=user, reason="越权")


@pytest.mark.django_db
def test_admin_voids_and_a_draft_is_not_voided(login, admin_user, inspector_a, unit_of_a):
    hazard = factories.hazard(unit_of_a, inspector_a)
    assert (
        login(admin_user)
        .post(reverse("inspection_void", args=[hazard.inspection_id]), {"reason": "单位录错"})
        .status_code
        == 302
    )
    assert Hazard.objects.get(pk=hazard.pk).status == S.VOID

    own_draft = Inspection.objects.create(
        unit=unit_of_a, department=admin_user.department, created_by=admin_user, date=TODAY()
    )
    with pytest.raises(workflow.Invalid):
        workflow.void_inspection(inspection_id=own_draft.pk, actor=admin_user, reason="草稿")
    refused = login(admin_user).post(
        reverse("inspection_void", args=[own_draft.pk]), {"reason": "草稿"}
    )
    assert refused.status_code == 400
    assert refused.context["void_form"].errors["reason"] == ["草稿尚未提交，不能作废"]
    # Someone else's draft is not even visible to the admin.
    draft = Inspection.objects.create(
        unit=unit_of_a, department=inspector_a.department, created_by=inspector_a, date=TODAY()
    )
    assert (
        login(admin_user)
        .post(reverse("inspection_void", args=[draft.pk]), {"reason": "草稿"})
        .status_code
        == 404
    )
    assert not Inspection.objects.filter(status="void").exclude(pk=hazard.inspection_id).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_voiding_is_all_or_nothing(office, inspector_a, unit_of_a):
    """A hazard that cannot be written (here: a trigger refuses its update, as a failing disk or
    a constraint would) leaves the inspection and every other hazard as they were."""
    inspection = factories.inspection(unit_of_a, inspector_a)
    first = factories.hazard(unit_of_a, inspector_a, inspection=inspection)
    second = factories.hazard(unit_of_a, inspector_a, inspection=inspection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION test_refuse_void() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_refuse_void BEFORE UPDATE ON inspections_hazard
            FOR EACH ROW WHEN (NEW.id = {second.pk} AND NEW.status = 'void')
            EXECUTE FUNCTION test_refuse_void();
            """
        )
    try:
        with pytest.raises(Exception, match="refused"):
            workflow.void_inspection(inspection_id=inspection.pk, actor=office, reason="录错")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER test_refuse_void ON inspections_hazard;"
                "DROP FUNCTION test_refuse_void();"
            )
    assert Inspection.objects.get(pk=inspection.pk).status == Inspection.Status.SUBMITTED
    assert set(Hazard.objects.filter(inspection=inspection).values_list("status", flat=True)) == {
        S.ASSIGNED
    }
    assert not HazardEvent.objects.filter(hazard_id__in=[first.pk, second.pk]).exists()


@pytest.mark.django_db
def test_a_voided_inspection_cannot_be_deleted_nor_lose_its_reason(office, inspector_a, unit_of_a):
    inspection = factories.inspection(unit_of_a, inspector_a)
    workflow.void_inspection(inspection_id=inspection.pk, actor=office, reason="录错单位")
    with pytest.raises(IntegrityError, match="inspection_void_has_reason"), transaction.atomic():
        Inspection.objects.filter(pk=inspection.pk).update(void_reason="")
    with pytest.raises(InternalError, match="no_delete"), transaction.atomic():
        Inspection.objects.filter(pk=inspection.pk).delete()
    assert Inspection.objects.filter(pk=inspection.pk, status="void").exists()
