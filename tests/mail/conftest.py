from pathlib import Path

import pytest

TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture
def mail_templates(settings):
    """Adds the tests' own mail templates (mail_tests/...) to the template search path."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [TEMPLATES]}]


@pytest.fixture(autouse=True)
def _outbox_backend(settings):
    """Django's test runner replaces EMAIL_BACKEND with its in-memory one; these tests are
    about the shop's own backend."""
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"
