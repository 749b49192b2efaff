from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "bungu.orders"
    verbose_name = "Orders"
