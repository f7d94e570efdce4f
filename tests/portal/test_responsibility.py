"""The office's 主体责任 page: units that never signed in or never self-reported."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def _units(fire_dept, safety_dept, area, inspector_a):
    quiet = factories.unit(name="从未登录单位", lead_department=fire_dept, area=area)
    active = factories.unit(name="积极自查单位", lead_department=fire_dept, area=area)
    elsewhere = factories.unit(name="应急单位", lead_department=safety_dept, area=area)
    factories.user("active_u", "unit", None, unit=active, last_login=timezone.now())
    factories.user("quiet_u", "unit", None, unit=quiet)
    factories.hazard(active, inspector_a, source="self_check")
    factories.hazard(quiet, inspector_a)  # found by an inspector: not a self-report
    return quiet, active, elsewhere


def test_lists_units_never_logged_in_or_never_self_reported(
    client, office, fire_dept, safety_dept, area, inspector_a
):
    quiet, active, elsewhere = _units(fire_dept, safety_dept, area, inspector_a)
    client.force_login(office)
    url = reverse("unit_accounts:responsibility")
    response = client.get(url)
    counts = response.context["counts"]
    assert counts == {
        "units": 3,
        "with_account": 2,
        "never_logged_in": 2,
        "never_self_reported": 2,
    }
    never = client.get(url, {"signal": "never_logged_in"}).context["page"]
    assert {u.name for u in never} == {"从未登录单位", "应急单位"}
    silent = client.get(url, {"signal": "never_self_reported", "department": fire_dept.pk})
    assert [u.name for u in silent.context["page"]] == ["从未登录单位"]
    assert silent.context["counts"]["units"] == 2


def test_inspectors_may_not_read_it(client, inspector_a):
    client.force_login(inspector_a)
    assert client.get(reverse("unit_accounts:responsibility")).status_code == 403


def test_query_count_is_constant(
    client, office, fire_dept, safety_dept, area, inspector_a, django_assert_max_num_queries
):
    _units(fire_dept, safety_dept, area, inspector_a)
    client.force_login(office)
    url = reverse("unit_accounts:responsibility")
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(20):
        unit = factories.unit(lead_department=fire_dept, area=area)
        factories.user(f"more_{n}", "unit", None, unit=unit, last_login=timezone.now())
        factories.hazard(unit, inspector_a, source="self_check")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
