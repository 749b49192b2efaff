"""Every address of the back office, with sample parameters, for the walks."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from bungu.accounts.models import User
from bungu.backoffice import services
from bungu.orders.models import Order
from bungu.privacy import Purpose


def backoffice_patterns() -> Iterator[URLPattern]:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "backoffice":
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern), "nested resolvers need walking too"
                yield pattern


# Forms that change an order: they answer a GET with 405 and show no data, so the GET walk
# skips them (the security-headers walk still fetches each).
POST_ONLY = {"order_refund", "order_cancel", "order_delivered", "order_return", "ship"}


def walk_urls(customer: User) -> list[str]:
    """Every back-office page, with every purpose (held or not, known or not) and every kind
    of search. A new page with parameters must get its samples here."""
    purposes = ["", *(services.purpose_slug(p) for p in Purpose), "gossip"]
    searches = [str(customer.pk), f"#{customer.pk}", customer.email, "bad query"]
    order = Order.objects.filter(customer=customer).first()
    number = order.number if order else "BNOSUCH"
    queries: dict[str, list[str]] = {
        "customer": [f"?purpose={slug}" if slug else "" for slug in purposes],
        "customer_search": ["", *(f"?q={q}" for q in searches)],
        "orders": [
            "",
            f"?q={number}",
            f"?q={customer.email}",
            "?placed_from=2030-01-01&placed_to=2020-01-01",
        ],
    }
    args: dict[str, list[int | str]] = {
        "customer": [customer.pk],
        "order": [number],
        "packing_slip": [number],
    }
    urls = []
    for pattern in backoffice_patterns():
        name = str(pattern.name)
        if name in POST_ONLY:
            continue
        if pattern.pattern.regex.groups and name not in args:
            raise AssertionError(f"add sample arguments for backoffice:{name} to the walk")
        base = reverse(f"backoffice:{name}", args=args.get(name, []))
        urls += [base + query for query in queries.get(name, [""])]
    return urls
