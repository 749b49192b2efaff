"""Records written once: the ledgers the law and the promises rely on."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from bungu.privacy.exceptions import AppendOnlyViolation

_M = TypeVar("_M", bound=models.Model)


# ---------------------------------------------------------------- written once
class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Bulk updates and deletes are refused like the single-row ones."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyViolation(f"{self.model._meta.label} entries are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation(f"{self.model._meta.label} entries are never deleted.")


class AppendOnly(models.Model):
    """A record that is written once and then only read: a ledger line, a log line.

    The refusal lives in the ORM; a database role without UPDATE/DELETE rights on these
    tables would make it hold against raw SQL too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyViolation(f"{self._meta.label} entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation(f"{self._meta.label} entries are never deleted.")
