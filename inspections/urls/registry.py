"""URL routes for the registry pages; included from anjian/urls.py."""

urlpatterns: list = []
