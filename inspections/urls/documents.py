"""URL routes for the documents handed over on site; included from anjian/urls.py at the root,
so the QR code's address stays short (/v/<token>/)."""

from django.urls import path

from ..documents import views

urlpatterns = [
    path("documents/<int:pk>/pdf/", views.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/void/", views.document_void, name="document_void"),
    path("documents/<int:pk>/reissue/", views.document_reissue, name="document_reissue"),
    path("v/<str:token>/", views.verify, name="document_verify"),
]
