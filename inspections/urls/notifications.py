"""URL routes for the notifications pages; included from anjian/urls.py."""

from django.urls import path

from inspections.views import notifications as views

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("read-all/", views.mark_all_read, name="notification_read_all"),
    path("settings/", views.notification_settings, name="notification_settings"),
    path("<int:pk>/", views.notification_detail, name="notification_detail"),
    path("<int:pk>/read/", views.mark_read, name="notification_read"),
]
