"""一票否决台账: a fatal accident is vetoed once, in the bulletin of the period in which it
happened, recorded per department and year when that bulletin is circulated; later bulletins
whose period overlaps do not pronounce it again. The office's adjustments apply to the new
entries. The ledger's page (/vetoes/) is scoped and filterable, at a constant query count.

The district (conftest): one fatal accident on 2026-06-08 at a unit of 应急 in 兴华街道; 消防 has a
major hazard overdue 45 days."""

import datetime
import subprocess

import pytest
from django.urls import reverse

from inspections import bulletins
from inspections.models import Accident, Bulletin, VetoEntry
from tests import factories

from .conftest import START, TODAY, signed

B = Bulletin.Status
K = VetoEntry.Kind


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def build(office, start=START, end=TODAY, **fields) -> Bulletin:
    bulletin = bulletins.build(
        bulletins.create_bulletin(actor=office, start=start, end=end, **fields).pk
    )
    assert bulletin.status == B.READY, bulletin.error
    return bulletin


def circulate(bulletin: Bulletin, office, leader) -> Bulletin:
    signed(bulletin.pk, office, leader)
    return bulletins.circulate(bulletin_id=bulletin.pk, actor=office)


def vetoed(bulletin: Bulletin) -> dict[str, list[str]]:
    return {e["department"]: e["reasons"] for e in bulletin.stats["rules"]["veto"]}


def pdf_flat(bulletin: Bulletin) -> str:
    out = subprocess.run(
        ["pdftotext", bulletin.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(out.split())


@pytest.fixture
def street(district):
    """兴华街道's office: the accident happened in its area."""
    return factories.street_office(district.area_a)


@pytest.mark.django_db
def test_fatal_accident_is_recorded_once_for_each_department_answering_for_it(
    district, street, office, leader
):
    first = build(office)
    accident = Accident.objects.get(deaths=1)
    reason = f"2026年6月8日{accident.unit.name}发生中毒窒息事故，死亡1人"
    assert vetoed(first)["区应急管理局"] == [f"职责范围内{reason}"]
    assert vetoed(first)[street.name] == [
        f"职责范围内2026年6月8日辖区内{accident.unit.name}发生中毒窒息事故，死亡1人"
    ]
    assert not VetoEntry.objects.exists()  # a draft records nothing
    circulate(first, office, leader)

    entries = VetoEntry.objects.filter(kind=K.FATAL_ACCIDENT)
    assert {(e.department.name, e.year, e.accident_id, e.bulletin_id) for e in entries} == {
        ("区应急管理局", 2026, accident.pk, first.pk),
        (street.name, 2026, accident.pk, first.pk),
    }
    assert entries[0].occurred_on == datetime.date(2026, 6, 8)

    # A quarterly bulletin whose period overlaps the accident: not pronounced again.
    quarter = build(office, start=datetime.date(2026, 4, 1), end=TODAY)
    assert "区应急管理局" not in vetoed(quarter)
    assert street.name not in vetoed(quarter)
    circulate(quarter, office, leader)
    assert VetoEntry.objects.filter(kind=K.FATAL_ACCIDENT).count() == 2


@pytest.mark.django_db
def test_a_period_without_the_accident_vetoes_nothing_for_it(district, office):
    earlier = build(office, start=datetime.date(2026, 5, 1), end=datetime.date(2026, 5, 31))
    assert "区应急管理局" not in vetoed(earlier)


@pytest.mark.django_db
def test_overdue_major_hazards_are_one_veto_of_the_year(district, office, leader):
    first = circulate(build(office), office, leader)
    assert any("重大隐患逾期超过30日" in r for r in vetoed(first)["区消防救援大队"])
    again = build(office, start=datetime.date(2026, 6, 1), end=TODAY)
    assert any("重大隐患逾期超过30日" in r for r in vetoed(again)["区消防救援大队"])
    circulate(again, office, leader)
    major = VetoEntry.objects.filter(kind=K.MAJOR_OVERDUE, department=district.fire)
    assert [(e.year, e.bulletin_id) for e in major] == [(2026, first.pk)]


@pytest.mark.django_db
def test_struck_veto_is_not_recorded_and_an_added_one_is(district, street, office, leader):
    draft = build(office)
    bulletins.adjust(
        bulletin_id=draft.pk,
        actor=office,
        section="veto",
        action="strike",
        department=street,
        reason="事故单位由区应急管理局直接监管，街道无属地管理责任",
    )
    added = factories.department("城建")
    bulletins.adjust(
        bulletin_id=draft.pk,
        actor=office,
        section="veto",
        action="add",
        department=added,
        text="瞒报建筑施工亡人事故",
        reason="经区政府调查认定",
    )
    circulated = circulate(draft, office, leader)
    recorded = {(e.department_id, e.kind) for e in VetoEntry.objects.all()}
    assert (street.pk, K.FATAL_ACCIDENT) not in recorded
    assert (district.safety.pk, K.FATAL_ACCIDENT) in recorded
    assert VetoEntry.objects.get(department=added).reason == "瞒报建筑施工亡人事故"
    assert VetoEntry.objects.get(department=added).kind == K.ADDED
    assert VetoEntry.objects.get(department=added).bulletin == circulated
    # Struck from this bulletin and never recorded: the next overlapping one may pronounce it.
    later = build(office, start=datetime.date(2026, 6, 1), end=TODAY)
    assert street.name in vetoed(later) and "区应急管理局" not in vetoed(later)


@pytest.mark.django_db
def test_a_correction_pronounces_the_veto_again_and_takes_over_the_ledger(district, office, leader):
    original = circulate(build(office), office, leader)
    correction = build(office, supersedes=original)
    assert "区应急管理局" in vetoed(correction)
    circulate(correction, office, leader)
    assert set(VetoEntry.objects.values_list("bulletin_id", flat=True)) == {correction.pk}
    assert VetoEntry.objects.filter(kind=K.FATAL_ACCIDENT, department=district.safety).count() == 1


@pytest.mark.django_db
def test_inactive_street_is_criticised_and_the_office_may_strike_it(
    district, street, office, leader
):
    # 兴华街道 has units on the register (u_fire1, u_chem) and did not inspect.
    draft = build(office)
    criticised = {e["department"]: e["reasons"] for e in draft.stats["rules"]["criticise"]}
    assert criticised[street.name] == ["本期未开展检查，组织不力、排查不到位"]
    assert "组织不力、排查不到位" in pdf_flat(draft)
    bulletins.adjust(
        bulletin_id=draft.pk,
        actor=office,
        section="criticise",
        action="strike",
        department=street,
        reason="街道本月承担防汛任务，经区领导同意暂缓检查",
    )
    flat = pdf_flat(bulletins.rerender(draft.pk))
    criticism = flat.split("（二）通报批评")[1].split("（三）一票否决")[0]
    assert street.name not in criticism.split("以下部门未销号隐患不足")[0]
    assert draft.events.filter(note__contains="经区领导同意暂缓检查").exists()


@pytest.mark.django_db
def test_the_notes_print_every_rule_with_this_periods_minimums(district, office):
    flat = pdf_flat(build(office))
    notes = flat.split("统计口径和评价规则")[-1]
    for printed in [
        "本期开展检查不少于4次（每月4次，按统计期间31天折算）",
        "覆盖率不低于30%",
        "少于2次（每月2次，按统计期间31天折算）",
        "覆盖率低于8%",
        "未销号隐患不足5项的部门不计算逾期率",
        "一票否决台账",
        "职责范围：监管部门为其牵头监管的在册单位",
    ]:
        assert printed in notes, printed


@pytest.mark.django_db
def test_small_departments_get_their_overdue_hazards_named_not_a_rate(district, office):
    draft = build(office)
    named = {e["department"]: e["reasons"] for e in draft.stats["rules"]["named"]}
    h6, h2, h0b = (district.hazards[k] for k in ("h6", "h2", "h0b"))
    assert [r.split("（")[0] for r in named["区应急管理局"]] == [h6.number]
    assert [r.split("（")[0] for r in named["区消防救援大队"]] == [h0b.number, h2.number]
    assert "逾期1天" in named["区应急管理局"][0]
    reasons = [r for e in draft.stats["rules"]["criticise"] for r in e["reasons"]]
    assert not any("逾期率" in r for r in reasons)  # 3 and 1 open hazards: no rate judged


# --- the ledger's page ----------------------------------------------------------------------


@pytest.fixture
def ledger(district, street, office, leader):
    circulate(build(office), office, leader)
    return VetoEntry.objects.all()


@pytest.mark.django_db
def test_office_and_leader_see_the_whole_ledger_with_its_yearly_summary(
    login, ledger, office, leader, district, street
):
    for user in (office, leader):
        page = login(user).get(reverse("veto_list"))
        assert page.status_code == 200
        html = page.content.decode()
        assert len(page.context["object_list"]) == ledger.count() == 3
        assert "区应急管理局" in html and street.name in html and "区消防救援大队" in html
        summary = {(r["year"], r["department__name"]): r["count"] for r in page.context["summary"]}
        assert summary[(2026, "区消防救援大队")] == 1
        assert summary[(2026, "区应急管理局")] == 1


@pytest.mark.django_db
def test_ledger_filters_by_year_and_department(login, ledger, office, district):
    client = login(office)
    by_dept = client.get(reverse("veto_list"), {"department": district.safety.pk})
    assert {v.department_id for v in by_dept.context["object_list"]} == {district.safety.pk}
    assert len(client.get(reverse("veto_list"), {"year": 2025}).context["object_list"]) == 0
    assert len(client.get(reverse("veto_list"), {"year": 2026}).context["object_list"]) == 3
    fatal = client.get(reverse("veto_list"), {"kind": "fatal_accident"})
    assert {v.kind for v in fatal.context["object_list"]} == {K.FATAL_ACCIDENT}


@pytest.mark.django_db
def test_an_inspector_sees_only_the_own_departments_entries(login, ledger, inspector_b):
    page = login(inspector_b).get(reverse("veto_list"))
    assert page.status_code == 200
    assert {v.department.name for v in page.context["object_list"]} == {"区应急管理局"}
    assert "区消防救援大队" not in page.content.decode()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, ledger):
    response = client.get(reverse("veto_list"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_ledger_page_query_count_does_not_grow_with_rows(
    login, ledger, office, django_assert_max_num_queries
):
    client = login(office)
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("veto_list"))
    bulletin = Bulletin.objects.get()
    for n in range(30):
        accident = Accident.objects.create(
            area=factories.area(f"街道{n}"),
            occurred_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=n),
            kind=Accident.Kind.FIRE,
            deaths=1,
            description="测试",
            created_by=office,
        )
        VetoEntry.objects.create(
            department=factories.department("消防"),
            year=2025,
            kind=K.FATAL_ACCIDENT,
            accident=accident,
            occurred_on=accident.occurred_on,
            reason="测试亡人火灾",
            bulletin=bulletin,
            recorded_by=office,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("veto_list"))
    assert len(page.context["object_list"]) == 33
