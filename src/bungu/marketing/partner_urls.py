"""P14: the partner's pages, under the signed link (``/partners/<token>/``)."""

from django.urls import path

from . import partner_views

app_name = "partners"

urlpatterns = [
    path("<str:token>/", partner_views.report, name="report"),
    path("<str:token>/report.csv", partner_views.report_download, name="report_csv"),
    path("<str:token>/redeemed/", partner_views.redemptions, name="redemptions"),
]
