"""The account pages. Mounted at /account/ before django-allauth's own pages (sign-in,
sign-up, password, e-mail, two-factor), so the shop's sessions page takes the place of
allauth's."""

from django.urls import path

from . import sourced_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("profile/", views.profile, name="profile"),
    path("addresses/", views.addresses, name="addresses"),
    path("addresses/new/", views.add_address, name="add_address"),
    path("addresses/<id:address_id>/", views.edit_address, name="edit_address"),
    path("addresses/<id:address_id>/delete/", views.delete_address, name="delete_address"),
    path("addresses/<id:address_id>/default/", views.make_default_address, name="default_address"),
    path("history/", views.history, name="history"),
    # P9: information from other sources, to correct or remove.
    path("other-sources/", sourced_views.sourced_details, name="sourced_details"),
    path(
        "other-sources/<id:detail_id>/",
        sourced_views.correct_sourced_detail,
        name="correct_sourced_detail",
    ),
    path(
        "other-sources/<id:detail_id>/remove/",
        sourced_views.remove_sourced_detail,
        name="remove_sourced_detail",
    ),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<id:session_id>/end/", views.end_session, name="end_session"),
    path("sessions/end-others/", views.end_other_sessions, name="end_other_sessions"),
    path("security/", views.security, name="security"),
    path("supervised/", views.supervised, name="supervised"),
    path("supervised/<id:link_id>/end/", views.end_supervision, name="end_supervision"),
    path("supervised/join/<str:token>/", views.join_supervised, name="join_supervised"),
]
