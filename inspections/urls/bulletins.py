"""URL routes for the bulletins pages; included from anjian/urls.py."""

urlpatterns: list = []
