"""Export of the filtered unit list to .xlsx: same scope, filters and order as /units/."""

import io

import openpyxl
import pgtrigger
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from units.models import Unit
from units.xlsx import COLUMNS


def export(client, params=None) -> list[list]:
    response = client.get(reverse("units:export"), params or {})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(r) for r in workbook.active.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_export_rows_equal_the_filtered_sorted_list(login, office):
    chemical = factories.category("chemical")
    for n in range(5):
        factories.unit(name=f"化工{n}", category=chemical)
    factories.unit(name="化工停产", category=chemical, status=Unit.Status.SUSPENDED)
    factories.unit(name="机械厂", category=factories.category("industrial"))
    client = login(office)
    params = {"category": chemical.pk, "status": "operating", "sort": "-name"}
    listed = client.get(reverse("units:list"), {**params, "page_size": 200})
    expected = [u.name for u in listed.context["object_list"]]
    assert len(expected) == 5

    rows = export(client, params)
    assert rows[0] == [c.header for c in COLUMNS] + ["更新时间"]
    assert [r[0] for r in rows[1:]] == expected == sorted(expected, reverse=True)
    first = Unit.objects.get(name=rows[1][0])
    assert rows[1][1:12] == [
        first.credit_code,
        "医药化工企业",
        first.area.name,
        first.address,
        "张三",
        "13800138000",
        None,
        None,
        "应急管理局",
        "在营",
        "否",
    ]


@pytest.mark.django_db
def test_inspector_of_another_department_does_not_get_the_unit(
    login, inspector_a, inspector_b, unit_of_a, unit_of_b
):
    assert [r[0] for r in export(login(inspector_b))[1:]] == [unit_of_b.name]
    # A filter naming the other department's unit cannot widen the scope.
    assert export(login(inspector_b), {"q": unit_of_a.name})[1:] == []
    assert [r[0] for r in export(login(inspector_a))[1:]] == [unit_of_a.name]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["supervisor", "leader", "office"])
def test_roles_that_see_everything_export_everything(
    request, client, persona, unit_of_a, unit_of_b
):
    client.force_login(request.getfixturevalue(persona))
    assert {r[0] for r in export(client)[1:]} == {unit_of_a.name, unit_of_b.name}


@pytest.mark.django_db
def test_export_query_count_does_not_grow_with_rows(login, office, django_assert_max_num_queries):
    client = login(office)
    factories.unit()
    counts = []
    for total in (1, 121):
        while Unit.objects.count() < total:
            factories.unit(category=factories.category("chemical"))
        # session, user, the rows in one query (no page is rendered, so no navigation), and
        # the access log's row for the download.
        with django_assert_max_num_queries(4) as captured:
            assert len(export(client)) == total + 1
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_an_export_imports_back_unchanged(login, office, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    factories.unit(name="甲厂", safety_contact="李四", safety_contact_phone="024-12345678")
    factories.unit(
        name="北二路3号楼",
        category=factories.category("residential"),
        credit_code="",
        is_illegal=True,
    )
    client = login(office)
    response = client.get(reverse("units:export"))
    content = b"".join(response.streaming_content)
    fields = ["name", "credit_code", "category", "area", "lead_department", "safety_contact_phone"]
    before = sorted(Unit.objects.values_list(*fields))
    # Units are never deleted in the app; the test clears the register to import it back.
    with pgtrigger.ignore("units.Unit:no_delete"):
        Unit.objects.all().delete()

    client.post(reverse("units:import"), {"file": SimpleUploadedFile("导出.xlsx", content)})
    preview = client.get(reverse("units:import_preview"))
    assert preview.context["report"].errors == []
    assert preview.context["report"].sheet.ignored == ["更新时间"]
    token = client.session["unit_import"]["token"]
    client.post(reverse("units:import_confirm"), {"token": token})
    assert sorted(Unit.objects.values_list(*fields)) == before
    assert Unit.objects.get(name="北二路3号楼").is_illegal
