"""The in-memory card processor of the orders tests, for the order pages."""

from tests.orders.conftest import gateway

__all__ = ["gateway"]
