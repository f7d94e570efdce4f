"""Browser security headers, no caching of personal data, Chinese error pages, body size limits."""

import re
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests import factories

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# <script> with a body (no src=), and on…= event-handler attributes.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.django_db
def test_pages_carry_a_csp_without_inline_scripts(login, inspector_a):
    response = login(inspector_a).get(reverse("home"))

    directives = _directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["default-src"]


@pytest.mark.django_db
def test_login_page_has_csp_and_permissions_policy(client):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.parametrize(
    "path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_has_inline_script_or_handler(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.findall(text), f"{path}: inline <script>; move it to static/js/"
    assert not INLINE_HANDLER.findall(text), f"{path}: on…= handler; use a data- attribute"


@pytest.mark.django_db
def test_pages_and_exports_are_not_cached(login, office, inspector_a, unit_of_a):
    factories.hazard(unit_of_a, inspector_a)
    client = login(office)
    for name in ("home", "hazard_list", "units:list", "hazard_export", "units:export"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert response["Cache-Control"] == "no-store", name


@pytest.mark.django_db
def test_bulletin_pdf_is_not_cached(login, office, settings, tmp_path):
    from tests import world as world_module

    settings.MEDIA_ROOT = tmp_path
    bulletin = world_module.build()["bulletin"]
    response = login(office).get(reverse("bulletin_pdf", args=[bulletin.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_view_that_chose_its_cache_policy_keeps_it(login, settings, tmp_path):
    from tests import world as world_module

    settings.MEDIA_ROOT = tmp_path
    world = world_module.build()
    response = login(world["insp_a"]).get(reverse("hazard_photo_thumb", args=[world["photo"].pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"


# --- error pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_403_is_chinese_inside_the_layout(login, inspector_a):
    response = login(inspector_a).get(reverse("units:create"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "无权进行此操作" in page
    assert "只有安委办和管理员可以维护单位信息" in page
    assert "隐患台账" in page  # the navigation of the layout
    assert "Forbidden" not in page


@pytest.mark.django_db
def test_404_is_chinese_inside_the_layout(login, inspector_a):
    response = login(inspector_a).get("/hazards/999999999/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "找不到这个页面" in page and "隐患台账" in page
    assert "Not Found" not in page


def test_500_is_chinese():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "系统出错了" in page and '<html lang="zh-CN">' in page


@pytest.mark.django_db
def test_stale_csrf_token_gets_a_chinese_403():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期" in page and "CSRF verification failed" not in page


# --- request size ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_body_over_the_limit_is_refused_unread_with_413(login, office, settings):
    settings.REQUEST_MAX_BYTES = 4096
    response = login(office).post(reverse("units:create"), {"name": "x" * 5000})

    assert response.status_code == 413
    assert "不能超过" in response.content.decode()


@pytest.mark.django_db
def test_form_fields_over_the_memory_limit_get_a_chinese_400(login, office, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = login(office).post(reverse("units:create"), {"name": "x" * 2000})

    assert response.status_code == 400
    assert "请求有误" in response.content.decode()
