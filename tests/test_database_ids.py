"""Every address that takes a database id takes it through the ``<id:…>`` converter, so a bad
id (zero, negative, not a number, past the largest id) is a 404 before any view runs.

The walk starts from the URL configuration, so a new address is covered without a new test;
a second walk fails on a database id taken as a plain ``<int:…>``, with a planted one as its
positive control.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import (
    NoReverseMatch,
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    path,
    resolve,
    reverse,
)
from django.urls.converters import IntConverter

from bungu.database_ids import MAX_DATABASE_ID, DatabaseIdConverter
from tests.accounts.factories import CustomerFactory

BAD_IDS = ["0", "-1", "-0", "007", "abc", "1.5", "1e3", str(MAX_DATABASE_ID + 1), "9" * 30]
_ID = re.compile(r"<id:(\w+)>")
_OTHER = re.compile(r"<(?:\w+:)?\w+>")


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        else:
            yield route


def id_routes() -> list[str]:
    return sorted({route for route in _routes(get_resolver().url_patterns) if _ID.search(route)})


def fill(route: str, ids: dict[str, str]) -> str:
    """The address for a route, each id slot from ``ids`` (1 when absent), others "x"."""
    filled = _ID.sub(lambda match: ids.get(match.group(1), "1"), route)
    return "/" + _OTHER.sub("x", filled)


def ints_taken_as_ids(patterns: list[URLPattern | URLResolver]) -> list[str]:
    """Patterns that take a database id (a name like ``pk`` or ``…_id``) as a plain int."""
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += ints_taken_as_ids(entry.url_patterns)
            continue
        converters = getattr(entry.pattern, "converters", {})
        found += [
            f"{entry.pattern}"
            for name, converter in converters.items()
            if isinstance(converter, IntConverter)
            and (name in {"id", "pk"} or name.endswith("_id"))
        ]
    return found


def test_the_walk_finds_the_addresses_that_take_ids() -> None:
    routes = id_routes()
    # The owner pages of every app that has them, so the walk is not vacuous.
    for expected in [
        "account/addresses/<id:address_id>/",
        "backoffice/customers/<id:customer_id>/",
        "backoffice/campaigns/<id:campaign_id>/",
        "backoffice/orders/<str:number>/returns/<id:return_id>/",
        "cart/lines/<id:line_id>/",
        "privacy/requests/<id:request_id>/",
        "reviews/<id:review_id>/delete/",
        "wishlists/<id:wish_list_id>/items/<id:item_id>/note/",
    ]:
        assert expected in routes
    # Seven of them the campaigns' pages, five the partners' (P14), two list comparison's (P8).
    assert len(routes) == 36


def test_no_address_takes_a_database_id_as_a_plain_int() -> None:
    assert ints_taken_as_ids(get_resolver().url_patterns) == []


def test_the_plain_int_walk_catches_a_planted_one() -> None:
    def view(request: HttpRequest, thing_id: int) -> HttpResponse:
        return HttpResponse()

    planted = [path("things/<int:thing_id>/", view), path("v<int:version>/", view)]
    assert ints_taken_as_ids(planted) == ["things/<int:thing_id>/"]


@pytest.mark.parametrize("route", id_routes())
def test_a_good_id_reaches_the_view_on_every_id_address(route: str) -> None:
    slots = _ID.findall(route)
    for value in (1, MAX_DATABASE_ID):
        match = resolve(fill(route, dict.fromkeys(slots, str(value))))
        assert {name: match.kwargs[name] for name in slots} == dict.fromkeys(slots, value)


@pytest.mark.django_db
@pytest.mark.parametrize("route", id_routes())
def test_a_bad_id_is_a_404_on_every_id_address(route: str) -> None:
    client = Client()
    # Signed in as staff, so no page turns the visitor away before the id is looked at.
    client.force_login(CustomerFactory(is_staff=True, is_superuser=True))
    for slot in _ID.findall(route):
        for bad in BAD_IDS:
            address = fill(route, {slot: bad})
            with pytest.raises(Resolver404):
                resolve(address)
            assert client.get(address).status_code == 404, address
            assert client.post(address).status_code == 404, address


def test_the_converter_refuses_to_build_an_address_for_a_bad_id() -> None:
    converter = DatabaseIdConverter()
    assert converter.to_url(MAX_DATABASE_ID) == str(MAX_DATABASE_ID)
    for bad in (0, -1, MAX_DATABASE_ID + 1):
        with pytest.raises(ValueError, match="not a database id"):
            converter.to_url(bad)
    with pytest.raises(NoReverseMatch):
        reverse("cart:update_line", args=[0])
