"""The import-linter contracts of pyproject.toml catch what they promise to catch.

`make lint` shows the real code keeps them; here a copy of the code with planted breaches
shows that each contract does break on one (the positive control).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

PLANTED = {
    # A lower app reaching into privacy's models instead of its public names.
    "bungu/catalog/planted_privacy.py": "from bungu.privacy import models\n",
    # A module deep in a higher app doing the same with an absolute module import.
    "bungu/cart/planted_privacy.py": "import bungu.privacy.notices.consent\n",
    # An app importing the project's URL configuration.
    "bungu/reviews/planted_urls.py": "from bungu import urls\n",
    # The shop reaching into the sandbox processor, and the processor into the shop: they
    # share no code (P2: the shop talks to the processor over HTTP only).
    "bungu/payments/planted_sandbox.py": "from cardsandbox import cards\n",
    "cardsandbox/planted_shop.py": "from bungu.payments import interface\n",
    # The database router (below every app) reaching into one (the copy's own is replaced).
    "bungu/db_routing.py": "from bungu.shared_cache import get\nfrom bungu.catalog import models\n",
}


def _lint_copy(tmp_path: Path, planted: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The graph needs only the Python modules; templates and static files are left behind.
    for package in ("bungu", "cardsandbox"):
        shutil.copytree(
            ROOT / "src" / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "migrations"),
        )
    for path, source in planted.items():
        (tmp_path / path).write_text(source)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(  # noqa: S603 - the project's own linter, fixed arguments
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_contracts_break_on_planted_imports(tmp_path: Path) -> None:
    result = _lint_copy(tmp_path, PLANTED)

    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "Apps import only from lower layers (design.md) KEPT" in out
    assert "Apps never import the project's URL configuration BROKEN" in out
    assert (
        "Other apps use only bungu.privacy's public names, never its modules (design.md) BROKEN"
        in out
    )
    assert "bungu.catalog.planted_privacy -> bungu.privacy.models" in out
    assert "bungu.cart.planted_privacy -> bungu.privacy.notices.consent" in out
    assert "bungu.reviews.planted_urls -> bungu.urls" in out
    assert "The sandbox card processor never imports the shop BROKEN" in out
    assert "bungu.payments.planted_sandbox -> cardsandbox.cards" in out
    assert "cardsandbox.planted_shop -> bungu.payments.interface" in out
    assert "The shared cache's access and the database router import no app BROKEN" in out
    assert "bungu.db_routing -> bungu.catalog.models" in out
    # The one import between the two is allowed.
    assert "bungu.db_routing -> bungu.shared_cache" not in out
    assert "Contracts: 4 kept, 5 broken." in out


def test_public_names_and_privacys_own_modules_are_allowed(tmp_path: Path) -> None:
    allowed = {
        "bungu/catalog/planted_public.py": "from bungu import privacy\n",
        "bungu/cart/planted_public.py": "from bungu.privacy import Purpose\n",
        "bungu/privacy/planted_internal.py": "from bungu.privacy import models, consent\n",
        "cardsandbox/planted_internal.py": "from cardsandbox import cards\n",
    }

    result = _lint_copy(tmp_path, allowed)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 9 kept, 0 broken." in result.stdout


def test_the_declaration_of_periodic_jobs_may_import_no_app(tmp_path: Path) -> None:
    own = (ROOT / "src" / "bungu" / "periodic.py").read_text()
    # A job declaration that reached up into the app that runs the jobs.
    result = _lint_copy(tmp_path, {"bungu/periodic.py": own + "import bungu.operations.models\n"})

    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "The declaration of periodic jobs (bungu.periodic) imports no app BROKEN" in out
    assert "bungu.periodic -> bungu.operations.models" in out


def test_the_declaration_of_the_metrics_may_import_no_app(tmp_path: Path) -> None:
    own = (ROOT / "src" / "bungu" / "metrics.py").read_text()
    # The metrics reaching up into the app that serves them.
    result = _lint_copy(tmp_path, {"bungu/metrics.py": own + "import bungu.operations.health\n"})

    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "The declaration of the metrics (bungu.metrics) imports no app BROKEN" in out
    assert "bungu.metrics -> bungu.operations.health" in out
