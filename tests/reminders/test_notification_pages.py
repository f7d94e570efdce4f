"""Notification centre: badge, list, digest page, mark read; only one's own notifications."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections import reminders
from inspections.models import Hazard, Notification
from tests import factories

from .conftest import morning

D = datetime.date
ONE = datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db


NEW_YEAR = D(2025, 1, 1)


def make_notes(user, count, start=NEW_YEAR):
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind="digest",
                day=start + i * ONE,
                title=f"{start + i * ONE} 隐患整改提醒",
            )
            for i in range(count)
        ]
    )


@pytest.fixture
def digest_of_a(inspector_a, unit_of_a):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        overdue = factories.hazard(unit_of_a, inspector_a, deadline=day - 2 * ONE)
        soon = factories.hazard(unit_of_a, inspector_a, deadline=day + ONE)
    with morning(day):
        reminders.run_daily(day)
    note = Notification.objects.get(user=inspector_a, day=day)
    return note, overdue, soon


def test_unread_badge_is_one_query_in_the_nav(login, inspector_a):
    make_notes(inspector_a, 3)
    Notification.objects.filter(user=inspector_a, day=NEW_YEAR).update(read_at="2025-01-02T00:00Z")
    client = login(inspector_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    html = response.content.decode()
    assert 'data-testid="unread-count">2</span>' in html
    notification_queries = [q for q in queries if "inspections_notification" in q["sql"]]
    assert len(notification_queries) == 1


def test_no_badge_without_unread(login, inspector_a):
    html = login(inspector_a).get(reverse("home")).content.decode()
    assert 'data-testid="nav-notifications"' in html and "unread-count" not in html


def test_list_shows_only_own_notifications_with_constant_queries(
    login, inspector_a, inspector_b, django_assert_max_num_queries
):
    make_notes(inspector_b, 2, start=D(2024, 1, 1))
    make_notes(inspector_a, 3)
    client = login(inspector_a)
    # session, user, user's department (nav), count, page rows, unread badge
    with django_assert_max_num_queries(6):
        response = client.get(reverse("notification_list"))
    assert [n.user_id for n in response.context["object_list"]] == [inspector_a.pk] * 3
    make_notes(inspector_a, 60, start=D(2025, 3, 1))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("notification_list"), {"unread": "true"})
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 30
    assert response.context["object_list"][0].day == D(2025, 3, 1) + 59 * ONE  # newest first


def test_digest_page_groups_hazards_by_kind_and_marks_read(
    login, inspector_a, digest_of_a, django_assert_max_num_queries
):
    note, overdue, soon = digest_of_a
    client = login(inspector_a)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("notification_detail", args=[note.pk]))
    html = response.content.decode()
    assert [s["kind"] for s in response.context["sections"]] == ["overdue", "due_1d"]
    assert html.index('data-testid="section-overdue"') < html.index('data-testid="section-due_1d"')
    assert f'href="{reminders.hazard_path(overdue.pk)}"' in html and soon.number in html
    assert "整改中" not in html and "已交办" in html
    note.refresh_from_db()
    assert note.read_at is not None


def test_digest_page_hides_hazards_no_longer_visible(
    login, inspector_a, inspector_b, unit_of_b, fire_dept, safety_dept
):
    day = D(2025, 6, 25)
    with morning(D(2025, 6, 1)):
        # Found by 应急 at its own unit, handed to 消防 to lead.
        handed = factories.hazard(
            unit_of_b, inspector_b, deadline=day - 2 * ONE, lead_department=fire_dept
        )
    with morning(day):
        reminders.run_daily(day)
    note = Notification.objects.get(user=inspector_a, day=day)
    assert [i["id"] for i in note.payload["overdue"]["items"]] == [handed.pk]
    Hazard.objects.filter(pk=handed.pk).update(lead_department=safety_dept)  # transferred back
    response = login(inspector_a).get(reverse("notification_detail", args=[note.pk]))
    assert [i["id"] for s in response.context["sections"] for i in s["items"]] == []
    assert handed.number not in response.content.decode()
    assert "这些隐患已不在您的查看范围内" in response.content.decode()


def test_other_users_notification_is_404(login, inspector_b, digest_of_a):
    note, *_ = digest_of_a
    client = login(inspector_b)
    assert client.get(reverse("notification_detail", args=[note.pk])).status_code == 404
    assert client.post(reverse("notification_read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_read_and_mark_all_read(login, inspector_a, inspector_b):
    make_notes(inspector_a, 3)
    make_notes(inspector_b, 1)
    client = login(inspector_a)
    first = Notification.objects.filter(user=inspector_a).first()
    assert client.get(reverse("notification_read", args=[first.pk])).status_code == 405
    response = client.post(
        reverse("notification_read", args=[first.pk]), {"next": "/notifications/?unread=true"}
    )
    assert response.status_code == 302 and response.url == "/notifications/?unread=true"
    assert Notification.objects.filter(user=inspector_a, read_at__isnull=True).count() == 2
    response = client.post(reverse("notification_read_all"), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == reverse("notification_list")
    assert not Notification.objects.filter(user=inspector_a, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=inspector_b, read_at__isnull=True).count() == 1


def test_mark_all_read_requires_csrf_token(inspector_a):
    make_notes(inspector_a, 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(inspector_a)
    assert client.post(reverse("notification_read_all")).status_code == 403
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


@pytest.mark.parametrize("persona", ["inspector_a", "office", "supervisor", "leader", "admin_user"])
def test_pages_render_for_each_role(request, client, persona):
    user = request.getfixturevalue(persona)
    make_notes(user, 1)
    client.force_login(user)
    note = Notification.objects.get(user=user)
    assert client.get(reverse("notification_list")).status_code == 200
    assert client.get(reverse("notification_detail", args=[note.pk])).status_code == 200


def test_unread_filter_reads_chinese_and_splits_read_from_unread(login, inspector_a):
    make_notes(inspector_a, 3)
    Notification.objects.filter(user=inspector_a, day=NEW_YEAR).update(read_at="2025-01-02T00:00Z")
    client = login(inspector_a)
    unread = client.get(reverse("notification_list"), {"unread": "true"})
    assert {n.day for n in unread.context["object_list"]} == {NEW_YEAR + ONE, NEW_YEAR + 2 * ONE}
    read = client.get(reverse("notification_list"), {"unread": "false"}).context["object_list"]
    assert [n.day for n in read] == [NEW_YEAR]
    html = unread.content.decode()
    assert "未知" not in html and '<option value="">全部</option>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["true", "home", "notification_list", "//evil.example/", "javascript:alert(1)"]
)
def test_read_with_a_next_that_is_no_path_of_this_site_returns_to_the_list(
    login, inspector_a, target
):
    make_notes(inspector_a, 1)
    client = login(inspector_a)
    note = Notification.objects.get(user=inspector_a)
    for url in (reverse("notification_read", args=[note.pk]), reverse("notification_read_all")):
        response = client.post(url, {"next": target})
        assert response.status_code == 302, (url, target)
        assert response.url == reverse("notification_list")
