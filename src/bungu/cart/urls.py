from django.urls import path

from . import views

app_name = "cart"

urlpatterns = [
    path("", views.detail, name="detail"),
    path("add/", views.add, name="add"),
    path("lines/<id:line_id>/", views.update_line, name="update_line"),
    path("lines/<id:line_id>/remove/", views.remove_line, name="remove_line"),
]
