"""Token authentication, revocation, rotation, rate limits and the call log."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from api import clients
from api.models import ApiCallLog
from units.models import User


def test_no_token_is_401_and_logged_without_client(api, db):
    response = api(None).get("/api/v1/units/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    log = ApiCallLog.objects.get()
    assert (log.client, log.status, log.path) == (None, 401, "/api/v1/units/")


def test_wrong_token_is_401(api, district_api):
    client, token = district_api
    response = api(token[:-2] + "xx").get("/api/v1/units/")
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌无效"


def test_valid_token_reads_and_every_call_is_logged_with_its_client(api, district_api):
    client, token = district_api
    caller = api(token)
    assert caller.get("/api/v1/units/", page_size=5).status_code == 200
    assert caller.get("/api/v1/hazards/999999/").status_code == 404
    logs = list(ApiCallLog.objects.order_by("pk"))
    assert [(log.client_id, log.status) for log in logs] == [(client.pk, 200), (client.pk, 404)]
    assert logs[0].query == "page_size=5"
    assert logs[1].path == "/api/v1/hazards/999999/"


def test_revoked_token_stops_at_once_and_the_refusal_names_the_client(
    api, district_api, admin_user
):
    client, token = district_api
    assert api(token).get("/api/v1/units/").status_code == 200
    assert clients.revoke(client_id=client.pk, by=admin_user)
    response = api(token).get("/api/v1/units/")
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌已被吊销"
    assert ApiCallLog.objects.filter(client=client, status=401).count() == 1


def test_rotating_the_token_ends_the_old_one(api, district_api):
    client, old = district_api
    new = clients.rotate_token(client_id=client.pk)
    assert api(old).get("/api/v1/units/").status_code == 401
    assert api(new).get("/api/v1/units/").status_code == 200


def test_rate_limit_answers_429_with_retry_after(api, make_api_client):
    client, token = make_api_client("slow", rate_per_minute=3)
    statuses = [api(token).get("/api/v1/units/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert int(api(token).get("/api/v1/units/")["Retry-After"]) > 0
    assert ApiCallLog.objects.filter(client=client, status=429).count() == 2


def test_service_account_cannot_sign_in_to_the_pages(district_api, client):
    api_client, token = district_api
    user = User.objects.get(pk=api_client.user_id)
    assert user.role == User.Role.API
    assert not user.has_usable_password()
    # Axes (the login lockout) needs the request every real sign-in has.
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=user.username, password=token) is None
    response = client.post("/accounts/login/", {"username": user.username, "password": token})
    assert response.status_code == 200  # the form again, with its error


def test_session_of_a_staff_user_is_not_api_authentication(api, login, office):
    login(office)
    assert api(None).get("/api/v1/hazards/").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Token"])
def test_malformed_authorization_header_is_401(client, db, header):
    response = client.get("/api/v1/units/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
