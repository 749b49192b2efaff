import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test starts with an empty page cache, so a cached page never leaks between tests."""
    from django.core.cache import cache  # noqa: PLC0415 - after pytest-django configured settings

    cache.clear()
    yield
    cache.clear()
