from django.urls import path

from . import order_views, views

app_name = "backoffice"

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("roles/", views.roles, name="roles"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<id:customer_id>/", views.customer, name="customer"),
    path("orders/", order_views.order_list, name="orders"),
    path("orders/<str:number>/", order_views.order_detail, name="order"),
    path("orders/<str:number>/refund/", order_views.order_refund, name="order_refund"),
    path("orders/<str:number>/cancel/", order_views.order_cancel, name="order_cancel"),
    path("orders/<str:number>/delivered/", order_views.order_delivered, name="order_delivered"),
    path(
        "orders/<str:number>/returns/<id:return_id>/",
        order_views.order_return,
        name="order_return",
    ),
    path("fulfilment/", order_views.pick_list, name="pick_list"),
    path("fulfilment/<str:number>/", order_views.packing_slip, name="packing_slip"),
    path("fulfilment/<str:number>/ship/", order_views.ship, name="ship"),
]
