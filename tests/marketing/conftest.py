"""Fixtures other test packages define, used here too: the orders' in-memory card processor
(segments that cancel an order) and the test database as another process reaches it (the
sending worker killed mid-campaign)."""

from tests.checkout.conftest import shared_database
from tests.orders.conftest import gateway

__all__ = ["gateway", "shared_database"]
