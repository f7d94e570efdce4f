"""/api/v1/ (token-authenticated, logged), /api/schema/ (OpenAPI 3) and /api/docs/.

DRF authenticates by token itself, so these views are exempt from the site's login redirect.
The schema and the docs page show no data, only the interface: they are open, so a vendor
can read them before it has a token.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

app_name = "api"

LIST = {"get": "list"}
DETAIL = {"get": "retrieve"}


def _open(view):
    return login_not_required(view)


urlpatterns = [
    path("v1/units/", _open(views.UnitViewSet.as_view(LIST)), name="unit-list"),
    path("v1/units/<int:pk>/", _open(views.UnitViewSet.as_view(DETAIL)), name="unit-detail"),
    path("v1/inspections/", _open(views.InspectionViewSet.as_view(LIST)), name="inspection-list"),
    path(
        "v1/inspections/<int:pk>/",
        _open(views.InspectionViewSet.as_view(DETAIL)),
        name="inspection-detail",
    ),
    path(
        "v1/hazards/",
        _open(views.HazardViewSet.as_view({"get": "list", "post": "create"})),
        name="hazard-list",
    ),
    path("v1/hazards/<int:pk>/", _open(views.HazardViewSet.as_view(DETAIL)), name="hazard-detail"),
    path("v1/photos/<int:pk>/", _open(views.PhotoView.as_view()), name="photo"),
    path("v1/bulletins/", _open(views.BulletinViewSet.as_view(LIST)), name="bulletin-list"),
    path(
        "v1/bulletins/<int:pk>/",
        _open(views.BulletinViewSet.as_view(DETAIL)),
        name="bulletin-detail",
    ),
    path("v1/bulletins/<int:pk>/pdf/", _open(views.BulletinPdfView.as_view()), name="bulletin-pdf"),
    path("schema/", _open(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", _open(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
]
