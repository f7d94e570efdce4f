from django.urls import path

from . import office

app_name = "unit_accounts"

urlpatterns = [
    path("", office.responsibility, name="responsibility"),
    path("units/<int:pk>/", office.unit_accounts, name="unit"),
    path("units/<int:pk>/issue/", office.issue_code, name="issue"),
    path("codes/<int:pk>/revoke/", office.revoke_code, name="revoke"),
]
