from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "bungu.storefront"
    verbose_name = "Storefront"
