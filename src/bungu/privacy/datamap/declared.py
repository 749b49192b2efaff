"""What the cookie and log registries share: declarations of one kind, gathered from every
installed app's ``personal_data`` module (``COOKIES = [...]``, ``LOGS = [...]``)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from types import ModuleType
from typing import ClassVar, Generic, TypeVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

from bungu.privacy.datamap.registry import DECLARATIONS_MODULE

Declared = TypeVar("Declared")


class DeclarationRegistry(Generic[Declared]):
    """Declarations by key, with the module each came from. A key declared twice, or a value
    of another type, is a configuration error naming the modules at fault."""

    attribute: ClassVar[str]  # the list's name in personal_data.py
    kind: ClassVar[type]
    noun: ClassVar[str]  # for messages: "cookie", "log"

    def __init__(self) -> None:
        self._declared: dict[str, Declared] = {}
        self._origins: dict[str, str] = {}

    def key(self, item: Declared) -> str:
        raise NotImplementedError

    def declare(self, items: Iterable[Declared], *, origin: str) -> None:
        """Add one module's declarations."""
        for item in items:
            if not isinstance(item, self.kind):
                raise ImproperlyConfigured(
                    f"{origin}: {self.attribute} holds {item!r}, not a {self.kind.__name__}"
                )
            key = self.key(item)
            if key in self._declared:
                raise ImproperlyConfigured(
                    f"{self.noun} {key!r} is declared twice ({self._origins[key]}, {origin})"
                )
            self._declared[key] = item
            self._origins[key] = origin

    def origin_of(self, item: Declared) -> str:
        return self._origins[self.key(item)]

    def declare_module(self, module: ModuleType) -> None:
        self.declare(getattr(module, self.attribute, ()), origin=module.__name__)

    def discover(self) -> None:
        """Read the declarations of every installed app's ``personal_data``, from scratch."""
        self.clear()
        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, DECLARATIONS_MODULE):
                self.declare_module(import_module(f"{app_config.name}.{DECLARATIONS_MODULE}"))

    def clear(self) -> None:
        self._declared.clear()
        self._origins.clear()

    def __len__(self) -> int:
        return len(self._declared)
