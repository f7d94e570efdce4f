"""Bulletin pages: scope (drafts are the office's), figures ↔ ledger, downloads, immutability."""

import re
from html import unescape

import pytest
from django.urls import reverse

from inspections import bulletins
from inspections.models import Bulletin
from tests import factories

from .conftest import START, TODAY, signed

B = Bulletin.Status


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ready(district, office) -> Bulletin:
    built = bulletins.build(bulletins.create_bulletin(actor=office, start=START, end=TODAY).pk)
    assert built.status == B.READY, built.error
    return built


FIGURE = re.compile(
    r'<a class="fig" href="([^"?]*)\?([^"]*)" data-figure="[^"]*" data-value="(\d+)"'
)


def linked_figures(html: str) -> dict[str, int]:
    figures: dict[str, int] = {}
    for path, query, value in FIGURE.findall(html):
        assert path == reverse("hazard_list")
        query = unescape(query)
        assert figures.setdefault(query, int(value)) == int(value), query
    return figures


@pytest.mark.django_db
def test_every_linked_figure_equals_the_ledger_count(login, office, ready):
    client = login(office)
    response = client.get(reverse("bulletin_detail", args=[ready.pk]))
    assert response.status_code == 200
    figures = linked_figures(response.content.decode())
    # Summary, three tables of ten linked columns, plenty to check.
    assert len(figures) > 40
    assert any(v > 0 for v in figures.values())
    for query, value in figures.items():
        ledger = client.get(f"{reverse('hazard_list')}?{query}")
        assert ledger.status_code == 200, query
        assert ledger.context["paginator"].count == value, query


@pytest.mark.django_db
def test_linked_figures_of_a_scoped_bulletin_match_the_ledger(login, office, district, inspector_a):
    from inspections.models import Campaign

    campaign = Campaign.objects.create(
        name="夏季专项检查", start_date=START, end_date=TODAY, created_by=office
    )
    unit = factories.unit(category=factories.category("construction"), area=district.area_a)
    insp = factories.inspection(unit, inspector_a, date=TODAY, campaign=campaign)
    factories.hazard(unit, inspector_a, inspection=insp)
    draft = bulletins.create_bulletin(
        actor=office, start=START, end=TODAY, campaign=campaign, area=district.area_a
    )
    built = bulletins.build(draft.pk)
    client = login(office)
    figures = linked_figures(
        client.get(reverse("bulletin_detail", args=[built.pk])).content.decode()
    )
    assert figures[built.stats["summary"]["found"]["query"]] == 1
    for query, value in figures.items():
        assert client.get(f"/hazards/?{query}").context["paginator"].count == value, query


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["leader", "inspector_a", "supervisor"])
def test_draft_is_404_for_everyone_but_the_office(request, client, persona, ready):
    client.force_login(request.getfixturevalue(persona))
    for name in ("bulletin_detail", "bulletin_pdf", "bulletin_attachment"):
        assert client.get(reverse(name, args=[ready.pk])).status_code == 404, name
    assert client.post(reverse("bulletin_circulate", args=[ready.pk])).status_code == 404
    listed = client.get(reverse("bulletin_list")).context["object_list"]
    assert ready not in listed


@pytest.mark.django_db
def test_non_office_cannot_open_the_new_bulletin_form(login, leader):
    assert login(leader).get(reverse("bulletin_create")).status_code == 403


@pytest.mark.django_db
def test_office_creates_a_bulletin_which_builds_on_commit(
    login, office, district, django_capture_on_commit_callbacks
):
    client = login(office)
    assert client.get(reverse("bulletin_create")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bulletin_create"), {"start": START.isoformat(), "end": TODAY.isoformat()}
        )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "bulletin_detail", args=[bulletin.pk]
    )
    assert bulletin.status == B.READY and bulletin.pdf


@pytest.mark.django_db
def test_create_form_rejects_an_inverted_period(login, office):
    response = login(office).post(
        reverse("bulletin_create"), {"start": "2026-06-15", "end": "2026-06-01"}
    )
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not Bulletin.objects.exists()


@pytest.mark.django_db
def test_circulate_then_leader_downloads_pdf_with_chinese_filename(
    login, client, office, leader, ready
):
    signed(ready.pk, office, leader)
    response = login(office).post(reverse("bulletin_circulate", args=[ready.pk]))
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.status == B.CIRCULATED and ready.number == "铁安委办〔2026〕1号"

    client.force_login(leader)
    home = client.get(reverse("home")).content.decode()
    assert "铁安委办〔2026〕1号" in home
    pdf = client.get(reverse("bulletin_pdf", args=[ready.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    disposition = pdf["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert "%E5%AE%89%E5%A7%94%E5%8A%9E" in disposition  # 安委办, percent-encoded UTF-8
    xlsx = client.get(reverse("bulletin_attachment", args=[ready.pk]))
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"


@pytest.mark.django_db
def test_circulated_bulletin_refuses_edit_and_second_circulation(login, office, leader, ready):
    signed(ready.pk, office, leader)
    client = login(office)
    client.post(reverse("bulletin_circulate", args=[ready.pk]))
    edit = client.post(
        reverse("bulletin_detail", args=[ready.pk]),
        {"narrative": "改", "praise_remarks": "", "criticism_remarks": "", "requirements": ""},
    )
    assert edit.status_code == 403
    again = client.post(reverse("bulletin_circulate", args=[ready.pk]), follow=True)
    assert "不能再次印发" in again.content.decode()
    regenerate = client.post(reverse("bulletin_regenerate", args=[ready.pk]), follow=True)
    assert "不能重新生成" in regenerate.content.decode()
    ready.refresh_from_db()
    assert ready.narrative != "改" and ready.seq == 1 and ready.status == B.CIRCULATED


@pytest.mark.django_db
def test_office_edits_the_text_before_circulating(
    login, office, ready, django_capture_on_commit_callbacks
):
    client = login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bulletin_detail", args=[ready.pk]),
            {
                "narrative": "一是个别部门检查不细致。",
                "praise_remarks": "予以表扬。",
                "criticism_remarks": "限期整改。",
                "requirements": "一是加强检查。",
            },
        )
    assert response.status_code == 302
    page = client.get(reverse("bulletin_detail", args=[ready.pk])).content.decode()
    assert "一是个别部门检查不细致。" in page
    ready.refresh_from_db()
    assert ready.stats["summary"]["found"]["value"] == 6


@pytest.mark.django_db
def test_regenerate_recomputes_the_figures(
    login, office, ready, inspector_a, django_capture_on_commit_callbacks
):
    unit = factories.unit(category=factories.category("mall"))
    factories.hazard(
        unit, inspector_a, inspection=factories.inspection(unit, inspector_a, date=TODAY)
    )
    with django_capture_on_commit_callbacks(execute=True):
        login(office).post(reverse("bulletin_regenerate", args=[ready.pk]))
    ready.refresh_from_db()
    assert ready.status == B.READY and ready.stats["summary"]["found"]["value"] == 7


@pytest.mark.django_db
def test_list_query_count_is_constant(login, office, district, django_assert_max_num_queries):
    client = login(office)
    for _ in range(2):
        bulletins.create_bulletin(actor=office, start=START, end=TODAY)
    # session, user, count, rows, and the layout's unread count and user's department.
    with django_assert_max_num_queries(6):
        assert client.get(reverse("bulletin_list")).status_code == 200
    for _ in range(40):
        bulletins.create_bulletin(actor=office, start=START, end=TODAY)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("bulletin_list"), {"status": "draft", "sort": "-period"})
    assert len(response.context["object_list"]) == 30


@pytest.mark.django_db
def test_detail_query_count(login, office, ready, django_assert_max_num_queries):
    # session, user, bulletin with its relations, superseded-by list, its history with the
    # actors, its list adjustments, the departments offered by the adjustment form, and the
    # layout's two.
    client = login(office)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("bulletin_detail", args=[ready.pk])).status_code == 200


@pytest.mark.django_db
def test_building_draft_shows_progress(login, office, district):
    draft = bulletins.create_bulletin(actor=office, start=START, end=TODAY)
    page = login(office).get(reverse("bulletin_detail", args=[draft.pk])).content.decode()
    assert "正在统计数据并生成 PDF" in page and 'http-equiv="refresh"' in page
    assert login(office).get(reverse("bulletin_pdf", args=[draft.pk])).status_code == 404
