"""The sync endpoint that saves a record captured offline on a phone (/inspections/sync/): the
inspection form's rules, the user's scope, and never two records for one upload sent twice."""

import datetime
import io
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections.models import Hazard, HazardPhoto, Inspection
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/inspections/sync/"


def jpeg(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="JPEG")
    return buffer.getvalue()


def phone_record(unit, *, submit=False, hazards=2, photo=True, **inspection) -> dict:
    rows = []
    for n in range(hazards):
        rows.append(
            {
                "uuid": str(uuid.uuid4()),
                "fields": {
                    "description": f"二楼配电箱{n + 1}号无门，线路裸露",
                    "level": "general",
                    "hazard_type": "electrical",
                    "deadline": str(timezone.localdate() + datetime.timedelta(days=7)),
                },
                "photos": [str(uuid.uuid4())] if photo and n == 0 else [],
            }
        )
    return {
        "uuid": str(uuid.uuid4()),
        "submit": submit,
        "inspection": {
            "unit": unit.pk,
            "date": str(timezone.localdate()),
            "kind": "routine",
            "checked_items": "消防通道、配电箱",
            **inspection,
        },
        "hazards": rows,
    }


def post(client, record, photo_bytes=None):
    files = {}
    for hazard in record["hazards"]:
        for photo_uuid in hazard["photos"]:
            files[f"photo-{photo_uuid}"] = SimpleUploadedFile(
                "p.jpg", photo_bytes or jpeg(), content_type="image/jpeg"
            )
    return client.post(URL, {"record": json.dumps(record), **files})


def counts():
    return Inspection.objects.count(), Hazard.objects.count(), HazardPhoto.objects.count()


def test_a_record_is_saved_once_however_often_it_is_sent(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    record = phone_record(unit_of_a)
    first = post(client, record)
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "draft"
    assert counts() == (1, 2, 1)
    inspection = Inspection.objects.get()
    assert str(inspection.client_uuid) == record["uuid"]
    assert {str(h.client_uuid) for h in inspection.hazards.all()} == {
        h["uuid"] for h in record["hazards"]
    }
    assert str(HazardPhoto.objects.get().client_uuid) == record["hazards"][0]["photos"][0]
    for _ in range(2):
        again = post(client, record)
        assert again.status_code == 200 and again.json()["status"] == "draft"
    assert counts() == (1, 2, 1)


def test_a_queued_submission_is_submitted_and_later_copies_change_nothing(
    login, inspector_a, unit_of_a
):
    client = login(inspector_a)
    record = phone_record(unit_of_a, submit=True)
    response = post(client, record)
    assert response.json()["status"] == "submitted", response.content
    inspection = Inspection.objects.get()
    assert inspection.status == Inspection.Status.SUBMITTED
    assert response.json()["url"] == reverse("inspection_detail", args=[inspection.pk])
    assert all(h.number for h in inspection.hazards.all())
    record["inspection"]["summary"] = "再次上传"
    again = post(client, record)
    assert again.json()["status"] == "submitted"
    inspection.refresh_from_db()
    assert inspection.summary == "" and counts() == (1, 2, 1)


def test_an_incomplete_submission_is_kept_as_a_draft_with_the_reasons(
    login, inspector_a, unit_of_a
):
    client = login(inspector_a)
    record = phone_record(unit_of_a, submit=True)
    record["hazards"][1]["fields"]["description"] = ""
    response = post(client, record)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "draft"
    assert Inspection.objects.get().status == Inspection.Status.DRAFT and counts() == (1, 2, 1)
    second = record["hazards"][1]["uuid"]
    assert "description" in body["errors"]["hazards"][second]
    assert any(reason.startswith("隐患2：") for reason in body["errors"]["reasons"])
    # Completed on the phone and sent again: the same draft is submitted, nothing doubled.
    record["hazards"][1]["fields"]["description"] = "楼梯间堆放杂物，堵塞疏散通道"
    response = post(client, record)
    assert response.json()["status"] == "submitted", response.content
    assert counts() == (1, 2, 1)
    assert Hazard.objects.get(client_uuid=second).description == "楼梯间堆放杂物，堵塞疏散通道"


def test_a_hazard_removed_on_the_phone_leaves_the_server_draft(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    record = phone_record(unit_of_a, photo=False)
    post(client, record)
    record["hazards"].pop()
    assert post(client, record).json()["status"] == "draft"
    assert counts() == (1, 1, 0)


def test_invalid_data_is_refused_with_chinese_reasons_and_nothing_saved(
    login, inspector_a, unit_of_a
):
    client = login(inspector_a)
    record = phone_record(unit_of_a)
    record["inspection"]["date"] = str(timezone.localdate() + datetime.timedelta(days=3))
    response = post(client, record)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["inspection"]["date"] == ["检查日期不能晚于今天"]
    assert "检查日期：检查日期不能晚于今天" in errors["reasons"]
    assert counts() == (0, 0, 0)


def test_a_unit_out_of_scope_is_refused_next_to_the_unit(login, inspector_a, unit_of_b, fire_dept):
    response = post(login(inspector_a), phone_record(unit_of_b))
    assert response.status_code == 422
    assert response.json()["errors"]["inspection"]["unit"] == ["所选单位不存在或不在您的检查范围内"]
    assert counts() == (0, 0, 0)


def test_a_damaged_photo_is_refused_as_in_the_form(login, inspector_a, unit_of_a):
    response = post(login(inspector_a), phone_record(unit_of_a), photo_bytes=b"\xff\xd8not a jpeg")
    assert response.status_code == 422
    reasons = response.json()["errors"]["reasons"]
    assert any(r.startswith("隐患1：现场照片：") for r in reasons), reasons
    assert counts() == (0, 0, 0)


def test_too_many_photos_are_refused_in_the_forms_words(login, inspector_a, unit_of_a):
    record = phone_record(unit_of_a, hazards=1, photo=False)
    record["hazards"][0]["photos"] = [str(uuid.uuid4()) for _ in range(10)]
    response = post(login(inspector_a), record)
    assert response.status_code == 422
    assert "隐患1：现场照片：每条隐患最多上传9张照片" in response.json()["errors"]["reasons"]
    assert counts() == (0, 0, 0)


def test_someone_elses_record_uuid_answers_404(login, inspector_a, inspector_b, unit_of_a):
    record = phone_record(unit_of_a, photo=False)
    assert post(login(inspector_a), record).status_code == 200
    other = Client()
    other.force_login(inspector_b)
    response = post(other, record)
    assert response.status_code == 404
    assert response.json()["message"] == "该检查记录不存在或不在您的检查范围内"
    assert counts() == (1, 2, 0)


def test_a_colleagues_hazard_uuid_answers_404(login, inspector_a, inspector_a2, unit_of_a):
    record = phone_record(unit_of_a, photo=False)
    post(login(inspector_a), record)
    stolen = phone_record(unit_of_a, photo=False)
    stolen["hazards"][0]["uuid"] = record["hazards"][0]["uuid"]
    other = Client()
    other.force_login(inspector_a2)
    assert post(other, stolen).status_code == 404
    assert counts() == (1, 2, 0)


def test_sync_needs_the_csrf_token(inspector_a, unit_of_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(inspector_a)
    assert post(client, phone_record(unit_of_a, photo=False)).status_code == 403
    client.get(reverse("inspection_create"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        URL,
        {"record": json.dumps(phone_record(unit_of_a, photo=False))},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert counts() == (1, 2, 0)


def test_readers_may_not_sync(login, leader, unit_of_a):
    assert post(login(leader), phone_record(unit_of_a, photo=False)).status_code == 403


def test_a_malformed_upload_is_refused(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    assert client.post(URL, {"record": "{"}).status_code == 400
    record = phone_record(unit_of_a)
    response = client.post(URL, {"record": json.dumps(record)})  # the photo's file is missing
    assert response.status_code == 400
    assert counts() == (0, 0, 0)


def test_offline_unit_list_holds_only_the_inspectors_units(
    login, inspector_a, unit_of_a, unit_of_b
):
    data = login(inspector_a).get(reverse("inspection_offline_units")).json()
    assert [u["id"] for u in data["results"]] == [unit_of_a.pk]
    assert data["truncated"] is False


def test_offline_unit_list_query_count(
    login, inspector_a, fire_dept, django_assert_max_num_queries
):
    for n in range(5):
        factories.unit(
            name=f"单位{n}", category=factories.category("chemical"), lead_department=fire_dept
        )
    client = login(inspector_a)
    with django_assert_max_num_queries(6):
        assert len(client.get(reverse("inspection_offline_units")).json()["results"]) == 5
