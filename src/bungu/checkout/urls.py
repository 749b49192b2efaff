from django.urls import path

from . import views

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
]
