"""URL routes for the inspections pages; included from anjian/urls.py."""

urlpatterns: list = []
