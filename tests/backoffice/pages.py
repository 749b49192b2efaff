"""Every address of the back office, with sample parameters, for the walks."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from bungu.accounts.models import User
from bungu.backoffice import services
from bungu.privacy import Purpose


def backoffice_patterns() -> Iterator[URLPattern]:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "backoffice":
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern), "nested resolvers need walking too"
                yield pattern


def walk_urls(customer: User) -> list[str]:
    """Every back-office page, with every purpose (held or not, known or not) and every kind
    of search. A new page with parameters must get its samples here."""
    purposes = ["", *(services.purpose_slug(p) for p in Purpose), "gossip"]
    searches = [str(customer.pk), f"#{customer.pk}", customer.email, "bad query"]
    queries: dict[str, list[str]] = {
        "customer": [f"?purpose={slug}" if slug else "" for slug in purposes],
        "customer_search": ["", *(f"?q={q}" for q in searches)],
    }
    args: dict[str, list[int]] = {"customer": [customer.pk]}
    urls = []
    for pattern in backoffice_patterns():
        name = str(pattern.name)
        if pattern.pattern.regex.groups and name not in args:
            raise AssertionError(f"add sample arguments for backoffice:{name} to the walk")
        base = reverse(f"backoffice:{name}", args=args.get(name, []))
        urls += [base + query for query in queries.get(name, [""])]
    return urls
