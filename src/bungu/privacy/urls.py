from django.urls import path

from . import customer_views, views

app_name = "privacy"

urlpatterns = [
    path("", views.notice, name="notice"),
    path("v<int:version>/", views.notice, name="version"),
    path("compare/", views.compare, name="compare"),
    path("cookies/", views.cookies, name="cookies"),
    path("consent/", views.consent, name="consent"),
    path("my-data/", customer_views.my_data, name="my_data"),
    path("my-data/download/", customer_views.my_data_download, name="my_data_download"),
    path("requests/", customer_views.request_list, name="requests"),
    path("requests/new/", customer_views.request_new, name="request_new"),
    path("requests/<int:request_id>/", customer_views.request_detail, name="request_detail"),
    path("staff/datamap/", views.staff_datamap, name="staff_datamap"),
]
