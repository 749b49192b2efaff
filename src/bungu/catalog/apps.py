from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "bungu.catalog"
    verbose_name = "Catalogue"
