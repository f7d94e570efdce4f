"""The UI is Chinese whatever language the browser prefers."""

import pytest
from django.urls import reverse

REQUIRED = "该字段是必填项。"


@pytest.mark.parametrize("accept", ["en", "en-US,en;q=0.9", "de-DE", "zh-TW", "ja"])
def test_django_messages_stay_chinese_for_any_browser_language(login, office, accept):
    response = login(office).post(
        reverse("campaign_create"), {"name": ""}, HTTP_ACCEPT_LANGUAGE=accept
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert REQUIRED in html
    assert "This field is required." not in html
    assert response.headers.get("Content-Language", "zh-hans") == "zh-hans"


def test_a_language_cookie_changes_nothing(login, office):
    client = login(office)
    client.cookies["django_language"] = "en"
    html = client.post(reverse("campaign_create"), {"name": ""}).content.decode()
    assert REQUIRED in html and "This field is required." not in html
