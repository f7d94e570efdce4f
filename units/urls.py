from django.urls import path

from . import views, views_xlsx

app_name = "units"

urlpatterns = [
    path("", views.unit_list, name="list"),
    path("new/", views.unit_create, name="create"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("<int:pk>/edit/", views.unit_edit, name="edit"),
    path("import/", views_xlsx.import_upload, name="import"),
    path("import/preview/", views_xlsx.import_preview, name="import_preview"),
    path("import/confirm/", views_xlsx.import_confirm, name="import_confirm"),
    path("import/template.xlsx", views_xlsx.import_template, name="import_template"),
    path("export.xlsx", views_xlsx.unit_export, name="export"),
]
