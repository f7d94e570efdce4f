"""The change feed within one transaction: paging, cursors, filters, query counts.
Commit order under concurrency is tested in test_sync_concurrency.py."""

import datetime

import pytest
from django.utils import timezone

from tests import factories


def drain(caller, path, **params) -> tuple[list[dict], str]:
    """Every row of the feed, following `next`, and the final resume cursor."""
    rows, cursor = [], None
    for _ in range(100):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = caller.get(path, **query).json()
        rows += body["results"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return rows, cursor
        assert body["next"] and f"cursor={cursor}" in body["next"]
    raise AssertionError("feed did not end")


def test_feed_pages_through_every_row_once(api, district_api, unit_of_a, inspector_a):
    hazards = [factories.hazard(unit_of_a, inspector_a) for _ in range(7)]
    rows, cursor = drain(api(district_api[1]), "/api/v1/hazards/", page_size=3)
    assert [row["id"] for row in rows] == [h.pk for h in hazards]
    assert cursor
    # Resuming from the final cursor: nothing new, the same cursor back.
    again = api(district_api[1]).get("/api/v1/hazards/", cursor=cursor).json()
    assert again["results"] == [] and again["has_more"] is False


def test_hazard_rows_carry_their_events(api, district_api, unit_of_a, inspector_a, office):
    from inspections import workflow

    hazard = factories.registered_hazard(unit_of_a, inspector_a)
    workflow.assign(
        hazard_id=hazard.pk,
        actor=office,
        version=hazard.version,
        lead_department=unit_of_a.lead_department,
        responsible_person="李四",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
        note="请按期整改",
    )
    row = api(district_api[1]).get(f"/api/v1/hazards/{hazard.pk}/").json()
    assert row["status"] == "assigned" and row["status_display"] == "已交办"
    assert [e["action"] for e in row["events"]] == ["register", "assign"]
    assert row["events"][1]["note"] == "请按期整改"
    assert row["events"][1]["actor"] == str(office)
    assert row["number"] == hazard.number and row["overdue"] is False


def test_updated_since_narrows_the_first_sync(api, district_api, unit_of_a, inspector_a):
    from inspections.models import Hazard

    old, new = factories.hazard(unit_of_a, inspector_a), factories.hazard(unit_of_a, inspector_a)
    Hazard.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=3))
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    rows, _ = drain(api(district_api[1]), "/api/v1/hazards/", updated_since=since)
    assert [row["id"] for row in rows] == [new.pk]


def test_bad_cursor_and_bad_updated_since_are_400(api, district_api):
    caller = api(district_api[1])
    response = caller.get("/api/v1/hazards/", cursor="not-a-cursor")
    assert response.status_code == 400 and "cursor" in response.json()
    assert caller.get("/api/v1/hazards/", updated_since="昨天").status_code == 400
    assert caller.get("/api/v1/hazards/", page_size="x").status_code == 400


def test_page_size_is_capped(api, district_api, unit_of_a, inspector_a):
    from api.pagination import ChangeFeedPagination

    assert ChangeFeedPagination.max_page_size == 500
    response = api(district_api[1]).get("/api/v1/units/", page_size=100000)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "count"), [("/api/v1/hazards/", 3), ("/api/v1/hazards/", 30), ("/api/v1/units/", 30)]
)
def test_list_query_count_does_not_grow_with_rows(
    api, district_api, unit_of_a, inspector_a, django_assert_max_num_queries, path, count
):
    for _ in range(count):
        factories.registered_hazard(unit_of_a, inspector_a)
    caller = api(district_api[1])
    # client+user, horizon, rows, events, photos, call log (+ inspections' prefetches).
    with django_assert_max_num_queries(7):
        response = caller.get(path, page_size=100)
    assert response.status_code == 200


def test_inspection_list_query_count(
    api, district_api, unit_of_a, inspector_a, django_assert_max_num_queries
):
    for _ in range(20):
        factories.registered_hazard(unit_of_a, inspector_a)
    with django_assert_max_num_queries(7):
        body = api(district_api[1]).get("/api/v1/inspections/").json()
    assert len(body["results"]) == 20
    assert all(len(row["hazards"]) == 1 for row in body["results"])
