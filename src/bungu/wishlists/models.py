"""A customer's wish lists and what is on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bungu.privacy import KeepsPriorVersions, PriorVersionsManager

NAME_MAX_LENGTH = 80
NOTE_MAX_LENGTH = 500
# secrets.token_urlsafe(32): 32 random bytes, 43 URL-safe characters.
SHARE_TOKEN_BYTES = 32
SHARE_TOKEN_LENGTH = 43
DEFAULT_NAME = "My wish list"


class WishList(KeepsPriorVersions):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="wish_lists", on_delete=models.CASCADE
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # Private while empty. Sharing stores a fresh random token; revoking clears it, so every
    # link handed out before stops working.
    share_token = models.CharField(
        max_length=SHARE_TOKEN_LENGTH, unique=True, null=True, blank=True, editable=False
    )
    shared_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PriorVersionsManager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"], name="wishlist_owner_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return bool(self.share_token)


class WishListItem(KeepsPriorVersions):
    wish_list = models.ForeignKey(WishList, related_name="items", on_delete=models.CASCADE)
    sku = models.ForeignKey("catalog.SKU", related_name="+", on_delete=models.CASCADE)
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    objects = PriorVersionsManager()

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["wish_list", "sku"], name="wishlist_item_once"),
        ]

    def __str__(self) -> str:
        return f"SKU {self.sku_id} on wish list {self.wish_list_id}"
