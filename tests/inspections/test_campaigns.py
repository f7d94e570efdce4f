"""Campaigns (专项检查): CRUD by the office and the coverage page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import Campaign, Hazard, Inspection
from inspections.views.registry import campaign_coverage
from tests import factories
from units.models import Unit

TODAY = timezone.localdate


def campaign(by, categories=(), areas=(), **fields):
    defaults = dict(
        name="节前安全生产大检查",
        start_date=TODAY() - datetime.timedelta(days=20),
        end_date=TODAY() + datetime.timedelta(days=10),
        created_by=by,
    )
    defaults.update(fields)
    item = Campaign.objects.create(**defaults)
    item.categories.set(categories)
    item.areas.set(areas)
    return item


def inspect(unit, by, item, **fields):
    return factories.inspection(unit, by, campaign=item, kind=Inspection.Kind.SPECIAL, **fields)


# ---------------------------------------------------------------- CRUD


@pytest.mark.django_db
def test_office_creates_edits_and_voids_a_campaign(login, office):
    client = login(office)
    furniture = factories.category("furniture-market")
    response = client.post(
        reverse("campaign_create"),
        {
            "name": "中秋国庆节前安全生产大检查",
            "start_date": "2026-09-01",
            "end_date": "2026-10-08",
            "categories": [furniture.pk],
            "description": "重点检查消防通道",
        },
    )
    created = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("campaign_detail", args=[created.pk])
    assert created.created_by == office and list(created.categories.all()) == [furniture]
    response = client.post(
        reverse("campaign_edit", args=[created.pk]),
        {"name": "节前大检查", "start_date": "2026-09-01", "end_date": "2026-10-10"},
    )
    created.refresh_from_db()
    assert created.name == "节前大检查" and not created.categories.exists()
    refused = client.post(reverse("campaign_void", args=[created.pk]), {"reason": ""})
    assert refused.status_code == 400
    assert refused.context["void_form"].errors["reason"] == ["请填写作废原因"]
    assert not Campaign.objects.get().is_void
    voided = client.post(reverse("campaign_void", args=[created.pk]), {"reason": "重复创建"})
    assert voided.status_code == 302
    created.refresh_from_db()
    # Voided, kept: who and why are on the record.
    assert created.is_void and created.voided_by == office and created.void_reason == "重复创建"
    assert "已作废" in client.get(reverse("campaign_detail", args=[created.pk])).content.decode()


@pytest.mark.django_db
def test_end_before_start_is_an_error_next_to_the_field(login, office):
    response = login(office).post(
        reverse("campaign_create"),
        {"name": "x", "start_date": "2026-09-10", "end_date": "2026-09-01"},
    )
    assert response.context["form"].errors["end_date"] == ["结束日期不能早于开始日期"]
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_a_voided_campaign_keeps_its_inspections_and_takes_no_new_ones(
    login, office, inspector_a, unit_of_a
):
    item = campaign(office)
    done = inspect(unit_of_a, inspector_a, item)
    response = login(office).post(reverse("campaign_void", args=[item.pk]), {"reason": "撤销"})
    assert response.status_code == 302
    done.refresh_from_db()
    assert done.campaign == item
    form = login(inspector_a).get(reverse("inspection_create")).context["form"]
    assert item not in form.fields["campaign"].queryset


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["inspector_a", "leader", "supervisor"])
def test_only_office_manages_campaigns(request, login, persona, office):
    item = campaign(office)
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("campaign_create")).status_code == 403
    assert client.post(reverse("campaign_edit", args=[item.pk]), {}).status_code == 403
    assert client.post(reverse("campaign_void", args=[item.pk]), {"reason": "x"}).status_code == 403
    assert not Campaign.objects.get(pk=item.pk).is_void
    assert Campaign.objects.filter(pk=item.pk, name=item.name).exists()
    assert client.get(reverse("campaign_detail", args=[item.pk])).status_code == 200


@pytest.mark.django_db
def test_campaign_list_filters_by_phase(login, office):
    ongoing = campaign(office)
    ended = campaign(
        office,
        name="上半年大排查",
        start_date=TODAY() - datetime.timedelta(days=200),
        end_date=TODAY() - datetime.timedelta(days=100),
    )
    client = login(office)

    def ids(**params):
        return {c.pk for c in client.get(reverse("campaign_list"), params).context["object_list"]}

    assert ids() == {ongoing.pk, ended.pk}
    assert ids(phase="ongoing") == {ongoing.pk}
    assert ids(phase="ended") == {ended.pk}
    assert ids(q="上半年") == {ended.pk}


# ---------------------------------------------------------------- coverage on known data


@pytest.fixture
def district(office, inspector_a, fire_dept):
    """Furniture markets: 5 in 兴华 (3 inspected in the campaign, 1 closed and never inspected),
    2 in 大潘; paint markets: 2 in 兴华 (1 inspected); 1 chemical plant inspected outside the
    targets; 1 furniture market inspected only routinely."""
    furniture = factories.category("furniture-market")
    paint = factories.category("paint-market")
    xinghua, dapan = factories.area("兴华街道"), factories.area("大潘街道")
    item = campaign(office, categories=[furniture, paint], areas=[xinghua])
    f = [factories.unit(category=furniture, area=xinghua) for _ in range(5)]
    factories.unit(category=furniture, area=xinghua, status=Unit.Status.CLOSED)
    for _ in range(2):
        factories.unit(category=furniture, area=dapan)
    p = [factories.unit(category=paint, area=xinghua) for _ in range(2)]
    chemical = factories.unit(category=factories.category("chemical"), area=xinghua)
    for unit in f[:3]:
        inspect(unit, inspector_a, item)
    inspect(f[0], inspector_a, item)  # a second visit counts once
    # A draft does not count, nor does a routine inspection outside the campaign.
    inspect(f[3], inspector_a, item, status=Inspection.Status.DRAFT, submitted_at=None)
    factories.inspection(f[4], inspector_a)
    first = inspect(p[0], inspector_a, item)
    inspect(chemical, office, item)
    today = TODAY()
    factories.hazard(f[0], inspector_a, inspection=first, status=Hazard.Status.CLOSED)
    factories.hazard(
        p[0],
        inspector_a,
        inspection=first,
        level=Hazard.Level.MAJOR,
        deadline=today - datetime.timedelta(days=1),
        found_on=today - datetime.timedelta(days=9),
    )
    factories.hazard(p[0], inspector_a, inspection=first, deadline=today + datetime.timedelta(3))
    factories.hazard(p[0], inspector_a, inspection=first, status=Hazard.Status.DRAFT, number=None)
    factories.hazard(f[4], inspector_a)  # routine inspection: not in the campaign
    return {"campaign": item, "furniture": furniture, "paint": paint, "f": f, "p": p}


@pytest.mark.django_db
def test_coverage_figures_on_known_data(office, district):
    coverage = campaign_coverage(district["campaign"], office)
    by_category = {r.category_id: (r.inspected, r.total) for r in coverage.rows}
    assert by_category == {district["furniture"].pk: (3, 5), district["paint"].pk: (1, 2)}
    assert (coverage.inspected, coverage.total, coverage.percent) == (4, 7, 57)
    assert coverage.hazards == {"found": 3, "major": 1, "open": 2, "closed": 1, "overdue": 1}
    assert coverage.inspection_count == 6 and coverage.inspected_units == 5
    assert coverage.inspected_outside_targets == 1
    not_inspected = set(coverage.not_inspected)
    assert not_inspected == {district["f"][3], district["f"][4], district["p"][1]}


@pytest.mark.django_db
def test_a_unit_closed_after_its_campaign_inspection_stays_counted(office, district):
    Unit.objects.filter(pk=district["f"][0].pk).update(status=Unit.Status.CLOSED)
    coverage = campaign_coverage(district["campaign"], office)
    assert (coverage.inspected, coverage.total) == (4, 7)


@pytest.mark.django_db
def test_campaign_without_categories_or_areas_targets_every_unit(office, inspector_a):
    item = campaign(office)
    units = [factories.unit() for _ in range(3)]
    inspect(units[0], inspector_a, item)
    coverage = campaign_coverage(item, office)
    assert (coverage.inspected, coverage.total) == (1, Unit.objects.count())


@pytest.mark.django_db
def test_inspector_sees_coverage_of_own_scope_only(inspector_b, district, safety_dept):
    chemical_unit = factories.unit(category=factories.category("chemical"))
    coverage = campaign_coverage(district["campaign"], inspector_b)
    # The campaign targets furniture/paint markets led by 消防: none is in 应急管理局's scope.
    assert coverage.total == 0 and coverage.hazards["found"] == 0
    assert chemical_unit not in set(coverage.not_inspected)


@pytest.mark.django_db
def test_campaign_page_shows_figures_and_the_units_not_yet_inspected(login, office, district):
    response = login(office).get(reverse("campaign_detail", args=[district["campaign"].pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "4 / 7" in html and "57%" in html
    assert 'style="width: 60%"' in html  # furniture markets: 3 of 5
    assert {u.pk for u in response.context["page_obj"]} == {
        district["f"][3].pk,
        district["f"][4].pk,
        district["p"][1].pk,
    }


@pytest.mark.django_db
def test_campaign_page_query_count_is_constant(
    login, office, inspector_a, fire_dept, django_assert_max_num_queries
):
    furniture = factories.category("furniture-market")
    item = campaign(office, categories=[furniture, factories.category("paint-market")])
    for n in range(3):
        unit = factories.unit(category=furniture)
        if n:
            factories.hazard(unit, inspector_a, inspection=inspect(unit, inspector_a, item))
    client = login(office)
    # session, user, nav department, notifications, campaign, its categories and areas,
    # coverage by category, hazard figures, inspection figures, not-inspected count and page.
    with django_assert_max_num_queries(12):
        client.get(reverse("campaign_detail", args=[item.pk]))
    for n in range(120):
        unit = factories.unit(category=furniture)
        if n % 3 == 0:
            factories.hazard(unit, inspector_a, inspection=inspect(unit, inspector_a, item))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("campaign_detail", args=[item.pk]), {"page": 2})
    assert response.context["coverage"].total == 123
    assert response.context["coverage"].inspected == 42
    assert len(response.context["page_obj"]) == 81 - 50


@pytest.mark.django_db
def test_campaign_list_query_count_is_constant(login, office, django_assert_max_num_queries):
    client = login(office)
    furniture = factories.category("furniture-market")
    for _ in range(3):
        campaign(office, categories=[furniture], areas=[factories.area()])
    # session, user, nav department, notifications, count, rows, categories, areas.
    with django_assert_max_num_queries(8):
        client.get(reverse("campaign_list"))
    for _ in range(60):
        campaign(office, categories=[furniture], areas=[factories.area()])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("campaign_list"), {"phase": "ongoing"})
    assert len(response.context["object_list"]) == 50
