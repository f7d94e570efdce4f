"""The home page; included from anjian/urls.py at the root."""

from django.urls import path

from ..views import home

urlpatterns = [
    path("", home.home, name="home"),
]
