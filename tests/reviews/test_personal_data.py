"""The reviews' fields are all in the data map (privacy.E001) and erased by deletion."""

from __future__ import annotations

from django.apps import apps

from bungu.privacy import Erase, data_map
from bungu.privacy.checks import checked_fields


def test_every_field_of_the_review_models_is_declared():
    for model_name in ("Review", "ReviewReport"):
        model = apps.get_model("reviews", model_name)
        undeclared = [
            field.name
            for field in checked_fields(model)
            if not data_map.is_declared(f"reviews.{model_name}.{field.name}")
        ]
        assert undeclared == []


def test_a_deleted_account_takes_its_review_text_with_it():
    assert data_map.get("reviews.Review.body").erase == Erase.DELETE
    assert data_map.get("reviews.ReviewReport.details").erase == Erase.DELETE
