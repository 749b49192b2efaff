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
