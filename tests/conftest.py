from importlib import import_module

import pytest

from tests.processor import start_processor
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the test database is a file (WAL, immediate transactions, a busy timeout:
    the shop's own settings), one per test process, rather than Django's shared memory. In
    shared memory two requests of the live server writing at once fail at once with "database
    table is locked" instead of waiting their turn, as no deployment of the shop does (the
    real processor's webhook and the customer's return arrive together)."""
    from django.conf import settings  # noqa: PLC0415 - after pytest-django configured settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and not database.get("TEST", {}).get(
        "NAME"
    ):
        name = str(tmp_path_factory.mktemp("database") / "test.sqlite3")
        database.setdefault("TEST", {})["NAME"] = name
    # With DATABASE_REPLICA_URL set (a node's environment), the suite still runs on one
    # database: a test mirror is another connection, which cannot see a test's uncommitted rows,
    # so the replica is left out and every read is from the primary. The routing itself is
    # tested on its own (tests/test_db_routing.py).
    settings.DATABASES.pop("replica", None)


# What the data migrations write, and a transactional test's flush takes away again: the notice
# in force (without it every purpose-limited read is refused) and the shipping and tax tables.
SEEDING_MIGRATIONS = [
    ("bungu.privacy.migrations.0002_notice_v1", "publish_v1"),
    ("bungu.checkout.migrations.0002_seed_shipping_and_tax", "seed"),
]


@pytest.fixture(autouse=True)
def _seeded_as_migrated(request):
    """A transactional test (live server, real concurrency) starts from the database as
    migrations leave it, like every other test, even after an earlier one flushed it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    historical = request.getfixturevalue("_migrated_models")
    for module, function in SEEDING_MIGRATIONS:
        getattr(import_module(module), function)(historical, None)


@pytest.fixture(scope="session")
def _migrated_models(django_db_setup, django_db_blocker):
    """The models as the migrations know them (the seeds run as in a migration, without the
    live models' rules, such as a new notice never taking effect in the past)."""
    from django.db import connection  # noqa: PLC0415 - after pytest-django configured settings
    from django.db.migrations.loader import MigrationLoader  # noqa: PLC0415

    with django_db_blocker.unblock():
        loader = MigrationLoader(connection)
        return loader.project_state().apps


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test starts with an empty page cache of its own, so nothing leaks between tests.

    The shop's default cache is a directory shared by processes; parallel test workers would
    empty each other's, so tests use a cache in their own memory.
    """
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
    }
    from django.core.cache import cache  # noqa: PLC0415 - after pytest-django configured settings

    from bungu.catalog.models import CatalogState  # noqa: PLC0415

    cache.clear()
    CatalogState.forget()
    yield
    cache.clear()
    CatalogState.forget()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on loopback that the shop's outbox delivers to.

    Mail the shop sends while it runs goes through the outbox and is delivered when its
    transaction commits (the task backend is the immediate one; a test that wants the
    database worker sets TASKS back).
    ``smtp_server.messages`` lists what arrived; ``smtp_server.find_link("/confirm/")`` finds
    a link in the last one; ``smtp_server.refuse("451 ...")`` makes it refuse mail.
    """
    from tests.smtp import SMTPTestServer  # noqa: PLC0415 - aiosmtpd only where it is used

    server = SMTPTestServer()
    server.start()
    settings.BUNGU_SMTP_HOST = server.host
    settings.BUNGU_SMTP_PORT = server.port
    settings.BUNGU_SMTP_USER = ""
    settings.BUNGU_SMTP_PASSWORD = ""
    settings.BUNGU_SMTP_STARTTLS = False
    settings.BUNGU_SMTP_SSL = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Django's test runner swaps in its in-memory backend; mail must go through the outbox here.
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _card_processor_process(tmp_path_factory):
    """One sandbox processor process per test session (so per xdist worker)."""
    processor = start_processor(tmp_path_factory.mktemp("cardsandbox"))
    yield processor
    processor.stop()


@pytest.fixture
def card_processor(_card_processor_process):
    """The real sandbox card processor (``python -m cardsandbox``) on a loopback port.

    Yields a ``tests.processor.CardProcessor``: ``.base_url``, ``.api_key``,
    ``.webhook_secrets`` (two active secrets), ``.create()``, ``.get()``, ``.pay(id,
    number=..., challenge="complete"|"fail")``, ``.webhook_mode(mode, delay=, url=)``,
    ``.events(id)``. Webhooks go nowhere until a test sets ``webhook_mode(url=...)``; the
    knobs are reset after each test. To point the shop at it, use ``sandbox_gateway``.
    """
    _card_processor_process.webhook_mode("normal")
    yield _card_processor_process
    _card_processor_process.webhook_mode("normal")


@pytest.fixture
def start_card_processor(tmp_path):
    """Start a processor of the test's own with extra environment (a tiny TTL, say)."""
    started = []

    def start(**env: str):  # type: ignore[no-untyped-def]
        processor = start_processor(tmp_path / f"cardsandbox{len(started)}", **env)
        started.append(processor)
        return processor

    yield start
    for processor in started:
        processor.stop()


@pytest.fixture
def sandbox_gateway(card_processor, settings):
    """The shop's ``get_gateway()`` pointed at ``card_processor`` (settings + cache cleared)."""
    from bungu.payments import get_gateway  # noqa: PLC0415 - after settings are configured

    settings.BUNGU_PAYMENT_GATEWAY = "bungu.payments.sandbox.SandboxGateway"
    settings.BUNGU_PROCESSOR_URL = card_processor.base_url
    settings.BUNGU_PROCESSOR_API_KEY = card_processor.api_key
    settings.BUNGU_PROCESSOR_WEBHOOK_SECRETS = list(card_processor.webhook_secrets)
    settings.BUNGU_PROCESSOR_TIMEOUT = 10.0
    get_gateway.cache_clear()
    gateway = get_gateway()
    yield gateway
    get_gateway.cache_clear()
    gateway.close()  # type: ignore[attr-defined]


@pytest.fixture
def webhook_receiver():
    """A loopback HTTP server that records the webhooks it receives (tests/webhook_receiver)."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()
