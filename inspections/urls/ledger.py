"""URL routes for the ledger pages; included from anjian/urls.py at the root, so the paths
carry their own "hazards/" prefix (hazards/<id>/ belongs to inspections.urls.hazards)."""

from django.urls import path

from ..views import ledger

urlpatterns = [
    path("hazards/", ledger.hazard_list, name="hazard_list"),
    path("hazards/export.xlsx", ledger.hazard_export, name="hazard_export"),
    path("hazards/exports/<int:pk>/", ledger.export_job, name="hazard_export_job"),
    path(
        "hazards/exports/<int:pk>/download/",
        ledger.export_job_download,
        name="hazard_export_download",
    ),
]
