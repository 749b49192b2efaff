from django.apps import AppConfig


class CardSandboxConfig(AppConfig):
    name = "cardsandbox"
    verbose_name = "Sandbox card processor"
    default_auto_field = "django.db.models.BigAutoField"
