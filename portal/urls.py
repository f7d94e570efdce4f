from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("activate/", views.activate, name="activate"),
    path("hazards/<int:pk>/", views.hazard_detail, name="hazard"),
    path("hazards/<int:pk>/report/", views.hazard_report, name="hazard_report"),
    path("hazards/<int:pk>/extension/", views.hazard_extension, name="hazard_extension"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/thumb/", views.photo_thumb, name="photo_thumb"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("self-report/", views.self_report, name="self_report"),
    path("bulletins/", views.bulletin_entries, name="bulletins"),
    path("password/", views.password_change, name="password"),
]
