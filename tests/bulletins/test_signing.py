"""签发: draft → 待签发 (office submits) → 已签发 (a leader approves, or returns it with a
remark) → 已印发. Who may do each step, what each step tells the next person, what is locked."""

import pytest
from django.test import Client
from django.urls import reverse

from inspections import bulletins
from inspections.models import Bulletin, BulletinEvent, Notification
from tests import factories

from .conftest import START, TODAY

B = Bulletin.Status
A = BulletinEvent.Action


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ready(district, office) -> Bulletin:
    built = bulletins.build(bulletins.create_bulletin(actor=office, start=START, end=TODAY).pk)
    assert built.status == B.READY, built.error
    return built


def notes_of(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=Notification.Kind.BULLETIN))


@pytest.mark.django_db
def test_submit_approve_circulate_through_the_pages_notifies_each_next_person(
    client, office, leader, ready, django_capture_on_commit_callbacks
):
    other_leader = factories.user("leader2", role="leader", dept=leader.department)
    office_client = Client()
    office_client.force_login(office)
    response = office_client.post(reverse("bulletin_submit", args=[ready.pk]))
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.status == B.SUBMITTED and ready.submitted_by == office
    # Each leader is told, with a link to the bulletin; the office is not told about itself.
    for person in (leader, other_leader):
        (note,) = notes_of(person)
        assert note.title.startswith("通报待签发") and note.link == f"/bulletins/{ready.pk}/"
    assert notes_of(office) == []

    # Circulating before it is signed is refused, and nothing is numbered.
    refused = office_client.post(reverse("bulletin_circulate", args=[ready.pk]), follow=True)
    assert "尚未经领导签发" in refused.content.decode()
    ready.refresh_from_db()
    assert ready.status == B.SUBMITTED and ready.number is None

    client.force_login(leader)
    assert ready in client.get(reverse("bulletin_list")).context["object_list"]
    page = client.get(reverse("bulletin_detail", args=[ready.pk])).content.decode()
    assert 'data-testid="sign-panel"' in page and 'data-testid="text-form"' not in page
    assert client.get(reverse("bulletin_pdf", args=[ready.pk])).status_code == 200
    assert client.post(reverse("bulletin_approve", args=[ready.pk])).status_code == 302
    ready.refresh_from_db()
    assert ready.status == B.APPROVED and ready.signed_by == leader and ready.signed_at
    (note,) = [n for n in notes_of(office) if n.title.startswith("通报已签发")]
    assert str(leader) in note.body

    page = office_client.get(reverse("bulletin_detail", args=[ready.pk])).content.decode()
    assert f"签发人：<strong>{leader}</strong>" in page
    assert 'data-testid="circulate"' in page and 'data-testid="text-form"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        office_client.post(reverse("bulletin_circulate", args=[ready.pk]))
    ready.refresh_from_db()
    assert ready.status == B.CIRCULATED and ready.number == "铁安委办〔2026〕1号"
    page = office_client.get(reverse("bulletin_detail", args=[ready.pk])).content.decode()
    assert f"签发人：<strong>{leader}</strong>" in page
    assert list(ready.events.values_list("action", flat=True)) == [
        A.CREATE,
        A.SUBMIT,
        A.APPROVE,
        A.CIRCULATE,
    ]


@pytest.mark.django_db
def test_leader_returns_with_a_remark_the_office_sees_it_and_can_edit_again(
    client, office, leader, ready
):
    bulletins.submit(bulletin_id=ready.pk, actor=office)
    client.force_login(leader)
    response = client.post(
        reverse("bulletin_return", args=[ready.pk]), {"remark": "表扬名单请核实消防大队的数字"}
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.status == B.READY and ready.signed_by is None
    event = ready.events.get(action=A.RETURN)
    assert event.actor == leader and event.note == "表扬名单请核实消防大队的数字"
    (note,) = [n for n in notes_of(office) if n.title.startswith("通报被退回")]
    assert "表扬名单请核实消防大队的数字" in note.body

    office_client = Client()
    office_client.force_login(office)
    page = office_client.get(reverse("bulletin_detail", args=[ready.pk])).content.decode()
    assert 'data-testid="returned"' in page and "表扬名单请核实消防大队的数字" in page
    assert 'data-testid="text-form"' in page and 'data-testid="submit"' in page
    # The returned draft is no longer the leaders' to see.
    assert client.get(reverse("bulletin_detail", args=[ready.pk])).status_code == 404


@pytest.mark.django_db
def test_return_without_a_remark_shows_the_error_next_to_the_field(client, office, leader, ready):
    bulletins.submit(bulletin_id=ready.pk, actor=office)
    client.force_login(leader)
    response = client.post(reverse("bulletin_return", args=[ready.pk]), {"remark": "   "})
    assert response.status_code == 400
    form = response.context["return_form"]
    assert form.errors["remark"] == ["退回时请写明需要修改的内容"]
    assert "退回时请写明需要修改的内容" in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == B.SUBMITTED
    assert not ready.events.filter(action=A.RETURN).exists()
    with pytest.raises(bulletins.BulletinError, match="退回意见"):
        bulletins.return_to_office(bulletin_id=ready.pk, actor=leader, remark=" ")


@pytest.mark.django_db
def test_wrong_roles_are_refused_at_each_step(
    client, office, leader, supervisor, inspector_a, ready
):
    bulletins.submit(bulletin_id=ready.pk, actor=office)
    # The office signs nothing it drafted; a leader never submits or circulates.
    client.force_login(office)
    assert client.post(reverse("bulletin_approve", args=[ready.pk])).status_code == 403
    assert client.post(reverse("bulletin_return", args=[ready.pk])).status_code == 403
    client.force_login(leader)
    assert client.post(reverse("bulletin_submit", args=[ready.pk])).status_code == 403
    assert client.post(reverse("bulletin_withdraw", args=[ready.pk])).status_code == 403
    assert client.post(reverse("bulletin_circulate", args=[ready.pk])).status_code == 403
    # Whoever does not see a bulletin awaiting signature gets 404, as for any hidden object.
    for person in (supervisor, inspector_a):
        client.force_login(person)
        for name in ("bulletin_detail", "bulletin_pdf"):
            assert client.get(reverse(name, args=[ready.pk])).status_code == 404
        for name in ("bulletin_approve", "bulletin_return", "bulletin_submit"):
            assert client.post(reverse(name, args=[ready.pk])).status_code == 404
    for person, call in (
        (office, bulletins.approve),
        (inspector_a, bulletins.approve),
        (leader, bulletins.submit),
    ):
        with pytest.raises(bulletins.BulletinError):
            call(bulletin_id=ready.pk, actor=person)
    ready.refresh_from_db()
    assert ready.status == B.SUBMITTED and ready.signed_by is None


@pytest.mark.django_db
def test_submitted_bulletin_is_locked_until_withdrawn(login, office, leader, inspector_a, ready):
    bulletins.submit(bulletin_id=ready.pk, actor=office)
    client = login(office)
    edit = client.post(
        reverse("bulletin_detail", args=[ready.pk]),
        {"narrative": "改", "praise_remarks": "", "criticism_remarks": "", "requirements": ""},
    )
    assert edit.status_code == 403
    with pytest.raises(bulletins.BulletinError, match="不能修改"):
        bulletins.update_texts(bulletin_id=ready.pk, actor=office, narrative="改")
    with pytest.raises(bulletins.BulletinError, match="不能重新生成"):
        bulletins.regenerate(bulletin_id=ready.pk, actor=office)
    # A redelivered build task does not change what the leader is asked to sign.
    before = Bulletin.objects.get(pk=ready.pk)
    unit = factories.unit()
    factories.hazard(
        unit, inspector_a, inspection=factories.inspection(unit, inspector_a, date=TODAY)
    )
    after = bulletins.build(ready.pk)
    assert after.status == B.SUBMITTED and after.stats == before.stats

    assert client.post(reverse("bulletin_withdraw", args=[ready.pk])).status_code == 302
    bulletins.update_texts(bulletin_id=ready.pk, actor=office, narrative="一是改过了。")
    ready.refresh_from_db()
    assert ready.status == B.READY and ready.narrative == "一是改过了。"
    actions = list(ready.events.values_list("action", flat=True))
    assert actions == [A.CREATE, A.SUBMIT, A.WITHDRAW, A.EDIT]


@pytest.mark.django_db
def test_approval_is_of_a_submitted_bulletin_only_and_once(office, leader, ready):
    with pytest.raises(bulletins.BulletinError, match="不在待签发状态"):
        bulletins.approve(bulletin_id=ready.pk, actor=leader)
    bulletins.submit(bulletin_id=ready.pk, actor=office)
    bulletins.approve(bulletin_id=ready.pk, actor=leader)
    with pytest.raises(bulletins.BulletinError, match="不在待签发状态"):
        bulletins.approve(bulletin_id=ready.pk, actor=leader)
    with pytest.raises(bulletins.BulletinError, match="不在待签发状态"):
        bulletins.return_to_office(bulletin_id=ready.pk, actor=leader, remark="晚了")
    assert ready.events.filter(action=A.APPROVE).count() == 1


@pytest.mark.django_db
def test_submit_needs_a_leader_account_to_sign(office, ready):
    with pytest.raises(bulletins.BulletinError, match="没有可以签发通报的领导"):
        bulletins.submit(bulletin_id=ready.pk, actor=office)
    ready.refresh_from_db()
    assert ready.status == B.READY


@pytest.mark.django_db
def test_text_saved_just_before_submission_still_reaches_the_pdf(office, leader, ready):
    import subprocess

    bulletins.update_texts(bulletin_id=ready.pk, actor=office, narrative="一是送签前最后一改。")
    bulletins.submit(bulletin_id=ready.pk, actor=office)
    rendered = bulletins.rerender(ready.pk)  # the render task ran after the submission
    text = subprocess.run(
        ["pdftotext", rendered.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "一是送签前最后一改。" in "".join(text.split())
