from django.apps import AppConfig

from bungu.privacy import checks  # noqa: F401  # registers the privacy system checks
from bungu.privacy.datamap.cookies import cookie_registry
from bungu.privacy.datamap.logs import log_registry
from bungu.privacy.datamap.registry import data_map


class PrivacyConfig(AppConfig):
    name = "bungu.privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Like the admin's autodiscovery of admin.py, but the modules are read for their
        # PERSONAL and NOT_PERSONAL lists instead of registering themselves by side effect.
        data_map.discover()
        # The same modules declare the cookies each app sets (P5, P10).
        cookie_registry.discover()
        # ... and the log files their servers write (P5).
        log_registry.discover()
