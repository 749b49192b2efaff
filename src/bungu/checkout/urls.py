from django.urls import path

from . import approval_views, views

app_name = "checkout"

urlpatterns = [
    path("", views.start, name="start"),
    path("address/", views.address, name="address"),
    path("shipping/", views.shipping, name="shipping"),
    path("review/", views.review, name="review"),
    path("pay/", views.pay, name="pay"),
    path("return/<str:attempt_id>/", views.payment_return, name="return"),
    path("done/<str:attempt_id>/", views.done, name="done"),
    path("webhook/", views.webhook, name="webhook"),
    # P23: a supervised account's orders wait for the guardian.
    path("requested/<str:attempt_id>/", approval_views.requested, name="requested"),
    path("approvals/", approval_views.approval_list, name="approvals"),
    path("approvals/<str:attempt_id>/approve/", approval_views.approve, name="approve"),
    path("approvals/<str:attempt_id>/decline/", approval_views.decline, name="decline"),
    path("approvals/<str:attempt_id>/done/", approval_views.approval_done, name="approval_done"),
]
