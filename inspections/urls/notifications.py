"""URL routes for the notifications pages; included from anjian/urls.py."""

urlpatterns: list = []
