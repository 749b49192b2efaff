"""Templates obey the layers (design.md): a template extends, includes and loads only from its
own app or a lower layer. import-linter cannot see these dependencies, so this walk does.

The layers are read from the import-linter contract in pyproject.toml, the one source of
truth; a page that shows several apps is composed at the top (storefront/product.html).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.template import TemplateDoesNotExist, engines
from django.template.base import Lexer, TokenType
from django.template.loader import get_template

ROOT = Path(__file__).resolve().parent.parent

# The shop's layout, which every page of every app wears: storefront keeps it (design.md,
# "templates shared by all pages"). Extending it is the one upward reference allowed: it
# names blocks, not apps, and shows only what every page shows.
PROJECT_LAYOUT = frozenset({"base.html"})


def read_layers() -> dict[str, int]:
    """Each app's layer, lowest 1, from the layers contract of pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    rows: list[str] = contract["layers"]
    ranks: dict[str, int] = {}
    for rank, row in enumerate(reversed(rows), start=1):
        # "(bungu.a) | bungu.b": | independent siblings, : siblings, () optional (not there yet).
        for name in re.split(r"[|:]", row):
            ranks[name.strip().strip("()").strip()] = rank
    return ranks


def bungu_template_dirs() -> dict[str, Path]:
    """Each bungu app's templates directory, by the app's module name."""
    return {
        app.name: Path(app.path) / "templates"
        for app in apps.get_app_configs()
        if app.name.startswith("bungu.") and (Path(app.path) / "templates").is_dir()
    }


def _app_of_path(path: Path) -> str | None:
    for app in apps.get_app_configs():
        if app.name.startswith("bungu.") and path.is_relative_to(Path(app.path)):
            return app.name
    return None


def _app_of_module(module: str) -> str | None:
    for app in apps.get_app_configs():
        if app.name.startswith("bungu.") and module.startswith(f"{app.name}."):
            return app.name
    return None


@dataclass(frozen=True)
class Reference:
    template: str  # the referring template, relative to its app's templates directory
    tag: str  # extends, include or load
    target: str  # the template or tag library named


def references(source: str, *, template: str) -> Iterator[Reference]:
    """The templates and tag libraries a template names literally, as Django's lexer sees it
    (so commented-out tags do not count)."""
    in_comment = False
    for token in Lexer(source).tokenize():
        if token.token_type != TokenType.BLOCK:
            continue
        bits = token.split_contents()
        if bits[0] == "comment":
            in_comment = True
        elif bits[0] == "endcomment":
            in_comment = False
        elif in_comment:
            continue
        elif bits[0] in {"extends", "include"} and len(bits) > 1:
            name = bits[1]
            # A variable names its template at render time; only literals can be checked.
            if len(name) > 1 and name[0] == name[-1] and name[0] in "\"'":
                yield Reference(template, bits[0], name[1:-1])
        elif bits[0] == "load":
            libraries = [bits[-1]] if len(bits) > 3 and bits[-2] == "from" else bits[1:]
            for library in libraries:
                yield Reference(template, "load", library)


def _provider(reference: Reference) -> str | None:
    """The bungu app that provides what a reference names; None for Django's and libraries'
    own templates and tags. Raises LookupError for a name nobody provides."""
    if reference.tag == "load":
        libraries: Mapping[str, str] = engines["django"].engine.libraries
        if reference.target not in libraries:
            raise LookupError(f"no tag library {reference.target!r}")
        return _app_of_module(libraries[reference.target])
    try:
        origin = get_template(reference.target).origin.name
    except TemplateDoesNotExist:
        raise LookupError(f"no template {reference.target!r}") from None
    return _app_of_path(Path(origin))


_VERBS = {"extends": "extends", "include": "includes", "load": "loads"}


def layer_violations(template_dirs: Mapping[str, Path], layers: Mapping[str, int]) -> list[str]:
    """Every reference from a template to a higher layer or to another app of its layer."""
    problems = []
    for app, directory in sorted(template_dirs.items()):
        if app not in layers:
            problems.append(f"{app} has templates but no layer: add it to the layers contract")
            continue
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            name = path.relative_to(directory).as_posix()
            for ref in references(path.read_text(), template=name):
                where = f"{app}: {name} {_VERBS[ref.tag]} {ref.target!r}"
                try:
                    provider = _provider(ref)
                except LookupError as missing:
                    problems.append(f"{where}: {missing}")
                    continue
                if provider is None or provider == app:
                    continue
                if ref.tag == "extends" and ref.target in PROJECT_LAYOUT:
                    continue
                if provider not in layers:
                    problems.append(f"{where}, from {provider}, which has no layer")
                elif layers[provider] >= layers[app]:
                    relation = "the same layer" if layers[provider] == layers[app] else "higher"
                    problems.append(f"{where}, from {provider} ({relation})")
    return problems


def test_the_layers_come_from_the_import_contract() -> None:
    layers = read_layers()

    assert layers["bungu.privacy"] == 1
    assert layers["bungu.catalog"] == layers["bungu.accounts"] == 3
    assert layers["bungu.reviews"] == layers["bungu.wishlists"] == 6
    assert layers["bungu.storefront"] == max(layers.values())


def test_every_template_extends_includes_and_loads_only_from_its_app_or_below() -> None:
    dirs = bungu_template_dirs()
    assert {"bungu.catalog", "bungu.reviews", "bungu.storefront"} <= set(dirs)

    assert layer_violations(dirs, read_layers()) == []


def test_the_product_page_is_composed_at_the_top() -> None:
    catalog = (bungu_template_dirs()["bungu.catalog"] / "catalog" / "product.html").read_text()
    storefront = bungu_template_dirs()["bungu.storefront"] / "storefront" / "product.html"

    targets = {ref.target for ref in references(storefront.read_text(), template="product")}

    assert "catalog/product.html" in targets
    assert "cart/_add_form.html" in targets
    assert "reviews/_product_reviews.html" in targets
    # The wish-list part is the visitor's own: a page hole the storefront fills per request.
    assert '{% page_hole "wish-list-save" page.selected.id %}' in storefront.read_text()
    assert not re.search(r"(reviews|wishlists|cart)/", catalog)


@pytest.fixture
def planted(tmp_path: Path) -> dict[str, Path]:
    """A catalogue (layer 3) and a privacy (layer 1) template directory with breaches."""
    catalog = tmp_path / "catalog"
    (catalog / "catalog").mkdir(parents=True)
    (catalog / "catalog" / "planted.html").write_text(
        '{% extends "storefront/home.html" %}\n'
        '{% load ratings %}{% include "catalog/_pagination.html" %}\n'
        '{% block content %}{% include "reviews/_form.html" %}\n'
        '{% include "accounts/_nav.html" %}{% include "privacy/_notice_link.html" %}\n'
        '{# {% include "wishlists/_save_form.html" %} is a comment #}\n'
        '{% include template_name %}{% include "nowhere/missing.html" %}{% endblock %}\n'
    )
    privacy = tmp_path / "privacy"
    (privacy / "privacy").mkdir(parents=True)
    (privacy / "privacy" / "planted.txt").write_text(
        '{% extends "base.html" %}{% load i18n %}{% load stars from ratings %}\n'
    )
    return {"bungu.catalog": catalog, "bungu.privacy": privacy}


def test_the_walk_catches_planted_breaches(planted: dict[str, Path]) -> None:
    problems = layer_violations(planted, read_layers())

    assert problems == [
        (
            "bungu.catalog: catalog/planted.html extends 'storefront/home.html', "
            "from bungu.storefront (higher)"
        ),
        (
            "bungu.catalog: catalog/planted.html includes 'reviews/_form.html', "
            "from bungu.reviews (higher)"
        ),
        (
            "bungu.catalog: catalog/planted.html includes 'accounts/_nav.html', "
            "from bungu.accounts (the same layer)"
        ),
        (
            "bungu.catalog: catalog/planted.html includes 'nowhere/missing.html': "
            "no template 'nowhere/missing.html'"
        ),
        "bungu.privacy: privacy/planted.txt loads 'ratings', from bungu.catalog (higher)",
    ]


def test_an_app_without_a_layer_is_reported(planted: dict[str, Path]) -> None:
    layers = {app: rank for app, rank in read_layers().items() if app != "bungu.privacy"}

    assert layer_violations(planted, layers)[-1] == (
        "bungu.privacy has templates but no layer: add it to the layers contract"
    )
