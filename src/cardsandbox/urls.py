from django.urls import path
from django.views.generic import RedirectView

from . import api, pages

handler404 = "cardsandbox.api.not_found"

urlpatterns = [
    path("", RedirectView.as_view(url="/test-cards", permanent=False)),
    path("healthz", pages.health, name="health"),
    path("test-cards", pages.test_cards, name="test_cards"),
    path("pay/<str:public_id>", pages.pay, name="pay"),
    path("pay/<str:public_id>/challenge", pages.challenge, name="challenge"),
    path("pay/<str:public_id>/cancel", pages.cancel, name="cancel"),
    path("v1/payments", api.payments, name="api_payments"),
    path("v1/payments/<str:public_id>", api.payment, name="api_payment"),
    path("v1/payments/<str:public_id>/capture", api.capture, name="api_capture"),
    path("v1/payments/<str:public_id>/void", api.void, name="api_void"),
    path("v1/payments/<str:public_id>/refund", api.refund, name="api_refund"),
    path("v1/events", api.events, name="api_events"),
    path("v1/test/webhook-mode", api.webhook_mode, name="api_webhook_mode"),
    path("v1/test/payments/<str:public_id>/expire", api.expire_now, name="api_expire_now"),
]
