"""A refused hazard action says so in a banner at the top and next to the field that caused it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import Hazard
from tests import factories

S = Hazard.Status


def act_url(hazard: Hazard, action: str) -> str:
    return reverse("hazard_act", kwargs={"pk": hazard.pk, "action": action})


@pytest.fixture
def rectifying(unit_of_a, inspector_a):
    return factories.hazard(unit_of_a, inspector_a, status=S.RECTIFYING)


def field_errors(response, action: str, name: str) -> list[str]:
    form = next(
        item["form"] for item in response.context["action_forms"] if item["action"] == action
    )
    return list(form.errors.get(name, []))


def test_report_done_without_photo_names_the_photo_field_in_banner_and_form(
    login, inspector_a, rectifying
):
    response = login(inspector_a).post(
        act_url(rectifying, "report_done"), {"version": rectifying.version, "note": "已整改"}
    )
    assert response.status_code == 400
    assert field_errors(response, "report_done", "photos") == ["请上传整改后照片"]
    assert response.context["action_error"] == {
        "label": "报告整改完成",
        "messages": ["整改后照片：请上传整改后照片"],
        "anchor": "act-report_done",
    }
    html = response.content.decode()
    assert html.index('data-testid="action-error"') < html.index('data-testid="hazard-facts"')
    assert 'data-action="report_done" data-refused' in html
    assert "js/hazard_detail.js" in html
    rectifying.refresh_from_db()
    assert rectifying.status == S.RECTIFYING


def test_extension_not_after_current_deadline_is_a_field_error(login, inspector_a, rectifying):
    response = login(inspector_a).post(
        act_url(rectifying, "request_extension"),
        {
            "version": rectifying.version,
            "deadline": rectifying.deadline.isoformat(),
            "reason": "材料未到",
        },
    )
    assert response.status_code == 400
    assert field_errors(response, "request_extension", "deadline") == [
        f"申请的期限须晚于当前期限 {rectifying.deadline:%Y-%m-%d}"
    ]
    assert not rectifying.extensions.exists()


def test_risk_control_without_review_date_is_a_field_error(login, inspector_a, rectifying):
    response = login(inspector_a).post(
        act_url(rectifying, "cannot_rectify"),
        {"version": rectifying.version, "disposal": "risk_control", "note": "需停产改造，先管控"},
    )
    assert response.status_code == 400
    assert field_errors(response, "cannot_rectify", "review_on") == [
        "风险管控须填写晚于今天的复核日期"
    ]
    rectifying.refresh_from_db()
    assert rectifying.status == S.RECTIFYING


def test_stale_version_shows_the_banner(login, inspector_a, rectifying):
    later = (rectifying.deadline + datetime.timedelta(days=10)).isoformat()
    response = login(inspector_a).post(
        act_url(rectifying, "request_extension"),
        {"version": rectifying.version + 1, "deadline": later, "reason": "材料未到"},
    )
    assert response.status_code == 400
    assert response.context["action_error"]["messages"] == ["该隐患已被他人修改，请刷新页面后重试"]
    assert response.context["action_error"]["anchor"] == "act-request_extension"


def test_action_no_longer_on_offer_lives_in_the_banner_only(login, inspector_a, rectifying):
    response = login(inspector_a).post(
        act_url(rectifying, "start"), {"version": rectifying.version, "note": "x"}
    )
    assert response.status_code == 400
    error = response.context["action_error"]
    assert error["label"] == "开始整改" and error["anchor"] == "" and error["messages"]


def test_no_banner_without_a_refusal(login, inspector_a, rectifying):
    response = login(inspector_a).get(reverse("hazard_detail", kwargs={"pk": rectifying.pk}))
    assert response.context["action_error"] is None
    assert "data-refused" not in response.content.decode()


def test_a_later_review_date_is_accepted(login, inspector_a, rectifying):
    review_on = timezone.localdate() + datetime.timedelta(days=30)
    response = login(inspector_a).post(
        act_url(rectifying, "cannot_rectify"),
        {
            "version": rectifying.version,
            "disposal": "risk_control",
            "note": "需停产改造，先管控",
            "review_on": review_on.isoformat(),
        },
    )
    assert response.status_code == 302
    rectifying.refresh_from_db()
    assert rectifying.status == S.DISPOSAL and rectifying.risk_review_on == review_on


def test_assign_with_both_date_and_working_days_is_refused(login, office, unit_of_a, inspector_a):
    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    response = login(office).post(
        act_url(hazard, "assign"),
        {
            "version": hazard.version,
            "lead_department": unit_of_a.lead_department_id,
            "responsible_person": "李四",
            "deadline": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
            "working_days": "10",
        },
    )
    assert response.status_code == 400
    assert field_errors(response, "assign", "working_days") == [
        "整改期限请填日期或工作日数，二选一"
    ]
    hazard.refresh_from_db()
    assert hazard.status == S.REGISTERED


def test_deadline_label_drops_working_days_once_the_deadline_moved(
    login, office, inspector_a, unit_of_a
):
    from inspections import workflow

    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    hazard = workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=unit_of_a.lead_department,
        responsible_person="李四",
        working_days=10,
    )
    detail = reverse("hazard_detail", kwargs={"pk": hazard.pk})
    assert f"{hazard.deadline:%Y-%m-%d}（10个工作日）" in login(office).get(detail).content.decode()

    later = hazard.deadline + datetime.timedelta(days=15)
    workflow.request_extension(
        hazard_id=hazard.pk,
        actor=inspector_a,
        version=hazard.version,
        deadline=later,
        reason="等材料",
    )
    workflow.decide_extension(
        extension_id=hazard.extensions.get().pk, actor=office, approve=True, note=""
    )
    html = login(office).get(detail).content.decode()
    assert f"{later:%Y-%m-%d}" in html
    assert "个工作日）" not in html
    assert 'data-testid="original-deadline"' in html


def test_disposal_has_no_preset_and_must_be_chosen(login, inspector_a, rectifying):
    client = login(inspector_a)
    page = client.get(reverse("hazard_detail", kwargs={"pk": rectifying.pk}))
    form = next(i["form"] for i in page.context["action_forms"] if i["action"] == "cannot_rectify")
    html = str(form["disposal"])
    assert '<option value="" selected>请选择处置措施</option>' in html
    assert html.count("selected") == 1

    response = client.post(
        act_url(rectifying, "cannot_rectify"),
        {"version": rectifying.version, "note": "场地无法改造"},
    )
    assert field_errors(response, "cannot_rectify", "disposal") == ["请选择处置措施"]
    rectifying.refresh_from_db()
    assert rectifying.status == S.RECTIFYING and rectifying.disposal == ""
