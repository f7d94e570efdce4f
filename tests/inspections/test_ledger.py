"""The hazard ledger (/hazards/): filters, derived overdue, scope, counts, sorting, paging."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from inspections.filters import STATUS_CHOICES, HazardFilter, ledger_base_queryset
from inspections.models import Campaign, Hazard
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)


@pytest.fixture
def today(time_machine):
    """Freeze the clock mid-morning in Shanghai so 'overdue' has one fixed meaning."""
    time_machine.move_to(datetime.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False)
    return TODAY


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def ledger_ids(client, **params) -> list[int]:
    response = client.get(reverse("hazard_list"), {"page_size": 200, **params})
    assert response.status_code == 200
    return [h.pk for h in response.context["object_list"]]


def make(unit, by, found=-20, deadline=5, **fields) -> Hazard:
    return factories.hazard(
        unit,
        by,
        inspection=factories.inspection(unit, by, date=days(found)),
        found_on=days(found),
        deadline=None if deadline is None else days(deadline),
        **fields,
    )


@pytest.mark.django_db
def test_overdue_means_past_deadline_on_a_running_clock(
    login, office, inspector_a, unit_of_a, today
):
    late = make(unit_of_a, inspector_a, deadline=-1)
    late_rectifying = make(
        unit_of_a, inspector_a, found=-40, deadline=-30, status=Hazard.Status.RECTIFYING
    )
    late_disposal = make(
        unit_of_a,
        inspector_a,
        deadline=-2,
        status=Hazard.Status.DISPOSAL,
        disposal=Hazard.Disposal.SUSPEND,
    )
    make(unit_of_a, inspector_a, deadline=0)  # due today: not yet overdue
    make(unit_of_a, inspector_a, deadline=-3, status=Hazard.Status.CLOSED)
    make(unit_of_a, inspector_a, deadline=-3, status=Hazard.Status.AWAITING_VERIFICATION)
    make(unit_of_a, inspector_a, deadline=-3, status=Hazard.Status.REGISTERED)
    make(unit_of_a, inspector_a, deadline=-3, status=Hazard.Status.VOID)

    client = login(office)
    assert set(ledger_ids(client, status="overdue")) == {
        late.pk,
        late_rectifying.pk,
        late_disposal.pk,
    }
    response = client.get(reverse("hazard_list"), {"status": "overdue", "sort": "deadline"})
    shown = {h.pk: h.days_overdue for h in response.context["object_list"]}
    assert shown == {late_rectifying.pk: 30, late_disposal.pk: 2, late.pk: 1}
    assert 'data-testid="overdue-days">30<' in response.content.decode()


@pytest.mark.django_db
def test_overdue_moves_with_the_calendar(login, office, inspector_a, unit_of_a, time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False)
    due_today = make(unit_of_a, inspector_a, deadline=0)
    client = login(office)
    assert ledger_ids(client, status="overdue") == []
    # Just after midnight in Shanghai (still the 15th in UTC) the deadline has passed.
    time_machine.move_to(datetime.datetime(2026, 6, 16, 0, 5, tzinfo=SHANGHAI), tick=False)
    assert ledger_ids(client, status="overdue") == [due_today.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status",
    [
        "registered",
        "assigned",
        "rectifying",
        "awaiting_verification",
        "disposal",
        "closed",
        "rejected",
        "void",
    ],
)
def test_status_filter_shows_only_that_status(login, office, inspector_a, unit_of_a, today, status):
    by_status = {
        s: make(unit_of_a, inspector_a, status=s)
        for s in Hazard.Status.values
        if s not in ("draft", "merged")
    }
    assert ledger_ids(login(office), status=status) == [by_status[status].pk]


@pytest.mark.django_db
def test_status_filter_merged_and_open(login, office, inspector_a, unit_of_a, today):
    target = make(unit_of_a, inspector_a, status=Hazard.Status.RECTIFYING)
    merged = make(unit_of_a, inspector_a, status=Hazard.Status.MERGED, merged_into=target)
    registered = make(unit_of_a, inspector_a, status=Hazard.Status.REGISTERED)
    make(unit_of_a, inspector_a, status=Hazard.Status.CLOSED)
    client = login(office)
    assert ledger_ids(client, status="merged") == [merged.pk]
    assert set(ledger_ids(client, status="open")) == {target.pk, registered.pk}


@pytest.mark.django_db
def test_drafts_never_appear_in_the_ledger_not_even_ones_own(
    login, office, inspector_a, unit_of_a, today
):
    draft_inspection = factories.inspection(unit_of_a, inspector_a, status="draft")
    own_draft = factories.hazard(
        unit_of_a, inspector_a, inspection=draft_inspection, status=Hazard.Status.DRAFT
    )
    shown = make(unit_of_a, inspector_a)
    assert ledger_ids(login(inspector_a)) == [shown.pk]
    assert own_draft.pk not in ledger_ids(login(office))


@pytest.mark.django_db
def test_level_type_department_area_category_unit_filters(
    login, office, inspector_a, inspector_b, unit_of_a, unit_of_b, today
):
    other_area = factories.area("大潘街道")
    unit_far = factories.unit(area=other_area, lead_department=unit_of_a.lead_department)
    major = make(unit_of_a, inspector_a, level=Hazard.Level.MAJOR)
    electrical = make(unit_of_a, inspector_a, hazard_type=Hazard.Type.ELECTRICAL)
    of_b = make(unit_of_b, inspector_b)
    far = make(unit_far, inspector_a)
    client = login(office)

    assert ledger_ids(client, level="major") == [major.pk]
    assert set(ledger_ids(client, level="general")) == {electrical.pk, of_b.pk, far.pk}
    assert ledger_ids(client, type="electrical") == [electrical.pk]
    assert ledger_ids(client, department=unit_of_b.lead_department_id) == [of_b.pk]
    assert ledger_ids(client, area=other_area.pk) == [far.pk]
    assert ledger_ids(client, category=unit_of_b.category_id) == [of_b.pk]
    assert ledger_ids(client, unit=unit_far.pk) == [far.pk]
    assert set(ledger_ids(client, unit=unit_of_a.pk)) == {major.pk, electrical.pk}


@pytest.mark.django_db
def test_campaign_filter_follows_the_inspection(login, office, inspector_a, unit_of_a, today):
    campaign = Campaign.objects.create(
        name="中秋国庆节前安全生产大检查",
        start_date=days(-30),
        end_date=days(10),
        created_by=office,
    )
    in_campaign = factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=factories.inspection(unit_of_a, inspector_a, campaign=campaign),
    )
    factories.hazard(unit_of_a, inspector_a)
    assert ledger_ids(login(office), campaign=campaign.pk) == [in_campaign.pk]


@pytest.mark.django_db
def test_text_search_covers_number_unit_name_and_description(
    login, office, inspector_a, unit_of_a, unit_of_b, inspector_b, today
):
    by_number = make(unit_of_a, inspector_a, number="YH-2026-000777")
    by_text = make(unit_of_a, inspector_a, description="配电箱私拉乱接电线")
    by_unit = make(unit_of_b, inspector_b)
    client = login(office)
    assert ledger_ids(client, q="000777") == [by_number.pk]
    assert ledger_ids(client, q="yh-2026-000777") == [by_number.pk]
    assert ledger_ids(client, q="私拉乱接") == [by_text.pk]
    assert ledger_ids(client, q=unit_of_b.name) == [by_unit.pk]


@pytest.mark.django_db
def test_date_ranges_are_inclusive(login, office, inspector_a, unit_of_a, today):
    early = make(unit_of_a, inspector_a, found=-40, deadline=-10)
    middle = make(unit_of_a, inspector_a, found=-20, deadline=0)
    late = make(unit_of_a, inspector_a, found=-5, deadline=20)
    client = login(office)
    assert set(ledger_ids(client, found_from=days(-20), found_to=days(-5))) == {
        middle.pk,
        late.pk,
    }
    assert ledger_ids(client, found_to=days(-40)) == [early.pk]
    assert ledger_ids(client, deadline_from=days(0), deadline_to=days(0)) == [middle.pk]
    assert set(ledger_ids(client, deadline_to=days(0))) == {early.pk, middle.pk}


@pytest.mark.django_db
def test_closed_range_uses_the_local_calendar_day(login, office, inspector_a, unit_of_a, today):
    # 23:30 in Shanghai on 1 June is 15:30 UTC the same day; 00:30 on 2 June is 1 June in UTC.
    late_evening = make(
        unit_of_a,
        inspector_a,
        status=Hazard.Status.CLOSED,
        closed_at=datetime.datetime(2026, 6, 1, 23, 30, tzinfo=SHANGHAI),
    )
    after_midnight = make(
        unit_of_a,
        inspector_a,
        status=Hazard.Status.CLOSED,
        closed_at=datetime.datetime(2026, 6, 2, 0, 30, tzinfo=SHANGHAI),
    )
    make(unit_of_a, inspector_a)  # still open: no closed_at
    client = login(office)
    assert ledger_ids(client, closed_from="2026-06-01", closed_to="2026-06-01") == [late_evening.pk]
    assert ledger_ids(client, closed_from="2026-06-02") == [after_midnight.pk]
    assert set(ledger_ids(client, closed_to="2026-06-02")) == {late_evening.pk, after_midnight.pk}


@pytest.mark.django_db
def test_escalated_and_listed_filters(login, office, inspector_a, unit_of_a, today):
    escalated = make(
        unit_of_a, inspector_a, escalated_at=datetime.datetime(2026, 6, 1, 9, tzinfo=SHANGHAI)
    )
    listed = make(
        unit_of_a,
        inspector_a,
        level=Hazard.Level.MAJOR,
        listed_document="安委办督〔2026〕3号",
        listed_on=days(-3),
    )
    make(unit_of_a, inspector_a)
    client = login(office)
    assert ledger_ids(client, escalated=1) == [escalated.pk]
    assert ledger_ids(client, listed=1) == [listed.pk]
    assert len(ledger_ids(client)) == 3


@pytest.mark.django_db
def test_invalid_filter_values_are_ignored_with_a_message(login, office, inspector_a, unit_of_a):
    factories.hazard(unit_of_a, inspector_a)
    response = login(office).get(reverse("hazard_list"), {"status": "bogus", "found_from": "x"})
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 1
    assert response.context["filter"].errors.keys() == {"status", "found_from"}


@pytest.mark.django_db
def test_inspector_of_other_department_does_not_see_the_hazard(
    login, inspector_a, inspector_b, unit_of_a, unit_of_b, today
):
    of_a = make(unit_of_a, inspector_a)
    of_b = make(unit_of_b, inspector_b)
    assert ledger_ids(login(inspector_b)) == [of_b.pk]
    assert ledger_ids(login(inspector_a)) == [of_a.pk]
    # Even naming the other department's unit or department explicitly shows nothing.
    assert ledger_ids(login(inspector_b), unit=unit_of_a.pk) == []
    counts = login(inspector_b).get(reverse("hazard_list")).context["status_counts"]
    assert {c["value"]: c["count"] for c in counts}["assigned"] == 1


@pytest.mark.django_db
def test_status_counts_ignore_the_status_filter_and_link_to_their_ledger(
    login, office, inspector_a, unit_of_a, unit_of_b, inspector_b, today
):
    make(unit_of_a, inspector_a, deadline=-2)  # assigned, overdue
    make(unit_of_a, inspector_a, deadline=3)  # assigned
    make(unit_of_a, inspector_a, status=Hazard.Status.CLOSED)
    make(unit_of_a, inspector_a, status=Hazard.Status.AWAITING_VERIFICATION)
    make(unit_of_b, inspector_b, status=Hazard.Status.CLOSED)  # other department: filtered out
    client = login(office)
    params = {"department": unit_of_a.lead_department_id, "status": "closed"}
    response = client.get(reverse("hazard_list"), params)
    counts = {c["value"]: c for c in response.context["status_counts"]}
    assert counts["assigned"]["count"] == 2
    assert counts["closed"]["count"] == 1
    assert counts["closed"]["active"]
    assert counts["awaiting_verification"]["count"] == 1
    assert counts["open"]["count"] == 3
    assert counts["overdue"]["count"] == 1
    assert counts["rejected"]["count"] == 0
    # Every count is what its link shows.
    for item in counts.values():
        linked = client.get(reverse("hazard_list") + "?" + item["query"])
        assert linked.context["paginator"].count == item["count"], item["value"]
        assert f"department={unit_of_a.lead_department_id}" in item["query"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("number", lambda h: (h.number, h.pk)),
        ("-number", lambda h: (h.number, h.pk)),
        ("found_on", lambda h: (h.found_on, h.pk)),
        ("-found_on", lambda h: (h.found_on, h.pk)),
        ("deadline", lambda h: (h.deadline, h.pk)),
        ("-deadline", lambda h: (h.deadline, h.pk)),
        ("status", lambda h: (h.status, h.pk)),
        ("unit", lambda h: (h.unit.name, h.unit_id, h.pk)),
        ("-unit", lambda h: (h.unit.name, h.unit_id, h.pk)),
    ],
)
def test_sorting(login, office, inspector_a, inspector_b, unit_of_a, unit_of_b, today, sort, key):
    hazards = [
        make(unit_of_a, inspector_a, found=-5, deadline=9, number="YH-2026-000003"),
        make(unit_of_b, inspector_b, found=-9, deadline=2, number="YH-2026-000001"),
        make(
            unit_of_a,
            inspector_a,
            found=-7,
            deadline=4,
            number="YH-2026-000002",
            status=Hazard.Status.CLOSED,
        ),
        make(unit_of_b, inspector_b, found=-7, deadline=4, number="YH-2026-000004"),
    ]
    expected = [h.pk for h in sorted(hazards, key=key, reverse=sort.startswith("-"))]
    assert ledger_ids(login(office), sort=sort) == expected


@pytest.mark.django_db
def test_unknown_sort_falls_back_to_newest_first(login, office, inspector_a, unit_of_a, today):
    old = make(unit_of_a, inspector_a, found=-30)
    new = make(unit_of_a, inspector_a, found=-1)
    assert ledger_ids(login(office), sort="description") == [new.pk, old.pk]


@pytest.mark.django_db
def test_pages_fetch_ids_first_and_keep_the_order(login, office, inspector_a, unit_of_a, today):
    hazards = [make(unit_of_a, inspector_a, found=-(i % 7), deadline=i % 5) for i in range(23)]
    client = login(office)
    everything = ledger_ids(client, sort="deadline")
    assert sorted(everything) == sorted(h.pk for h in hazards)
    paged = []
    for page in (1, 2, 3):
        response = client.get(
            reverse("hazard_list"), {"sort": "deadline", "page_size": 10, "page": page}
        )
        assert response.context["is_paginated"]
        paged += [h.pk for h in response.context["object_list"]]
    assert paged == everything
    # A page beyond the end shows the last page, as everywhere else.
    beyond = client.get(reverse("hazard_list"), {"sort": "deadline", "page_size": 10, "page": 99})
    assert [h.pk for h in beyond.context["object_list"]] == everything[20:]


@pytest.mark.django_db
def test_ledger_shows_original_deadline_when_extended(login, office, inspector_a, unit_of_a, today):
    make(unit_of_a, inspector_a, deadline=20, original_deadline=days(5))
    body = login(office).get(reverse("hazard_list")).content.decode()
    assert f"原定 {days(5):%Y-%m-%d}" in body


@pytest.mark.django_db
def test_ledger_query_count_is_constant(
    login, office, inspector_a, unit_of_a, today, django_assert_max_num_queries
):
    client = login(office)
    other_area = factories.area("大潘街道")
    for _ in range(3):
        make(unit_of_a, inspector_a, deadline=-1)
    filtered = {
        "status": "overdue",
        "sort": "-unit",
        "q": "测试",
        "area": other_area.pk,
        "page": 2,
        "page_size": 15,
    }
    # session, user, user's department and unread notifications (nav), page ids, page rows,
    # one GROUP BY for the status chips, the overdue chip and the total, and the filter form's
    # four choice lists (department, area, category, campaign); a chosen area costs one more.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("hazard_list"))
    assert len(response.context["object_list"]) == 3
    with django_assert_max_num_queries(12):
        client.get(reverse("hazard_list"), filtered)
    for i in range(60):
        unit = factories.unit(area=other_area, lead_department=unit_of_a.lead_department)
        make(unit, inspector_a, deadline=-(i % 3), level="major" if i % 2 else "general")
    with django_assert_max_num_queries(11):
        response = client.get(reverse("hazard_list"))
    assert len(response.context["object_list"]) == 50
    with django_assert_max_num_queries(12):
        response = client.get(reverse("hazard_list"), filtered)
    assert response.context["paginator"].count == 40  # due today (every third) is not overdue
    assert len(response.context["object_list"]) == 15


@pytest.mark.django_db
def test_ledger_total_derived_from_the_status_counts_is_the_real_count(
    login, office, inspector_a, unit_of_a, today
):
    """The paginator's total comes from the status GROUP BY, not its own COUNT: for every
    status choice (and none, and an invalid one) it must be what the list really holds."""
    from inspections.filters import ledger_queryset

    for deadline, status in [
        (-3, "assigned"),
        (-1, "rectifying"),
        (5, "assigned"),
        (-2, "closed"),
        (-4, "awaiting_verification"),
        (2, "rejected"),
    ]:
        make(unit_of_a, inspector_a, deadline=deadline, status=status)
    client = login(office)
    values = ["", "bogus", *(value for value, _ in STATUS_CHOICES)]
    for value in values:
        params = {"status": value, "q": "测试"} if value else {}
        response = client.get(reverse("hazard_list"), params)
        _, queryset = ledger_queryset(office, params)
        assert response.context["paginator"].count == queryset.count(), value
    assert {c["value"]: c["count"] for c in response.context["status_counts"]}["overdue"] == 2


@pytest.mark.django_db
def test_filterset_is_usable_on_its_own(office, inspector_a, unit_of_a, today):
    """The bulletins build figures from the same FilterSet; its contract is the GET names."""
    late = make(unit_of_a, inspector_a, deadline=-1, level="major")
    make(unit_of_a, inspector_a, deadline=3, level="major")
    filterset = HazardFilter(
        {"status": "overdue", "level": "major"}, queryset=ledger_base_queryset(office)
    )
    assert list(filterset.qs) == [late]


@pytest.mark.django_db
def test_home_card_counts_the_office_scope_and_links_to_the_ledger(
    login, office, inspector_a, unit_of_a, today
):
    make(unit_of_a, inspector_a, deadline=-1, level="major")
    make(unit_of_a, inspector_a, status=Hazard.Status.AWAITING_VERIFICATION)
    make(unit_of_a, inspector_a, status=Hazard.Status.CLOSED)
    response = login(office).get(reverse("home"))
    card = next(c for c in response.context["home_cards"] if c.get("items"))
    counts = {item["label"]: (item["count"], item["url"]) for item in card["items"]}
    assert counts["在办隐患"] == (2, "/hazards/?status=open")
    assert counts["逾期"] == (1, "/hazards/?status=overdue")
    assert counts["待复查"] == (1, "/hazards/?status=awaiting_verification")
    assert counts["重大隐患在办"] == (1, "/hazards/?status=open&level=major")
    assert 'data-testid="ledger-card"' in response.content.decode()


@pytest.mark.django_db
def test_home_card_shown_to_supervisor_and_leader(login, supervisor, leader):
    for user in (supervisor, leader):
        response = login(user).get(reverse("home"))
        assert 'data-testid="ledger-card"' in response.content.decode(), user.role


@pytest.mark.django_db
def test_inspector_home_card_counts_only_own_department(
    login, inspector_a, inspector_b, unit_of_a, unit_of_b, today
):
    make(unit_of_a, inspector_a, deadline=-1)
    make(unit_of_b, inspector_b, deadline=-1)
    make(unit_of_b, inspector_b, deadline=-2)
    response = login(inspector_a).get(reverse("home"))
    card = next(c for c in response.context["home_cards"] if c.get("items"))
    counts = {item["label"]: item["count"] for item in card["items"]}
    assert counts["在办隐患"] == 1 and counts["逾期"] == 1
    assert 'data-testid="ledger-card"' in response.content.decode()
