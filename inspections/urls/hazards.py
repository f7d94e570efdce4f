"""URL routes for the hazards pages; included from anjian/urls.py under "hazards/"."""

from django.urls import path

from ..views import hazards

urlpatterns = [
    path("<int:pk>/", hazards.hazard_detail, name="hazard_detail"),
    path("<int:pk>/act/<slug:action>/", hazards.hazard_act, name="hazard_act"),
]
