"""Accounts: login lockout and unlocking, password changes, session limits and ending sessions."""

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse

from tests import factories

PASSWORD = "pw-for-tests-1"  # tests/factories.user


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _signed_in(client: Client) -> bool:
    return client.get(reverse("home")).status_code == 200


# --- lockout ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_username_even_against_the_right_one(inspector_a, settings):
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        response = _login(client, "insp_a", "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()

    response = _login(client, "insp_a", "wrong-password")

    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已暂时锁定" in page and "insp_a" in page and "15 分钟" in page
    assert _login(client, "insp_a", PASSWORD).status_code == 429
    assert not _signed_in(client)
    # From another address too: the username itself is locked.
    assert _login(Client(), "insp_a", PASSWORD, ip="10.9.9.9").status_code == 429
    assert AccessFailureLog.objects.filter(username="insp_a").count() >= 5


@pytest.mark.django_db
def test_a_locked_username_does_not_lock_others_on_the_same_address(inspector_a, inspector_b):
    for _ in range(5):
        _login(Client(), "insp_a", "wrong-password")

    client = Client()
    assert _login(client, "insp_b", PASSWORD).status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_someone_else_signing_in_from_the_address_keeps_the_lockout(inspector_a, inspector_b):
    for _ in range(5):
        _login(Client(), "insp_a", "wrong-password")

    assert _login(Client(), "insp_b", PASSWORD).status_code == 302

    assert _login(Client(), "insp_a", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_signing_in_forgets_the_users_earlier_failures(inspector_a):
    for _ in range(4):
        _login(Client(), "insp_a", "wrong-password")
    assert _login(Client(), "insp_a", PASSWORD).status_code == 302

    for _ in range(4):
        _login(Client(), "insp_a", "wrong-password")

    assert _login(Client(), "insp_a", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_many_usernames_failing_from_one_address_lock_the_address(inspector_a, settings):
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        _login(Client(), f"guess{n}", "wrong-password", ip="10.0.0.66")

    assert _login(Client(), "insp_a", PASSWORD, ip="10.0.0.66").status_code == 429
    assert _login(Client(), "insp_a", PASSWORD, ip="10.0.0.67").status_code == 302


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off(inspector_a, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    for _ in range(5):
        _login(Client(), "insp_a", "wrong-password")
    assert _login(Client(), "insp_a", PASSWORD).status_code == 429

    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 16, tzinfo=datetime.UTC), tick=False)

    assert _login(Client(), "insp_a", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_logins_and_logouts_are_logged(inspector_a):
    client = Client()
    assert _login(client, "insp_a", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    entry = AccessLog.objects.get(username="insp_a")
    assert entry.ip_address == "10.0.0.1" and entry.logout_time is not None


@pytest.mark.django_db
def test_login_page_says_when_it_locks(client):
    page = client.get(reverse("login")).content.decode()
    assert "连续输错密码 5 次将锁定 15 分钟" in page


# --- unlocking ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_office_sees_the_lockout_and_unlocks_the_user(login, inspector_a, office):
    for _ in range(5):
        _login(Client(), "insp_a", "wrong-password")
    office_client = login(office)

    page = office_client.get(reverse("lockout_list")).content.decode()
    assert "insp_a" in page and "解锁" in page

    response = office_client.post(
        reverse("lockout_unlock"), {"kind": "username", "value": "insp_a"}, follow=True
    )
    assert "已解除账号 insp_a 的登录锁定" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="insp_a").exists()
    assert _login(Client(), "insp_a", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_office_unlocks_an_address(login, office, inspector_a, settings):
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        _login(Client(), f"guess{n}", "wrong-password", ip="10.0.0.66")
    office_client = login(office)
    assert "10.0.0.66" in office_client.get(reverse("lockout_list")).content.decode()

    office_client.post(reverse("lockout_unlock"), {"kind": "ip_address", "value": "10.0.0.66"})

    assert _login(Client(), "insp_a", PASSWORD, ip="10.0.0.66").status_code == 302


@pytest.mark.django_db
def test_inspector_may_not_unlock(login, inspector_a, inspector_b):
    for _ in range(5):
        _login(Client(), "insp_a", "wrong-password")
    client = login(inspector_b)

    assert client.get(reverse("lockout_list")).status_code == 403
    response = client.post(reverse("lockout_unlock"), {"kind": "username", "value": "insp_a"})
    assert response.status_code == 403
    assert _login(Client(), "insp_a", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_unlock_with_a_bad_kind_says_so(login, office):
    response = login(office).post(
        reverse("lockout_unlock"), {"kind": "everything", "value": "x"}, follow=True
    )
    assert "请选择要解锁的账号或 IP 地址" in response.content.decode()


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_changes_own_password_and_stays_signed_in(login, inspector_a):
    client = login(inspector_a)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-secret-7",
            "new_password2": "a-new-long-secret-7",
        },
    )

    assert response.status_code == 302
    assert _signed_in(client)
    inspector_a.refresh_from_db()
    assert inspector_a.check_password("a-new-long-secret-7")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short-1", "密码太短，至少需要 10 个字符"),
        ("12345678901", "密码只包含数字"),
        ("password1234", "太常见"),
    ],
)
def test_own_password_change_runs_the_validators(login, inspector_a, new, message):
    response = login(inspector_a).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    inspector_a.refresh_from_db()
    assert inspector_a.check_password(PASSWORD)


@pytest.mark.django_db
def test_password_set_by_the_admin_must_be_changed_at_next_login(login, admin_user, inspector_a):
    response = login(admin_user).post(
        reverse("admin:auth_user_password_change", args=[inspector_a.pk]),
        {"password1": "office-chosen-99x", "password2": "office-chosen-99x"},
    )
    assert response.status_code == 302, response.content.decode()
    inspector_a.refresh_from_db()
    assert inspector_a.must_change_password

    client = Client()
    assert _login(client, "insp_a", "office-chosen-99x").status_code == 302
    for name in ("home", "hazard_list", "units:list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url == reverse("password_change")
    assert (
        "请先修改为只有您自己知道的密码" in client.get(reverse("password_change")).content.decode()
    )

    client.post(
        reverse("password_change"),
        {
            "old_password": "office-chosen-99x",
            "new_password1": "only-i-know-it-42",
            "new_password2": "only-i-know-it-42",
        },
    )

    inspector_a.refresh_from_db()
    assert not inspector_a.must_change_password
    assert _signed_in(client)


@pytest.mark.django_db
def test_admin_password_reset_runs_the_validators(login, admin_user, inspector_a):
    response = login(admin_user).post(
        reverse("admin:auth_user_password_change", args=[inspector_a.pk]),
        {"password1": "1234", "password2": "1234"},
    )
    assert response.status_code == 200
    inspector_a.refresh_from_db()
    assert inspector_a.check_password(PASSWORD) and not inspector_a.must_change_password


@pytest.mark.django_db
def test_user_added_in_the_admin_must_change_the_password(login, admin_user):
    from units.models import User

    response = login(admin_user).post(
        reverse("admin:units_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "first-secret-77a",
            "password2": "first-secret-77a",
            "role": "inspector",
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert User.objects.get(username="newbie").must_change_password


# --- sessions ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        lambda user: setattr(user, "is_active", False),
        lambda user: setattr(user, "role", "leader"),
        lambda user: setattr(user, "department", factories.department("城建")),
    ],
    ids=["deactivated", "role", "department"],
)
def test_changing_who_a_user_is_ends_their_sessions_at_once(inspector_a, inspector_b, change):
    victim, bystander = Client(), Client()
    victim.force_login(inspector_a)
    bystander.force_login(inspector_b)
    assert _signed_in(victim)

    change(inspector_a)
    inspector_a.save()

    response = victim.get(reverse("hazard_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert _signed_in(bystander)


@pytest.mark.django_db
def test_editing_other_fields_keeps_the_session(inspector_a):
    client = Client()
    client.force_login(inspector_a)
    inspector_a.phone = "13900000000"
    inspector_a.name = "新名字"
    inspector_a.save()
    assert _signed_in(client)


@pytest.mark.django_db
def test_idle_session_ends(inspector_a, settings, time_machine):
    settings.SESSION_IDLE_SECONDS = 2 * 3600
    settings.SESSION_MAX_AGE_SECONDS = 12 * 3600
    start = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    client = Client()
    client.force_login(inspector_a)
    assert _signed_in(client)

    time_machine.move_to(start + datetime.timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60))
    assert _signed_in(client)  # activity moves the idle clock on
    time_machine.move_to(start + datetime.timedelta(seconds=2 * settings.SESSION_IDLE_SECONDS))
    assert _signed_in(client) is False
    # Ended, not just refused once: the login page says why.
    page = client.get(reverse("login")).content.decode()
    assert "长时间未操作，已自动退出" in page


@pytest.mark.django_db
def test_session_ends_at_its_absolute_lifetime_however_active(inspector_a, settings, time_machine):
    settings.SESSION_IDLE_SECONDS = 3600
    settings.SESSION_MAX_AGE_SECONDS = 4 * 3600
    start = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    client = Client()
    client.force_login(inspector_a)
    assert _signed_in(client)

    for half_hours in range(1, 9):
        time_machine.move_to(start + datetime.timedelta(minutes=30 * half_hours))
        assert _signed_in(client), half_hours
    time_machine.move_to(start + datetime.timedelta(hours=4, minutes=10))

    assert not _signed_in(client)
    assert "登录时间已到上限" in client.get(reverse("login")).content.decode()
