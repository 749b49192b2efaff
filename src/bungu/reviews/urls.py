from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("write/<slug:slug>/", views.write, name="write"),
    path("<id:review_id>/delete/", views.delete, name="delete"),
    path("<id:review_id>/report/", views.report, name="report"),
]
