"""The unit list's 关键词 (?q=): exactly `contains` over name, address and (upper-cased) credit
code on both databases; on PostgreSQL answered through the bigram index (units/search.py)."""

import pytest
from django.db import connection
from django.urls import reverse

from tests import factories
from units.filters import UnitFilter
from units.models import Unit
from units.validators import make_credit_code

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bigram index exists on PostgreSQL only"
)

UNITS = [
    ("消防器材商店", "兴华北街12号"),
    ("宏达五金机械厂", "沈辽路 308 号"),
    ("YH物流 仓储中心", "北一路（东段）6号"),
    ("华联超市", "兴华南街3-1号"),
    ("机", "太原街1号"),  # one character
]

TERMS = [
    "机",
    "机械",
    "兴华",
    "五金机",
    "沈辽路 308",  # with spaces
    "（东段）",
    "3-1号",
    "YH物流",
    "yh物流",  # names are not upper-cased: no match on PostgreSQL, a match on SQLite
    "91210106",  # credit codes
    "9121010",
    "无此单位",
]


def contains(haystack: str, needle: str) -> bool:
    """What `contains` means on the database under test: SQLite's LIKE ignores ASCII case."""
    if connection.vendor == "sqlite":
        return needle.encode().lower() in haystack.encode().lower()
    return needle in haystack


@pytest.fixture
def units(db):
    return [
        factories.unit(
            name=name,
            address=address,
            credit_code=make_credit_code("91210106", f"{80_000_000 + i:08d}") if i % 2 else "",
        )
        for i, (name, address) in enumerate(UNITS)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("term", [*TERMS, "CODE_TAIL", "code_tail"])
def test_unit_search_matches_plain_contains(login, office, units, term):
    if term.lower() == "code_tail":  # a lower-cased credit code finds its unit
        code = units[1].credit_code[-8:]
        term = code.lower() if term.islower() else code
    want = {
        u.pk
        for u in units
        if contains(u.name, term)
        or contains(u.address, term)
        or contains(u.credit_code, term.upper())
    }
    response = login(office).get(reverse("units:list"), {"q": term, "page_size": 200})
    assert response.status_code == 200
    assert {u.pk for u in response.context["object_list"]} == want
    if term in ("机械", "兴华", "9121010"):
        assert want  # the comparison above is not between two empty sets


@pytest.mark.django_db
def test_unit_search_keeps_the_query_count(login, office, units, django_assert_max_num_queries):
    """The same ten queries as tests/units/test_unit_pages.py pins without a term."""
    client = login(office)
    with django_assert_max_num_queries(10):
        client.get(reverse("units:list"), {"q": "兴华"})
    for _ in range(60):
        factories.unit(address="兴华西街")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("units:list"), {"q": "兴华", "sort": "-category"})
    assert len(response.context["object_list"]) == 50


@on_postgresql
@pytest.mark.django_db
def test_unit_search_can_use_the_bigram_index(units):
    """With sequential and plain index scans priced out, the planner uses the bigram index:
    its expression matches the query's."""
    queryset = UnitFilter({"q": "兴华"}, queryset=Unit.objects.all()).qs.order_by()
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on unit_text_bigram_idx" in plan, plan
    assert "cost=10000000" not in plan, plan
