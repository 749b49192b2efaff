"""factory_boy factories for customers, their addresses and guardian links."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from factory.django import DjangoModelFactory

from bungu.accounts.models import Address, User

PASSWORD = "a long passphrase 42"


class CustomerFactory(DjangoModelFactory):
    """A signed-up adult customer whose address is verified and who can sign in."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    adult_declared_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if not create:
            return
        self.save()
        EmailAddress.objects.create(
            user=self, email=self.email, primary=True, verified=extracted is not False
        )


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    label = "Home"
    recipient = "Hana Sato"
    line1 = "1 Market Street"
    city = "San Francisco"
    region = "CA"
    postal_code = "94105"
    country = "US"
