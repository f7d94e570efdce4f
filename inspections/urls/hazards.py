"""URL routes for the hazards pages; included from anjian/urls.py."""

urlpatterns: list = []
