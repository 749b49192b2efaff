import sqlite3
from urllib.parse import quote

import pytest
from django.db import connection

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


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """The test database as other processes reach it; yields its ``DATABASE_URL``.

    On PostgreSQL that is the test database itself (a transactional test commits). SQLite's
    test database lives in this process's memory, out of reach of another process, so the
    test runs on a file copy of it instead, set up as the shop's own file is (WAL, immediate
    transactions, a busy timeout); the in-memory database is put back afterwards.
    """
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        yield f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        return
    assert connection.vendor == "sqlite"
    path = tmp_path / "shop.sqlite3"
    connection.ensure_connection()
    in_memory = connection.connection
    with sqlite3.connect(path) as copy:
        in_memory.backup(copy)
    copy.close()
    # Detach rather than close: closing the last connection would drop the test database.
    connection.connection = None
    name = db["NAME"]
    db["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        db["NAME"] = name
        connection.connection = in_memory
