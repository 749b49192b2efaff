"""Fixtures of the marketing tests: a Marketing staff member signed in, and fixtures other
test packages define, used here too: the orders' in-memory card processor (segments that
cancel an order) and the test database as another process reaches it (the sending worker
killed mid-campaign)."""

from typing import Any

import pytest

from tests.backoffice.factories import staff_member
from tests.checkout.conftest import shared_database
from tests.orders.conftest import gateway

__all__ = ["gateway", "marketer", "shared_database"]


@pytest.fixture
def marketer(client: Any) -> Any:
    """A member of the Marketing role, signed in on ``client``."""
    member = staff_member("Marketing")
    client.force_login(member)
    return member
