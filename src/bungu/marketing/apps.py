from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "bungu.marketing"
    verbose_name = "Marketing"
