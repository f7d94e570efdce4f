"""The leaders' dashboard /dashboard/: headline figures and 同比 on known data, every figure a
link to a list showing the same number, scoping, the cache and a constant query count."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inspections.dashboard import scope as dashboard
from inspections.models import Accident, EnforcementAction, Hazard
from tests import factories

URL = "/dashboard/"
# Whatever the data size (tests below); the README's performance table quotes them.
OFFICE_QUERIES = 37
INSPECTOR_QUERIES = 37
SQLITE_QUERIES = 61


@pytest.fixture(autouse=True)
def fresh_cache():
    # Figures of another test (same filters, same "district" scope) must not be served here.
    cache.clear()
    yield
    cache.clear()


def last_month() -> tuple[datetime.date, datetime.date]:
    first = timezone.localdate().replace(day=1)
    end = first - datetime.timedelta(days=1)
    return end.replace(day=1), end


def aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def found(unit, by, day: datetime.date, **fields) -> Hazard:
    insp = factories.inspection(unit, by, date=day)
    fields.setdefault("deadline", day + datetime.timedelta(days=2))
    return factories.hazard(unit, by, inspection=insp, **fields)


@pytest.fixture
def known(inspector_a, inspector_b, unit_of_a, unit_of_b, office):
    """Last month (P) against the same month a year before (L), in 消防 (A) and 应急 (B)."""
    start, end = last_month()
    ly_start = start.replace(year=start.year - 1)
    # P: four hazards found — one closed in P, one overdue, one dismissed (A); one of B not due.
    found(
        unit_of_a,
        inspector_a,
        start,
        status=Hazard.Status.CLOSED,
        closed_at=aware(start + datetime.timedelta(days=1)),
    )
    found(unit_of_a, inspector_a, start)  # deadline start+2, long past: overdue and due
    found(unit_of_a, inspector_a, start, status=Hazard.Status.REJECTED, deadline=None)
    found(unit_of_b, inspector_b, end, deadline=timezone.localdate() + datetime.timedelta(days=30))
    # L: two hazards of A found and closed in L.
    for _ in range(2):
        found(
            unit_of_a, inspector_a, ly_start, status=Hazard.Status.CLOSED, closed_at=aware(ly_start)
        )
    # An old major hazard of A still open, 挂牌督办.
    found(
        unit_of_a,
        inspector_a,
        ly_start - datetime.timedelta(days=40),
        level=Hazard.Level.MAJOR,
        deadline=timezone.localdate() + datetime.timedelta(days=60),
        listed_document="安委办督〔2026〕1号",
    )
    EnforcementAction.objects.create(
        unit=unit_of_a, kind="fine", decided_on=start, fine_amount=Decimal("15000"),
        department=unit_of_a.lead_department, created_by=office,
    )  # fmt: skip
    EnforcementAction.objects.create(
        unit=unit_of_a, kind="suspend", decided_on=ly_start,
        department=unit_of_a.lead_department, created_by=office,
    )  # fmt: skip
    Accident.objects.create(
        unit=unit_of_a, area=unit_of_a.area, occurred_on=start, kind="fire", deaths=2,
        description="仓库火灾", created_by=office,
    )  # fmt: skip
    Accident.objects.create(
        unit=unit_of_b, area=unit_of_b.area, occurred_on=ly_start, kind="other",
        description="机械伤害", created_by=office,
    )  # fmt: skip
    return {
        "start": start,
        "end": end,
        "query": f"period=month&year={start.year}&month={start.month}",
    }


def data(client, query: str = "") -> dict:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    return response.context["d"]


def figures_in(node, path=""):
    """Every figure ({"value", "url", "measure"}) in the page's data, with where it sits."""
    if isinstance(node, dict):
        if "url" in node and "measure" in node:
            yield path, node
        for key, value in node.items():
            yield from figures_in(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from figures_in(value, f"{path}[{i}]")


def list_shows(client, figure: dict):
    """What the linked list shows for the figure: its row count, or the sum of its column."""
    response = client.get(figure["url"])
    assert response.status_code == 200, figure["url"]
    if figure["measure"] == "units":
        return response.context["unit_count"]
    count = response.context["paginator"].count
    if figure["measure"] == "count":
        return count
    rows = list(response.context["object_list"])
    assert len(rows) == count, "test data must fit on one page"
    if figure["measure"] == "deaths":
        return sum(row.deaths for row in rows)
    total = sum(row.fine_amount or 0 for row in rows)
    return dashboard.wan_yuan(total)


def test_headline_figures_and_change_on_known_data(login, office, known):
    d = data(login(office), known["query"])
    h = d["hazards"]
    assert h["found"]["cur"]["value"] == 4
    assert h["found"]["last"]["value"] == 2
    assert h["found"]["change"]["arrow"] == "↑" and h["found"]["change"]["text"] == "+100.0%"
    assert h["closed"]["cur"]["value"] == 1
    assert h["closed"]["last"]["value"] == 2
    assert h["closed"]["change"] == {"arrow": "↓", "text": "−50.0%", "tone": "bad"}
    rates = h["rates"]["cur"]
    assert (rates["closed"]["value"], rates["accepted"]["value"]) == (1, 3)
    assert rates["rate_text"] == "33.3%"
    assert (rates["due_closed"]["value"], rates["due"]["value"]) == (1, 2)
    assert rates["due_rate_text"] == "50.0%"
    assert h["rates"]["last"]["rate_text"] == "100.0%"
    assert h["rates"]["rate_change"]["text"] == "−66.7个百分点"
    assert h["overdue"]["value"] == 1
    assert (h["major_open"]["value"], h["major_listed"]["value"]) == (1, 1)
    e = d["enforcement"]
    assert (e["total"]["value"], e["total_last"]["value"]) == (1, 1)
    assert e["change"]["text"] == "持平"
    assert e["fines"]["value"] == "1.50" and e["fines_last"]["value"] == "0.00"
    assert e["fines_change"]["text"] == "+1.5（去年同期为0）"  # 万元, as printed beside it
    kinds = {k["kind"]: (k["cur"]["value"], k["last"]["value"]) for k in e["kinds"]}
    assert kinds == {"fine": (1, 0), "suspend": (0, 1), "close": (0, 0), "judicial": (0, 0)}
    a = d["accidents"]
    assert (a["production"]["cur"]["value"], a["production"]["last"]["value"]) == (1, 1)
    assert (a["production_deaths"]["cur"]["value"], a["production_deaths"]["last"]["value"]) == (
        2,
        0,
    )
    # Last year 0: the difference, never a percentage of nothing.
    assert a["production_deaths"]["change"] == {
        "arrow": "↑",
        "text": "+2（去年同期为0）",
        "tone": "bad",
    }
    assert (a["fires"]["cur"]["value"], a["fires"]["last"]["value"]) == (1, 0)


def test_accidents_by_kind_a_home_fire_is_a_fire_not_a_production_accident(
    login, office, known, unit_of_b
):
    """生产安全事故 apart from 火灾 and others (Accident.production), as the bulletins count."""
    Accident.objects.create(
        area=unit_of_b.area, occurred_on=known["start"], kind="fire", production=False,
        deaths=1, description="居民住宅火灾", created_by=office,
    )  # fmt: skip
    Accident.objects.create(
        area=unit_of_b.area, occurred_on=known["start"], kind="traffic", production=False,
        description="道路交通事故", created_by=office,
    )  # fmt: skip
    client = login(office)
    d = data(client, known["query"])
    a = d["accidents"]
    assert [row["key"] for row in a["rows"]] == [
        "production",
        "production_deaths",
        "fires",
        "other",
    ]
    assert a["production"]["cur"]["value"] == 1  # the warehouse fire only
    assert a["production_deaths"]["cur"]["value"] == 2  # not the home fire's death
    assert a["fires"]["cur"]["value"] == 2  # both fires
    assert a["other"]["cur"]["value"] == 1  # the traffic accident
    assert a["other"]["last"]["value"] == 0  # last year's 机械伤害 was a 生产安全事故
    for row in a["rows"]:
        for span in ("cur", "last", "ytd", "last_ytd"):
            assert list_shows(client, row[span]) == row[span]["value"], (row["key"], span)
    charts = {chart["id"]: chart for chart in d["charts"]}
    month = known["start"].month - 1
    assert charts["accidents-production"]["rows"][month]["cells"][0]["value"] == 1
    assert charts["accidents-fires"]["rows"][month]["cells"][0]["value"] == 2
    page = client.get(f"{URL}?{known['query']}").content.decode()
    assert "生产安全事故死亡" in page and "其他事故" in page


def test_every_figure_links_to_a_list_showing_the_same_number(login, office, known):
    client = login(office)
    found_any = 0
    for path, figure in figures_in(data(client, known["query"])):
        assert list_shows(client, figure) == figure["value"], path
        found_any += 1
    assert found_any > 40


def test_inspector_dashboard_has_only_their_department(login, inspector_a, known):
    client = login(inspector_a)
    d = data(client, known["query"])
    # B's hazard found in P and B's accident of L are not in 消防's figures.
    assert d["hazards"]["found"]["cur"]["value"] == 3
    assert d["accidents"]["production"]["last"]["value"] == 0
    for path, figure in figures_in(d):
        assert list_shows(client, figure) == figure["value"], path
    page = client.get(f"{URL}?{known['query']}").content.decode()
    assert "数据看板 · 消防" in page
    assert 'name="department"' not in page  # their department is the scope, not a choice


def test_department_and_street_filters_narrow_every_figure(
    login, office, known, fire_dept, unit_of_a
):
    client = login(office)
    query = f"{known['query']}&department={fire_dept.pk}&area={unit_of_a.area_id}"
    d = data(client, query)
    assert d["hazards"]["found"]["cur"]["value"] == 3
    coverage = next(i for i, c in enumerate(d["charts"]) if c["id"] == "coverage")
    for path, figure in figures_in(d):
        assert list_shows(client, figure) == figure["value"], path
        assert f"area={unit_of_a.area_id}" in figure["url"], path
        # Coverage is of the street's units whoever inspected them: no department.
        if not path.startswith(f".charts[{coverage}]"):
            assert f"department={fire_dept.pk}" in figure["url"], path


def test_change_without_last_year_gives_no_percentage():
    assert dashboard.change(5, 0) == {"arrow": "↑", "text": "+5（去年同期为0）", "tone": "good"}
    assert dashboard.change(0, 0)["text"] == "持平"
    assert dashboard.change(2, 1, good="neutral")["tone"] == "neutral"
    assert dashboard.change(3, 4, good="down") == {"arrow": "↓", "text": "−25.0%", "tone": "good"}
    assert dashboard.points_change(None, Decimal("0.5"))["text"] == "无可比数据"


def test_running_month_is_compared_with_the_same_days_of_last_year(
    login, office, unit_of_a, inspector_a
):
    today = timezone.localdate()
    last_year = dashboard.stats.same_day_last_year(today)
    found(unit_of_a, inspector_a, last_year)  # same day last year: counted
    if last_year.day < 28:
        later = last_year + datetime.timedelta(days=1)
        found(unit_of_a, inspector_a, later)  # after the same day: not counted
    d = data(login(office))
    assert d["hazards"]["found"]["last"]["value"] == 1
    assert f"found_to={last_year.isoformat()}" in d["hazards"]["found"]["last"]["url"]


def test_bad_custom_period_shows_the_error_next_to_the_field(login, office):
    response = login(office).get(f"{URL}?period=custom&start=2026-05-01&end=2026-04-01")
    assert response.status_code == 200
    assert "截止日期不能早于起始日期" in response.content.decode()
    assert response.context["period"].kind == "month"  # the page still shows this month


def test_custom_period(login, office, known):
    start, end = known["start"], known["end"]
    client = login(office)
    two_days = data(client, f"period=custom&start={start}&end={start + datetime.timedelta(days=1)}")
    assert two_days["hazards"]["found"]["cur"]["value"] == 3  # B's was found on the last day
    whole = data(client, f"period=custom&start={start}&end={end}")
    assert whole["hazards"]["found"]["cur"]["value"] == 4


def test_figures_are_cached_per_scope_and_say_when(
    login, office, inspector_a, known, settings, client
):
    settings.DASHBOARD_CACHE_SECONDS = 60
    login(office)
    with CaptureQueriesContext(connection) as first:
        response = client.get(f"{URL}?{known['query']}")
    assert "数据更新于" in response.content.decode()
    with CaptureQueriesContext(connection) as second:
        client.get(f"{URL}?{known['query']}")
    assert len(second) < len(first)
    # Another scope never gets the district's cached figures.
    login(inspector_a)
    assert data(client, known["query"])["hazards"]["found"]["cur"]["value"] == 3


def _queries(client, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{URL}?{query}").status_code == 200
    return len(captured)


def test_query_count_is_constant_as_data_grows(
    login, office, inspector_a, unit_of_a, known, settings, django_assert_max_num_queries
):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client = login(office)
    before = _queries(client, known["query"])
    inspector_before = _queries(login(inspector_a), known["query"])
    for day in range(5):
        found(unit_of_a, inspector_a, known["start"] + datetime.timedelta(days=day))
        factories.unit(lead_department=unit_of_a.lead_department)
    client = login(office)
    assert _queries(client, known["query"]) == before
    # session, user, navigation (unread count) and the page's own aggregate queries; the
    # demo's SQLite has no count tables, so each span is counted in its own query there
    office_max, inspector_max = (
        (OFFICE_QUERIES, INSPECTOR_QUERIES)
        if connection.vendor == "postgresql"
        else (SQLITE_QUERIES, SQLITE_QUERIES)
    )
    with django_assert_max_num_queries(office_max):
        client.get(f"{URL}?{known['query']}")
    client = login(inspector_a)
    assert _queries(client, known["query"]) == inspector_before
    with django_assert_max_num_queries(inspector_max):
        client.get(f"{URL}?{known['query']}")


def test_leader_home_links_to_the_dashboard_first(login, leader):
    page = login(leader).get("/").content.decode()
    assert 'data-testid="dashboard-card"' in page
    assert page.index("dashboard-card") < page.index("ledger-card")
    assert 'href="/dashboard/"' in page


def bars(d: dict) -> list[dict]:
    return [rect for chart in d["charts"] for rect in chart["svg"]["rects"]]


def test_every_bar_links_to_a_list_with_its_count(login, office, known):
    client = login(office)
    drawn = bars(data(client, known["query"]))
    assert sum(1 for rect in drawn if rect["value"]) >= 8
    for rect in drawn:
        figure = {"url": rect["url"], "measure": "count"}
        if rect["testid"] == "bar-inspected":
            figure["measure"] = "units"
        assert list_shows(client, figure) == rect["value"], rect["title"]


def test_chart_series_on_known_data(login, office, known, fire_dept, safety_dept):
    d = data(login(office), known["query"])
    charts = {chart["id"]: chart for chart in d["charts"]}
    months = charts["found-closed"]["rows"]
    assert len(months) == 12
    start = known["start"]
    assert months[-1]["label"] == f"{start.year}年{start.month}月"
    assert [c["value"] for c in months[-1]["cells"]] == [4, 1]
    overdue = charts["overdue-departments"]["rows"]
    assert [(r["label"], r["cells"][0]["value"]) for r in overdue] == [("消防", 1)]
    types = {r["label"]: [c["value"] for c in r["cells"]] for r in charts["types"]["rows"]}
    assert types["消防"] == [4, 0, 4]
    accidents = charts["accidents-production"]["rows"][start.month - 1]["cells"]
    fires = charts["accidents-fires"]["rows"][start.month - 1]["cells"]
    assert [c["value"] for c in accidents] == [1, 1]
    assert [c["value"] for c in fires] == [1, 0]
    coverage = {r["label"]: r for r in charts["coverage"]["rows"]}
    assert [c["value"] for c in coverage["家具市场"]["cells"]] == [1, 1]
    assert coverage["家具市场"]["rate"] == "100.0%"
    league = {r["name"]: r for r in d["league"]["rows"]}
    fire = league["消防"]
    assert (fire["inspections"]["value"], fire["found"]["value"]) == (3, 3)
    assert fire["rate_text"] == "50.0%"  # 1 closed of 2 accepted (one rejected)
    assert fire["overdue"]["value"] == 1
    assert league["应急管理局"]["found"]["value"] == 1


def test_league_flags_veto_with_the_bulletin_rules(login, office, known, unit_of_a, inspector_a):
    long_ago = timezone.localdate() - datetime.timedelta(days=80)
    found(
        unit_of_a,
        inspector_a,
        long_ago,
        level=Hazard.Level.MAJOR,
        deadline=long_ago + datetime.timedelta(days=5),
    )
    d = data(login(office), known["query"])
    league = {r["name"]: r for r in d["league"]["rows"]}
    assert league["消防"]["veto"]
    assert any("重大隐患逾期超过" in reason for reason in league["消防"]["veto"])
    assert any("亡人事故" in reason for reason in league["消防"]["veto"])
    assert not league["应急管理局"]["veto"]


def test_inspector_league_and_charts_have_only_their_department(login, inspector_a, known):
    client = login(inspector_a)
    d = data(client, known["query"])
    assert [r["name"] for r in d["league"]["rows"]] == ["消防"]
    overdue = next(c for c in d["charts"] if c["id"] == "overdue-departments")
    assert {r["label"] for r in overdue["rows"]} <= {"消防"}
    for rect in bars(d):
        measure = "units" if rect["testid"] == "bar-inspected" else "count"
        assert list_shows(client, {"url": rect["url"], "measure": measure}) == rect["value"]


def test_export_has_a_sheet_per_chart_with_the_page_numbers(login, office, known):
    import io

    from openpyxl import load_workbook

    client = login(office)
    d = data(client, known["query"])
    response = client.get(f"/dashboard/export.xlsx?{known['query']}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert len(book.sheetnames) == 1 + len(d["charts"]) + 1
    headline = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    by_label = {row[0]: row for row in headline[3:]}
    assert by_label["发现隐患（项）"][1:4] == (4, 2, "↑ +100.0%")
    assert by_label["罚款（万元）"][1] == "1.50"
    for sheet, chart in zip(book.worksheets[1:-1], d["charts"], strict=True):
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[2][: len(chart["head"])]) == chart["head"]
        for row, expected in zip(rows[3:], chart["rows"], strict=True):
            assert row[0] == expected["label"]
            assert list(row[1 : 1 + len(expected["cells"])]) == [
                c["value"] for c in expected["cells"]
            ]
    league = list(book.worksheets[-1].iter_rows(values_only=True))[3:]
    assert [row[1] for row in league] == [r["name"] for r in d["league"]["rows"]]


class _District:
    sees_everything = True


@pytest.mark.parametrize(
    ("query", "kind", "start", "end", "upto"),
    [
        ({}, "month", "2026-12-01", "2026-12-31", "2026-12-03"),
        ({"period": "month", "year": "2025", "month": "2"}, "month", "2025-02-01", "2025-02-28", "2025-02-28"),
        ({"period": "quarter", "year": "2026", "quarter": "3"}, "quarter", "2026-07-01", "2026-09-30", "2026-09-30"),
        ({"period": "quarter"}, "quarter", "2026-10-01", "2026-12-31", "2026-12-03"),
        ({"period": "year", "year": "2025"}, "year", "2025-01-01", "2025-12-31", "2025-12-31"),
        ({"period": "custom", "start": "2026-03-05", "end": "2026-04-20"}, "custom", "2026-03-05", "2026-04-20", "2026-04-20"),
    ],
)  # fmt: skip
def test_periods_from_the_query_string(query, kind, start, end, upto):
    from inspections.dashboard.forms import DashboardFilterForm

    form = DashboardFilterForm(query or None, user=_District(), today=datetime.date(2026, 12, 3))
    period = form.get_period()
    assert (period.kind, str(period.start), str(period.end), str(period.upto)) == (
        kind,
        start,
        end,
        upto,
    )


def test_last_year_of_a_leap_day_is_the_28th():
    span = dashboard.Span(datetime.date(2028, 2, 1), datetime.date(2028, 2, 29)).last_year()
    assert (span.start, span.end) == (datetime.date(2027, 2, 1), datetime.date(2027, 2, 28))
