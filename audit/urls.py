from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.change_list, name="list"),
    path("access/", views.access_list, name="access"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/file/", views.import_file, name="import_file"),
]
