"""What deleting an account does to reviews. That every review field is declared is
privacy.E001's job, checked over the whole project in tests/privacy/test_checks.py."""

from __future__ import annotations

from bungu.privacy import Erase, data_map


def test_a_deleted_account_takes_its_review_text_with_it():
    assert data_map.get("reviews.Review.body").erase == Erase.DELETE
    assert data_map.get("reviews.ReviewReport.details").erase == Erase.DELETE
