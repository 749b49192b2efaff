import pytest

from tests.redis_server import RedisServer, redis_server

__all__ = ["redis_server"]


@pytest.fixture(autouse=True)
def _processor_for_reconciliation(sandbox_gateway):
    """Every run of the shop's jobs includes the payment reconciliation, which asks the card
    processor: the real sandbox process answers it."""
    return sandbox_gateway


@pytest.fixture
def redis_port(redis_server: RedisServer) -> int:
    """The port of a real Redis (Debian's redis-server) on loopback, nothing saved."""
    return redis_server.port
