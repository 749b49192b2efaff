from django.urls import path

from bungu.privacy.views import customer, deletion, public, requests_by_email, staff

app_name = "privacy"

urlpatterns = [
    path("", public.notice, name="notice"),
    path("v<int:version>/", public.notice, name="version"),
    path("compare/", public.compare, name="compare"),
    path("cookies/", public.cookies, name="cookies"),
    path("consent/", public.consent, name="consent"),
    path("my-data/", customer.my_data, name="my_data"),
    path("my-data/download/", customer.my_data_download, name="my_data_download"),
    # P7: the customer's switch for e-mail open confirmations.
    path("my-data/open-confirmations/", customer.open_confirmations, name="open_confirmations"),
    # P22: asking to delete the account, and changing one's mind within the grace period.
    path("delete-account/", deletion.delete_account, name="delete_account"),
    path(
        "delete-account/cancel/",
        deletion.cancel_delete_account,
        name="cancel_delete_account",
    ),
    path("requests/", customer.request_list, name="requests"),
    path("requests/new/", customer.request_new, name="request_new"),
    path("requests/<id:request_id>/", customer.request_detail, name="request_detail"),
    # P26 without signing in: verified by a link sent to the account's e-mail address.
    path("requests/by-email/", requests_by_email.request_by_email, name="request_by_email"),
    path("requests/by-email/sent/", requests_by_email.request_link_sent, name="request_link_sent"),
    path(
        "requests/confirm/<str:token>/", requests_by_email.request_confirm, name="request_confirm"
    ),
    path("staff/datamap/", staff.staff_datamap, name="staff_datamap"),
]
