"""The hazard detail page: facts, timeline, one form per allowed action, refusals shown in place."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections import workflow
from inspections.models import DeadlineExtension, Hazard, HazardEvent, HazardPhoto
from tests import factories

S = Hazard.Status
TODAY = timezone.localdate


def jpeg_upload(name: str = "after.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def act_url(hazard: Hazard, action: str) -> str:
    return reverse("hazard_act", kwargs={"pk": hazard.pk, "action": action})


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hazard(unit_of_a, inspector_a):
    return factories.registered_hazard(unit_of_a, inspector_a)


@pytest.fixture
def assigned(hazard, office, fire_dept):
    return workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=fire_dept,
        responsible_person="李四",
        deadline=TODAY() + datetime.timedelta(days=10),
    )


def test_detail_shows_facts_timeline_and_the_office_triage_forms(login, office, hazard):
    response = login(office).get(reverse("hazard_detail", kwargs={"pk": hazard.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert hazard.number in html
    assert hazard.unit.name in html
    assert 'data-event="register"' in html
    actions = [f["action"] for f in response.context["action_forms"]]
    assert actions == ["assign", "reject", "merge", "transfer", "void"]
    assert f'action="{act_url(hazard, "assign")}"' in html
    assert f'name="version" value="{hazard.version}"' in html


def test_leader_sees_the_page_but_no_action(login, leader, hazard):
    response = login(leader).get(reverse("hazard_detail", kwargs={"pk": hazard.pk}))
    assert response.status_code == 200
    assert response.context["action_forms"] == []
    assert "您当前没有可执行的操作" in response.content.decode()


def test_inspector_of_other_department_gets_404_on_page_and_action(login, inspector_b, hazard):
    client = login(inspector_b)
    assert client.get(reverse("hazard_detail", kwargs={"pk": hazard.pk})).status_code == 404
    response = client.post(act_url(hazard, "reject"), {"version": hazard.version, "reason": "重复"})
    assert response.status_code == 404
    hazard.refresh_from_db()
    assert hazard.status == S.REGISTERED


def test_unknown_action_is_404(login, office, hazard):
    response = login(office).post(act_url(hazard, "delete"), {"version": hazard.version})
    assert response.status_code == 404


def test_get_on_action_url_is_refused(login, office, hazard):
    assert login(office).get(act_url(hazard, "assign")).status_code == 405


def test_office_assigns_through_the_form(login, office, hazard, safety_dept):
    deadline = TODAY() + datetime.timedelta(days=20)
    response = login(office).post(
        act_url(hazard, "assign"),
        {
            "version": hazard.version,
            "lead_department": safety_dept.pk,
            "responsible_person": "王五",
            "responsible_phone": "13900001111",
            "deadline": deadline.isoformat(),
            "note": "请按期整改",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("hazard_detail", kwargs={"pk": hazard.pk})
    hazard.refresh_from_db()
    assert hazard.status == S.ASSIGNED
    assert hazard.deadline == deadline
    assert hazard.lead_department == safety_dept
    event = hazard.events.latest("id")
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "assign",
        office,
        S.REGISTERED,
        S.ASSIGNED,
    )
    page = login(office).get(response["Location"]).content.decode()
    assert "已交办" in page and "王五" in page


def test_assign_with_a_past_deadline_is_refused_next_to_the_field(login, office, hazard, fire_dept):
    response = login(office).post(
        act_url(hazard, "assign"),
        {
            "version": hazard.version,
            "lead_department": fire_dept.pk,
            "responsible_person": "王五",
            "deadline": (TODAY() - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "整改期限不能早于今天" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == S.REGISTERED


def test_assign_by_working_days(login, office, hazard, fire_dept):
    factories.next_years_holidays_entered()  # five working days from 24 December run into January
    response = login(office).post(
        act_url(hazard, "assign"),
        {
            "version": hazard.version,
            "lead_department": fire_dept.pk,
            "responsible_person": "王五",
            "working_days": "5",
        },
    )
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.deadline_working_days == 5
    assert hazard.deadline > TODAY()


def test_stale_version_is_refused_with_the_changed_meanwhile_message(
    login, office, hazard, fire_dept
):
    events_before = hazard.events.count()
    response = login(office).post(
        act_url(hazard, "reject"), {"version": hazard.version - 1, "reason": "不属实"}
    )
    assert response.status_code == 400
    assert "该隐患已被他人修改，请刷新页面后重试" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == S.REGISTERED
    assert hazard.events.count() == events_before


def test_form_errors_show_next_to_the_field_and_save_nothing(login, office, hazard):
    response = login(office).post(act_url(hazard, "reject"), {"version": hazard.version})
    assert response.status_code == 400
    assert response.context["action_forms"][1]["form"].errors["reason"]
    hazard.refresh_from_db()
    assert hazard.status == S.REGISTERED


def test_workflow_refusal_is_shown_in_chinese_and_nothing_saved(login, inspector_a, assigned):
    # The reporter may not verify their own report; posting anyway is refused by the workflow.
    client = login(inspector_a)
    response = client.post(
        act_url(assigned, "report_done"),
        {"version": assigned.version, "note": "已清理", "photos": jpeg_upload()},
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    events = assigned.events.count()
    response = client.post(
        act_url(assigned, "verify"), {"version": assigned.version, "ok": "1", "note": "合格"}
    )
    assert response.status_code == 400
    assert "复查人不能是报告整改完成的人" in response.content.decode()
    assigned.refresh_from_db()
    assert assigned.status == S.AWAITING_VERIFICATION
    assert assigned.events.count() == events


def test_report_done_with_after_photo_then_other_inspector_verifies(
    login, client, inspector_a, inspector_a2, assigned
):
    response = login(inspector_a).post(
        act_url(assigned, "report_done"),
        {
            "version": assigned.version,
            "note": "已清理通道",
            "photos": [jpeg_upload(), jpeg_upload("b.jpg")],
        },
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.status == S.AWAITING_VERIFICATION
    event = assigned.events.latest("id")
    assert event.action == "report_done"
    assert HazardPhoto.objects.filter(hazard=assigned, kind="after", event=event).count() == 2

    response = login(inspector_a2).post(
        act_url(assigned, "verify"), {"version": assigned.version, "ok": "1", "note": "复查合格"}
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.status == S.CLOSED
    page = login(inspector_a2).get(reverse("hazard_detail", kwargs={"pk": assigned.pk}))
    html = page.content.decode()
    for action in ("register", "assign", "report_done", "verify_ok"):
        assert f'data-event="{action}"' in html
    assert len(page.context["after_photos"]) == 2


def test_report_done_without_photo_is_refused(login, inspector_a, assigned):
    response = login(inspector_a).post(
        act_url(assigned, "report_done"), {"version": assigned.version, "note": "已整改"}
    )
    assert response.status_code == 400
    assert "请上传整改后照片" in response.content.decode()
    assigned.refresh_from_db()
    assert assigned.status == S.ASSIGNED


def test_report_done_with_a_non_image_saves_nothing(login, inspector_a, assigned):
    fake = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    response = login(inspector_a).post(
        act_url(assigned, "report_done"),
        {"version": assigned.version, "note": "已整改", "photos": fake},
    )
    assert response.status_code == 400
    form = next(f["form"] for f in response.context["action_forms"] if f["action"] == "report_done")
    assert form.errors["photos"]
    assigned.refresh_from_db()
    assert assigned.status == S.ASSIGNED
    assert not assigned.photos.exists()
    assert not assigned.events.filter(action="report_done").exists()


def test_report_done_form_takes_several_photos_from_the_phone_camera(login, inspector_a, assigned):
    html = login(inspector_a).get(reverse("hazard_detail", kwargs={"pk": assigned.pk})).content
    html = html.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'capture="environment"' in html
    assert "multiple" in html


def test_pending_extension_is_shown_and_the_office_approves_it(
    login, inspector_a, office, assigned
):
    new = assigned.deadline + datetime.timedelta(days=10)
    workflow.request_extension(
        hazard_id=assigned.pk,
        actor=inspector_a,
        version=assigned.version,
        deadline=new,
        reason="设备到货延迟",
    )
    assigned.refresh_from_db()
    client = login(office)
    page = client.get(reverse("hazard_detail", kwargs={"pk": assigned.pk}))
    html = page.content.decode()
    assert 'data-testid="pending-extension"' in html and "设备到货延迟" in html
    assert 'name="approve" value="1"' in html and 'name="approve" value="0"' in html
    response = client.post(
        act_url(assigned, "decide_extension"),
        {"version": assigned.version, "approve": "1", "note": "同意"},
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.deadline == new
    assert assigned.original_deadline != new
    assert DeadlineExtension.objects.get(hazard=assigned).status == "approved"
    html = client.get(reverse("hazard_detail", kwargs={"pk": assigned.pk})).content.decode()
    assert 'data-testid="original-deadline"' in html


def test_refuse_extension_on_a_stale_page_is_refused(login, inspector_a, office, assigned):
    workflow.request_extension(
        hazard_id=assigned.pk,
        actor=inspector_a,
        version=assigned.version,
        deadline=assigned.deadline + datetime.timedelta(days=3),
        reason="资金未到位",
    )
    response = login(office).post(
        act_url(assigned, "decide_extension"),
        {"version": assigned.version, "approve": "0", "note": "不同意"},
    )
    assert response.status_code == 400
    assert "该隐患已被他人修改" in response.content.decode()
    assert DeadlineExtension.objects.get(hazard=assigned).status == "pending"


def test_supervisor_escalates(login, supervisor, assigned):
    response = login(supervisor).post(
        act_url(assigned, "escalate"), {"version": assigned.version, "note": "请加快整改"}
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.escalated_at is not None
    assert assigned.events.latest("id").action == "escalate"


def test_timeline_renders_event_data_readably(login, office, assigned, safety_dept):
    workflow.transfer(
        hazard_id=assigned.pk,
        actor=office,
        version=assigned.version,
        department=safety_dept,
        note="属应急局监管",
    )
    html = login(office).get(reverse("hazard_detail", kwargs={"pk": assigned.pk})).content.decode()
    assert "转办至：" + safety_dept.name in html
    assert "整改责任人：李四" in html


def _add_comment_events(hazard: Hazard, count: int, actor) -> None:
    HazardEvent.objects.bulk_create(
        [
            HazardEvent(hazard=hazard, actor=actor, action="comment", note=f"备注{i}")
            for i in range(count)
        ]
    )


def test_detail_query_count_is_constant(
    login, office, assigned, inspector_a, django_assert_max_num_queries
):
    client = login(office)
    url = reverse("hazard_detail", kwargs={"pk": assigned.pk})
    client.get(url)  # warm the session
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    _add_comment_events(assigned, 30, inspector_a)
    for _ in range(3):
        HazardPhoto.objects.create(
            hazard=assigned,
            token=f"t{_}",
            image="x.jpg",
            thumbnail="x_t.jpg",
            uploaded_by=inspector_a,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["events"]) >= 32
