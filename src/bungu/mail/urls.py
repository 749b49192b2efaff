from django.urls import path

from . import views

app_name = "mail"

urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # P7: the open-confirmation image (the token is an HMAC of the message's Message-ID).
    path("open/<str:token>.gif", views.open_image, name="open"),
]
