from django.urls import path

from . import customer_views, request_views, views

app_name = "privacy"

urlpatterns = [
    path("", views.notice, name="notice"),
    path("v<int:version>/", views.notice, name="version"),
    path("compare/", views.compare, name="compare"),
    path("cookies/", views.cookies, name="cookies"),
    path("consent/", views.consent, name="consent"),
    path("my-data/", customer_views.my_data, name="my_data"),
    path("my-data/download/", customer_views.my_data_download, name="my_data_download"),
    # P22: asking to delete the account, and changing one's mind within the grace period.
    path("delete-account/", customer_views.delete_account, name="delete_account"),
    path(
        "delete-account/cancel/",
        customer_views.cancel_delete_account,
        name="cancel_delete_account",
    ),
    path("requests/", customer_views.request_list, name="requests"),
    path("requests/new/", customer_views.request_new, name="request_new"),
    path("requests/<id:request_id>/", customer_views.request_detail, name="request_detail"),
    # P26 without signing in: verified by a link sent to the account's e-mail address.
    path("requests/by-email/", request_views.request_by_email, name="request_by_email"),
    path("requests/by-email/sent/", request_views.request_link_sent, name="request_link_sent"),
    path("requests/confirm/<str:token>/", request_views.request_confirm, name="request_confirm"),
    path("staff/datamap/", views.staff_datamap, name="staff_datamap"),
]
