"""factory_boy factories for the cart tests."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from bungu.cart import tokens
from bungu.cart.models import Cart, CartLine
from tests.catalog.factories import SKUFactory


class CartFactory(DjangoModelFactory):
    """An anonymous cart; ``CartFactory(user=...)`` for an account's. ``anonymous_cart()``
    also gives the cookie value that opens it."""

    class Meta:
        model = Cart

    class Params:
        token = factory.LazyFunction(tokens.new_token)

    user = None
    token_hash = factory.LazyAttribute(lambda o: None if o.user else tokens.hash_token(o.token))


class CartLineFactory(DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    sku = factory.SubFactory(SKUFactory)
    quantity = 1


def anonymous_cart(**kwargs: object) -> tuple[Cart, str]:
    """An anonymous cart and the cookie value that opens it."""
    token = tokens.new_token()
    return CartFactory(token=token, **kwargs), token
