"""The phone app shell (a progressive web app, no app store): the web app manifest, the service
worker and the page it shows when there is no network.

The service worker is served by a view at /sw.js, not from /static/: a worker's scope is the
folder it is served from, and only one at the root may serve the whole site. All three answer
without login: a browser fetches the manifest without credentials, and the worker must install
on the login page too. None of them holds any data.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

# Pages kept for use without a network once visited (network first: online they are always
# fresh). Only GETs of these prefixes are stored; never the API, the admin, downloads or the
# public verification page.
OFFLINE_PAGES = ("/inspections/new/", "/inspections/unit-search/", "/hazards/", "/units/", "/")
# Not a page but the data the inspection form searches without a network (views/offline.py).
OFFLINE_DATA = ("/inspections/unit-search/mine/",)
PRECACHE_STATIC = (
    "vendor/bootstrap/bootstrap.min.css",
    "css/anjian.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/anjian.js",
    "js/inspection_form.js",
    "js/offline_store.js",
    "js/offline_form.js",
    "pwa/icon-192.png",
)


@login_not_required
@require_GET
def manifest(request):
    data = {
        "name": settings.SITE_NAME,
        "short_name": "安检",
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b02a37",
        "icons": [
            {"src": static("pwa/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("pwa/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )


@login_not_required
@require_GET
def service_worker(request):
    assets = [static(path) for path in PRECACHE_STATIC]
    offline = reverse("pwa_offline")
    config = {
        "assets": assets,
        "offline": offline,
        "pages": list(OFFLINE_PAGES),
        "data": list(OFFLINE_DATA),
    }
    # A new deploy (other hashed static names) is a new worker version, so old caches go.
    version = hashlib.sha256(json.dumps(config).encode()).hexdigest()[:12]
    body = render_to_string(
        "pwa/sw.js", {"config": json.dumps({**config, "version": version}, ensure_ascii=False)}
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # The browser checks for a new worker on every visit; never keep an old one.
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_GET
def offline(request):
    return render(request, "pwa/offline.html")
