"""An API client reads exactly what its scope's inspectors see: the pages' visible_to."""

import datetime

import pytest
from django.utils import timezone

from inspections.models import Bulletin, Hazard, Inspection
from tests import factories


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def world(unit_of_a, unit_of_b, inspector_a, inspector_b):
    """One hazard of 消防's unit, one of 应急's unit, and a draft of 消防's inspector."""
    hazard_a = factories.hazard(unit_of_a, inspector_a)
    hazard_b = factories.hazard(unit_of_b, inspector_b)
    draft = Inspection.objects.create(
        unit=unit_of_a,
        department=inspector_a.department,
        created_by=inspector_a,
        date=timezone.localdate(),
    )
    draft_hazard = Hazard.objects.create(
        inspection=draft,
        unit=unit_of_a,
        found_on=draft.date,
        description="草稿隐患",
        hazard_type=Hazard.Type.FIRE,
        level=Hazard.Level.GENERAL,
        lead_department=unit_of_a.lead_department,
    )
    return {"a": hazard_a, "b": hazard_b, "draft": draft_hazard, "draft_inspection": draft}


def test_department_client_lists_only_its_department(api, fire_api, world, unit_of_a):
    caller = api(fire_api[1])
    assert ids(caller.get("/api/v1/units/")) == {unit_of_a.pk}
    assert ids(caller.get("/api/v1/hazards/")) == {world["a"].pk}
    assert ids(caller.get("/api/v1/inspections/")) == {world["a"].inspection_id}


def test_department_client_gets_404_for_everything_outside(api, fire_api, world, unit_of_b):
    caller = api(fire_api[1])
    assert caller.get(f"/api/v1/hazards/{world['b'].pk}/").status_code == 404
    assert caller.get(f"/api/v1/units/{unit_of_b.pk}/").status_code == 404
    assert caller.get(f"/api/v1/inspections/{world['b'].inspection_id}/").status_code == 404
    assert caller.get(f"/api/v1/hazards/{world['a'].pk}/").status_code == 200


def test_district_client_reads_everything_except_drafts(api, district_api, world):
    caller = api(district_api[1])
    assert ids(caller.get("/api/v1/hazards/")) == {world["a"].pk, world["b"].pk}
    assert caller.get(f"/api/v1/hazards/{world['draft'].pk}/").status_code == 404
    inspection_ids = ids(caller.get("/api/v1/inspections/"))
    assert world["draft_inspection"].pk not in inspection_ids


def test_street_client_sees_its_area(api, make_api_client, inspector_a, fire_dept):
    street_area = factories.area("铁西街道")
    street = factories.street_office(street_area)
    inside = factories.unit(area=street_area, lead_department=fire_dept)
    outside = factories.unit(area=factories.area("兴顺街道"), lead_department=fire_dept)
    factories.hazard(inside, inspector_a)
    factories.hazard(outside, inspector_a)
    _, token = make_api_client("street", department=street)
    caller = api(token)
    assert ids(caller.get("/api/v1/units/")) == {inside.pk}
    assert {row["unit"]["id"] for row in caller.get("/api/v1/hazards/").json()["results"]} == {
        inside.pk
    }


def test_scope_change_in_the_admin_applies_at_once(api, fire_api, safety_dept, world):
    from api import clients

    client, token = fire_api
    client.department = safety_dept
    clients.update_client(client=client)
    assert ids(api(token).get("/api/v1/hazards/")) == {world["b"].pk}


def test_photos_are_served_only_in_scope(api, fire_api, world, inspector_b, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from inspections.photos import save_photo

    settings.MEDIA_ROOT = tmp_path
    buffer = tmp_path / "p.png"
    Image.new("RGB", (40, 30), "red").save(buffer)
    upload = SimpleUploadedFile("p.png", buffer.read_bytes(), content_type="image/png")
    photo = save_photo(hazard=world["b"], upload=upload, kind="before", user=inspector_b)
    caller = api(fire_api[1])
    assert caller.get(f"/api/v1/photos/{photo.pk}/").status_code == 404
    photo_a = save_photo(hazard=world["a"], upload=upload, kind="before", user=inspector_b)
    response = caller.get(f"/api/v1/photos/{photo_a.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    listed = caller.get(f"/api/v1/hazards/{world['a'].pk}/").json()["photos"]
    assert [p["id"] for p in listed] == [photo_a.pk]
    assert listed[0]["url"].endswith(f"/api/v1/photos/{photo_a.pk}/")


def test_only_circulated_bulletins_are_readable(api, fire_api, office):
    today = timezone.localdate()
    common = dict(period_start=today - datetime.timedelta(days=30), period_end=today)
    draft = Bulletin.objects.create(title="草稿通报", created_by=office, **common)
    circulated = Bulletin.objects.create(
        title="已印发通报",
        created_by=office,
        status=Bulletin.Status.CIRCULATED,
        number="安委办通报〔2026〕1号",
        year=2026,
        seq=1,
        circulated_at=timezone.now(),
        **common,
    )
    caller = api(fire_api[1])
    assert ids(caller.get("/api/v1/bulletins/")) == {circulated.pk}
    assert caller.get(f"/api/v1/bulletins/{draft.pk}/").status_code == 404
    # No PDF built in this test: the file is missing, not a server error.
    assert caller.get(f"/api/v1/bulletins/{circulated.pk}/pdf/").status_code == 404
    assert caller.get(f"/api/v1/bulletins/{draft.pk}/pdf/").status_code == 404
