"""The wish lists' fields are all in the data map (privacy.E001)."""

from __future__ import annotations

from django.apps import apps

from bungu.privacy import Erase, data_map
from bungu.privacy.checks import checked_fields


def test_every_field_of_the_wish_list_models_is_declared():
    for model_name in ("WishList", "WishListItem"):
        model = apps.get_model("wishlists", model_name)
        undeclared = [
            field.name
            for field in checked_fields(model)
            if not data_map.is_declared(f"wishlists.{model_name}.{field.name}")
        ]
        assert undeclared == []


def test_a_deleted_account_takes_its_wish_lists_with_it():
    assert data_map.get("wishlists.WishListItem.note").erase == Erase.DELETE
