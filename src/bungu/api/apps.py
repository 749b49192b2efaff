from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bungu.api"
    label = "api"
    verbose_name = "Agents' API"
