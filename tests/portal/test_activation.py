"""Activation codes: shown once, stored hashed, expire, work once, revoked by reissue or by
hand, and guessing is rate-limited like logins."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from units import activation
from units.models import ActivationCode, User

pytestmark = pytest.mark.django_db

PASSWORD = "Jiaju-anquan-2026"


def _form(code: str, username: str = "jiaju_boss") -> dict:
    return {
        "code": code,
        "username": username,
        "name": "王安全",
        "phone": "13800138000",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }


def test_office_issues_a_code_shown_once_and_stored_hashed(client, office, own_unit):
    client.force_login(office)
    response = client.post(reverse("unit_accounts:issue", args=[own_unit.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code = ActivationCode.objects.get(unit=own_unit)
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    assert activation.normalise(plaintext) not in code.code_hash
    assert code.code_hash == activation.code_hash(plaintext)
    lifetime = code.expires_at - code.issued_at
    assert abs(lifetime - datetime.timedelta(days=14)) < datetime.timedelta(seconds=5)
    # The unit's page lists the code's state, never the code.
    page = client.get(reverse("unit_accounts:unit", args=[own_unit.pk])).content.decode()
    assert "有效" in page and plaintext not in page


def test_unit_activates_sets_its_password_and_lands_in_its_portal(client, office, own_unit):
    _, plaintext = activation.issue(unit=own_unit, actor=office)
    # Typed on a phone: lower case, spaces instead of dashes.
    typed = plaintext.lower().replace("-", " ")
    response = client.post(reverse("portal:activate"), _form(typed))
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    user = User.objects.get(username="jiaju_boss")
    assert user.role == User.Role.UNIT and user.unit == own_unit and user.department is None
    assert user.check_password(PASSWORD) and not user.must_change_password
    assert client.get(reverse("portal:home")).status_code == 200
    code = ActivationCode.objects.get(unit=own_unit)
    assert code.used_at and code.account == user


def test_a_code_works_once(client, office, own_unit):
    _, plaintext = activation.issue(unit=own_unit, actor=office)
    activation.activate(code=plaintext, username="first", password=PASSWORD)
    response = client.post(reverse("portal:activate"), _form(plaintext, "second"))
    assert response.status_code == 400
    assert "激活码无效或已过期" in response.content.decode()
    assert not User.objects.filter(username="second").exists()


def test_an_expired_code_does_not_work(office, own_unit):
    code, plaintext = activation.issue(unit=own_unit, actor=office)
    ActivationCode.objects.filter(pk=code.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(activation.ActivationFailed):
        activation.activate(code=plaintext, username="late", password=PASSWORD)
    assert not User.objects.filter(username="late").exists()


def test_revoked_and_reissued_codes_do_not_work(client, office, own_unit):
    first, first_text = activation.issue(unit=own_unit, actor=office)
    second, second_text = activation.issue(unit=own_unit, actor=office)
    first.refresh_from_db()
    assert first.revoked_at and first.revoked_by == office  # reissue voids the old one
    with pytest.raises(activation.ActivationFailed):
        activation.activate(code=first_text, username="old", password=PASSWORD)
    client.force_login(office)
    client.post(reverse("unit_accounts:revoke", args=[second.pk]))
    second.refresh_from_db()
    assert second.revoked_at is not None
    with pytest.raises(activation.ActivationFailed):
        activation.activate(code=second_text, username="new", password=PASSWORD)


def test_password_rules_apply_and_nothing_is_used_up(client, office, own_unit):
    _, plaintext = activation.issue(unit=own_unit, actor=office)
    form = {**_form(plaintext), "password1": "123456", "password2": "123456"}
    response = client.post(reverse("portal:activate"), form)
    assert response.status_code == 400
    assert not User.objects.filter(username="jiaju_boss").exists()
    assert ActivationCode.objects.usable().filter(unit=own_unit).exists()


def test_a_new_account_replaces_the_units_previous_one(office, own_unit, unit_user):
    _, plaintext = activation.issue(unit=own_unit, actor=office)
    new = activation.activate(code=plaintext, username="successor", password=PASSWORD)
    unit_user.refresh_from_db()
    assert new.is_active and not unit_user.is_active


def test_inspector_issues_only_for_units_in_scope(inspector_a, inspector_b, own_unit):
    code, _ = activation.issue(unit=own_unit, actor=inspector_a)
    assert code.issued_by == inspector_a
    with pytest.raises(PermissionDenied):
        activation.issue(unit=own_unit, actor=inspector_b)


def test_guessing_codes_is_locked_out_like_logins(client, settings, office, own_unit):
    _, plaintext = activation.issue(unit=own_unit, actor=office)
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        response = client.post(reverse("portal:activate"), _form("AAAA-BBBB-CCCC"))
        assert response.status_code == 400
    response = client.post(reverse("portal:activate"), _form("AAAA-BBBB-CCCD"))
    assert response.status_code == 429
    assert AccessAttempt.objects.filter(username__startswith="激活码@").exists()
    # Locked: even the right code is refused from this address until the cool-off ends.
    response = client.post(reverse("portal:activate"), _form(plaintext))
    assert response.status_code == 429
    assert not User.objects.filter(username="jiaju_boss").exists()
