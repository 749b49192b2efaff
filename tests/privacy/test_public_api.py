"""bungu.privacy's public names: the only door other apps use (design.md)."""

import subprocess
import sys

import bungu.privacy
from bungu.privacy.notices import consent
from bungu.privacy.sharing import accessor


def test_every_public_name_resolves_to_what_it_says() -> None:
    for name in bungu.privacy.__all__:
        assert getattr(bungu.privacy, name) is not None, name
    assert bungu.privacy.access is accessor.access
    assert bungu.privacy.may_use is consent.may_use
    assert callable(bungu.privacy.record_consent)


def test_importing_the_package_loads_no_models() -> None:
    """Django imports the app package before models may load; the services are lazy."""
    code = (
        "import sys, bungu.privacy\n"
        "assert 'bungu.privacy.models' not in sys.modules, 'models imported eagerly'\n"
        "print(bungu.privacy.Field.__name__)\n"
    )
    result = subprocess.run(  # noqa: S603  # our own interpreter, a fixed script
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )

    assert (result.returncode, result.stdout) == (0, "Field\n"), result.stderr
