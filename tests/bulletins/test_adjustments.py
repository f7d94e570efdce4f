"""The office strikes or adds a praise / criticism / veto entry before circulation, with a
required reason kept in the draft's history; the figures stay computed."""

import subprocess

import pytest
from django.urls import reverse

from inspections import bulletins
from inspections.models import Bulletin, BulletinAdjustment, BulletinEvent

from .conftest import START, TODAY, signed

B = Bulletin.Status


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ready(district, office) -> Bulletin:
    built = bulletins.build(bulletins.create_bulletin(actor=office, start=START, end=TODAY).pk)
    assert built.status == B.READY, built.error
    # The district's rules: both departments criticised and vetoed, nobody praised.
    assert {e["department"] for e in built.stats["rules"]["criticise"]} == {
        "区应急管理局",
        "区消防救援大队",
    }
    return built


def names(lists: dict, section: str) -> list[str]:
    return [e["department"] for e in lists[section]]


def pdf_flat(bulletin: Bulletin) -> str:
    out = subprocess.run(
        ["pdftotext", bulletin.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(out.split())


@pytest.mark.django_db
def test_strike_and_add_change_the_printed_lists_not_the_figures(ready, office, district):
    stats_before = Bulletin.objects.get(pk=ready.pk).stats
    bulletins.adjust(
        bulletin_id=ready.pk,
        actor=office,
        section="criticise",
        action="strike",
        department=district.safety,
        reason="逾期隐患系区政府协调事项，非部门原因",
    )
    bulletins.adjust(
        bulletin_id=ready.pk,
        actor=office,
        section="praise",
        action="add",
        department=factories_street(),
        text="主动排查辖区无物业小区，发现并督促整改隐患12项",
        reason="区领导批示予以表扬",
    )
    ready.refresh_from_db()
    assert ready.stats == stats_before  # figures and the rules' own lists untouched
    lists = bulletins.effective_lists(ready)
    assert names(lists, "criticise") == ["区消防救援大队"]
    assert names(lists, "praise") == ["兴华街道办事处"]
    assert lists["praise"][0]["added"] is True
    assert names(lists, "veto") == ["区应急管理局", "区消防救援大队"]

    rendered = bulletins.rerender(ready.pk)
    flat = pdf_flat(rendered)
    assert "兴华街道办事处：主动排查辖区无物业小区，发现并督促整改隐患12项。" in flat
    # The criticism list proper; the hazards named after it are not a criticism.
    criticism = flat.split("（二）通报批评")[1].split("以下部门未销号隐患不足")[0]
    assert "区消防救援大队" in criticism and "区应急管理局" not in criticism

    notes = list(
        ready.events.filter(action=BulletinEvent.Action.ADJUST).values_list("note", flat=True)
    )
    assert notes == [
        "划去通报批评：区应急管理局。理由：逾期隐患系区政府协调事项，非部门原因",
        "增加表扬：兴华街道办事处（主动排查辖区无物业小区，发现并督促整改隐患12项）。"
        "理由：区领导批示予以表扬",
    ]


def factories_street():
    from tests import factories
    from units.models import Department

    return Department.objects.create(
        name="兴华街道办事处", kind=Department.Kind.STREET, area=factories.area("兴华街道")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"section": "criticise", "action": "strike", "reason": ""}, "调整理由"),
        ({"section": "praise", "action": "strike", "reason": "无"}, "不在表扬名单中"),
        ({"section": "veto", "action": "add", "reason": "补充", "text": "x"}, "已在一票否决名单中"),
        ({"section": "praise", "action": "add", "reason": "表扬", "text": ""}, "通报事由"),
        ({"section": "praise", "action": "add", "reason": "表扬", "text": "好"}, "不能同时表扬"),
    ],
)
def test_refused_adjustments_change_nothing(ready, office, district, fields, message):
    with pytest.raises(bulletins.BulletinError, match=message):
        bulletins.adjust(bulletin_id=ready.pk, actor=office, department=district.fire, **fields)
    assert not BulletinAdjustment.objects.exists()
    assert not ready.events.filter(action=BulletinEvent.Action.ADJUST).exists()


@pytest.mark.django_db
def test_second_adjustment_of_the_same_entry_is_refused_until_revoked(ready, office, district):
    first = bulletins.adjust(
        bulletin_id=ready.pk,
        actor=office,
        section="veto",
        action="strike",
        department=district.fire,
        reason="事故不在其监管范围",
    )
    with pytest.raises(bulletins.BulletinError, match="已有调整"):
        bulletins.adjust(
            bulletin_id=ready.pk,
            actor=office,
            section="veto",
            action="strike",
            department=district.fire,
            reason="再划一次",
        )
    bulletins.revoke_adjustment(bulletin_id=ready.pk, actor=office, adjustment_id=first.pk)
    assert names(bulletins.effective_lists(ready), "veto") == ["区应急管理局", "区消防救援大队"]
    first.refresh_from_db()
    assert first.revoked_by == office and first.reason == "事故不在其监管范围"  # kept
    last = ready.events.filter(action=BulletinEvent.Action.ADJUST).last()
    assert last.note.startswith("撤销调整：划去一票否决：区消防救援大队")


@pytest.mark.django_db
def test_only_the_office_adjusts_and_only_before_submission(ready, office, leader, district):
    with pytest.raises(bulletins.BulletinError):
        bulletins.adjust(
            bulletin_id=ready.pk,
            actor=leader,
            section="veto",
            action="strike",
            department=district.fire,
            reason="领导不改名单",
        )
    signed(ready.pk, office, leader)
    with pytest.raises(bulletins.BulletinError, match="不能修改"):
        bulletins.adjust(
            bulletin_id=ready.pk,
            actor=office,
            section="veto",
            action="strike",
            department=district.fire,
            reason="签发后不改",
        )


@pytest.mark.django_db
def test_adjust_page_needs_a_reason_next_to_the_field_and_keeps_the_history(
    client, office, leader, ready, district, django_capture_on_commit_callbacks
):
    client.force_login(office)
    url = reverse("bulletin_adjust", args=[ready.pk])
    empty = client.post(
        url, {"action": "strike", "section": "criticise", "department": district.safety.pk}
    )
    assert empty.status_code == 400
    assert empty.context["adjust_form"].errors["reason"] == ["请填写调整理由"]
    wrong = client.post(
        url,
        {
            "action": "strike",
            "section": "praise",
            "department": district.safety.pk,
            "reason": "划去",
        },
    )
    assert wrong.status_code == 400 and "区应急管理局不在表扬名单中" in wrong.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url,
            {
                "action": "strike",
                "section": "criticise",
                "department": district.safety.pk,
                "reason": "系区政府协调事项",
            },
        )
    assert done.status_code == 302
    page = client.get(reverse("bulletin_detail", args=[ready.pk])).content.decode()
    assert "划去通报批评：区应急管理局。理由：系区政府协调事项" in page  # history
    criticism = page.split("（二）通报批评")[1].split('data-testid="named-intro"')[0]
    assert "区应急管理局" not in criticism
    # The leader signing it sees the same history.
    bulletins.submit(bulletin_id=ready.pk, actor=office)
    client.force_login(leader)
    assert (
        "系区政府协调事项"
        in client.get(reverse("bulletin_detail", args=[ready.pk])).content.decode()
    )
    assert client.post(url, {"revoke": "1"}).status_code == 403
