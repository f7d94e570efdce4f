"""季报 (quarterly statistics report per 16号令): auto-drafted once per quarter, every cell equal
to the ledger, the same 签发 path as bulletins, the PDF and xlsx read back.

Clock: 2026-07-03, just after the second quarter (2026-04-01 … 2026-06-30).

  消防 (u1, 兴华街道, furniture-market):
    g1 general found 05-10, closed 06-20            → 排查, 已整改
    g2 general found 05-10, closed 07-02            → 排查, not 已整改 (after the quarter)
    g3 general found 05-10, rejected                → not counted
    g4 general found 06-30, assigned, funds 0.8     → 排查
  应急 (u2, 大潘街道, chemical):
    m1 major found 04-15, listed 05-01, closed 06-30 23:30, funds 12.5 → 排查, 已整改, 挂牌
    m2 major found 06-01, listed 07-01, funds 3     → 排查, 未整改, not 挂牌 (after the quarter)
    m0 major found 03-31                            → previous quarter
  plus a draft hazard of u1 found 05-10.
Inspections in the quarter: u1 by 消防 twice, u2 by 应急; a 企业自查 of u3 and an inspection of
u1 on 03-31 are not counted.
"""

import datetime
import io
import re
import subprocess
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from inspections import bulletins, quarterly
from inspections.filters import HazardFilter
from inspections.models import Bulletin, Hazard, Inspection, Notification
from inspections.tasks import bulletins as bulletin_tasks
from tests import factories

from .conftest import signed

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 7, 3)
Q_START, Q_END = datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)
B = Bulletin.Status


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 7, 3, 10, 0, tzinfo=SHANGHAI), tick=False)
    return TODAY


@pytest.fixture
def quarter(today, inspector_a, inspector_b, fire_dept, safety_dept):
    area_a, area_b = factories.area("兴华街道"), factories.area("大潘街道")
    u1 = factories.unit(
        category=factories.category("furniture-market"), lead_department=fire_dept, area=area_a
    )
    u2 = factories.unit(
        category=factories.category("chemical"), lead_department=safety_dept, area=area_b
    )
    u3 = factories.unit(category=factories.category("chemical"), area=area_b)
    i1 = factories.inspection(u1, inspector_a, date=datetime.date(2026, 5, 10))
    factories.inspection(u1, inspector_a, date=datetime.date(2026, 6, 30))
    i2 = factories.inspection(u2, inspector_b, date=datetime.date(2026, 4, 15))
    factories.inspection(u3, inspector_b, date=datetime.date(2026, 5, 2), kind="self")
    i0 = factories.inspection(u1, inspector_a, date=datetime.date(2026, 3, 31))
    S, L = Hazard.Status, Hazard.Level

    def make(unit, by, insp, found_on=None, **fields):
        found_on = found_on or insp.date
        fields.setdefault("deadline", found_on + datetime.timedelta(days=15))
        return factories.hazard(unit, by, inspection=insp, found_on=found_on, **fields)

    h = {
        "g1": make(u1, inspector_a, i1, status=S.CLOSED, closed_at=at(datetime.date(2026, 6, 20))),
        "g2": make(u1, inspector_a, i1, status=S.CLOSED, closed_at=at(datetime.date(2026, 7, 2))),
        "g3": make(u1, inspector_a, i1, status=S.REJECTED, deadline=None),
        "g4": make(
            u1, inspector_a, i1, found_on=datetime.date(2026, 6, 30), plan_funds=Decimal("0.8")
        ),
        "m1": make(
            u2,
            inspector_b,
            i2,
            level=L.MAJOR,
            major_basis="GB 30871-2022 第5.2条",
            status=S.CLOSED,
            closed_at=at(Q_END, 23, 30),
            listed_document="铁安委办督〔2026〕1号",
            listed_on=datetime.date(2026, 5, 1),
            plan_funds=Decimal("12.5"),
        ),
        "m2": make(
            u2,
            inspector_b,
            i2,
            found_on=datetime.date(2026, 6, 1),
            level=L.MAJOR,
            major_basis="GB 30871-2022 第5.2条",
            listed_document="铁安委办督〔2026〕2号",
            listed_on=datetime.date(2026, 7, 1),
            plan_funds=Decimal("3"),
        ),
        "m0": make(u2, inspector_b, i0, level=L.MAJOR, major_basis="GB 30871-2022"),
        "draft": make(u1, inspector_a, i1, status=S.DRAFT, number=None, deadline=None),
    }
    return {"fire": fire_dept, "safety": safety_dept, "a": area_a, "b": area_b, "h": h}


def rows_by_id(data: dict, table: str) -> dict:
    return {r["id"]: r for r in data["tables"][table]}


def ledger(params: str) -> list[Hazard]:
    """The ledger's own filters (HazardFilter), over every hazard on the ledger."""
    queryset = Hazard.objects.exclude(status=Hazard.Status.DRAFT)
    return list(HazardFilter(dict(parse_qsl(params)), queryset=queryset).qs)


def test_quarter_arithmetic():
    assert quarterly.previous_quarter(datetime.date(2026, 1, 5)) == (2025, 4)
    assert quarterly.previous_quarter(datetime.date(2026, 7, 1)) == (2026, 2)
    assert quarterly.quarter_bounds(2025, 4) == (
        datetime.date(2025, 10, 1),
        Q_END.replace(2025, 12, 31),
    )
    assert quarterly.due_on(datetime.date(2025, 12, 31)) == datetime.date(2026, 1, 15)
    assert quarterly.quarter_label(Q_START) == "2026年第二季度"


@pytest.mark.django_db
def test_figures_on_known_data(quarter):
    data = quarterly.compute(Q_START, Q_END, TODAY)
    fire = rows_by_id(data, "department")[quarter["fire"].pk]
    safety = rows_by_id(data, "department")[quarter["safety"].pk]
    assert fire["units"] == 1 and safety["units"] == 1
    assert (fire["general_found"]["value"], fire["general_closed"]["value"]) == (3, 1)
    assert fire["general_rate"] == "33.3%" and fire["funds"] == "0.80"
    assert (safety["major_found"]["value"], safety["major_closed"]["value"]) == (2, 1)
    assert safety["major_listed"]["value"] == 1 and safety["major_open"] == 1
    assert safety["funds"] == "15.50"
    total = data["total"]
    assert total["units"] == 2  # the 企业自查 of u3 is not an inspection by the district
    assert (total["general_found"]["value"], total["major_found"]["value"]) == (3, 2)
    assert data["period"]["due_on"] == "2026-07-15"


@pytest.mark.django_db
def test_every_cell_equals_the_ledger(quarter):
    """Each row's counts are the ledger's count under the row's filters; 未整改 the difference
    of two of them; 治理资金 the sum of the ledger rows' funds; 排查单位数 the inspections'."""
    data = quarterly.compute(Q_START, Q_END, TODAY)
    key_of = {"department": "department", "area": "unit__area", "category": "unit__category"}
    checked = 0
    for table, rows in data["tables"].items():
        assert rows, table
        for row in [*rows, data["total"]]:
            for column in ("general_found", "general_closed", "major_found", "major_closed"):
                assert len(ledger(row[column]["query"])) == row[column]["value"], (table, column)
            assert len(ledger(row["major_listed"]["query"])) == row["major_listed"]["value"]
            major = ledger(row["major_found"]["query"])
            closed = ledger(row["major_closed"]["query"])
            assert row["major_open"] == len(major) - len(closed)
            funds = sum((h.plan_funds or 0 for h in ledger(row["funds_query"])), Decimal(0))
            assert Decimal(row["funds"]) == funds
            inspections = Inspection.objects.filter(
                status="submitted", date__range=(Q_START, Q_END)
            ).exclude(kind__in=Inspection.NOT_BY_INSPECTORS)
            if row["id"] is not None:
                field = {"department": "department", "area": "unit__area"}.get(
                    table, "unit__category"
                )
                inspections = inspections.filter(**{field: row["id"]})
            assert row["units"] == inspections.values("unit").distinct().count()
            checked += 1
        # The rows add up to 合计 (every hazard has one department, street and category).
        for column in ("general_found", "general_closed", "major_found", "major_listed"):
            assert sum(r[column]["value"] for r in rows) == data["total"][column]["value"]
        assert key_of[table]
    assert checked > 6
    # The figures are not trivially zero: the fixture's boundaries are in them.
    assert data["total"]["major_closed"]["value"] == 1  # closed 06-30 23:30 counts
    assert data["total"]["general_closed"]["value"] == 1  # closed 07-02 does not


@pytest.mark.django_db
def test_linked_cells_of_the_preview_equal_the_ledger_page(login, office, quarter):
    report = bulletins.create_quarterly(actor=office, year=2026, quarter=2)
    built = bulletins.build(report.pk)
    assert built.status == B.READY, built.error
    client = login(office)
    html = client.get(reverse("bulletin_detail", args=[built.pk])).content.decode()
    links = re.findall(
        r'<a class="fig" href="/hazards/\?([^"]*)" data-figure="[^"]*" data-value="(\d+)"', html
    )
    assert len(links) > 20
    for query, value in {unescape(q): int(v) for q, v in links}.items():
        page = client.get(f"/hazards/?{query}")
        assert page.context["paginator"].count == value, query


@pytest.mark.django_db
def test_auto_draft_runs_twice_creates_one_report(quarter, office):
    first = bulletins.auto_draft_previous_quarter()
    second = bulletins.auto_draft_previous_quarter()
    assert first is not None and second is None
    bulletin_tasks.auto_draft_quarterly_task.apply()
    reports = Bulletin.objects.filter(kind=Bulletin.Kind.QUARTERLY)
    assert reports.count() == 1
    report = reports.get()
    assert (report.period_start, report.period_end) == (Q_START, Q_END)
    assert report.due_on == datetime.date(2026, 7, 15)
    assert "2026年第二季度" in report.title


@pytest.mark.django_db
def test_the_database_refuses_a_second_report_of_a_quarter(quarter, office):
    bulletins.create_quarterly(actor=office, year=2026, quarter=2)
    with pytest.raises(bulletins.BulletinError, match="季报已经存在"):
        bulletins.create_quarterly(actor=office, year=2026, quarter=2)
    assert Bulletin.objects.filter(kind=Bulletin.Kind.QUARTERLY).count() == 1


@pytest.mark.django_db
def test_auto_draft_in_the_next_quarter_drafts_the_one_just_ended(quarter, office, time_machine):
    bulletins.auto_draft_previous_quarter()
    time_machine.move_to(datetime.datetime(2026, 10, 1, 1, 0, tzinfo=SHANGHAI), tick=False)
    report = bulletins.auto_draft_previous_quarter()
    assert report.period_start == datetime.date(2026, 7, 1)
    assert Bulletin.objects.filter(kind=Bulletin.Kind.QUARTERLY).count() == 2


def pdf_text(path: str) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.django_db
def test_signing_path_then_pdf_and_xlsx_read_back(login, client, quarter, office, leader):
    report = bulletins.build(bulletins.create_quarterly(actor=office, year=2026, quarter=2).pk)
    assert report.status == B.READY, report.error
    draft_text = pdf_text(report.pdf.path)
    assert "铁安委办〔2026〕号（印发时编号）" in draft_text.replace(" ", "")
    signed(report.pk, office, leader)
    assert Notification.objects.filter(user=office, title__contains="已签发").exists()
    circulated = bulletins.circulate(bulletin_id=report.pk, actor=office)
    assert circulated.number == "铁安委办〔2026〕1号"

    text = pdf_text(circulated.pdf.path)
    flat = text.replace(" ", "")
    assert "铁西区安全生产委员会办公室" in flat
    assert "2026年第二季度" in flat and "统计分析" in flat
    assert "铁安委办〔2026〕1号" in flat
    assert "—1—" in flat  # GB/T 9704 page numbers
    # 应急's row of the department table: units, general 0/0, major 2/1, listed 1, open 1, 15.50
    row = next(
        line.split() for line in text.splitlines() if line.split()[1:2] == [quarter["safety"].name]
    )
    assert row[2:] == ["1", "0", "0", "—", "2", "1", "1", "1", "15.50"]
    assert "治理资金" in flat and "已整改：上述隐患中截至季度末" in flat
    fonts = subprocess.run(
        ["pdffonts", circulated.pdf.path], capture_output=True, text=True, check=True
    ).stdout
    assert "CJK" in fonts

    client.force_login(leader)
    pdf = client.get(reverse("bulletin_pdf", args=[report.pk]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    response = client.get(reverse("bulletin_attachment", args=[report.pk]))
    assert response.status_code == 200
    assert "%E5%AD%A3%E5%BA%A6" in response["Content-Disposition"]  # 季度
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["按部门", "按街道", "按行业领域", "统计口径"]
    sheet = book["按部门"]
    values = {r[1]: r for r in sheet.iter_rows(min_row=5, values_only=True)}
    assert values[quarter["safety"].name][2:] == (1, 0, 0, "—", 2, 1, 1, 1, 15.5)
    assert values["合计"][2:] == (2, 3, 1, "33.3%", 2, 1, 1, 1, 16.3)
    streets = {r[1]: r for r in book["按街道"].iter_rows(min_row=5, values_only=True)}
    assert streets["兴华街道"][3:6] == (3, 1, "33.3%")
    assert any("治理资金" in (r[0] or "") for r in book["统计口径"].iter_rows(values_only=True))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["leader", "inspector_a", "supervisor"])
def test_draft_report_is_404_for_everyone_but_the_office(request, client, persona, quarter, office):
    report = bulletins.build(bulletins.create_quarterly(actor=office, year=2026, quarter=2).pk)
    client.force_login(request.getfixturevalue(persona))
    for name in ("bulletin_detail", "bulletin_pdf", "bulletin_attachment"):
        assert client.get(reverse(name, args=[report.pk])).status_code == 404, name
    assert client.get(reverse("quarterly_create")).status_code == 403


@pytest.mark.django_db
def test_only_a_leader_signs_and_the_office_circulates(
    login, client, quarter, office, leader, inspector_a
):
    report = bulletins.build(bulletins.create_quarterly(actor=office, year=2026, quarter=2).pk)
    login(office).post(reverse("bulletin_submit", args=[report.pk]))
    assert client.post(reverse("bulletin_approve", args=[report.pk])).status_code == 403
    client.force_login(inspector_a)
    assert client.post(reverse("bulletin_approve", args=[report.pk])).status_code == 404
    client.force_login(leader)
    assert client.post(reverse("bulletin_approve", args=[report.pk])).status_code == 302
    assert client.post(reverse("bulletin_circulate", args=[report.pk])).status_code == 403
    client.force_login(office)
    client.post(reverse("bulletin_circulate", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == B.CIRCULATED and report.signed_by == leader
    # Circulated: every signed-in user may read it.
    client.force_login(inspector_a)
    assert client.get(reverse("bulletin_detail", args=[report.pk])).status_code == 200


@pytest.mark.django_db
def test_office_creates_a_report_by_hand_and_an_unfinished_quarter_is_refused(
    login, office, quarter
):
    client = login(office)
    refused = client.post(reverse("quarterly_create"), {"year": 2026, "quarter": "3"})
    assert refused.status_code == 400 and "尚未结束" in refused.content.decode()
    response = client.post(reverse("quarterly_create"), {"year": 2026, "quarter": "2"})
    assert response.status_code == 302
    report = Bulletin.objects.get(kind=Bulletin.Kind.QUARTERLY)
    again = client.post(reverse("quarterly_create"), {"year": 2026, "quarter": "2"})
    assert again.status_code == 400 and "已经存在" in again.content.decode()
    assert report.period_start == Q_START


@pytest.mark.django_db
def test_unsigned_report_waits_in_the_office_todo_with_its_due_date(login, office, leader, quarter):
    report = bulletins.build(bulletins.auto_draft_previous_quarter().pk)
    home = login(office).get(reverse("home")).content.decode()
    assert 'data-work="quarterly_due"' in home and "季报待报送（7月15日前）" in home
    assert "应于2026年7月15日前印发报送" in home
    signed(report.pk, office, leader)
    bulletins.circulate(bulletin_id=report.pk, actor=office)
    assert 'data-work="quarterly_due"' not in login(office).get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_detail_shows_due_date_and_has_no_list_adjustments(login, office, quarter):
    report = bulletins.build(bulletins.create_quarterly(actor=office, year=2026, quarter=2).pk)
    client = login(office)
    html = client.get(reverse("bulletin_detail", args=[report.pk])).content.decode()
    assert "报送期限 2026-07-15" in html and 'data-testid="adjust-form"' not in html
    saved = client.post(
        reverse("bulletin_detail", args=[report.pk]), {"narrative": "一是分析。", "contact": ""}
    )
    assert saved.status_code == 302
    report.refresh_from_db()
    assert report.narrative == "一是分析。"
    adjust = client.post(reverse("bulletin_adjust", args=[report.pk]), {"action": "strike"})
    assert adjust.status_code == 403


@pytest.mark.django_db
def test_list_and_detail_query_counts(login, office, quarter, django_assert_max_num_queries):
    for q in (1, 2):
        bulletins.build(bulletins.create_quarterly(actor=office, year=2026, quarter=q).pk)
    client = login(office)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("bulletin_list") + "?kind=quarterly").status_code == 200
    report = Bulletin.objects.filter(kind=Bulletin.Kind.QUARTERLY).first()
    with django_assert_max_num_queries(8):
        assert client.get(reverse("bulletin_detail", args=[report.pk])).status_code == 200


@pytest.mark.django_db
def test_api_gives_the_circulated_report_with_its_kind_and_tables(
    client, quarter, office, leader, admin_user
):
    from api import clients
    from api.models import ApiClient

    report = bulletins.build(bulletins.create_quarterly(actor=office, year=2026, quarter=2).pk)
    token = clients.create_client(
        client=ApiClient(name="省平台", code="province", rate_per_minute=600),
        created_by=admin_user,
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get(f"/api/v1/bulletins/{report.pk}/", **headers).status_code == 404
    signed(report.pk, office, leader)
    bulletins.circulate(bulletin_id=report.pk, actor=office)
    body = client.get(f"/api/v1/bulletins/{report.pk}/", **headers).json()
    assert body["kind"] == "quarterly" and body["number"] == "铁安委办〔2026〕1号"
    safety = next(
        r for r in body["stats"]["tables"]["department"] if r["id"] == quarter["safety"].pk
    )
    assert (safety["major_found"]["value"], safety["funds"]) == (2, "15.50")
