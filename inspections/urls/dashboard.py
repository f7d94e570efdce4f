"""The leaders' dashboard; included from anjian/urls.py under "dashboard/"."""

from django.urls import path

from ..views import dashboard

urlpatterns = [
    path("", dashboard.dashboard_page, name="dashboard"),
    path("export.xlsx", dashboard.dashboard_export, name="dashboard_export"),
]
