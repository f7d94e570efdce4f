"""The access log (logins, failures, logouts, exports, downloads) and the /audit/ pages."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessRecord
from inspections.models import Bulletin
from tests import factories
from units.models import Unit

PASSWORD = "pw-for-tests-1"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="change history is recorded by PostgreSQL triggers"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def kinds(**filters) -> list[str]:
    return list(
        AccessRecord.objects.filter(**filters).order_by("id").values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_login_failed_login_and_logout_are_logged_with_the_address(inspector_a):
    client = Client(REMOTE_ADDR="10.9.8.7")
    client.post(reverse("login"), {"username": inspector_a.username, "password": "wrong-one"})
    client.post(reverse("login"), {"username": inspector_a.username, "password": PASSWORD})
    client.post(reverse("logout"))
    assert kinds(username=inspector_a.username) == ["login_failed", "login", "logout"]
    failed = AccessRecord.objects.get(kind="login_failed")
    assert failed.user is None and failed.ip == "10.9.8.7"
    assert AccessRecord.objects.get(kind="login").user == inspector_a


@pytest.mark.django_db
def test_a_failed_login_for_a_username_nobody_has_is_logged_as_typed():
    Client().post(reverse("login"), {"username": "no-such-person", "password": "x" * 12})
    record = AccessRecord.objects.get()
    assert (record.kind, record.username, record.user) == ("login_failed", "no-such-person", None)


@pytest.mark.django_db
def test_exports_and_pdf_downloads_are_logged_with_user_file_and_path(login, office, unit_of_a):
    client = login(office)
    b"".join(client.get(reverse("units:export")).streaming_content)
    bulletin = Bulletin(
        title="十月通报",
        period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 31),
        status=Bulletin.Status.CIRCULATED,
        number="安委办通报〔2026〕9号",
        year=2026,
        seq=9,
        created_by=office,
        submitted_by=office,
        submitted_at=timezone.now(),
        signed_by=office,
        signed_at=timezone.now(),
    )
    bulletin.pdf.save("b.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    bulletin.save()
    b"".join(client.get(reverse("bulletin_pdf", args=[bulletin.pk])).streaming_content)
    export, download = AccessRecord.objects.exclude(kind="login").order_by("id")
    assert (export.kind, export.user) == ("export", office)
    assert export.what.endswith(".xlsx") and export.path == reverse("units:export")
    assert download.kind == "download" and download.what.endswith(".pdf")
    assert download.path == reverse("bulletin_pdf", args=[bulletin.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["inspector_a", "supervisor", "leader"])
def test_only_office_and_admin_see_the_audit_pages(request, login, persona):
    client = login(request.getfixturevalue(persona))
    for name in ("audit:list", "audit:access", "audit:imports"):
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.django_db
def test_access_log_filters_by_user_kind_and_day(login, office, inspector_a, inspector_b):
    for user in (inspector_a, inspector_b):
        AccessRecord.objects.create(kind="login", user=user, username=user.username)
    AccessRecord.objects.create(kind="export", user=inspector_a, username=inspector_a.username)
    client = login(office)
    page = client.get(reverse("audit:access"), {"user": inspector_a.username, "kind": "login"})
    assert [r.user for r in page.context["object_list"]] == [inspector_a]
    today = timezone.localdate()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert (
        len(client.get(reverse("audit:access"), {"date_from": tomorrow}).context["object_list"])
        == 0
    )
    assert (
        len(
            client.get(reverse("audit:access"), {"date_to": today.isoformat()}).context[
                "object_list"
            ]
        )
        == 4
    )
    bad = client.get(reverse("audit:access"), {"date_from": "2026-13-45", "kind": "nonsense"})
    assert bad.status_code == 200 and bad.context["filter"].errors


@postgresql_only
@pytest.mark.django_db
def test_the_change_list_filters_by_object_user_and_day(
    login, office, admin_user, unit_of_a, unit_of_b
):
    Unit.objects.filter(pk=unit_of_a.pk).update(address="新地址一号")
    client = login(office)
    client.post(
        reverse("units:edit", args=[unit_of_b.pk]),
        {
            "name": unit_of_b.name,
            "credit_code": unit_of_b.credit_code,
            "category": unit_of_b.category_id,
            "area": unit_of_b.area_id,
            "address": "办公室改的地址",
            "lead_department": unit_of_b.lead_department_id,
            "legal_rep": unit_of_b.legal_rep,
            "legal_rep_phone": unit_of_b.legal_rep_phone,
        },
    )
    page = client.get(reverse("audit:list"), {"model": "units.Unit", "obj": unit_of_a.pk})
    rows = page.context["rows"]
    assert [r["label"] for r in rows] == ["修改", "新增"]
    assert ("地址", unit_of_a.address, "新地址一号") in rows[0]["changes"]
    assert rows[0]["url"] == reverse("units:detail", args=[unit_of_a.pk])
    mine = client.get(reverse("audit:list"), {"user": office.username}).context["rows"]
    assert [(r["label"], r["event"].pgh_obj_id) for r in mine] == [("修改", str(unit_of_b.pk))]
    assert mine[0]["user"] == office and mine[0]["path"] == reverse(
        "units:edit", args=[unit_of_b.pk]
    )
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert client.get(reverse("audit:list"), {"date_from": tomorrow}).context["rows"] == []
    # A 20-digit id is no object, not an error.
    huge = client.get(reverse("audit:list"), {"model": "units.Unit", "obj": "9" * 20})
    assert huge.status_code == 200 and huge.context["rows"] == []
    detail = client.get(reverse("units:detail", args=[unit_of_a.pk])).content.decode()
    assert f"?model=units.Unit&amp;obj={unit_of_a.pk}" in detail


@postgresql_only
@pytest.mark.django_db
def test_the_change_list_query_count_does_not_grow_with_rows(
    login, office, inspector_a, django_assert_max_num_queries
):
    client = login(office)
    client.get(reverse("audit:list"))  # the session's first request writes its clocks
    counts = []
    for extra in (1, 60):
        for _ in range(extra):
            factories.unit(lead_department=inspector_a.department)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(reverse("audit:list")).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_without_postgresql_the_change_list_says_nothing_is_recorded(login, office, monkeypatch):
    from audit import views

    monkeypatch.setattr(views, "tracking_enabled", lambda: False)
    page = login(office).get(reverse("audit:list"))
    assert page.status_code == 200 and "不记录变更历史" in page.content.decode()
