from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "bungu.payments"
    verbose_name = "Payments"
