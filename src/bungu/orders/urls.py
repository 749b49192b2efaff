from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("<str:number>/", views.order_detail, name="detail"),
    path("<str:number>/cancel/", views.cancel, name="cancel"),
    path("<str:number>/return/", views.request_return, name="request_return"),
    # A guest's order, reached through the signed link in the confirmation e-mail.
    path("guest/<str:token>/", views.guest_order, name="guest"),
    path("guest/<str:token>/cancel/", views.guest_cancel, name="guest_cancel"),
    path("guest/<str:token>/return/", views.guest_request_return, name="guest_return"),
]
