from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "bungu.operations"
    verbose_name = "Operations"
