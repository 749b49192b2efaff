"""The in-memory card processor of the orders tests, for shipments posted by a warehouse."""

from tests.orders.conftest import gateway

__all__ = ["gateway"]
