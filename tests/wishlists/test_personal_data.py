"""What deleting an account does to wish lists. That every wish-list field is declared is
privacy.E001's job, checked over the whole project in tests/privacy/test_checks.py."""

from __future__ import annotations

from bungu.privacy import Erase, data_map


def test_a_deleted_account_takes_its_wish_lists_with_it():
    assert data_map.get("wishlists.WishListItem.note").erase == Erase.DELETE
