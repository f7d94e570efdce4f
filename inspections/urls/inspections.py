"""URL routes for the inspections pages; included from anjian/urls.py under "inspections/".

Hazard photos are served here too (/inspections/photos/<pk>/): only through a view that
checks the viewer may see the hazard, never as media files."""

from django.urls import path

from ..views import inspections, offline

urlpatterns = [
    path("", inspections.inspection_list, name="inspection_list"),
    path("new/", inspections.inspection_create, name="inspection_create"),
    path("unit-search/", inspections.unit_search, name="inspection_unit_search"),
    # The phone's offline capture (static/js/offline_store.js).
    path("unit-search/mine/", offline.offline_units, name="inspection_offline_units"),
    path("sync/", offline.inspection_sync, name="inspection_sync"),
    path("<int:pk>/", inspections.inspection_detail, name="inspection_detail"),
    path("<int:pk>/edit/", inspections.inspection_edit, name="inspection_edit"),
    path("<int:pk>/void/", inspections.inspection_void, name="inspection_void"),
    path("<int:pk>/print/", inspections.inspection_print, name="inspection_print"),
    path("photos/<int:pk>/", inspections.hazard_photo, name="hazard_photo"),
    path("attachments/<int:pk>/", inspections.hazard_attachment, name="hazard_attachment"),
    path("photos/<int:pk>/thumb/", inspections.hazard_photo_thumb, name="hazard_photo_thumb"),
]
