import pytest


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
