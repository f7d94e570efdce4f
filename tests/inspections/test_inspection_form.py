"""Logging an inspection: the phone form, drafts, submission rules, immutability, the unit
search, and the list/detail pages' query counts."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections.models import Hazard, HazardPhoto, Inspection
from tests import factories

NEW = "/inspections/new/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def jpeg(name: str = "site.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "orange").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def a_hazard(**fields) -> dict:
    today = timezone.localdate()
    values = {
        "description": "二楼安全出口被货物堵塞",
        "hazard_type": "fire",
        "level": "general",
        "location": "二楼东侧",
        "legal_basis": "《消防法》第二十八条",
        "deadline": (today + datetime.timedelta(days=7)).isoformat(),
        "deadline_working_days": "",
        "lead_department": "",
        "disposal": "",
    }
    values.update(fields)
    return values


def form_data(
    unit,
    *,
    hazards=(),
    action="submit",
    date=None,
    no_hazards=False,
    checked_items="消防通道、灭火器、用电线路",
    initial=0,
    **extra,
) -> dict:
    data = {
        "unit": unit.pk if unit else "",
        "date": (date or timezone.localdate()).isoformat(),
        "kind": "routine",
        "campaign": "",
        "checked_items": checked_items,
        "summary": "现场检查",
        "hazards-TOTAL_FORMS": str(len(hazards)),
        "hazards-INITIAL_FORMS": str(initial),
        "hazards-MIN_NUM_FORMS": "0",
        "hazards-MAX_NUM_FORMS": "1000",
        action: "1",
    }
    if no_hazards:
        data["no_hazards"] = "on"
    for index, hazard in enumerate(hazards):
        for key, value in hazard.items():
            if key == "fixed_on_spot" and not value:
                continue
            data[f"hazards-{index}-{key}"] = value
    data.update(extra)
    return data


def errors_of(response) -> str:
    return response.content.decode()


def assert_nothing_saved(media_root=None):
    assert not Inspection.objects.exists()
    assert not Hazard.objects.exists()
    assert not HazardPhoto.objects.exists()
    if media_root is not None:
        assert stored_files(media_root) == []


def refused_as_draft(client, response):
    """A submission refused for missing content: the POST was kept as a draft (photos too) and
    the browser is sent to its edit page, which lists what is missing. Returns that page."""
    inspection = Inspection.objects.get()
    assert inspection.status == Inspection.Status.DRAFT
    assert not Hazard.objects.exclude(status=Hazard.Status.DRAFT).exists()
    assert response.status_code == 302
    assert response["Location"] == reverse("inspection_edit", args=[inspection.pk]) + "?check"
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page


def discard_drafts() -> None:
    """Between two attempts in one test: the refused one left its draft behind."""
    HazardPhoto.objects.all().delete()
    Hazard.objects.all().delete()
    Inspection.objects.all().delete()


# --- the happy path ---------------------------------------------------------------------------


def test_inspector_submits_inspection_with_two_hazards_and_a_photo(
    login, inspector_a, inspector_a2, unit_of_a, media_root
):
    client = login(inspector_a)
    data = form_data(
        unit_of_a,
        hazards=[
            a_hazard(photos=jpeg()),
            a_hazard(
                description="配电箱无门",
                level="major",
                major_basis="GB 35181-2017 直接判定：人员密集场所安全出口数量不足",
            ),
        ],
        inspectors=[inspector_a2.pk],
    )
    response = client.post(NEW, data)

    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inspection_detail", args=[inspection.pk])
    assert inspection.status == Inspection.Status.SUBMITTED
    assert inspection.department == inspector_a.department
    assert set(inspection.inspectors.all()) == {inspector_a, inspector_a2}
    hazards = list(inspection.hazards.order_by("pk"))
    assert [h.status for h in hazards] == ["registered", "registered"]
    assert all(h.number.startswith(f"YH-{timezone.localdate().year}-") for h in hazards)
    # The lead department defaults to the unit's.
    assert {h.lead_department_id for h in hazards} == {unit_of_a.lead_department_id}
    assert hazards[0].photos.count() == 1 and hazards[1].photos.count() == 0
    assert len(stored_files(media_root)) == 2  # photo and thumbnail


def test_current_user_is_always_an_inspector(login, inspector_a, unit_of_a):
    login(inspector_a).post(NEW, form_data(unit_of_a, hazards=[a_hazard()]))
    assert list(Inspection.objects.get().inspectors.all()) == [inspector_a]


def test_co_inspectors_offered_are_of_the_users_department(
    login, inspector_a, inspector_a2, inspector_b
):
    response = login(inspector_a).get(NEW)
    choices = {u.pk for u in response.context["form"].fields["inspectors"].queryset}
    assert choices == {inspector_a2.pk}


def test_form_renders_for_phone_camera(login, inspector_a):
    html = login(inspector_a).get(NEW).content.decode()
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert "保存草稿" in html and "提交" in html and "添加隐患" in html
    assert 'id="hazard-template"' in html
    assert f'name="date" value="{timezone.localdate().isoformat()}"' in html


def test_leader_may_not_log_inspections(login, leader):
    assert login(leader).get(NEW).status_code == 403


def test_unit_preselected_from_query_only_when_in_scope(login, inspector_a, unit_of_a, unit_of_b):
    client = login(inspector_a)
    assert client.get(f"{NEW}?unit={unit_of_a.pk}").context["selected_unit"] == unit_of_a
    assert client.get(f"{NEW}?unit={unit_of_b.pk}").context["selected_unit"] is None


# --- submission rules (说具体、讲明白) ----------------------------------------------------------


def test_unit_outside_scope_is_refused(login, inspector_a, unit_of_b):
    response = login(inspector_a).post(NEW, form_data(unit_of_b, hazards=[a_hazard()]))
    assert response.status_code == 200
    assert "所选单位不存在或不在您的检查范围内" in errors_of(response)
    assert_nothing_saved()


def test_unit_is_required(login, inspector_a):
    response = login(inspector_a).post(NEW, form_data(None, hazards=[a_hazard()]))
    assert "请选择被检查单位" in errors_of(response)
    assert_nothing_saved()


def test_date_in_the_future_is_refused(login, inspector_a, unit_of_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = login(inspector_a).post(
        NEW, form_data(unit_of_a, date=tomorrow, hazards=[a_hazard()])
    )
    assert response.context["form"].errors["date"] == ["检查日期不能晚于今天"]
    assert_nothing_saved()


def test_hazard_without_description_is_refused_on_submit(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    response = client.post(
        NEW, form_data(unit_of_a, hazards=[a_hazard(), a_hazard(description="")])
    )
    forms = refused_as_draft(client, response).context["formset"].forms
    assert forms[1].errors["description"] == ["请描述隐患（部位、问题）"]
    assert not forms[0].errors


@pytest.mark.parametrize("description", ["堵塞", "消防隐患", " 火灾！ ", "a b c"])
def test_one_word_description_is_refused_on_submit(login, inspector_a, unit_of_a, description):
    client = login(inspector_a)
    response = client.post(NEW, form_data(unit_of_a, hazards=[a_hazard(description=description)]))
    errors = refused_as_draft(client, response).context["formset"].forms[0].errors
    assert errors["description"] == [
        "隐患描述过于简单：请写明部位和存在的问题（不少于5个字），例如“二楼安全出口被货物堵塞”"
    ]


def test_short_but_specific_description_is_accepted(login, inspector_a, unit_of_a):
    response = login(inspector_a).post(
        NEW, form_data(unit_of_a, hazards=[a_hazard(description="配电箱无门")])
    )
    assert response.status_code == 302
    assert Hazard.objects.get().status == Hazard.Status.REGISTERED


def test_hazard_without_level_or_type_is_refused(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    response = client.post(NEW, form_data(unit_of_a, hazards=[a_hazard(level="", hazard_type="")]))
    errors = refused_as_draft(client, response).context["formset"].forms[0].errors
    assert errors["level"] == ["请选择隐患等级"]
    assert errors["hazard_type"] == ["请选择隐患类别"]


def test_hazard_without_deadline_is_refused_unless_fixed_on_spot(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    response = client.post(NEW, form_data(unit_of_a, hazards=[a_hazard(deadline="")]))
    page = refused_as_draft(client, response)
    assert page.context["formset"].forms[0].errors["deadline"] == [
        "请填写整改期限（立即整改的除外）"
    ]
    discard_drafts()

    response = client.post(
        NEW, form_data(unit_of_a, hazards=[a_hazard(deadline="", fixed_on_spot="on")])
    )
    assert response.status_code == 302
    assert Hazard.objects.get().status == Hazard.Status.AWAITING_VERIFICATION


def test_deadline_before_inspection_date_is_refused(login, inspector_a, unit_of_a):
    date = timezone.localdate() - datetime.timedelta(days=5)
    early = (date - datetime.timedelta(days=1)).isoformat()
    response = login(inspector_a).post(
        NEW, form_data(unit_of_a, date=date, hazards=[a_hazard(deadline=early)])
    )
    assert response.context["formset"].forms[0].errors["deadline"] == ["整改期限不能早于检查日期"]
    assert_nothing_saved()


def test_both_deadline_and_working_days_is_refused(login, inspector_a, unit_of_a):
    response = login(inspector_a).post(
        NEW, form_data(unit_of_a, hazards=[a_hazard(deadline_working_days="5")])
    )
    assert "整改期限请填日期或工作日数，二选一" in errors_of(response)
    assert_nothing_saved()


def test_inspection_without_hazards_must_say_so_and_list_what_was_checked(
    login, inspector_a, unit_of_a
):
    client = login(inspector_a)
    response = client.post(NEW, form_data(unit_of_a))
    page = refused_as_draft(client, response)
    assert page.context["form"].errors["no_hazards"] == ["未登记隐患时须明确勾选“未发现隐患”"]
    discard_drafts()

    response = client.post(NEW, form_data(unit_of_a, no_hazards=True, checked_items=" "))
    page = refused_as_draft(client, response)
    assert page.context["form"].errors["checked_items"] == [
        "未发现隐患时须写明检查了哪些部位、项目"
    ]
    discard_drafts()

    response = client.post(NEW, form_data(unit_of_a, no_hazards=True))
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.status == Inspection.Status.SUBMITTED and inspection.no_hazards


def test_hazard_at_illegal_site_must_carry_closure(login, inspector_a, fire_dept):
    site = factories.unit(
        category=factories.category("furniture-market"),
        lead_department=fire_dept,
        is_illegal=True,
        credit_code="",
    )
    client = login(inspector_a)
    response = client.post(NEW, form_data(site, hazards=[a_hazard(deadline="")]))
    assert refused_as_draft(client, response).context["formset"].forms[0].errors["disposal"] == [
        "非法场所（黑窝点）的隐患只能处置为“关闭取缔”"
    ]
    discard_drafts()

    response = client.post(NEW, form_data(site, hazards=[a_hazard(deadline="", disposal="close")]))
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert (hazard.status, hazard.disposal) == (Hazard.Status.DISPOSAL, Hazard.Disposal.CLOSE)


def test_disposal_is_ignored_at_a_legal_unit(login, inspector_a, unit_of_a):
    login(inspector_a).post(NEW, form_data(unit_of_a, hazards=[a_hazard(disposal="close")]))
    assert Hazard.objects.get().disposal == ""


# --- nothing half-saved -----------------------------------------------------------------------


def test_invalid_photo_saves_nothing_and_asks_to_choose_photos_again(
    login, inspector_a, unit_of_a, media_root
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("fake.jpg", b"just text", content_type="image/jpeg")
    data = form_data(unit_of_a, hazards=[a_hazard(photos=jpeg()), a_hazard(photos=fake)])
    response = login(inspector_a).post(NEW, data)

    assert response.status_code == 200
    assert response.context["formset"].forms[1].errors["photos"] == [
        "fake.jpg：只能上传 JPG/PNG/HEIC 图片"
    ]
    assert "已选择的照片需要重新选择" in errors_of(response)
    assert_nothing_saved(media_root)


def test_refused_submission_keeps_the_post_and_its_photos_as_a_draft(
    login, inspector_a, unit_of_a, media_root
):
    client = login(inspector_a)
    data = form_data(unit_of_a, hazards=[a_hazard(photos=jpeg()), a_hazard(deadline="")])
    page = refused_as_draft(client, client.post(NEW, data))

    assert "已填写的内容和照片已保存为草稿" in errors_of(page)
    first, second = Hazard.objects.order_by("pk")
    assert first.photos.count() == 1 and len(stored_files(media_root)) == 2  # photo + thumb
    assert page.context["formset"].forms[1].errors["deadline"] == [
        "请填写整改期限（立即整改的除外）"
    ]
    assert 'data-testid="saved-photos"' in errors_of(page)
    # Submitting the completed draft registers both hazards, the photo with them.
    data = form_data(
        unit_of_a,
        hazards=[a_hazard(id=first.pk), a_hazard(id=second.pk)],
        initial=2,
    )
    response = client.post(reverse("inspection_edit", args=[first.inspection_id]), data)
    assert response.status_code == 302
    assert set(Hazard.objects.values_list("status", flat=True)) == {Hazard.Status.REGISTERED}
    assert HazardPhoto.objects.get().hazard == first


def test_malformed_post_lists_the_missing_content_too(login, inspector_a, unit_of_a):
    """A future date (malformed) and a hazard without level (incomplete): both in one round."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = form_data(unit_of_a, date=tomorrow, hazards=[a_hazard(level="", description="堵塞")])
    response = login(inspector_a).post(NEW, data)
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == ["检查日期不能晚于今天"]
    errors = response.context["formset"].forms[0].errors
    assert errors["level"] == ["请选择隐患等级"]
    assert errors["description"][0].startswith("隐患描述过于简单")
    assert_nothing_saved()


def test_major_hazard_without_its_basis_is_refused_next_to_the_field(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    response = client.post(
        NEW, form_data(unit_of_a, hazards=[a_hazard(level="major", major_basis="  ")])
    )
    page = refused_as_draft(client, response)
    errors = page.context["formset"].forms[0].errors
    assert errors["major_basis"] == ["重大隐患须写明判定依据（标准条款或判定理由）"]
    html = page.content.decode()
    field = html.split('data-field="major_basis"')[1].split('data-field="deadline"')[0]
    assert "重大隐患须写明判定依据" in field  # next to the field, not only at the top
    # A general hazard needs none.
    discard_drafts()
    response = client.post(NEW, form_data(unit_of_a, hazards=[a_hazard(major_basis="")]))
    assert response.status_code == 302 and Hazard.objects.get().status == "registered"


def test_major_hazard_with_its_basis_is_registered_with_it(login, inspector_a, unit_of_a):
    basis = "《工贸企业重大事故隐患判定标准》：有限空间作业未审批、未检测"
    response = login(inspector_a).post(
        NEW, form_data(unit_of_a, hazards=[a_hazard(level="major", major_basis=basis)])
    )
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert (hazard.status, hazard.level, hazard.major_basis) == ("registered", "major", basis)
    detail = login(inspector_a).get(reverse("hazard_detail", args=[hazard.pk])).content.decode()
    assert basis in detail


def test_a_draft_may_leave_level_and_major_basis_open(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    data = form_data(
        unit_of_a,
        action="save_draft",
        hazards=[a_hazard(level=""), a_hazard(level="major", major_basis="")],
    )
    response = client.post(NEW, data)
    inspection = Inspection.objects.get()
    assert response["Location"] == reverse("inspection_edit", args=[inspection.pk])
    assert sorted(Hazard.objects.values_list("status", "level")) == [
        ("draft", ""),
        ("draft", "major"),
    ]


def test_a_malformed_draft_lists_only_what_is_malformed(login, inspector_a, unit_of_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = form_data(unit_of_a, action="save_draft", date=tomorrow, hazards=[a_hazard(level="")])
    response = login(inspector_a).post(NEW, data)
    assert response.context["form"].errors["date"] == ["检查日期不能晚于今天"]
    assert not response.context["formset"].forms[0].errors
    assert_nothing_saved()


# --- drafts -----------------------------------------------------------------------------------


def test_draft_saves_incomplete_hazards_then_submits_from_edit(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    response = client.post(
        NEW,
        form_data(unit_of_a, action="save_draft", hazards=[a_hazard(description="", deadline="")]),
    )
    inspection = Inspection.objects.get()
    assert response["Location"] == reverse("inspection_edit", args=[inspection.pk])
    assert inspection.status == Inspection.Status.DRAFT
    hazard = Hazard.objects.get()
    assert (hazard.status, hazard.number, hazard.description) == ("draft", None, "")

    edit = reverse("inspection_edit", args=[inspection.pk])
    page = client.get(edit)
    assert page.status_code == 200 and len(page.context["formset"].forms) == 1

    data = form_data(unit_of_a, hazards=[a_hazard(id=hazard.pk)], initial=1)
    response = client.post(edit, data)
    assert response.status_code == 302
    hazard.refresh_from_db()
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.SUBMITTED
    assert hazard.status == Hazard.Status.REGISTERED and hazard.number
    assert hazard.description == "二楼安全出口被货物堵塞"


def test_failed_submit_of_a_draft_saves_the_draft_and_registers_nothing(
    login, inspector_a, unit_of_a
):
    client = login(inspector_a)
    client.post(NEW, form_data(unit_of_a, action="save_draft", hazards=[a_hazard()]))
    inspection = Inspection.objects.get()
    hazard = Hazard.objects.get()
    edit = reverse("inspection_edit", args=[inspection.pk])

    data = form_data(
        unit_of_a,
        hazards=[a_hazard(id=hazard.pk, deadline="", location="改过的部位"), a_hazard()],
        initial=1,
    )
    response = client.post(edit, data)

    page = refused_as_draft(client, response)
    assert page.context["formset"].forms[0].errors["deadline"]
    hazard.refresh_from_db()
    assert hazard.location == "改过的部位" and hazard.status == "draft" and not hazard.number
    assert Hazard.objects.count() == 2
    assert not hazard.events.exists()


def test_draft_hazard_can_be_deleted(
    login, inspector_a, unit_of_a, media_root, django_capture_on_commit_callbacks
):
    client = login(inspector_a)
    client.post(NEW, form_data(unit_of_a, action="save_draft", hazards=[a_hazard(photos=jpeg())]))
    inspection = Inspection.objects.get()
    hazard = Hazard.objects.get()
    assert len(stored_files(media_root)) == 2
    data = form_data(
        unit_of_a,
        action="save_draft",
        hazards=[a_hazard(id=hazard.pk, DELETE="on")],
        initial=1,
    )
    # The files go only once the deletion is committed.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inspection_edit", args=[inspection.pk]), data)
    assert not Hazard.objects.exists() and not HazardPhoto.objects.exists()
    assert stored_files(media_root) == []


def test_draft_is_private_to_its_author(login, inspector_a, inspector_a2, office, unit_of_a):
    login(inspector_a).post(NEW, form_data(unit_of_a, action="save_draft", hazards=[a_hazard()]))
    pk = Inspection.objects.get().pk
    for other in (inspector_a2, office):
        assert login(other).get(reverse("inspection_detail", args=[pk])).status_code == 404


# --- immutability -----------------------------------------------------------------------------


def test_submitted_inspection_cannot_be_edited(login, inspector_a, unit_of_a):
    client = login(inspector_a)
    client.post(NEW, form_data(unit_of_a, hazards=[a_hazard()]))
    inspection = Inspection.objects.get()
    hazard = Hazard.objects.get()
    edit = reverse("inspection_edit", args=[inspection.pk])

    response = client.get(edit, follow=True)
    assert response.redirect_chain[-1][0] == reverse("inspection_detail", args=[inspection.pk])
    assert "不能再修改" in response.content.decode()

    data = form_data(unit_of_a, hazards=[a_hazard(id=hazard.pk, description="改写")], initial=1)
    response = client.post(edit, data)
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.description == "二楼安全出口被货物堵塞"


def test_inspector_of_other_department_gets_404_on_inspection(
    login, inspector_a, inspector_b, unit_of_a
):
    login(inspector_a).post(NEW, form_data(unit_of_a, hazards=[a_hazard()]))
    pk = Inspection.objects.get().pk
    client = login(inspector_b)
    for name in ("inspection_detail", "inspection_print", "inspection_edit"):
        assert client.get(reverse(name, args=[pk])).status_code == 404


# --- working days -----------------------------------------------------------------------------


def test_deadline_in_working_days_counts_from_inspection_date_over_holidays(
    login, inspector_a, unit_of_a
):
    # After 2025-09-30: 10月1日–8日 National Day/Mid-Autumn off, Sat 10月11日 a make-up workday.
    data = form_data(
        unit_of_a,
        date=datetime.date(2025, 9, 30),
        hazards=[a_hazard(deadline="", deadline_working_days="3")],
    )
    response = login(inspector_a).post(NEW, data)
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert hazard.deadline == datetime.date(2025, 10, 11)
    assert hazard.deadline_working_days == 3


# --- unit search ------------------------------------------------------------------------------


def test_unit_search_finds_by_name_code_and_address_within_scope(
    login, inspector_a, unit_of_a, unit_of_b
):
    client = login(inspector_a)
    url = reverse("inspection_unit_search")
    for term in (unit_of_a.name, unit_of_a.credit_code[-6:].lower(), unit_of_a.address):
        results = client.get(url, {"q": term}).json()["results"]
        assert [r["id"] for r in results] == [unit_of_a.pk], term
    assert results[0]["lead_department"] == unit_of_a.lead_department_id
    assert client.get(url, {"q": unit_of_b.name}).json()["results"] == []
    assert client.get(url, {"q": "测试"}).json()["results"] == [
        client.get(url, {"q": unit_of_a.name}).json()["results"][0]
    ]
    assert client.get(url, {"q": ""}).json()["results"] == []


def test_unit_search_returns_at_most_20(login, inspector_a, fire_dept):
    category = factories.category("furniture-market")
    for _ in range(25):
        factories.unit(category=category, lead_department=fire_dept)
    results = login(inspector_a).get(reverse("inspection_unit_search"), {"q": "测试"}).json()
    assert len(results["results"]) == 20


# --- list, detail, print ----------------------------------------------------------------------


def make_inspections(unit, by, colleague, count: int) -> None:
    for _ in range(count):
        inspection = factories.inspection(unit, by)
        inspection.inspectors.add(colleague)
        factories.hazard(unit, by, inspection=inspection)


def test_list_shows_mine_and_my_departments_only(
    login, inspector_a, inspector_a2, inspector_b, unit_of_a, unit_of_b
):
    make_inspections(unit_of_a, inspector_a2, inspector_a2, 1)
    factories.inspection(unit_of_b, inspector_b)
    response = login(inspector_a).get(reverse("inspection_list"))
    assert [i.unit for i in response.context["object_list"]] == [unit_of_a]


def test_list_filters_by_kind_status_date_and_unit(login, office, inspector_a, unit_of_a):
    today = timezone.localdate()
    old = factories.inspection(unit_of_a, inspector_a, date=today - datetime.timedelta(days=40))
    recent = factories.inspection(unit_of_a, inspector_a, kind="special")
    client = login(office)
    url = reverse("inspection_list")

    def pks(**params):
        return {i.pk for i in client.get(url, params).context["object_list"]}

    assert pks() == {old.pk, recent.pk}
    assert pks(kind="special") == {recent.pk}
    assert pks(date_from=(today - datetime.timedelta(days=20)).isoformat()) == {recent.pk}
    assert pks(date_to=(today - datetime.timedelta(days=20)).isoformat()) == {old.pk}
    assert pks(q=unit_of_a.name) == {old.pk, recent.pk}
    assert pks(q="没有这个单位") == set()
    assert pks(status="draft") == set()


def test_list_query_count_does_not_grow_with_rows(
    login, inspector_a, inspector_a2, unit_of_a, django_assert_max_num_queries
):
    client = login(inspector_a)
    url = reverse("inspection_list")
    make_inspections(unit_of_a, inspector_a, inspector_a2, 2)
    # session, user, count, page ids, page rows, inspectors (prefetch), navigation (department,
    # unread count)
    with django_assert_max_num_queries(8) as few:
        assert client.get(url).status_code == 200
    make_inspections(unit_of_a, inspector_a, inspector_a2, 8)
    with django_assert_max_num_queries(8) as many:
        response = client.get(url)
    assert len(response.context["object_list"]) == 10
    assert len(many.captured_queries) == len(few.captured_queries)


# The detail page lists the inspection's documents (现场文书) in one more query.
@pytest.mark.parametrize(("name", "queries"), [("inspection_detail", 9), ("inspection_print", 7)])
def test_detail_query_count_does_not_grow_with_hazards(
    login, inspector_a, unit_of_a, django_assert_max_num_queries, name, queries
):
    from inspections import photos

    client = login(inspector_a)
    inspection = factories.inspection(unit_of_a, inspector_a)
    hazard = factories.hazard(unit_of_a, inspector_a, inspection=inspection)
    photos.save_photo(hazard=hazard, upload=jpeg(), kind="before", user=inspector_a)
    url = reverse(name, args=[inspection.pk])
    with django_assert_max_num_queries(queries) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        more = factories.hazard(unit_of_a, inspector_a, inspection=inspection)
        photos.save_photo(hazard=more, upload=jpeg(), kind="before", user=inspector_a)
    with django_assert_max_num_queries(queries) as many:
        response = client.get(url)
    assert len(response.context["hazards"]) == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_print_page_is_an_a4_record(login, inspector_a, unit_of_a):
    login(inspector_a).post(NEW, form_data(unit_of_a, hazards=[a_hazard()]))
    inspection = Inspection.objects.get()
    html = login(inspector_a).get(reverse("inspection_print", args=[inspection.pk])).content
    html = html.decode()
    assert "size: A4" in html and "安全生产检查记录" in html
    assert inspection.hazards.get().number in html and unit_of_a.name in html


def test_home_shows_log_inspection_button_to_inspectors_only(login, inspector_a, leader):
    assert "登记检查" in login(inspector_a).get("/").content.decode()
    assert 'data-testid="log-inspection"' not in login(leader).get("/").content.decode()


def test_list_counts_hazards_per_row_and_sorts_by_them(login, office, inspector_a, unit_of_a):
    counts = {}
    for n in (0, 3, 1):
        inspection = factories.inspection(unit_of_a, inspector_a)
        for _ in range(n):
            factories.hazard(unit_of_a, inspector_a, inspection=inspection)
        counts[inspection.pk] = n
    client = login(office)
    rows = client.get(reverse("inspection_list")).context["object_list"]
    assert {i.pk: i.hazard_count for i in rows} == counts
    rows = client.get(reverse("inspection_list"), {"sort": "-hazards"}).context["object_list"]
    assert [i.hazard_count for i in rows] == [3, 1, 0]


def test_list_counts_hazards_for_the_page_only(
    login, office, inspector_a, unit_of_a, django_assert_max_num_queries
):
    """At 1M hazards a count per inspection over every visible inspection took seconds."""
    make_inspections(unit_of_a, inspector_a, inspector_a, 3)
    client = login(office)
    with django_assert_max_num_queries(8) as captured:
        assert client.get(reverse("inspection_list")).status_code == 200
    scanning = [
        q["sql"]
        for q in captured.captured_queries
        if '"inspections_hazard"' in q["sql"] and " IN (" not in q["sql"]
    ]
    assert scanning == []
