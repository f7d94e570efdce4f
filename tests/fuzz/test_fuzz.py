"""Property-based: crafted input never produces a server error or a half-saved record.

Forms get junk in every field, list pages junk in every filter parameter, the unit import junk in
every cell. The test client re-raises a view's exception, so a 500 fails the test with its
traceback. Examples are few (FUZZ_EXAMPLES) so the suite stays fast; hypothesis shrinks any
failure to the smallest input that shows it.
"""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from inspections.models import Accident, Campaign, EnforcementAction
from units.models import Unit

FUZZ_EXAMPLES = 20
fuzz = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What a browser, a script or an attacker may send in a field: text of any script, numbers far
# beyond any column, dates that are no dates, ids of nothing, NUL bytes, HTML.
junk = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "9" * 20,
            "1e309",
            "NaN",
            "2026-02-30",
            "2026-13-01",
            "true",
            "<script>",
            "\x00",
            "１２３",
            "91210106MA0000000X",
            "%",
            "'",
            "[]",
            "{}",
        ]
    ),
)


def form_data(fields: list[str]):
    return st.fixed_dictionaries({}, optional={name: junk for name in fields})


def no_nul(data: dict) -> dict:
    # The test client cannot encode NUL in a multipart body; it is covered in GET parameters.
    return {k: v.replace("\x00", "") for k, v in data.items()}


UNIT_FIELDS = [
    "name",
    "credit_code",
    "category",
    "area",
    "address",
    "lead_department",
    "legal_rep",
    "legal_rep_phone",
    "safety_contact",
    "safety_contact_phone",
    "is_illegal",
    "confirm_org_code",
]


@pytest.mark.django_db
@fuzz
@given(data=form_data(UNIT_FIELDS))
def test_the_unit_form_refuses_junk_without_an_error_page(login, office, data):
    client = login(office)
    before = Unit.objects.count()
    response = client.post(reverse("units:create"), no_nul(data))
    assert response.status_code in (200, 302)
    assert Unit.objects.count() == before + (response.status_code == 302)


@pytest.mark.django_db
@fuzz
@given(
    accident=form_data(
        [
            "unit_lookup",
            "area",
            "occurred_on",
            "kind",
            "deaths",
            "injuries",
            "direct_loss",
            "description",
        ]
    ),
    campaign=form_data(["name", "start_date", "end_date", "categories", "areas", "description"]),
    enforcement=form_data(
        [
            "kind",
            "decided_on",
            "department",
            "document_number",
            "fine_amount",
            "inspection",
            "hazards",
            "note",
        ]
    ),
)
def test_registry_forms_refuse_junk_and_save_all_or_nothing(
    login, office, unit_of_a, accident, campaign, enforcement
):
    client = login(office)
    counts = [m.objects.count() for m in (Accident, Campaign, EnforcementAction)]
    answers = [
        client.post(reverse("accident_create"), no_nul(accident)),
        client.post(reverse("campaign_create"), no_nul(campaign)),
        client.post(f"{reverse('enforcement_create')}?unit={unit_of_a.pk}", no_nul(enforcement)),
    ]
    for model, before, response in zip(
        (Accident, Campaign, EnforcementAction), counts, answers, strict=True
    ):
        assert response.status_code in (200, 302, 400), model
        assert model.objects.count() == before + (response.status_code == 302), model


def filtered_lists() -> dict[str, list[str]]:
    """Every parameterless page declared as a FilteredListView, with its FilterSet's parameters:
    a list added later is fuzzed without touching this file."""
    from django.urls import resolve

    from anjian.lists import FilteredListView
    from tests.world import routes

    found = {}
    for route in routes():
        if route.params or route.key.startswith(("admin", "api")):
            continue
        view = getattr(resolve(route.path({})).func, "view_class", None)
        if view is not None and issubclass(view, FilteredListView) and view.filterset_class:
            names = list(view.filterset_class.base_filters)
            found[route.key] = names + ["page", "page_size", "sort"]
    return found


# The dashboard and the audit's change list (keyset pages, audit/trail.py) are not list views;
# their filter forms' parameters.
OTHER_FILTERS = {
    "audit:list": ["model", "obj", "user", "date_from", "date_to", "before"],
    "dashboard": [
        "period",
        "year",
        "month",
        "quarter",
        "start",
        "end",
        "area",
        "department",
        "campaign",
    ],
}


def test_the_fuzzed_lists_include_the_main_ones():
    assert {"units:list", "hazard_list", "inspection_list"} <= set(filtered_lists())
    assert "audit:list" in OTHER_FILTERS


@pytest.mark.django_db
@fuzz
@given(params=st.data())
def test_list_filters_answer_junk_parameters_with_a_page(login, office, inspector_a, params):
    lists = {**filtered_lists(), **OTHER_FILTERS}
    name = params.draw(st.sampled_from(sorted(lists)))
    query = params.draw(form_data(lists[name]))
    user = params.draw(st.sampled_from([office, inspector_a]))
    response = login(user).get(reverse(name), query)
    # 404: a page number past the end (or 0) is "no such page", as Django's lists answer it.
    assert response.status_code in (200, 302, 400, 403, 404), (name, query)


HEADERS = [
    "单位名称",
    "统一社会信用代码",
    "行业类别",
    "属地（街道）",
    "地址",
    "第一责任人",
    "联系电话",
    "安全联系人",
    "安全联系人电话",
    "牵头部门",
    "经营状态",
    "是否非法场所",
]
cell = st.one_of(
    junk.map(lambda v: v.replace("\x00", "")),
    st.sampled_from(
        ["工矿企业", "兴华街道", "消防", "在营", "停产整顿", "是", "否", "张三", "13800138000"]
    ),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
)


def _sheet(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for values in rows:
        try:
            sheet.append(values)
        except (ValueError, TypeError, IllegalCharacterError):  # not storable in a sheet at all
            sheet.append([None] * len(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
@fuzz
@given(rows=st.lists(st.lists(cell, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=4))
def test_the_unit_import_takes_junk_rows_all_or_nothing(login, office, settings, tmp_path, rows):
    settings.MEDIA_ROOT = tmp_path
    client = login(office)
    before = Unit.objects.count()
    upload = SimpleUploadedFile("台账.xlsx", _sheet(rows))
    assert client.post(reverse("units:import"), {"file": upload}).status_code in (200, 302)
    preview = client.get(reverse("units:import_preview"))
    assert preview.status_code in (200, 302)
    state = client.session.get("unit_import")
    if state and state.get("token"):
        done = client.post(reverse("units:import_confirm"), {"token": state["token"]})
        assert done.status_code in (200, 302)
        report = preview.context and preview.context.get("report")
        if done.status_code == 302 and report is not None and report.ok:
            assert Unit.objects.count() == before + len(report.units)
        else:
            assert Unit.objects.count() == before
