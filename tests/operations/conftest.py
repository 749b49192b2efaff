import pytest


@pytest.fixture(autouse=True)
def _processor_for_reconciliation(sandbox_gateway):
    """Every run of the shop's jobs includes the payment reconciliation, which asks the card
    processor: the real sandbox process answers it."""
    return sandbox_gateway
