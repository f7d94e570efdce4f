"""URL route of the 一票否决台账; included from anjian/urls.py under /vetoes/."""

from django.urls import path

from ..views import vetoes

urlpatterns = [
    path("", vetoes.veto_list, name="veto_list"),
]
