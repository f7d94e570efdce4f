"""URL routes for the ledger pages; included from anjian/urls.py."""

urlpatterns: list = []
