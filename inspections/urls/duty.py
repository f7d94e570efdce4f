"""URL routes of the holiday duty roster (值班表)."""

from django.urls import path

from ..views import duty as views

urlpatterns = [
    path("", views.duty_list, name="duty_list"),
    path("new/", views.duty_create, name="duty_create"),
    path("<int:pk>/edit/", views.duty_edit, name="duty_edit"),
    path("<int:pk>/delete/", views.duty_delete, name="duty_delete"),
    *views.IMPORT.urls("duty"),
]
