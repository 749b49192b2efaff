"""factory_boy factories for reviews."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from bungu.reviews import services
from bungu.reviews.models import Review, ReviewStatus
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory


class ReviewFactory(DjangoModelFactory):
    class Meta:
        model = Review

    author = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    rating = 4
    body = "Writes smoothly and dries fast."
    status = ReviewStatus.PENDING


def approved_review(*, moderator_id: int | None = None, **fields: object) -> Review:
    """A review published the way staff publish one, so the product's summary follows."""
    review = ReviewFactory(**fields)
    moderator = moderator_id or CustomerFactory(is_staff=True).id
    return services.approve_review(review_id=review.id, moderator_id=moderator)
