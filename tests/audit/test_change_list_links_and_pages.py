"""/audit/: many-to-many links recorded under their owner's history, keyset pages that walk the
whole trail exactly once, and a query count that does not grow with the trail."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import trail
from inspections.models import Campaign
from tests import factories


def _all_pages(client, params: dict) -> list[dict]:
    rows = []
    response = client.get(reverse("audit:list"), params)
    for _ in range(100):
        assert response.status_code == 200
        rows += response.context["rows"]
        if not response.context["next_query"]:
            return rows
        response = client.get(reverse("audit:list") + "?" + response.context["next_query"])
    raise AssertionError("the pages never ended")


@pytest.mark.django_db
def test_links_added_and_removed_are_in_the_owners_history(
    login, office, inspector_a, inspector_a2, unit_of_a
):
    today = timezone.localdate()
    north, south = factories.area("北山街道"), factories.area("南湖街道")
    campaign = Campaign.objects.create(
        name="节前大检查", start_date=today, end_date=today, created_by=office
    )
    campaign.areas.add(north)
    client = login(office)
    response = client.post(
        reverse("campaign_edit", args=[campaign.pk]),
        {
            "name": "节前大检查",
            "start_date": today.isoformat(),
            "end_date": today.isoformat(),
            "areas": [south.pk],
            "description": "",
        },
    )
    assert response.status_code == 302
    assert list(campaign.areas.all()) == [south]

    page = client.get(reverse("audit:list"), {"model": "inspections.Campaign", "obj": campaign.pk})
    links = [r for r in page.context["rows"] if r["label"] in ("添加关联", "移除关联")]
    # Newest first: the edit removed 北山 and added 南湖 (in the same request), after the first 北山.
    assert sorted((r["label"], r["changes"][0][2]) for r in links[:2]) == [
        ("添加关联", "＋ 南湖街道"),
        ("移除关联", "－ 北山街道"),
    ]
    assert (links[2]["label"], links[2]["changes"][0]) == (
        "添加关联",
        ("目标街道", None, "＋ 北山街道"),
    )
    assert {r["user"] for r in links[:2]} == {office}
    assert all(r["url"] == reverse("campaign_detail", args=[campaign.pk]) for r in links)
    text = page.content.decode()
    assert "目标街道" in text and "＋ 南湖街道" in text and "－ 北山街道" in text

    # An inspection's inspectors, changed outside any request, are its history too.
    inspection = factories.inspection(unit_of_a, inspector_a)
    inspection.inspectors.add(inspector_a2)
    inspection.inspectors.remove(inspector_a)
    rows = client.get(
        reverse("audit:list"), {"model": "inspections.Inspection", "obj": inspection.pk}
    ).context["rows"]
    assert [(r["label"], r["changes"][0]) for r in rows if r["label"] != "新增"] == [
        ("移除关联", ("检查人员", None, f"－ {inspector_a}")),
        ("添加关联", ("检查人员", None, f"＋ {inspector_a2}")),
        ("添加关联", ("检查人员", None, f"＋ {inspector_a}")),
    ]
    # Another inspection's links are not in this one's history.
    other = factories.inspection(unit_of_a, inspector_a2)
    assert not [
        r
        for r in client.get(
            reverse("audit:list"), {"model": "inspections.Inspection", "obj": other.pk}
        ).context["rows"]
        if r["event"].pgh_obj_id != str(other.pk)
    ]


@pytest.mark.django_db
def test_keyset_pages_walk_the_whole_trail_once_newest_first(
    login, office, inspector_a, unit_of_a, settings
):
    settings.AUDIT_PAGE_SIZE = 4
    for n in range(5):
        factories.inspection(unit_of_a, inspector_a)  # an insert and a link each
        unit_of_a.address = f"新地址{n}号"
        unit_of_a.save()
    client = login(office)
    everything = trail.page_keys(trail.Filters(), 10_000, None)
    assert len(everything) > 3 * settings.AUDIT_PAGE_SIZE
    rows = _all_pages(client, {})
    assert [(r["event"].source, r["event"].pgh_id) for r in rows] == [
        (source, pgh_id) for _, source, pgh_id in everything
    ]
    times = [r["event"].pgh_created_at for r in rows]
    assert times == sorted(times, reverse=True)
    # Filtered pages too: only the unit's own events, in order.
    unit_rows = _all_pages(client, {"model": "units.Unit", "obj": unit_of_a.pk})
    assert [r["label"] for r in unit_rows] == ["修改"] * 5 + ["新增"]
    assert unit_rows[0]["changes"] == [("地址", "新地址3号", "新地址4号")]
    # A forged or stale cursor is a first page, never a 500.
    for junk in ("x", "2026-01-01|nope|1", "not-a-date|audit.UnitHistory|1", "|||"):
        assert client.get(reverse("audit:list"), {"before": junk}).status_code == 200


@pytest.mark.django_db
def test_the_page_query_count_is_fixed_whatever_the_links_and_rows(
    login, office, inspector_a, inspector_a2, unit_of_a, django_assert_max_num_queries
):
    client = login(office)
    client.get(reverse("audit:list"))
    counts = []
    for _ in range(2):
        for _ in range(15):
            inspection = factories.inspection(unit_of_a, inspector_a)
            inspection.inspectors.add(inspector_a2)
        campaign = Campaign.objects.create(
            name="专项",
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 2, 1),
            created_by=office,
        )
        campaign.areas.add(unit_of_a.area)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(reverse("audit:list")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
