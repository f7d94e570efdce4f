"""URL routes for the hazards pages; included from anjian/urls.py under "hazards/"."""

from django.urls import path

from ..ledger_import import views as ledger_import
from ..views import hazards

urlpatterns = [
    path("import/", ledger_import.import_upload, name="hazard_import"),
    path("import/preview/", ledger_import.import_preview, name="hazard_import_preview"),
    path("import/confirm/", ledger_import.import_confirm, name="hazard_import_confirm"),
    path("import/template.xlsx", ledger_import.import_template, name="hazard_import_template"),
    path("import/jobs/<int:pk>/", ledger_import.import_job, name="hazard_import_job"),
    path("<int:pk>/", hazards.hazard_detail, name="hazard_detail"),
    path("<int:pk>/act/<slug:action>/", hazards.hazard_act, name="hazard_act"),
]
