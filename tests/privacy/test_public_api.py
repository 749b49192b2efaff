"""bungu.privacy's public names: the only door other apps use (design.md)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


# ---------------------------------------------------------------- the names, written once
SOURCE = Path(bungu.privacy.__file__)
ROOT = SOURCE.parents[3]


def _type_checking_imports(tree: ast.Module) -> dict[str, str]:
    """What the ``if TYPE_CHECKING:`` block of the package imports: name -> module."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom):
                    for alias in statement.names:
                        # ``A as A``: the explicit re-export mypy strict needs.
                        assert alias.asname == alias.name, ast.unparse(statement)
                        found[alias.name] = str(statement.module)
    return found


def _names_other_apps_import() -> dict[str, set[str]]:
    """Every name imported from, or read as an attribute of, bungu.privacy outside it."""
    used: dict[str, set[str]] = {}
    for path in [*(ROOT / "src" / "bungu").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        if SOURCE.parent in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {"privacy"} if "from bungu import privacy" in ast.unparse(tree) else set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "bungu.privacy":
                for alias in node.names:
                    used.setdefault(alias.name, set()).add(str(path))
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                used.setdefault(node.attr, set()).add(str(path))
    return used


def test_all_is_sorted_and_every_name_in_it_resolves() -> None:
    names = bungu.privacy.__all__

    assert names == sorted(names)
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(bungu.privacy, name) is not None, name
    assert set(names) <= set(dir(bungu.privacy))


def test_every_name_other_apps_import_from_privacy_is_public() -> None:
    used = _names_other_apps_import()

    # Other apps import privacy's modules only where the contracts allow (tests may).
    submodules = {"checks", "jobs", "models", "notices", "rights", "sharing", "views", "datamap"}
    missing = {
        name: sorted(paths)
        for name, paths in used.items()
        if name not in bungu.privacy.__all__ and name not in submodules
    }
    assert missing == {}
    # A control: the walk does see the names apps use.
    assert {"access", "Field", "record_consent", "PurposeNotAllowed"} <= set(used)


def test_the_type_checking_imports_are_the_table_module_for_module() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    table = {name: f"bungu.privacy.{module}" for name, module in bungu.privacy._PUBLIC.items()}

    assert _type_checking_imports(tree) == table
    assert set(bungu.privacy.__all__) == {*table, *bungu.privacy._ALIASES}


def test_the_type_checking_check_catches_a_planted_difference() -> None:
    """Positive control: a name imported for mypy from another module than the table says."""
    source = SOURCE.read_text(encoding="utf-8").replace("        access as access,\n", "", 1)
    table = {name: f"bungu.privacy.{m}" for name, m in bungu.privacy._PUBLIC.items()}

    assert _type_checking_imports(ast.parse(source)) != table


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = bungu.privacy.nonexistent  # type: ignore[attr-defined]
