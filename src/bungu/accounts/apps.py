from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bungu.accounts"
    verbose_name = "Accounts"
