"""Hazards reported by another system: at 已登记, idempotent by external id, within scope."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from inspections.models import Hazard, HazardEvent, Inspection


def report(unit, external_id="GD-2026-0001", **fields) -> dict:
    return {
        "external_id": external_id,
        "unit": unit.pk,
        "found_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "description": "群众反映：三楼安全出口被货物堵塞",
        "location": "三楼东侧",
        "hazard_type": "fire",
        "level": "general",
        "note": "12345工单，来电人王女士",
        **fields,
    }


def test_reported_hazard_enters_at_registered_for_triage(api, hotline_api, unit_of_a):
    response = api(hotline_api[1]).post("/api/v1/hazards/", report(unit_of_a))
    assert response.status_code == 201, response.content
    body = response.json()
    hazard = Hazard.objects.get(pk=body["id"])
    assert hazard.status == Hazard.Status.REGISTERED
    assert hazard.number and hazard.number.startswith("YH-")
    assert (hazard.source, hazard.external_source, hazard.external_id) == (
        "report",
        "12345",
        "GD-2026-0001",
    )
    assert hazard.lead_department_id == unit_of_a.lead_department_id
    assert hazard.inspection.kind == Inspection.Kind.EXTERNAL
    assert hazard.inspection.created_by == hotline_api[0].user
    event = HazardEvent.objects.get(hazard=hazard)
    assert (event.action, event.to_status, event.note) == (
        "register",
        "registered",
        "12345工单，来电人王女士",
    )
    assert body["events"][0]["actor"] == "12345热线"
    assert body["source_display"] == "举报"


def test_office_triages_it_like_any_other(api, hotline_api, unit_of_a, office, login):
    body = api(hotline_api[1]).post("/api/v1/hazards/", report(unit_of_a)).json()
    page = login(office).get(f"/hazards/{body['id']}/")
    assert page.status_code == 200
    assert "交办" in page.content.decode()
    assert body["id"] in {
        row.pk for row in Hazard.objects.visible_to(office).filter(status="registered")
    }


def test_repeating_the_same_external_id_returns_the_first_hazard(api, hotline_api, unit_of_a):
    caller = api(hotline_api[1])
    first = caller.post("/api/v1/hazards/", report(unit_of_a))
    again = caller.post("/api/v1/hazards/", report(unit_of_a))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Hazard.objects.count() == 1
    assert Inspection.objects.count() == 1


def test_same_external_id_with_other_content_is_a_conflict(api, hotline_api, unit_of_a):
    caller = api(hotline_api[1])
    caller.post("/api/v1/hazards/", report(unit_of_a))
    response = caller.post(
        "/api/v1/hazards/", report(unit_of_a, description="另一个问题：电线私拉乱接")
    )
    assert response.status_code == 409
    assert "GD-2026-0001" in response.json()["detail"]
    assert Hazard.objects.count() == 1


def test_external_ids_are_per_system(api, hotline_api, make_api_client, unit_of_a):
    other = make_api_client("province-platform", may_create_hazards=True)
    api(hotline_api[1]).post("/api/v1/hazards/", report(unit_of_a))
    response = api(other[1]).post("/api/v1/hazards/", report(unit_of_a))
    assert response.status_code == 201
    assert Hazard.objects.count() == 2


def test_unit_by_credit_code(api, hotline_api, unit_of_a):
    data = report(unit_of_a, unit_credit_code=unit_of_a.credit_code.lower())
    del data["unit"]
    response = api(hotline_api[1]).post("/api/v1/hazards/", data)
    assert response.status_code == 201
    assert response.json()["unit"]["id"] == unit_of_a.pk


def test_client_without_permission_cannot_create(api, district_api, unit_of_a):
    response = api(district_api[1]).post("/api/v1/hazards/", report(unit_of_a))
    assert response.status_code == 403
    assert Hazard.objects.count() == 0


def test_client_cannot_report_for_a_unit_outside_its_scope(
    api, make_api_client, fire_dept, unit_of_b
):
    _, token = make_api_client("fire-reports", department=fire_dept, may_create_hazards=True)
    response = api(token).post("/api/v1/hazards/", report(unit_of_b))
    assert response.status_code == 400
    assert response.json()["unit"] == ["单位不存在或不在本客户端的数据范围内"]
    assert Hazard.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "堵", "至少4个字"),
        ("found_on", "2999-01-01", "不能晚于今天"),
        ("level", "huge", None),
        ("source", "self_check", None),
    ],
)
def test_bad_input_is_refused_with_a_message_next_to_the_field(
    api, hotline_api, unit_of_a, field, value, message
):
    response = api(hotline_api[1]).post("/api/v1/hazards/", report(unit_of_a, **{field: value}))
    assert response.status_code == 400
    errors = response.json()[field]
    if message:
        assert message in errors[0]
    assert Hazard.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL connections")
def test_concurrent_duplicates_create_one_hazard(hotline_api, unit_of_a, client):
    from api.models import ApiClient
    from inspections import workflow
    from tests.inspections.test_concurrency import run_together

    hotline = ApiClient.objects.select_related("user").get(pk=hotline_api[0].pk)
    data = report(unit_of_a)

    def create():
        return workflow.register_reported_hazard(
            actor=hotline.user,
            unit=unit_of_a,
            external_source=hotline.code,
            external_id=data["external_id"],
            found_on=timezone.localdate(),
            description=data["description"],
            hazard_type="fire",
            level="general",
        )

    results = run_together(create, create, create)
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(created for _, created in results) == [False, False, True]
    assert len({hazard.pk for hazard, _ in results}) == 1
    assert Hazard.objects.count() == 1
    # The losers' numbers were rolled back: the sequence has no gap.
    assert Hazard.objects.get().number.endswith("000001")


def test_a_reported_hazard_is_no_inspection_in_the_statistics(api, hotline_api, unit_of_a):
    from inspections.stats import Scope

    api(hotline_api[1]).post("/api/v1/hazards/", report(unit_of_a))
    today = timezone.localdate()
    scope = Scope(start=today - datetime.timedelta(days=30), end=today, today=today)
    assert Inspection.objects.count() == 1
    assert not scope.inspections().exists()
    assert scope.hazards().count() == 1


def test_a_major_hazard_needs_its_basis_and_keeps_it(api, hotline_api, unit_of_a):
    client = api(hotline_api[1])
    refused = client.post("/api/v1/hazards/", report(unit_of_a, level="major"))
    assert refused.status_code == 400
    assert refused.json()["major_basis"] == ["重大隐患须写明判定依据（标准条款或判定理由）"]
    assert Hazard.objects.count() == 0
    basis = "GB 35181-2017 第4.3条：人员密集场所安全出口全部封堵"
    response = client.post(
        "/api/v1/hazards/", report(unit_of_a, level="major", major_basis=f"  {basis} ")
    )
    assert response.status_code == 201, response.content
    assert Hazard.objects.get().major_basis == basis
