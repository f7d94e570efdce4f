import pytest
from django.urls import reverse

from tests import factories
from units.models import Unit
from units.validators import credit_code_error, credit_code_warning


@pytest.mark.django_db
def test_inspector_of_other_department_gets_404_on_unit_page(login, inspector_b, unit_of_a):
    response = login(inspector_b).get(reverse("units:detail", args=[unit_of_a.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_inspector_sees_units_of_own_department(login, inspector_a, unit_of_a, unit_of_b):
    response = login(inspector_a).get(reverse("units:list"))
    assert response.status_code == 200
    names = [u.name for u in response.context["object_list"]]
    assert unit_of_a.name in names and unit_of_b.name not in names
    assert login(inspector_a).get(reverse("units:detail", args=[unit_of_a.pk])).status_code == 200


@pytest.mark.django_db
def test_street_office_inspector_sees_units_in_its_area(login, unit_of_a, unit_of_b):
    other_area = factories.area("大潘街道")
    far_unit = factories.unit(area=other_area)
    street_inspector = factories.user(
        "street", "inspector", factories.street_office(unit_of_a.area)
    )
    visible = set(Unit.objects.visible_to(street_inspector))
    assert {unit_of_a, unit_of_b} <= visible and far_unit not in visible


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["inspector_a", "office", "supervisor", "leader", "admin_user"])
def test_pages_render_for_each_role(request, client, persona, unit_of_a):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for url in (reverse("home"), reverse("units:list")):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("units:detail", args=[unit_of_a.pk])).status_code == 200


@pytest.mark.django_db
def test_unit_list_query_count_is_constant(login, office, django_assert_max_num_queries):
    client = login(office)
    for _ in range(3):
        factories.unit()
    # session, user, user's department, unread notifications, count, the page's ids, its rows,
    # and the filter form's three choice lists.
    with django_assert_max_num_queries(10):
        client.get(reverse("units:list"))
    for _ in range(60):
        factories.unit(category=factories.category("chemical"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("units:list"), {"key_only": "true", "sort": "-category"})
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 50


@pytest.mark.django_db
def test_unit_list_filters_by_text_category_and_status(login, office, unit_of_a, unit_of_b):
    client = login(office)
    unit_of_b.status = Unit.Status.SUSPENDED
    unit_of_b.save()
    by_name = client.get(reverse("units:list"), {"q": unit_of_a.name[-3:]}).context["object_list"]
    assert list(by_name) == [unit_of_a]
    by_code = client.get(reverse("units:list"), {"q": unit_of_b.credit_code[-6:].lower()})
    assert list(by_code.context["object_list"]) == [unit_of_b]
    by_status = client.get(reverse("units:list"), {"status": "suspended"}).context["object_list"]
    assert list(by_status) == [unit_of_b]
    by_category = client.get(reverse("units:list"), {"category": unit_of_a.category_id})
    assert list(by_category.context["object_list"]) == [unit_of_a]


@pytest.mark.django_db
def test_inspector_cannot_create_units(login, inspector_a):
    assert login(inspector_a).get(reverse("units:create")).status_code == 403


@pytest.mark.django_db
def test_office_creates_unit_and_bad_code_error_shows_next_to_field(login, office, fire_dept):
    client = login(office)
    data = {
        "name": "鸿兴机械厂",
        "credit_code": "91330100716105852X",
        "category": factories.category("industrial").pk,
        "area": factories.area().pk,
        "address": "兴华南街1号",
        "lead_department": fire_dept.pk,
        "legal_rep": "李四",
        "legal_rep_phone": "1380013800",
        "status": "operating",
    }
    response = client.post(reverse("units:create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "第18位应为“F”" in errors["credit_code"][0]
    assert "电话格式不正确" in errors["legal_rep_phone"][0]
    assert "第18位应为“F”" in response.content.decode()
    assert not Unit.objects.filter(name="鸿兴机械厂").exists()
    data.update(credit_code="91330100716105852f", legal_rep_phone="13800138000")
    response = client.post(reverse("units:create"), data)
    assert response.status_code == 302
    assert Unit.objects.get(name="鸿兴机械厂").credit_code == "91330100716105852F"


@pytest.mark.django_db
def test_credit_code_is_unique_among_units(login, office, unit_of_a):
    client = login(office)
    data = {
        "name": "重复单位",
        "credit_code": unit_of_a.credit_code,
        "category": unit_of_a.category_id,
        "area": unit_of_a.area_id,
        "address": "x",
        "lead_department": unit_of_a.lead_department_id,
        "legal_rep": "王五",
        "legal_rep_phone": "13800138000",
        "status": "operating",
    }
    response = client.post(reverse("units:create"), data)
    assert "已被其他单位使用" in response.context["form"].errors["credit_code"][0]


@pytest.mark.django_db
def test_residential_building_may_have_no_credit_code_but_a_company_must(login, office, fire_dept):
    client = login(office)
    base = {
        "area": factories.area().pk,
        "address": "x",
        "lead_department": fire_dept.pk,
        "legal_rep": "王五",
        "legal_rep_phone": "13800138000",
        "status": "operating",
        "credit_code": "",
    }
    ok = client.post(
        reverse("units:create"),
        {**base, "name": "北二路3号楼", "category": factories.category("residential").pk},
    )
    assert ok.status_code == 302
    bad = client.post(
        reverse("units:create"),
        {**base, "name": "某化工厂", "category": factories.category("chemical").pk},
    )
    assert "必须填写统一社会信用代码" in bad.context["form"].errors["credit_code"][0]


@pytest.mark.django_db
def test_yes_no_filters_read_chinese_and_keep_true_false_values(login, office, unit_of_a):
    illegal = factories.unit(is_illegal=True, credit_code="")
    response = login(office).get(reverse("units:list"), {"is_illegal": "true"})
    assert list(response.context["object_list"]) == [illegal]
    html = response.content.decode()
    assert "未知" not in html
    assert '<option value="true" selected>是</option>' in html
    assert '<option value="">全部</option>' in html
    legal = login(office).get(reverse("units:list"), {"is_illegal": "false"}).context["object_list"]
    assert illegal not in legal and unit_of_a in legal


def _unit_data(fire_dept, **fields) -> dict:
    data = {
        "name": "鸿兴机械厂",
        "category": factories.category("industrial").pk,
        "area": factories.area().pk,
        "address": "兴华南街1号",
        "lead_department": fire_dept.pk,
        "legal_rep": "李四",
        "legal_rep_phone": "13800138000",
        "status": "operating",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("confirm", [False, True])
def test_transposed_code_shows_the_18th_character_error_first(login, office, fire_dept, confirm):
    # 91330100716105852F with its last two characters swapped: both check characters are wrong.
    code = "9133010071610585F2"
    assert credit_code_warning(code) is not None and credit_code_error(code) is not None
    data = _unit_data(fire_dept, credit_code=code)
    if confirm:
        data["confirm_org_code"] = "on"
    response = login(office).post(reverse("units:create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["credit_code"] == [credit_code_error(code)]
    assert "第18位" in credit_code_error(code)
    assert not Unit.objects.filter(name="鸿兴机械厂").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["123", "9133", "91330100716105852", "9133010071610585"])
def test_short_credit_code_is_a_form_error_not_a_server_error(login, office, fire_dept, code):
    response = login(office).post(reverse("units:create"), _unit_data(fire_dept, credit_code=code))
    assert response.status_code == 200
    assert response.context["form"].errors["credit_code"] == [
        f"统一社会信用代码应为18位，当前为{len(code)}位"
    ]
