"""Deactivating a user (the admin's user form, the only page that does it) needs a reason, kept
with who and when on the user and in the audit; their sessions end at once."""

import pytest
from django.forms import MultiWidget
from django.test import Client
from django.urls import reverse

from audit.models import EVENT_MODELS
from units.models import User


def _as_posted(form) -> dict:
    """The change form as the browser would post it back unchanged."""
    data = {}
    for bound in form:
        if bound.field.disabled:
            continue
        value = bound.value()
        if isinstance(bound.field.widget, MultiWidget):
            for i, part in enumerate(bound.field.widget.decompress(value)):
                data[f"{bound.html_name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


@pytest.mark.django_db
def test_deactivating_a_user_needs_a_reason_kept_in_the_audit_and_ends_their_sessions(
    admin_user, inspector_a
):
    theirs = Client()
    theirs.force_login(inspector_a)
    assert theirs.get(reverse("home")).status_code == 200

    admin = Client()
    admin.force_login(admin_user)
    url = reverse("admin:units_user_change", args=[inspector_a.pk])
    data = _as_posted(admin.get(url).context["adminform"].form)
    del data["is_active"]

    refused = admin.post(url, data)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["deactivation_reason"] == [
        "停用用户须填写停用原因"
    ]
    assert User.objects.get(pk=inspector_a.pk).is_active
    assert theirs.get(reverse("home")).status_code == 200

    data["deactivation_reason"] = "  调离本区，账号停用  "
    assert admin.post(url, data).status_code == 302
    user = User.objects.get(pk=inspector_a.pk)
    assert not user.is_active
    assert user.deactivated_by == admin_user and user.deactivated_at is not None
    assert user.deactivation_reason == "调离本区，账号停用"
    # Their session is gone: the next request is sent to the login page.
    gone = theirs.get(reverse("home"))
    assert gone.status_code == 302 and gone.url.startswith(reverse("login"))

    # The audit has the change, by the admin, with the reason.
    event = EVENT_MODELS["UserHistory"].objects.filter(pgh_obj_id=user.pk).latest("pgh_id")
    assert event.is_active is False and event.deactivation_reason == "调离本区，账号停用"
    assert event.deactivated_by_id == admin_user.pk
    assert event.pgh_context.metadata["user"] == admin_user.pk
    page = admin.get(reverse("audit:list"), {"model": "units.User", "obj": user.pk})
    text = page.content.decode()
    assert "停用原因" in text and "调离本区，账号停用" in text
    assert admin_user.name in text

    # Reactivated: the user's own record clears, the audit keeps the deactivation.
    data = _as_posted(admin.get(url).context["adminform"].form)
    data["is_active"] = "on"
    assert admin.post(url, data).status_code == 302
    user.refresh_from_db()
    assert user.is_active and user.deactivated_at is None and user.deactivation_reason == ""
    reasons = EVENT_MODELS["UserHistory"].objects.filter(pgh_obj_id=user.pk)
    assert "调离本区，账号停用" in set(reasons.values_list("deactivation_reason", flat=True))


@pytest.mark.django_db
def test_editing_an_inactive_user_asks_no_new_reason(admin_user, inspector_a):
    admin = Client()
    admin.force_login(admin_user)
    url = reverse("admin:units_user_change", args=[inspector_a.pk])
    data = _as_posted(admin.get(url).context["adminform"].form)
    del data["is_active"]
    data["deactivation_reason"] = "离职"
    assert admin.post(url, data).status_code == 302
    stamped = User.objects.get(pk=inspector_a.pk).deactivated_at

    data = _as_posted(admin.get(url).context["adminform"].form)
    data["phone"] = "13800000000"
    assert admin.post(url, data).status_code == 302
    user = User.objects.get(pk=inspector_a.pk)
    assert user.phone == "13800000000" and not user.is_active
    assert user.deactivated_at == stamped and user.deactivation_reason == "离职"
