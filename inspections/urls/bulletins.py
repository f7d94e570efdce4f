"""URL routes for the bulletins pages; included from anjian/urls.py under /bulletins/."""

from django.urls import path

from ..views import bulletins

urlpatterns = [
    path("", bulletins.bulletin_list, name="bulletin_list"),
    path("new/", bulletins.bulletin_create, name="bulletin_create"),
    path("quarterly/new/", bulletins.quarterly_create, name="quarterly_create"),
    path("defaults/", bulletins.bulletin_defaults, name="bulletin_defaults"),
    path("<int:pk>/", bulletins.bulletin_detail, name="bulletin_detail"),
    path("<int:pk>/adjust/", bulletins.bulletin_adjust, name="bulletin_adjust"),
    path("<int:pk>/submit/", bulletins.bulletin_submit, name="bulletin_submit"),
    path("<int:pk>/withdraw/", bulletins.bulletin_withdraw, name="bulletin_withdraw"),
    path("<int:pk>/approve/", bulletins.bulletin_approve, name="bulletin_approve"),
    path("<int:pk>/return/", bulletins.bulletin_return, name="bulletin_return"),
    path("<int:pk>/circulate/", bulletins.bulletin_circulate, name="bulletin_circulate"),
    path("<int:pk>/regenerate/", bulletins.bulletin_regenerate, name="bulletin_regenerate"),
    path("<int:pk>/pdf/", bulletins.bulletin_pdf, name="bulletin_pdf"),
    path("<int:pk>/attachment.xlsx", bulletins.bulletin_attachment, name="bulletin_attachment"),
]
