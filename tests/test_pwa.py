"""The phone app shell: manifest linked from every page, the service worker from the site's
root (so its scope is the whole site), both public and free of data."""

import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_links_the_manifest(client, login, inspector_a):
    for response in (client.get(reverse("login")), login(inspector_a).get(reverse("home"))):
        assert (
            f'<link rel="manifest" href="{reverse("pwa_manifest")}">' in response.content.decode()
        )


def test_manifest_installs_the_whole_site(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["start_url"] == "/" and data["scope"] == "/" and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert '"/inspections/new/"' in body and '"/offline/"' in body
    # The unit list the form searches offline is kept; so are the offline capture's scripts.
    assert '"data": ["/inspections/unit-search/mine/"]' in body
    assert "offline_store" in body and "offline_form" in body
    # Nothing of the API, the admin or the public verification page is ever kept.
    for prefix in ('"/api/', '"/admin/', '"/v/'):
        assert prefix not in body
