from django.apps import AppConfig

# Registers the several-node profile's system checks (bungu.E001..E010).
from bungu.operations import cluster_checks  # noqa: F401


class OperationsConfig(AppConfig):
    name = "bungu.operations"
    verbose_name = "Operations"
