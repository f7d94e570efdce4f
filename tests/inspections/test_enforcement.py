"""Enforcement actions (四个一律): the service function, its rules, and the pages."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inspections import enforcement
from inspections.models import EnforcementAction, Hazard, HazardEvent
from tests import factories
from units.models import Unit

Kind = EnforcementAction.Kind


def _record(unit, actor, kind, **extra):
    extra.setdefault("decided_on", timezone.localdate())
    extra.setdefault("department", actor.department)
    return enforcement.record_enforcement(unit_id=unit.pk, actor=actor, kind=kind, **extra)


# ---------------------------------------------------------------- service: status changes


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (Kind.SUSPEND, Unit.Status.SUSPENDED),
        (Kind.CLOSE, Unit.Status.CLOSED),
        (Kind.JUDICIAL, Unit.Status.OPERATING),
    ],
)
def test_enforcement_sets_unit_status_by_kind(inspector_a, unit_of_a, kind, status):
    action = _record(unit_of_a, inspector_a, kind)
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == status
    assert action.created_by == inspector_a and action.department == inspector_a.department


@pytest.mark.django_db
def test_fine_records_amount_and_leaves_status(inspector_a, unit_of_a):
    unit_of_a.status = Unit.Status.SUSPENDED
    unit_of_a.save()
    action = _record(unit_of_a, inspector_a, Kind.FINE, fine_amount=Decimal("5000.00"))
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == Unit.Status.SUSPENDED
    assert action.fine_amount == Decimal("5000.00")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [None, Decimal("0"), Decimal("-1")])
def test_fine_without_positive_amount_is_refused(inspector_a, unit_of_a, amount):
    with pytest.raises(enforcement.InvalidEnforcement) as excinfo:
        _record(unit_of_a, inspector_a, Kind.FINE, fine_amount=amount)
    assert excinfo.value.field == "fine_amount"
    assert not EnforcementAction.objects.exists()


@pytest.mark.django_db
def test_amount_on_a_non_fine_is_refused(inspector_a, unit_of_a):
    with pytest.raises(enforcement.InvalidEnforcement, match="只有罚款"):
        _record(unit_of_a, inspector_a, Kind.SUSPEND, fine_amount=Decimal("10"))


@pytest.mark.django_db
def test_decision_in_the_future_is_refused(inspector_a, unit_of_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(enforcement.InvalidEnforcement, match="不能晚于今天"):
        _record(unit_of_a, inspector_a, Kind.SUSPEND, decided_on=tomorrow)


@pytest.mark.django_db
def test_closed_unit_cannot_be_suspended_again_but_can_be_fined(office, unit_of_a):
    _record(unit_of_a, office, Kind.CLOSE, department=unit_of_a.lead_department)
    with pytest.raises(enforcement.InvalidEnforcement, match="已关闭取缔"):
        _record(unit_of_a, office, Kind.SUSPEND, department=unit_of_a.lead_department)
    _record(
        unit_of_a, office, Kind.FINE, department=unit_of_a.lead_department, fine_amount=Decimal(1)
    )
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == Unit.Status.CLOSED


# ---------------------------------------------------------------- illegal sites


@pytest.mark.django_db
def test_illegal_site_is_never_suspended_to_rectify(inspector_a, fire_dept):
    site = factories.unit(lead_department=fire_dept, is_illegal=True, credit_code="")
    with pytest.raises(enforcement.InvalidEnforcement, match="黑窝点") as excinfo:
        _record(site, inspector_a, Kind.SUSPEND)
    assert excinfo.value.field == "kind"
    site.refresh_from_db()
    assert site.status == Unit.Status.OPERATING
    assert not EnforcementAction.objects.exists()


@pytest.mark.django_db
def test_illegal_site_can_be_closed_fined_or_referred(inspector_a, fire_dept):
    site = factories.unit(lead_department=fire_dept, is_illegal=True, credit_code="")
    _record(site, inspector_a, Kind.FINE, fine_amount=Decimal("2000"))
    _record(site, inspector_a, Kind.JUDICIAL)
    _record(site, inspector_a, Kind.CLOSE)
    site.refresh_from_db()
    assert site.status == Unit.Status.CLOSED
    assert enforcement.allowed_kinds(site) == [Kind.FINE, Kind.JUDICIAL]


@pytest.mark.django_db
def test_form_offers_no_suspension_for_an_illegal_site(login, inspector_a, fire_dept):
    site = factories.unit(lead_department=fire_dept, is_illegal=True, credit_code="")
    response = login(inspector_a).get(reverse("enforcement_create"), {"unit": site.pk})
    kinds = [value for value, _ in response.context["form"].fields["kind"].choices if value]
    assert kinds == ["close", "fine", "judicial"]
    response = login(inspector_a).post(
        reverse("enforcement_create") + f"?unit={site.pk}",
        {"kind": "suspend", "decided_on": timezone.localdate(), "department": fire_dept.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["kind"]
    site.refresh_from_db()
    assert site.status == Unit.Status.OPERATING


# ---------------------------------------------------------------- links and atomicity


@pytest.mark.django_db
def test_links_inspection_and_hazards_and_notes_them_on_the_timeline(inspector_a, unit_of_a):
    h1 = factories.hazard(unit_of_a, inspector_a)
    h2 = factories.hazard(unit_of_a, inspector_a, inspection=h1.inspection)
    action = _record(
        unit_of_a,
        inspector_a,
        Kind.SUSPEND,
        inspection_id=h1.inspection_id,
        hazard_ids=[h1.pk, h2.pk],
        document_number="消停字〔2026〕3号",
    )
    assert action.inspection == h1.inspection
    assert set(action.hazards.all()) == {h1, h2}
    events = HazardEvent.objects.filter(data__enforcement_action=action.pk)
    assert {e.hazard_id for e in events} == {h1.pk, h2.pk}
    assert all("责令停产整顿" in e.note and "消停字〔2026〕3号" in e.note for e in events)
    # A note, not a transition: the workflow alone moves hazards.
    assert set(Hazard.objects.values_list("status", flat=True)) == {Hazard.Status.ASSIGNED}


@pytest.mark.django_db
def test_hazard_of_another_unit_is_refused_and_nothing_changes(inspector_a, fire_dept, unit_of_a):
    other = factories.unit(lead_department=fire_dept)
    foreign = factories.hazard(other, inspector_a)
    with pytest.raises(enforcement.InvalidEnforcement) as excinfo:
        _record(unit_of_a, inspector_a, Kind.CLOSE, hazard_ids=[foreign.pk])
    assert excinfo.value.field == "hazards"
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == Unit.Status.OPERATING
    assert not EnforcementAction.objects.exists()


@pytest.mark.django_db
def test_inspection_of_another_unit_is_refused(inspector_a, fire_dept, unit_of_a):
    other_inspection = factories.inspection(factories.unit(lead_department=fire_dept), inspector_a)
    with pytest.raises(enforcement.InvalidEnforcement) as excinfo:
        _record(unit_of_a, inspector_a, Kind.SUSPEND, inspection_id=other_inspection.pk)
    assert excinfo.value.field == "inspection"
    assert not EnforcementAction.objects.exists()


@pytest.mark.django_db
def test_failure_after_the_status_write_rolls_everything_back(monkeypatch, inspector_a, unit_of_a):
    """The unit is already SUSPENDED in the transaction when the hazard link fails."""
    hazard = factories.hazard(unit_of_a, inspector_a)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(enforcement, "_log_on_hazards", broken)
    with pytest.raises(RuntimeError):
        _record(unit_of_a, inspector_a, Kind.SUSPEND, hazard_ids=[hazard.pk])
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == Unit.Status.OPERATING
    assert not EnforcementAction.objects.exists()
    assert not EnforcementAction.hazards.through.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_suspension_racing_a_closure_never_reopens_the_closed_unit(office, unit_of_a):
    """Office A closes the unit while office B suspends it: B waits for A's lock, then sees the
    unit closed and is refused (without the lock B would overwrite 关闭取缔 with 停产整顿)."""
    closed = threading.Event()
    release = threading.Event()
    results: dict = {}

    def close():
        try:
            with transaction.atomic():
                _record(unit_of_a, office, Kind.CLOSE, department=unit_of_a.lead_department)
                closed.set()
                release.wait(10)
        finally:
            connections.close_all()

    def suspend():
        try:
            closed.wait(10)
            results["b"] = _record(
                unit_of_a, office, Kind.SUSPEND, department=unit_of_a.lead_department
            )
        except Exception as error:  # noqa: BLE001 - the test inspects what was raised
            results["b"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=close), threading.Thread(target=suspend)]
    for thread in threads:
        thread.start()
    assert closed.wait(10)
    time.sleep(0.5)
    assert threads[1].is_alive(), "B must wait for A's lock on the unit"
    release.set()
    for thread in threads:
        thread.join(20)
    assert isinstance(results["b"], enforcement.InvalidEnforcement)
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == Unit.Status.CLOSED
    assert list(EnforcementAction.objects.values_list("kind", flat=True)) == [Kind.CLOSE]


@pytest.mark.django_db
def test_unit_row_is_locked_while_recording(inspector_a, unit_of_a):
    with CaptureQueriesContext(connection) as ctx:
        _record(unit_of_a, inspector_a, Kind.SUSPEND)
    unit_select = next(q["sql"] for q in ctx.captured_queries if 'FROM "units_unit"' in q["sql"])
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in unit_select


# ---------------------------------------------------------------- permissions


@pytest.mark.django_db
def test_inspector_of_another_department_gets_404(login, inspector_b, unit_of_a):
    client = login(inspector_b)
    assert client.get(reverse("enforcement_create"), {"unit": unit_of_a.pk}).status_code == 404
    with pytest.raises(enforcement.NotAllowed):
        _record(unit_of_a, inspector_b, Kind.SUSPEND, department=inspector_b.department)


@pytest.mark.django_db
def test_inspector_of_another_department_gets_404_on_the_action(
    login, inspector_a, inspector_b, unit_of_a
):
    action = _record(unit_of_a, inspector_a, Kind.SUSPEND)
    response = login(inspector_b).get(reverse("enforcement_detail", args=[action.pk]))
    assert response.status_code == 404
    listed = login(inspector_b).get(reverse("enforcement_list")).context["object_list"]
    assert action not in listed


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["leader", "supervisor"])
def test_read_only_roles_cannot_record(request, login, persona, unit_of_a, fire_dept):
    user = request.getfixturevalue(persona)
    client = login(user)
    assert client.get(reverse("enforcement_create"), {"unit": unit_of_a.pk}).status_code == 403
    response = client.post(
        reverse("enforcement_create") + f"?unit={unit_of_a.pk}",
        {"kind": "close", "decided_on": timezone.localdate(), "department": fire_dept.pk},
    )
    assert response.status_code == 403
    with pytest.raises(enforcement.NotAllowed):
        _record(unit_of_a, user, Kind.CLOSE, department=fire_dept)
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == Unit.Status.OPERATING
    # Reading stays open to them.
    assert client.get(reverse("enforcement_list")).status_code == 200


@pytest.mark.django_db
def test_street_office_inspector_sees_the_unit_but_may_not_record(login, unit_of_a):
    street = factories.user("street", "inspector", factories.street_office(unit_of_a.area))
    response = login(street).get(reverse("enforcement_create"), {"unit": unit_of_a.pk})
    assert response.status_code == 403


@pytest.mark.django_db
def test_inspector_records_only_in_own_departments_name(inspector_a, unit_of_a, safety_dept):
    with pytest.raises(enforcement.NotAllowed, match="本部门"):
        _record(unit_of_a, inspector_a, Kind.SUSPEND, department=safety_dept)


@pytest.mark.django_db
def test_office_records_for_any_unit_via_the_form(login, office, unit_of_b, safety_dept):
    hazard = factories.hazard(unit_of_b, factories.user("insp_b2", "inspector", safety_dept))
    response = login(office).post(
        reverse("enforcement_create") + f"?unit={unit_of_b.pk}",
        {
            "kind": "fine",
            "decided_on": timezone.localdate().isoformat(),
            "department": safety_dept.pk,
            "fine_amount": "30000",
            "document_number": "应急罚〔2026〕12号",
            "hazards": [hazard.pk],
            "inspection": hazard.inspection_id,
        },
    )
    action = EnforcementAction.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("enforcement_detail", args=[action.pk])
    assert action.fine_amount == Decimal("30000") and list(action.hazards.all()) == [hazard]
    detail = login(office).get(response.url)
    assert hazard.number in detail.content.decode()


@pytest.mark.django_db
def test_form_shows_fine_error_next_to_the_field(login, inspector_a, unit_of_a, fire_dept):
    response = login(inspector_a).post(
        reverse("enforcement_create") + f"?unit={unit_of_a.pk}",
        {"kind": "fine", "decided_on": timezone.localdate(), "department": fire_dept.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["fine_amount"] == ["罚款必须填写大于0的金额"]
    assert not EnforcementAction.objects.exists()


@pytest.mark.django_db
def test_unit_picker_lists_only_units_the_inspector_may_act_on(
    login, inspector_a, unit_of_a, unit_of_b
):
    response = login(inspector_a).get(reverse("enforcement_create"), {"q": "测试单位"})
    assert response.status_code == 200
    assert response.context["units"] == [unit_of_a]


# ---------------------------------------------------------------- list


@pytest.mark.django_db
def test_list_filters_by_kind_department_area_and_dates(login, office, fire_dept, safety_dept):
    today = timezone.localdate()
    far = factories.area("大潘街道")
    a = factories.unit(lead_department=fire_dept)
    b = factories.unit(lead_department=safety_dept, area=far)
    old = _record(
        a, office, Kind.SUSPEND, department=fire_dept, decided_on=today - datetime.timedelta(40)
    )
    fine = _record(
        b,
        office,
        Kind.FINE,
        department=safety_dept,
        fine_amount=Decimal(100),
        decided_on=today,
    )
    client = login(office)

    def ids(**params):
        return {
            x.pk for x in client.get(reverse("enforcement_list"), params).context["object_list"]
        }

    assert ids() == {old.pk, fine.pk}
    assert ids(kind="fine") == {fine.pk}
    assert ids(department=fire_dept.pk) == {old.pk}
    assert ids(area=far.pk) == {fine.pk}
    assert ids(decided_from=(today - datetime.timedelta(10)).isoformat()) == {fine.pk}
    assert ids(decided_to=(today - datetime.timedelta(40)).isoformat()) == {old.pk}
    assert ids(unit=b.pk) == {fine.pk}
    assert ids(q=a.name) == {old.pk}


@pytest.mark.django_db
def test_enforcement_list_query_count_is_constant(
    login, office, fire_dept, django_assert_max_num_queries
):
    client = login(office)
    hazard_unit = factories.unit(lead_department=fire_dept)
    hazard = factories.hazard(hazard_unit, office)
    for _ in range(3):
        _record(
            factories.unit(lead_department=fire_dept),
            office,
            Kind.JUDICIAL,
            department=fire_dept,
            hazard_ids=[],
        )
    # session, user, the user's department (nav), unread notifications, count, rows, and the
    # filter form's department and area choices.
    with django_assert_max_num_queries(8):
        client.get(reverse("enforcement_list"))
    for _ in range(60):
        _record(
            hazard_unit,
            office,
            Kind.FINE,
            department=fire_dept,
            fine_amount=Decimal(1),
            hazard_ids=[hazard.pk],
        )
    with django_assert_max_num_queries(8):
        response = client.get(reverse("enforcement_list"), {"sort": "-amount", "kind": "fine"})
    assert len(response.context["object_list"]) == 50
    assert response.context["object_list"][0].hazard_count == 1


# ---------------------------------------------------------------- status only through actions


@pytest.mark.django_db
def test_a_suspended_unit_resumes_only_through_an_acceptance_record(office, unit_of_a):
    with pytest.raises(enforcement.InvalidEnforcement) as refused:
        _record(unit_of_a, office, Kind.RESUME, department=unit_of_a.lead_department)
    assert refused.value.field == "kind"
    assert Kind.RESUME not in enforcement.allowed_kinds(unit_of_a)
    _record(unit_of_a, office, Kind.SUSPEND, department=unit_of_a.lead_department)
    unit_of_a.refresh_from_db()
    assert Kind.RESUME in enforcement.allowed_kinds(unit_of_a)
    action = _record(
        unit_of_a, office, Kind.RESUME, department=unit_of_a.lead_department, note="复查验收合格"
    )
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == Unit.Status.OPERATING
    assert action.get_kind_display() == "验收合格，恢复生产"


@pytest.mark.django_db
def test_the_unit_form_cannot_change_the_status(login, office, unit_of_a):
    form = {
        "name": unit_of_a.name,
        "credit_code": unit_of_a.credit_code,
        "category": unit_of_a.category_id,
        "area": unit_of_a.area_id,
        "address": unit_of_a.address,
        "lead_department": unit_of_a.lead_department_id,
        "legal_rep": unit_of_a.legal_rep,
        "legal_rep_phone": unit_of_a.legal_rep_phone,
        "status": Unit.Status.CLOSED,
    }
    response = login(office).post(reverse("units:edit", args=[unit_of_a.pk]), form)
    assert response.status_code == 302
    unit_of_a.refresh_from_db()
    assert unit_of_a.status == Unit.Status.OPERATING


@pytest.mark.django_db
def test_resumes_are_not_counted_among_the_four_penalties(office, unit_of_a):
    from inspections import stats

    _record(unit_of_a, office, Kind.SUSPEND, department=unit_of_a.lead_department)
    _record(unit_of_a, office, Kind.RESUME, department=unit_of_a.lead_department)
    today = timezone.localdate()
    figures = stats.enforcement(stats.Scope(start=today, end=today, today=today))
    assert [k["label"] for k in figures["kinds"]] == [
        "责令停产整顿",
        "关闭取缔",
        "罚款",
        "移送司法",
    ]
    assert figures["total"] == 1


@pytest.mark.django_db
def test_an_enforcement_action_is_voided_with_a_reason_and_leaves_the_statistics(
    login, office, inspector_a, unit_of_a
):
    from inspections import stats

    action = _record(
        unit_of_a, office, Kind.FINE, department=unit_of_a.lead_department, fine_amount=Decimal(500)
    )
    url = reverse("enforcement_void", args=[action.pk])
    assert login(inspector_a).post(url, {"reason": "录错了"}).status_code == 403
    client = login(office)
    refused = client.post(url, {"reason": " "})
    assert refused.status_code == 400
    assert refused.context["void_form"].errors["reason"] == ["请填写作废原因"]
    assert client.post(url, {"reason": "重复登记"}).status_code == 302
    action.refresh_from_db()
    assert action.is_void and action.voided_by == office and action.void_reason == "重复登记"
    today = timezone.localdate()
    assert stats.enforcement(stats.Scope(start=today, end=today, today=today))["total"] == 0
    page = client.get(reverse("enforcement_detail", args=[action.pk])).content.decode()
    assert "已作废" in page and "重复登记" in page
