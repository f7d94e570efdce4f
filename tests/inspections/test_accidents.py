"""Accident register (事故) and the accident page's look back (责任倒查)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import Accident, Hazard
from tests import factories

TODAY = timezone.localdate


def accident(unit=None, by=None, **fields):
    defaults = dict(
        unit=unit,
        area=unit.area if unit else factories.area(),
        occurred_on=TODAY() - datetime.timedelta(days=5),
        kind=Accident.Kind.FIRE,
        deaths=0,
        injuries=1,
        direct_loss=Decimal("3.50"),
        description="仓库电线短路起火",
        created_by=by,
    )
    defaults.update(fields)
    return Accident.objects.create(**defaults)


# ---------------------------------------------------------------- create / edit


@pytest.mark.django_db
def test_office_registers_an_accident_by_credit_code(login, office, unit_of_a):
    response = login(office).post(
        reverse("accident_create"),
        {
            "unit_lookup": unit_of_a.credit_code.lower(),
            "occurred_on": (TODAY() - datetime.timedelta(days=2)).isoformat(),
            "kind": "fire",
            "deaths": "1",
            "injuries": "2",
            "direct_loss": "12.5",
            "description": "家具市场仓库起火",
        },
    )
    created = Accident.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("accident_detail", args=[created.pk])
    assert created.unit == unit_of_a and created.area == unit_of_a.area
    assert created.deaths == 1 and created.created_by == office


@pytest.mark.django_db
def test_accident_without_unit_needs_an_area(login, office):
    data = {
        "occurred_on": TODAY().isoformat(),
        "kind": "traffic",
        "deaths": "0",
        "injuries": "1",
        "direct_loss": "0",
        "description": "路口两车相撞",
    }
    response = login(office).post(reverse("accident_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["area"] == ["未填单位时必须选择属地（街道）"]
    area = factories.area("大潘街道")
    response = login(office).post(reverse("accident_create"), {**data, "area": area.pk})
    assert response.status_code == 302
    assert Accident.objects.get().unit is None


@pytest.mark.django_db
def test_unknown_unit_and_future_date_are_errors_next_to_the_fields(login, office):
    response = login(office).post(
        reverse("accident_create"),
        {
            "unit_lookup": "不存在的单位",
            "occurred_on": (TODAY() + datetime.timedelta(days=1)).isoformat(),
            "kind": "fire",
            "deaths": "0",
            "injuries": "0",
            "direct_loss": "0",
            "description": "x",
        },
    )
    errors = response.context["form"].errors
    assert "未找到该单位" in errors["unit_lookup"][0]
    assert errors["occurred_on"] == ["发生日期不能晚于今天"]
    assert not Accident.objects.exists()


@pytest.mark.django_db
def test_same_name_units_ask_for_the_credit_code(login, office, fire_dept):
    factories.unit(name="同名商场", lead_department=fire_dept)
    factories.unit(name="同名商场", lead_department=fire_dept)
    response = login(office).post(
        reverse("accident_create"),
        {"unit_lookup": "同名商场", "occurred_on": TODAY(), "kind": "fire", "description": "x"},
    )
    assert response.context["form"].errors["unit_lookup"] == [
        "有多个同名单位，请输入统一社会信用代码"
    ]


@pytest.mark.django_db
def test_office_edits_an_accident(login, office, unit_of_a):
    item = accident(unit_of_a, office)
    client = login(office)
    form = client.get(reverse("accident_edit", args=[item.pk])).context["form"]
    assert form.initial["unit_lookup"] == unit_of_a.credit_code
    response = client.post(
        reverse("accident_edit", args=[item.pk]),
        {
            "unit_lookup": unit_of_a.name,
            "occurred_on": item.occurred_on.isoformat(),
            "kind": "explosion",
            "deaths": "2",
            "injuries": "0",
            "direct_loss": "80",
            "description": "粉尘爆炸",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.kind == "explosion" and item.deaths == 2 and item.unit == unit_of_a


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["inspector_a", "leader", "supervisor"])
def test_only_office_creates_or_edits(request, login, persona, office, unit_of_a):
    client = login(request.getfixturevalue(persona))
    item = accident(unit_of_a, office)
    assert client.get(reverse("accident_create")).status_code == 403
    assert client.post(reverse("accident_edit", args=[item.pk]), {}).status_code == 403
    assert client.get(reverse("accident_list")).status_code == 200


@pytest.mark.django_db
def test_inspector_of_another_department_gets_404(login, office, inspector_b, unit_of_a):
    item = accident(unit_of_a, office)
    client = login(inspector_b)
    assert client.get(reverse("accident_detail", args=[item.pk])).status_code == 404
    assert item not in client.get(reverse("accident_list")).context["object_list"]


# ---------------------------------------------------------------- list


@pytest.mark.django_db
def test_list_filters_by_kind_area_dates_and_deaths(login, office, unit_of_a):
    far = factories.area("大潘街道")
    fire = accident(unit_of_a, office, occurred_on=TODAY() - datetime.timedelta(days=40))
    crash = accident(None, office, area=far, kind=Accident.Kind.TRAFFIC, deaths=1)
    client = login(office)

    def ids(**params):
        return {a.pk for a in client.get(reverse("accident_list"), params).context["object_list"]}

    assert ids() == {fire.pk, crash.pk}
    assert ids(kind="traffic") == {crash.pk}
    assert ids(area=far.pk) == {crash.pk}
    assert ids(with_deaths="true") == {crash.pk}
    assert ids(with_deaths="false") == {fire.pk}
    assert ids(occurred_from=(TODAY() - datetime.timedelta(days=10)).isoformat()) == {crash.pk}
    assert ids(occurred_to=(TODAY() - datetime.timedelta(days=40)).isoformat()) == {fire.pk}
    assert ids(unit=unit_of_a.pk) == {fire.pk}


@pytest.mark.django_db
def test_accident_list_query_count_is_constant(login, office, django_assert_max_num_queries):
    client = login(office)
    for _ in range(3):
        accident(factories.unit(), office)
    # session, user, user's department (nav), unread notifications, count, rows, area choices.
    with django_assert_max_num_queries(7):
        client.get(reverse("accident_list"))
    for n in range(60):
        accident(factories.unit() if n % 2 else None, office, deaths=n % 3)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("accident_list"), {"sort": "-deaths"})
    assert len(response.context["object_list"]) == 50


# ---------------------------------------------------------------- 责任倒查


@pytest.fixture
def history(inspector_a, unit_of_a):
    """Before the accident: an inspection with one hazard closed in time, one overdue and open,
    one dismissed; after it, an inspection that must not show."""
    day = TODAY() - datetime.timedelta(days=5)
    before = factories.inspection(unit_of_a, inspector_a, date=day - datetime.timedelta(days=30))
    closed = factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=before,
        status=Hazard.Status.CLOSED,
        closed_at=timezone.now() - datetime.timedelta(days=20),
    )
    overdue = factories.hazard(
        unit_of_a,
        inspector_a,
        inspection=before,
        level=Hazard.Level.MAJOR,
        deadline=day - datetime.timedelta(days=10),
    )
    factories.hazard(unit_of_a, inspector_a, inspection=before, status=Hazard.Status.REJECTED)
    after = factories.inspection(unit_of_a, inspector_a, date=day)
    factories.hazard(unit_of_a, inspector_a, inspection=after)
    return {"day": day, "before": before, "after": after, "closed": closed, "overdue": overdue}


@pytest.mark.django_db
def test_accident_page_shows_what_was_known_before(login, office, unit_of_a, history):
    item = accident(unit_of_a, office, occurred_on=history["day"])
    response = login(office).get(reverse("accident_detail", args=[item.pk]))
    ctx = response.context
    assert [i.pk for i in ctx["inspections"]] == [history["before"].pk]
    assert ctx["inspections"][0].hazard_count == 3
    assert ctx["hazard_summary"] == {"found": 3, "major": 1, "open_then": 1, "overdue_then": 1}
    flags = {h.pk: (h.open_then, h.overdue_then) for h in ctx["hazards"]}
    assert flags[history["overdue"].pk] == (True, True)
    assert flags[history["closed"].pk] == (False, False)
    assert "已超期未销号" in response.content.decode()


@pytest.mark.django_db
def test_hazard_closed_after_the_accident_counts_as_open_then(login, office, unit_of_a, history):
    item = accident(unit_of_a, office, occurred_on=history["day"])
    Hazard.objects.filter(pk=history["overdue"].pk).update(
        status=Hazard.Status.CLOSED, closed_at=timezone.now()
    )
    ctx = login(office).get(reverse("accident_detail", args=[item.pk])).context
    assert ctx["hazard_summary"]["open_then"] == 1
    assert ctx["hazard_summary"]["overdue_then"] == 1


@pytest.mark.django_db
def test_accident_page_query_count_is_constant(
    login, office, inspector_a, unit_of_a, history, django_assert_max_num_queries
):
    item = accident(unit_of_a, office, occurred_on=history["day"])
    client = login(office)
    # session, user, nav department, notifications, accident, inspections + their inspectors,
    # hazard summary, hazards, enforcement actions.
    with django_assert_max_num_queries(10):
        client.get(reverse("accident_detail", args=[item.pk]))
    for n in range(30):
        inspection = factories.inspection(
            unit_of_a, inspector_a, date=history["day"] - datetime.timedelta(days=n + 1)
        )
        inspection.inspectors.add(factories.user(f"co{n}", "inspector", inspector_a.department))
        factories.hazard(unit_of_a, inspector_a, inspection=inspection)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("accident_detail", args=[item.pk]))
    assert len(response.context["inspections"]) == 31
    assert response.context["hazard_summary"]["found"] == 33


@pytest.mark.django_db
def test_accident_without_unit_has_no_look_back(login, office):
    item = accident(None, office)
    response = login(office).get(reverse("accident_detail", args=[item.pk]))
    assert response.status_code == 200
    assert "无法倒查" in response.content.decode()


@pytest.mark.django_db
def test_an_accident_is_voided_with_a_reason_kept_on_record_and_out_of_bulletins(
    login, office, unit_of_a
):
    from inspections import stats

    item = accident(unit_of_a, office)
    client = login(office)
    url = reverse("accident_void", args=[item.pk])
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"reason": "误报，非生产安全事故"}).status_code == 302
    item.refresh_from_db()
    assert item.is_void and item.void_reason == "误报，非生产安全事故"
    scope = stats.Scope(start=item.occurred_on, end=item.occurred_on, today=item.occurred_on)
    assert not scope.accidents().filter(pk=item.pk).exists()
    assert "已作废" in client.get(reverse("accident_detail", args=[item.pk])).content.decode()
