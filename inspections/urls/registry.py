"""URL routes for the registry pages: enforcement actions, accidents, campaigns."""

from django.urls import include, path

from ..views import registry as views

urlpatterns = [
    path("enforcement/", views.enforcement_list, name="enforcement_list"),
    path("enforcement/new/", views.enforcement_create, name="enforcement_create"),
    path("enforcement/<int:pk>/", views.enforcement_detail, name="enforcement_detail"),
    path("enforcement/<int:pk>/void/", views.enforcement_void, name="enforcement_void"),
    path("accidents/", views.accident_list, name="accident_list"),
    path("accidents/new/", views.accident_create, name="accident_create"),
    path("accidents/", include(views.ACCIDENT_IMPORT.urls("accident"))),
    path("accidents/<int:pk>/", views.accident_detail, name="accident_detail"),
    path("accidents/<int:pk>/void/", views.accident_void, name="accident_void"),
    path("accidents/<int:pk>/edit/", views.accident_edit, name="accident_edit"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/void/", views.campaign_void, name="campaign_void"),
]
