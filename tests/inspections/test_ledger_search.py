"""The ledger's 关键词 (?q=): exactly `contains` over number, unit name and description on both
databases; on PostgreSQL answered through the bigram indexes (units/search.py)."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from inspections.filters import ledger_queryset
from inspections.models import Hazard
from tests import factories

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bigram index exists on PostgreSQL only"
)

DESCRIPTIONS = [
    "消防通道堵塞，灭火器过期未检",
    "灭火器压力不足",
    "机械传动部位无防护罩",
    "电气线路老化 存在火灾隐患",
    "员工未佩戴PPE防护用品",
    "消防 通道 被占用",  # spaces inside the text
    "火",  # one character
    "叉车司机无证上岗（特种设备）",
    "仓库内吸烟，易引发火灾",
    "YH-2026-0001 号隐患复查未通过",  # a number quoted in another hazard's text
]

TERMS = [
    "火",  # 1 character: plain contains
    "消防",
    "火灾",
    "机械",
    "灭火器",
    "消防通道",
    "通道 堵塞",  # spans a space the document doesn't have
    "消防 通道",  # 5 characters with a space
    "防 通",  # no 2-character run: plain contains
    "特种设备）",
    "，灭火",
    "YH-2026",
    "yh-2026",  # the number is matched upper-cased
    "YH-2026-0001",
    "2026-00",
    "0001",
    "PPE",
    "ppe",
    "商店",  # unit names
    "五金",
    "无此内容",
    "ZZ",
]


def contains(haystack: str, needle: str) -> bool:
    """What `contains` means on the database under test: SQLite's LIKE ignores ASCII case."""
    if connection.vendor == "sqlite":
        return needle.encode().lower() in haystack.encode().lower()
    return needle in haystack


def expected(hazards, term: str) -> set[int]:
    return {
        h.pk
        for h in hazards
        if contains(h.number, term.upper())
        or contains(h.unit.name, term)
        or contains(h.description, term)
    }


@pytest.fixture
def ledger(office, inspector_a, fire_dept):
    units = [
        factories.unit(name="消防器材商店", lead_department=fire_dept),
        factories.unit(name="宏达五金机械厂", lead_department=fire_dept),
        factories.unit(name="YH物流 仓储中心", lead_department=fire_dept),
    ]
    hazards = []
    for i, description in enumerate(DESCRIPTIONS):
        unit = units[i % len(units)]
        hazards.append(
            factories.hazard(
                unit,
                inspector_a,
                number=f"YH-{2025 + i % 2}-{i + 1:04d}",
                description=description,
            )
        )
    # Not on the ledger: a draft that matches most terms.
    factories.hazard(
        units[0], inspector_a, number=None, status=Hazard.Status.DRAFT, description="消防通道火灾"
    )
    return hazards


@pytest.mark.django_db
@pytest.mark.parametrize("term", TERMS)
def test_ledger_search_matches_plain_contains(login, office, ledger, term):
    want = expected(ledger, term)
    response = login(office).get(reverse("hazard_list"), {"q": term, "page_size": 200})
    assert response.status_code == 200
    assert {h.pk for h in response.context["object_list"]} == want
    assert response.context["paginator"].count == len(want)


@pytest.mark.django_db
def test_fixture_exercises_every_kind_of_match(office, ledger):
    """Guards the parametrised test against matching nothing or everything."""
    by_number = {h.pk for h in ledger if "YH-2025" in h.number}
    assert expected(ledger, "yh-2025") == by_number and 0 < len(by_number) < len(ledger)
    assert expected(ledger, "商店") == {h.pk for h in ledger if h.unit.name == "消防器材商店"}
    assert 0 < len(expected(ledger, "消防")) < len(ledger)
    assert expected(ledger, "无此内容") == set()


@pytest.mark.django_db
def test_search_keeps_the_other_filters_and_scope(login, inspector_b, office, ledger):
    status = {"q": "消防", "status": "assigned", "page_size": 200}
    ids = {h.pk for h in login(office).get(reverse("hazard_list"), status).context["object_list"]}
    assert ids == expected(ledger, "消防") and ids
    # 应急管理局 leads none of these units: its inspector sees none of them.
    other = login(inspector_b).get(reverse("hazard_list"), {"q": "消防"})
    assert list(other.context["object_list"]) == []


@on_postgresql
@pytest.mark.django_db
def test_bigrams_function_cuts_at_spaces_and_punctuation():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT anjian_bigrams(%s), anjian_bigrams(%s), anjian_bigrams(%s)",
            ["YH-2026-01 灭火器，过期\u3000消防 a", "火", ""],
        )
        row = cursor.fetchone()
    assert sorted(row[0]) == sorted(["YH", "20", "02", "26", "01", "灭火", "火器", "过期", "消防"])
    assert row[1] == [] and row[2] == []


@on_postgresql
@pytest.mark.django_db
def test_ledger_search_can_use_the_bigram_indexes(office, ledger):
    """On a handful of rows the planner rightly prefers other scans; with sequential and plain
    index scans priced out, the count's plan shows the indexes match the query's expressions
    (a mismatch leaves no plan but a disabled one), combined in one BitmapOr."""
    _, queryset = ledger_queryset(office, QueryDict("q=消防"))
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on hazard_text_bigram_idx" in plan, plan
    assert "Bitmap Index Scan on unit_text_bigram_idx" in plan, plan
    assert "BitmapOr" in plan, plan
    assert "Disabled" not in plan and "cost=10000000" not in plan, plan
