from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "bungu.checkout"
    verbose_name = "Checkout"
