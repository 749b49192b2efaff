from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.index, name="index"),
    path("roles/", views.roles, name="roles"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<id:customer_id>/", views.customer, name="customer"),
]
