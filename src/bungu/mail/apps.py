from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "bungu.mail"
    label = "mail"
    verbose_name = "E-mail"
