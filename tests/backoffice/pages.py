"""Every address of the back office, with sample parameters, for the walks: its own pages
and the marketing pages mounted under it (campaigns, and the partners of P14)."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from bungu.accounts.models import User
from bungu.backoffice import services
from bungu.marketing.models import Campaign
from bungu.marketing.partner_models import Partner
from bungu.orders.models import Order
from bungu.privacy import Purpose

# The staff pages' URL namespaces: the back office's own, and marketing's under
# /backoffice/campaigns/.
NAMESPACES = ("backoffice", "marketing")


def backoffice_patterns(namespace: str = "backoffice") -> Iterator[URLPattern]:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == namespace:
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern), "nested resolvers need walking too"
                yield pattern


# Forms that change an order, a campaign, a partner or a list comparison: they answer a GET
# with 405 and show no data, so the GET walk skips them (the security-headers walk still
# fetches each).
POST_ONLY = {
    "backoffice": {"order_refund", "order_cancel", "order_delivered", "order_return", "ship"},
    "marketing": {
        "campaign_edit",
        "campaign_send",
        "campaign_schedule",
        "campaign_pause",
        "campaign_resume",
        "campaign_cancel",
        "offer_new",
        "partner_link",
        "partner_revoke",
        "partner_active",
        "psi_request",
        "psi_finish",
    },
}


def walk_urls(customer: User) -> list[str]:
    """Every back-office page, with every purpose (held or not, known or not) and every kind
    of search. A new page with parameters must get its samples here."""
    purposes = ["", *(services.purpose_slug(p) for p in Purpose), "gossip"]
    searches = [str(customer.pk), f"#{customer.pk}", customer.email, "bad query"]
    order = Order.objects.filter(customer=customer).first()
    number = order.number if order else "BNOSUCH"
    # The planted partner offer (``planted_customer``) and its campaign, whose segment holds
    # the customer: the preview may show them as its sample.
    partner = Partner.objects.order_by("pk").first()
    campaign = Campaign.objects.filter(partner_offer__partner=partner).first()
    if partner is None or campaign is None:
        raise AssertionError("plant a partner offer (planted_customer) before walking")
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
        "campaign": [campaign.pk],
        "partner": [partner.pk],
    }
    queries["campaign"] = ["", f"?sample={customer.pk}", "?sample=nobody"]
    urls = []
    for namespace in NAMESPACES:
        for pattern in backoffice_patterns(namespace):
            name = str(pattern.name)
            if name in POST_ONLY[namespace]:
                continue
            if pattern.pattern.regex.groups and name not in args:
                raise AssertionError(f"add sample arguments for {namespace}:{name} to the walk")
            base = reverse(f"{namespace}:{name}", args=args.get(name, []))
            urls += [base + query for query in queries.get(name, [""])]
    return urls
