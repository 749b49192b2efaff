from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.notice, name="notice"),
    path("v<int:version>/", views.notice, name="version"),
    path("compare/", views.compare, name="compare"),
]
