"""What the bulletin says: 同比, accidents by kind, 存在问题 named from the data, money in 万元,
Chinese dates, campaign wording, coverage, the office's defaults (下步工作要求, 联系人)."""

import datetime
import re
import subprocess

import pytest

from inspections import bulletins, stats
from inspections.models import Accident, Bulletin, BulletinDefaults, Campaign, Hazard, Inspection
from inspections.stats import Scope
from tests import factories
from units.models import Unit

from .conftest import START, TODAY, days

B = Bulletin.Status
LAST_START, LAST_END = datetime.date(2025, 5, 16), datetime.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


PAGE_NUMBER = re.compile(r"^\s*—\s*\d+\s*—\s*$")


def flat_pdf(path: str) -> str:
    """The PDF's text without spaces, page numbers and draft marks: a sentence that runs
    over a page break reads as one."""
    out = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True)
    lines = [
        line
        for line in out.stdout.replace("\f", "\n").splitlines()
        if not PAGE_NUMBER.match(line) and "草稿 · 未印发" not in line
    ]
    return "".join("".join(lines).split())


def build(office, **kwargs) -> Bulletin:
    draft = bulletins.create_bulletin(actor=office, start=START, end=TODAY, **kwargs)
    built = bulletins.build(draft.pk)
    assert built.status == B.READY, built.error
    return built


@pytest.fixture
def last_year(district, inspector_a, inspector_b):
    """Same period of 2025: 2 inspections of 2 units, 4 hazards (3 一般, 1 重大); 2 closed
    before 2025-06-15 and 1 only later, so last year's 整改率 as of that day is 2/4."""
    u1, u2 = district.hazards["h1"].unit, district.hazards["h5"].unit
    i1 = factories.inspection(u1, inspector_a, date=datetime.date(2025, 5, 20))
    i2 = factories.inspection(u2, inspector_b, date=datetime.date(2025, 6, 1))
    at = datetime.datetime(2025, 6, 10, 10, tzinfo=datetime.UTC)
    later = datetime.datetime(2025, 8, 1, 10, tzinfo=datetime.UTC)
    S = Hazard.Status
    for insp, closed_at in ((i1, at), (i1, at), (i2, later)):
        factories.hazard(
            insp.unit, inspector_a, inspection=insp, status=S.CLOSED, closed_at=closed_at
        )
    factories.hazard(
        u2, inspector_b, inspection=i2, level=Hazard.Level.MAJOR, status=S.CLOSED, closed_at=later
    )
    Accident.objects.create(
        unit=u2,
        area=u2.area,
        occurred_on=datetime.date(2025, 6, 1),
        kind=Accident.Kind.MACHINERY,
        deaths=1,
        injuries=0,
        description="去年同期机械伤害",
        created_by=inspector_a,
    )


def test_yoy_wording():
    assert stats.yoy(9, 8, "次") == "同比增加12.5%"
    assert stats.yoy(6, 8, "项") == "同比下降25.0%"
    assert stats.yoy(5, 5, "项") == "同比持平"
    assert stats.yoy(3, 0, "起") == "同比增加3起"  # no percentage over a zero
    assert stats.yoy(0, 3, "起", by_count=True) == "同比下降3起"
    assert stats.yoy(0, 0, "起") == "同比持平"
    D = datetime.date
    assert stats.yoy_points(stats.ratio(2, 5), stats.ratio(1, 2)) == "同比降低10.0个百分点"
    assert stats.yoy_points(stats.ratio(1, 2), stats.ratio(2, 4)) == "同比持平"
    assert stats.yoy_points(stats.ratio(1, 2), None) == ""
    assert stats.chinese_span(D(2026, 11, 1), D(2026, 11, 30)) == "2026年11月1日至11月30日"
    assert stats.chinese_span(D(2025, 12, 1), D(2026, 1, 31)) == "2025年12月1日至2026年1月31日"
    assert stats.wan(125000) == "12.5" and stats.wan(5000) == "0.5" and stats.wan(30000) == "3"


@pytest.mark.django_db
def test_same_period_last_year_figures_and_wording(district, last_year):
    before = stats.last_year(district.scope)
    assert (before["start"], before["end"]) == (LAST_START.isoformat(), LAST_END.isoformat())
    assert before["label"] == "2025年5月16日至6月15日"
    assert (before["inspections"], before["units_inspected"]) == (2, 2)
    assert (before["found"], before["found_general"], before["found_major"]) == (4, 3, 1)
    assert before["rate"] == "50.0%"  # the hazards closed after 2025-06-15 were still open then
    change = stats.compare(stats.summary(district.scope, major_overdue_days=30), before)
    assert change == {
        "inspections": "同比增加50.0%",
        "units_inspected": "同比增加50.0%",
        "found": "同比增加50.0%",
        "found_general": "同比增加33.3%",
        "found_major": "同比增加1项",
        "rate": "同比降低10.0个百分点",
    }


@pytest.mark.django_db
def test_zero_last_year_gives_a_difference_and_no_records_give_no_tongbi(district, last_year):
    now = stats.summary(district.scope, major_overdue_days=30)
    before = stats.last_year(district.scope)
    before["found_major"] = 0
    assert stats.compare(now, before)["found_major"] == "同比增加2项"  # no percentage over 0
    before.update(inspections=0, found=0)  # the system was not used last year
    assert stats.compare(now, before) == {}


@pytest.mark.django_db
def test_a_campaign_has_no_last_year(district, office):
    campaign = Campaign.objects.create(
        name="夏季专项检查", start_date=START, end_date=TODAY, created_by=office
    )
    assert (
        stats.last_year(Scope(start=START, end=TODAY, today=TODAY, campaign_id=campaign.pk)) is None
    )


@pytest.mark.django_db
def test_accidents_by_kind_keep_a_home_fire_out_of_production_accidents(
    district, office, last_year
):
    home = factories.unit(category=factories.category("residential"), area=district.area_a)
    Accident.objects.create(
        unit=home,
        area=home.area,
        occurred_on=days(-3),
        kind=Accident.Kind.FIRE,
        production=False,
        injuries=1,
        description="居民家中电暖器引燃窗帘",
        created_by=office,
    )
    factory = district.hazards["h5"].unit
    Accident.objects.create(
        unit=factory,
        area=factory.area,
        occurred_on=days(-2),
        kind=Accident.Kind.FIRE,
        description="车间电气火灾",
        created_by=office,
    )
    kinds = {k["key"]: k for k in stats.accidents(district.scope)["kinds"]}
    production, fire, other = kinds["production"], kinds["fire"], kinds["other"]
    # The poisoning and the workshop fire; not the home fire.
    assert production["period"] == {"count": 2, "deaths": 1, "injuries": 2}
    assert production["last"] == {"count": 1, "deaths": 1, "injuries": 0}
    assert production["period_change"] == {
        "count": "同比增加1起",
        "deaths": "同比持平",
        "injuries": "同比增加2人",
    }
    # Every fire, the home's included; none in the same period last year.
    assert fire["period"] == {"count": 2, "deaths": 0, "injuries": 1}
    assert fire["period_change"]["count"] == "同比增加2起"
    assert other["period"]["count"] == 0
    text = bulletins.accident_paragraph(stats.accidents(district.scope), "全区")
    assert text.startswith("本期全区发生生产安全事故2起，死亡1人、受伤2人，起数同比增加1起")
    assert "死亡人数同比持平，受伤人数同比增加2人；" in text
    assert "发生火灾2起，死亡0人、受伤1人，起数同比增加2起，受伤人数同比增加1人" in text
    assert "其他事故" not in text  # none this year or last: not mentioned


def test_accident_paragraph_says_none_happened_without_a_zero_percentage():
    none = {"count": 0, "deaths": 0, "injuries": 0}
    one = {"count": 1, "deaths": 0, "injuries": 0}

    def kind(key, label, now, last):
        change = {
            m: stats.yoy(now[m], last[m], "起" if m == "count" else "人", by_count=True)
            for m in now
        }
        return {
            "key": key,
            "label": label,
            "period": now,
            "last": last,
            "ytd": now,
            "last_ytd": last,
            "period_change": change,
            "ytd_change": change,
        }

    acc = {
        "kinds": [
            kind("production", "生产安全事故", none, none),
            kind("fire", "火灾", none, one),
            kind("other", "其他事故", none, none),
        ]
    }
    text = bulletins.accident_paragraph(acc, "全区")
    assert text.startswith("本期全区未发生生产安全事故；未发生火灾，起数同比下降1起。")
    assert "%" not in text


@pytest.mark.django_db
def test_problems_name_departments_hazards_units_and_categories(district, office):
    chemical = factories.category("chemical")
    for _ in range(3):
        factories.unit(category=chemical, area=district.area_a)  # on the register, never inspected
    built = build(office)
    problems = built.stats["problems"]
    assert [(d["name"], d["overdue"]) for d in problems["overdue_departments"]] == [
        ("区消防救援大队", 2),
        ("区应急管理局", 1),
    ]
    h2 = district.hazards["h2"]
    assert [r["number"] for r in problems["untouched"]["rows"]] == [h2.number]
    assert problems["low_coverage"][0] == {
        "name": "医药化工企业",
        "total": 4,
        "inspected": 1,
        "rate": "25.0%",
    }
    # h1–h3 (inspection 1) and h0/h0b (inspection 0): fire hazards at the same unit twice.
    assert problems["repeated"]["rows"] == [{"unit": h2.unit.name, "type": "消防", "times": 2}]
    narrative = built.narrative
    assert "主要集中在区消防救援大队2项、区应急管理局1项" in narrative
    assert f"如{h2.number}（{h2.unit.name}，区消防救援大队，督办已10日）" in narrative
    assert "医药化工企业在册4家，本期检查1家，覆盖率25.0%" in narrative
    assert f"如{h2.unit.name}（消防隐患2次）" in narrative
    assert narrative.startswith("一是隐患整改不及时") and "四是同类隐患反复出现" in narrative


@pytest.mark.django_db
def test_a_quiet_period_presents_no_zero_as_a_problem(today, office):
    built = build(office)
    assert built.narrative == "本期未发现需要通报的突出问题。"
    assert "0项" not in built.narrative


@pytest.mark.django_db
def test_coverage_counts_a_closed_unit_on_neither_side(district, inspector_a):
    chemical = district.hazards["h5"].unit
    Unit.objects.filter(pk=chemical.pk).update(status=Unit.Status.CLOSED)  # inspected, then closed
    rows = {r["name"]: r for r in stats.coverage(district.scope)}
    assert (rows["医药化工企业"]["total"], rows["医药化工企业"]["inspected"]) == (0, 0)
    for row in rows.values():
        assert row["inspected"] <= row["total"]


@pytest.mark.django_db
def test_pdf_says_tongbi_wan_yuan_and_chinese_dates(district, office, last_year):
    built = build(office)
    text = flat_pdf(built.pdf.path)
    assert "开展检查3次（同比增加50.0%）" in text
    assert "重大隐患2项（同比增加1项）" in text
    assert "整改率40.0%（同比降低10.0个百分点）" in text
    assert "以上同比均与去年同期（2025年5月16日至6月15日）相比" in text
    assert "罚款共计0.5万元" in text and "5000.00元" not in text
    assert "统计期间：2026年5月16日至6月15日" in text
    h0b = district.hazards["h0b"]
    assert h0b.deadline.isoformat() not in text
    assert f"{h0b.deadline.year}年{h0b.deadline.month}月{h0b.deadline.day}日" in text
    assert "生产经营单位的火灾同时计入生产安全事故和火灾" in text


@pytest.mark.django_db
def test_campaign_bulletin_speaks_of_this_campaign(district, office):
    campaign = Campaign.objects.create(
        name="夏季消防专项检查", start_date=START, end_date=TODAY, created_by=office
    )
    built = build(office, campaign=campaign)
    text = flat_pdf(built.pdf.path)
    assert "本次专项检查各部门、各街道共开展检查0次" in text
    assert "本次专项检查发现的隐患中尚有未销号隐患" in text
    assert "全区" not in text.split("二、存在问题")[0]
    assert "（同比" not in text  # no last year for a campaign; accidents keep theirs


@pytest.mark.django_db
def test_requirements_and_contact_come_from_the_office_defaults(district, office, leader):
    first = build(office)
    assert first.requirements == BulletinDefaults.current().requirements  # the built-in default
    bulletins.update_defaults(
        actor=office,
        requirements="一是抓好冬季防火。\n二是严查违规动火。",
        contact="联系人：王某某，电话：024-25800000",
    )
    second = build(office)
    assert second.requirements == "一是抓好冬季防火。\n二是严查违规动火。"
    assert second.contact == "联系人：王某某，电话：024-25800000"
    first.refresh_from_db()
    assert "冬季防火" not in first.requirements  # a draft keeps its own wording
    bulletins.update_texts(
        bulletin_id=second.pk, actor=office, requirements="一是只在本期。", contact="联系人：李某"
    )
    text = flat_pdf(bulletins.rerender(second.pk).pdf.path)
    assert "一是只在本期。" in text and "（联系人：李某）" in text and "冬季防火" not in text
    assert BulletinDefaults.current().requirements.startswith("一是抓好冬季防火")
    with pytest.raises(bulletins.BulletinError):
        bulletins.update_defaults(actor=leader, requirements="x", contact="")
    with pytest.raises(bulletins.BulletinError, match="请填写下步工作要求"):
        bulletins.update_defaults(actor=office, requirements="  ", contact="")


@pytest.mark.django_db
def test_summary_says_how_many_hazards_units_reported_themselves(district, office, inspector_a):
    unit = district.hazards["h1"].unit
    carrier = factories.inspection(unit, inspector_a, date=days(-2), kind=Inspection.Kind.SELF)
    factories.hazard(unit, inspector_a, inspection=carrier, found_on=days(-2), source="self_check")
    built = build(office)
    found = built.stats["summary"]["found"]["value"]
    assert built.stats["summary"]["found_self"]["value"] == 1
    text = flat_pdf(built.pdf.path)
    assert f"各单位自查自报1项、检查等其他来源发现{found - 1}项" in text
