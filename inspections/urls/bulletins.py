"""URL routes for the bulletins pages; included from anjian/urls.py under /bulletins/."""

from django.urls import path

from ..views import bulletins

urlpatterns = [
    path("", bulletins.bulletin_list, name="bulletin_list"),
    path("new/", bulletins.bulletin_create, name="bulletin_create"),
    path("<int:pk>/", bulletins.bulletin_detail, name="bulletin_detail"),
    path("<int:pk>/circulate/", bulletins.bulletin_circulate, name="bulletin_circulate"),
    path("<int:pk>/regenerate/", bulletins.bulletin_regenerate, name="bulletin_regenerate"),
    path("<int:pk>/pdf/", bulletins.bulletin_pdf, name="bulletin_pdf"),
    path("<int:pk>/attachment.xlsx", bulletins.bulletin_attachment, name="bulletin_attachment"),
]
