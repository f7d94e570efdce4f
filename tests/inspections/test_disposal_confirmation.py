"""An inspector's disposal (停产整顿, 移交执法, 风险管控 …) waits for the office: the office
confirms it (then it can be finished) or returns it to 整改中 with the deadline it had before.
The office's own disposals, and 关闭取缔 of an illegal site, stand at once."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections import queues, workflow
from inspections.models import Hazard, HazardEvent, Notification
from inspections.views.home import my_work
from tests import factories

S = Hazard.Status
D = Hazard.Disposal
A = HazardEvent.Action
K = Notification.Kind


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def rectifying(unit_of_a, inspector_a):
    return factories.hazard(unit_of_a, inspector_a, status=S.RECTIFYING, deadline=days(5))


def propose(hazard, actor, disposal=D.SUSPEND, **extra) -> Hazard:
    if disposal == D.SUSPEND:
        extra.setdefault("deadline", days(40))
    return workflow.cannot_rectify(
        hazard_id=hazard.pk,
        actor=actor,
        version=hazard.version,
        disposal=disposal,
        note="需停产改造，短期内无法整改",
        **extra,
    )


@pytest.mark.django_db
def test_an_inspectors_disposal_is_a_proposal_the_office_is_told_of(
    rectifying, inspector_a, office
):
    hazard = propose(rectifying, inspector_a)
    assert hazard.status == S.DISPOSAL and hazard.disposal_confirmed_at is None
    note = Notification.objects.get(kind=K.DISPOSAL_PROPOSED)
    assert note.user == office and "拟责令停产整顿" in note.title
    # Not finished before it is confirmed.
    with pytest.raises(workflow.NotAllowed, match="尚待安委办确认"):
        workflow.finish_disposal(
            hazard_id=hazard.pk, actor=office, version=hazard.version, note="完毕"
        )


@pytest.mark.django_db
def test_confirmed_then_finished_and_the_proposer_is_told(rectifying, inspector_a, office):
    hazard = propose(rectifying, inspector_a)
    hazard = workflow.confirm_disposal(
        hazard_id=hazard.pk, actor=office, version=hazard.version, note="同意"
    )
    assert hazard.disposal_confirmed_at is not None and hazard.status == S.DISPOSAL
    assert Notification.objects.filter(kind=K.DISPOSAL_DECIDED, user=inspector_a).exists()
    with pytest.raises(workflow.NotAllowed, match="已确认"):
        workflow.confirm_disposal(hazard_id=hazard.pk, actor=office, version=hazard.version)
    hazard = workflow.finish_disposal(
        hazard_id=hazard.pk, actor=office, version=hazard.version, note="整顿到位"
    )
    assert hazard.status == S.CLOSED
    assert list(hazard.events.values_list("action", flat=True).order_by("id")) == [
        A.CANNOT_RECTIFY,
        A.DISPOSAL_CONFIRMED,
        A.DISPOSAL_DONE,
    ]


@pytest.mark.django_db
def test_returned_goes_back_to_rectifying_with_the_deadline_it_had(rectifying, inspector_a, office):
    hazard = propose(rectifying, inspector_a)
    assert hazard.deadline == days(40)
    with pytest.raises(workflow.Invalid, match="退回理由"):
        workflow.return_disposal(hazard_id=hazard.pk, actor=office, version=hazard.version, note="")
    hazard = workflow.return_disposal(
        hazard_id=hazard.pk, actor=office, version=hazard.version, note="限期整改即可，不必停产"
    )
    assert (hazard.status, hazard.disposal, hazard.deadline) == (S.RECTIFYING, "", days(5))
    assert hazard.disposal_confirmed_at is None
    decided = Notification.objects.get(kind=K.DISPOSAL_DECIDED, user=inspector_a)
    assert "未获确认" in decided.title


@pytest.mark.django_db
def test_the_offices_own_disposal_and_an_illegal_sites_closure_stand_at_once(
    rectifying, office, inspector_a
):
    hazard = propose(rectifying, office, disposal=D.ENFORCEMENT)
    assert hazard.disposal_confirmed_at is not None
    assert not Notification.objects.filter(kind=K.DISPOSAL_PROPOSED).exists()
    illegal = factories.unit(is_illegal=True, lead_department=inspector_a.department)
    inspection = factories.inspection(illegal, inspector_a, status="draft")
    factories.hazard(
        illegal, inspector_a, inspection=inspection, status=S.DRAFT, disposal=D.CLOSE, deadline=None
    )
    (closed,) = workflow.submit_inspection(inspection_id=inspection.pk, actor=inspector_a)
    closed.refresh_from_db()
    assert closed.status == S.DISPOSAL and closed.disposal_confirmed_at is not None


@pytest.mark.django_db
def test_office_queues_split_proposals_from_confirmed_disposals(
    rf, rectifying, unit_of_a, inspector_a, office
):
    proposed = propose(rectifying, inspector_a)
    other = factories.hazard(unit_of_a, inspector_a, status=S.RECTIFYING, deadline=days(5))
    confirmed = propose(other, office, disposal=D.ENFORCEMENT)
    risk = factories.hazard(unit_of_a, inspector_a, status=S.RECTIFYING, deadline=days(5))
    propose(risk, office, disposal=D.RISK_CONTROL, review_on=days(30))
    base = Hazard.objects.all()
    today = timezone.localdate()
    to_confirm = base.filter(queues.QUEUES["disposal_to_confirm"].condition(office, today))
    to_close = base.filter(queues.QUEUES["disposal_to_close"].condition(office, today))
    assert list(to_confirm) == [proposed]
    assert list(to_close) == [confirmed]
    request = rf.get("/")
    request.user, request.session = office, {}
    counts = {s["key"]: s["count"] for s in my_work(request)["sections"]}
    assert (counts["disposal_to_confirm"], counts["disposal_to_close"]) == (1, 1)


@pytest.mark.django_db
def test_detail_page_offers_the_office_confirm_and_return(login, rectifying, inspector_a, office):
    hazard = propose(rectifying, inspector_a)
    url = reverse("hazard_detail", args=[hazard.pk])
    page = login(inspector_a).get(url).content.decode()
    assert "待安委办确认" in page and "确认处置措施" not in page
    client = login(office)
    page = client.get(url).content.decode()
    assert "确认处置措施" in page and "退回处置" in page
    refused = client.post(
        reverse("hazard_act", args=[hazard.pk, "return_disposal"]),
        {"version": hazard.version, "note": ""},
    )
    assert refused.status_code == 400
    response = client.post(
        reverse("hazard_act", args=[hazard.pk, "confirm_disposal"]),
        {"version": hazard.version, "note": "同意"},
    )
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.disposal_confirmed_at is not None
