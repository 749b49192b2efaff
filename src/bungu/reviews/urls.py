from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("write/<slug:slug>/", views.write, name="write"),
    path("<int:review_id>/delete/", views.delete, name="delete"),
    path("<int:review_id>/report/", views.report, name="report"),
]
