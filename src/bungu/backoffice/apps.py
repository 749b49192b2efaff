from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "bungu.backoffice"
    verbose_name = "Back office"
