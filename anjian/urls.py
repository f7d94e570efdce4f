from django.contrib import admin
from django.urls import include, path

from . import pwa, views

admin.site.site_header = "安检 管理后台"
admin.site.site_title = "安检"

urlpatterns = [
    path("", include("inspections.urls.home")),
    path("healthz", views.healthz, name="healthz"),
    path("manifest.webmanifest", pwa.manifest, name="pwa_manifest"),
    path("sw.js", pwa.service_worker, name="pwa_service_worker"),
    path("offline/", pwa.offline, name="pwa_offline"),
    path("accounts/", include("accounts.urls")),
    path("units/", include("units.urls")),
    path("inspections/", include("inspections.urls.inspections")),
    path("hazards/", include("inspections.urls.hazards")),
    path("", include("inspections.urls.ledger")),
    path("", include("inspections.urls.registry")),
    path("notifications/", include("inspections.urls.notifications")),
    path("bulletins/", include("inspections.urls.bulletins")),
    path("vetoes/", include("inspections.urls.vetoes")),
    path("dashboard/", include("inspections.urls.dashboard")),
    path("duty/", include("inspections.urls.duty")),
    path("", include("inspections.urls.documents")),
    path("portal/", include("portal.urls")),
    path("unit-accounts/", include("portal.urls_office")),
    path("api/", include("api.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
]
