"""`bungu purge_carts`: delete carts kept longer than the data map declares (P5).

`bungu housekeeping` runs it with the other retention rules (P5); safe to run at any time.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from bungu.cart.services import purge_expired_carts


class Command(BaseCommand):
    help = (
        "Delete anonymous carts unchanged for BUNGU_CART_COOKIE_DAYS and account carts "
        "unchanged for BUNGU_CART_ACCOUNT_DAYS."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = purge_expired_carts()
        self.stdout.write(
            f"Deleted {result.anonymous} anonymous carts older than "
            f"{settings.BUNGU_CART_COOKIE_DAYS} days and {result.accounts} account carts "
            f"older than {settings.BUNGU_CART_ACCOUNT_DAYS} days."
        )
