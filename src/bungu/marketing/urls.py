from django.urls import path

from . import comparison_views, partner_staff_views, views

app_name = "marketing"

urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("<id:campaign_id>/", views.campaign_detail, name="campaign"),
    path("<id:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<id:campaign_id>/send/", views.campaign_send, name="campaign_send"),
    path("<id:campaign_id>/schedule/", views.campaign_schedule, name="campaign_schedule"),
    path("<id:campaign_id>/pause/", views.campaign_pause, name="campaign_pause"),
    path("<id:campaign_id>/resume/", views.campaign_resume, name="campaign_resume"),
    path("<id:campaign_id>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    # P8: list comparison by private set intersection.
    path("comparisons/", comparison_views.comparison_list, name="comparisons"),
    path(
        "comparisons/agreements/<id:agreement_id>/request/",
        comparison_views.psi_request,
        name="psi_request",
    ),
    path(
        "comparisons/exchanges/<id:exchange_id>/answer/",
        comparison_views.psi_finish,
        name="psi_finish",
    ),
    # P14: partners and the offers sent on their behalf.
    path("partners/", partner_staff_views.partner_list, name="partners"),
    path("partners/<id:partner_id>/", partner_staff_views.partner_detail, name="partner"),
    path("partners/<id:partner_id>/offers/", partner_staff_views.offer_new, name="offer_new"),
    path("partners/<id:partner_id>/link/", partner_staff_views.partner_link, name="partner_link"),
    path(
        "partners/<id:partner_id>/revoke/",
        partner_staff_views.partner_revoke,
        name="partner_revoke",
    ),
    path(
        "partners/<id:partner_id>/active/",
        partner_staff_views.partner_active,
        name="partner_active",
    ),
]
