"""The leaders' dashboard; included from anjian/urls.py under "dashboard/"."""

from django.urls import path

from ..views import dashboard

urlpatterns = [
    path("", dashboard.dashboard_page, name="dashboard"),
]
