"""factory_boy factories for customers, their addresses and guardian links."""

from __future__ import annotations

import datetime

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from factory.django import DjangoModelFactory

from bungu.accounts.models import Address, GuardianLink, User

PASSWORD = "a long passphrase 42"


class CustomerFactory(DjangoModelFactory):
    """The one factory for customers (and, with ``is_staff=True``, staff members): someone
    who signed up as an adult and verified the e-mail address.

    Tests sign customers in with ``client.force_login``, so by default the password is
    unusable: hashing a real one takes a tenth of a second. ``CustomerFactory(password=PASSWORD)``
    makes a customer who can sign in through the form; ``verified=False`` leaves the address
    unverified.
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    adult_declared_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            self.set_password(extracted)
        else:
            self.set_unusable_password()

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


class GuardianLinkFactory(DjangoModelFactory):
    """An accepted link: the guardian invited the young person, who signed up through it."""

    class Meta:
        model = GuardianLink

    guardian = factory.SubFactory(CustomerFactory)
    supervised = factory.SubFactory(CustomerFactory)
    invited_email = factory.LazyAttribute(lambda link: link.supervised.email)
    token_digest = factory.Sequence(lambda n: f"{n:064x}")
    approved_at = factory.LazyFunction(timezone.now)
    accepted_at = factory.LazyAttribute(lambda link: link.approved_at)
    expires_at = factory.LazyAttribute(lambda link: link.approved_at + datetime.timedelta(days=7))
