"""Every environment variable the settings read is in the README's configuration table, and
the table names none they do not read.

The settings module is read as source (not imported), so a variable read only in one
profile, or only when another one is set, is found too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "src" / "bungu" / "settings.py"
README = ROOT / "README.md"


def _is_environ(node: ast.expr) -> bool:
    """``os.environ`` (or a bare ``environ`` imported from os)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _reads_environ(call: ast.Call) -> bool:
    """``os.environ.get(...)``, ``os.getenv(...)`` and the like."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in {"get", "pop", "setdefault"}:
        return _is_environ(func.value)
    if isinstance(func, ast.Attribute) and func.attr == "getenv":
        return isinstance(func.value, ast.Name) and func.value.id == "os"
    return isinstance(func, ast.Name) and func.id == "getenv"


def _env_helpers(tree: ast.Module) -> set[str]:
    """Module functions that read the environment under a name given as their first argument,
    like ``_env_flag("BUNGU_DEBUG")``."""
    helpers = set()
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef) or not function.args.args:
            continue
        reads = any(
            (isinstance(node, ast.Call) and _reads_environ(node))
            or (isinstance(node, ast.Subscript) and _is_environ(node.value))
            for node in ast.walk(function)
        )
        if reads:
            helpers.add(function.name)
    return helpers


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def variables_read(source: str) -> set[str]:
    """The names of the environment variables a settings module's source reads."""
    tree = ast.parse(source)
    helpers = _env_helpers(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Call) and node.args:
            by_helper = isinstance(node.func, ast.Name) and node.func.id in helpers
            if by_helper or _reads_environ(node):
                name = _literal(node.args[0])
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            name = _literal(node.slice)
        if name:
            names.add(name)
    return names


def variables_documented(readme: str) -> set[str]:
    """The variable names in the first column of the README's configuration table."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def undocumented(source: str, readme: str) -> set[str]:
    return variables_read(source) - variables_documented(readme)


def test_every_variable_the_settings_read_is_in_the_readme() -> None:
    source = SETTINGS.read_text(encoding="utf-8")

    assert undocumented(source, README.read_text(encoding="utf-8")) == set()
    # The walk finds each way the settings read a variable: os.environ.get, a helper, and a
    # read inside an f-string.
    assert {"SECRET_KEY", "BUNGU_DEBUG", "BUNGU_ALLOWED_HOSTS", "PORT"} <= variables_read(source)


def test_the_readme_names_no_variable_the_settings_do_not_read() -> None:
    source = SETTINGS.read_text(encoding="utf-8")

    stale = variables_documented(README.read_text(encoding="utf-8")) - variables_read(source)

    assert stale == set()


def test_positive_control_a_planted_variable_missing_from_the_readme_is_caught() -> None:
    planted = SETTINGS.read_text(encoding="utf-8") + (
        '\nPLANTED = os.environ.get("BUNGU_PLANTED")\n'
        'PLANTED_FLAG = _env_flag("BUNGU_PLANTED_FLAG")\n'
        'PLANTED_REQUIRED = os.environ["BUNGU_PLANTED_REQUIRED"]\n'
        'PLANTED_GETENV = os.getenv("BUNGU_PLANTED_GETENV", "")\n'
    )

    assert undocumented(planted, README.read_text(encoding="utf-8")) == {
        "BUNGU_PLANTED",
        "BUNGU_PLANTED_FLAG",
        "BUNGU_PLANTED_REQUIRED",
        "BUNGU_PLANTED_GETENV",
    }


def test_positive_control_a_row_for_a_variable_nobody_reads_is_caught() -> None:
    readme = README.read_text(encoding="utf-8").replace(
        "| `BUNGU_DEBUG` |", "| `BUNGU_RETIRED` | off | planted |\n| `BUNGU_DEBUG` |", 1
    )

    assert variables_documented(readme) - variables_read(SETTINGS.read_text("utf-8")) == {
        "BUNGU_RETIRED"
    }
