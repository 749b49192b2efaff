"""The URL configuration as a list of concrete addresses, for the hostile-visitor suites.

Every pattern, the admin's and django-allauth's included, becomes one address: a database id
is filled with ``ids`` (1 unless given), any other parameter with a harmless word, and a
regular expression with its first alternative. A pattern the filler cannot turn into an
address that resolves back to it fails the walk, so a new page is covered or named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")
_WORDS = re.compile(r"^[\w.-]+(\|[\w.-]+)*$")


@dataclass(frozen=True)
class Address:
    key: str  # "namespace:name", or the pattern itself when it has no name
    route: str  # the whole pattern, e.g. "wishlists/<id:wish_list_id>/rename/"
    path: str  # one concrete address, e.g. "/wishlists/1/rename/"
    view: str  # the dotted name of the view, for messages and exemptions


def _fill_route(route: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        converter, name = match.group("converter") or "str", match.group("name")
        if converter in {"id", "int"}:
            return ids.get(name, "1")
        return ids.get(name, "sample")

    return _ROUTE_PARAMETER.sub(value, route)


def _fill_regex(regex: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name, body = match.group("name"), match.group("body")
        if name in ids:
            return ids[name]
        return body.split("|")[0] if _WORDS.match(body) else "sample"

    filled = _REGEX_GROUP.sub(value, regex).removeprefix("^").removesuffix("$")
    return filled.removesuffix("\\Z").replace("\\", "")


def _entries(
    patterns: list[URLPattern | URLResolver],
    ids: dict[str, str],
    prefix: tuple[str, str] = ("", ""),
    namespace: str = "",
) -> Iterator[tuple[str, str, str, URLPattern]]:
    """(key, route, address, pattern) for every pattern, each piece filled by its own kind."""
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, RegexPattern):
            piece = pattern._regex
            filled = _fill_regex(piece, ids)
        else:  # a RoutePattern (no LocalePrefixPattern today)
            piece = str(pattern)
            filled = _fill_route(piece, ids)
        route, path = prefix[0] + piece, prefix[1] + filled
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _entries(entry.url_patterns, ids, (route, path), inner)
        else:
            key = f"{namespace}{entry.name}" if entry.name else route
            yield key, route, path, entry


def addresses(ids: dict[str, str] | None = None) -> list[Address]:
    """One address per pattern of the current URL configuration."""
    found = []
    for key, route, filled, entry in _entries(get_resolver().url_patterns, ids or {}):
        path = "/" + filled
        try:
            match = resolve(path)
        except Resolver404:
            raise AssertionError(f"cannot make an address for {route!r} (got {path!r})") from None
        if match.func is not entry.callback:
            # An earlier pattern answers this address (allauth's pages the shop replaced).
            continue
        found.append(Address(key=key, route=route, path=path, view=match._func_path))
    return found
