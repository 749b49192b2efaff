"""The orders' in-memory card processor, for the segment tests that cancel an order."""

from tests.orders.conftest import gateway

__all__ = ["gateway"]
