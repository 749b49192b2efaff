from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "bungu.cart"
    verbose_name = "Carts"
