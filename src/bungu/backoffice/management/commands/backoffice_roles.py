"""``bungu backoffice_roles``: create or update the staff roles' groups."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bungu.backoffice.roles import ROLES, ensure_roles


class Command(BaseCommand):
    help = (
        "Create or update one group per staff role (Customer service, Fulfilment, ...), "
        "granting exactly the privacy purposes the role needs. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_roles()
        for role in ROLES:
            purposes = ", ".join(sorted(purpose.label for purpose in role.purposes))
            self.stdout.write(f"{role.name}: {purposes}")
