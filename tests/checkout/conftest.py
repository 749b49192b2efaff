import pytest

from bungu import payments
from tests.checkout.fake_gateway import FakeGateway


@pytest.fixture
def gateway(settings):
    """The in-memory processor, chosen by the setting as a real adapter is."""
    settings.BUNGU_PAYMENT_GATEWAY = "tests.checkout.fake_gateway.FakeGateway"
    payments.get_gateway.cache_clear()
    fake = payments.get_gateway()
    assert isinstance(fake, FakeGateway)
    yield fake
    payments.get_gateway.cache_clear()


@pytest.fixture
def shop_tables(django_db_blocker):
    """The shipping methods and tax rates the data migration seeds; a transactional test
    starts from empty tables, so they are seeded again (the seed is idempotent)."""
    from importlib import import_module  # noqa: PLC0415 - a migration module, by its name

    from django.apps import apps  # noqa: PLC0415

    import_module("bungu.checkout.migrations.0002_seed_shipping_and_tax").seed(apps, None)
