"""Issuing, rotating and revoking clients as the admin does it, in the admin."""

import re

from django.contrib.messages import get_messages

from api.models import ApiClient
from units.models import User


def _token(response) -> str:
    texts = " ".join(str(m) for m in get_messages(response.wsgi_request))
    match = re.search(r"aj_[0-9a-f]+_[\w-]+", texts)
    assert match, texts
    return match.group(0)


def test_admin_issues_a_client_and_shows_its_token_once(login, admin_user, fire_dept, api):
    browser = login(admin_user)
    response = browser.post(
        "/admin/api/apiclient/add/",
        {
            "name": "消防物联网平台",
            "code": "fire-iot",
            "department": fire_dept.pk,
            "may_create_hazards": "on",
            "rate_per_minute": 60,
            "contact": "张工 13800000000",
        },
        follow=True,
    )
    assert response.status_code == 200
    token = _token(response)
    client = ApiClient.objects.get(code="fire-iot")
    assert client.token_hash != token and token not in client.token_hash
    assert client.user.role == User.Role.API and client.user.department == fire_dept
    browser.logout()
    assert api(token).get("/api/v1/units/").status_code == 200


def test_admin_actions_revoke_and_rotate(login, admin_user, district_api, api):
    client, token = district_api
    browser = login(admin_user)
    changelist = "/admin/api/apiclient/"
    browser.post(changelist, {"action": "revoke_tokens", "_selected_action": [client.pk]})
    browser.logout()
    assert api(token).get("/api/v1/units/").status_code == 401
    browser = login(admin_user)
    response = browser.post(
        changelist, {"action": "rotate_tokens", "_selected_action": [client.pk]}, follow=True
    )
    new = _token(response)
    browser.logout()
    assert api(new).get("/api/v1/units/").status_code == 200


def test_call_log_is_read_only_in_the_admin(login, admin_user, district_api, api):
    api(district_api[1]).get("/api/v1/units/")
    browser = login(admin_user)
    assert browser.get("/admin/api/apicalllog/").status_code == 200
    assert browser.get("/admin/api/apicalllog/add/").status_code == 403
    assert browser.get("/admin/api/apiclient/").status_code == 200
