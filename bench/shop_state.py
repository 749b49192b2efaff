"""Run under the shop's settings by the checkout scenario: stock the SKUs it sells, and audit
the books afterwards.

``seed``  picks purchasable SKUs of visible products, one per product (the first ``--plenty``
          get ``--stock`` more units than they have allocated, so the run never runs out; one
          more gets only ``--scarce`` units, for the contention phase), and writes their ids
          and product-page paths as JSON.
``audit`` counts, from the shop's database, the units ordered of each SKU against its stock
          and any SKU whose allocation exceeds its stock (the oversold units), and asks the
          processor for every payment since the run began: one that holds money with no
          order for its attempt is an orphan authorisation. Writes JSON.

Both write to the file named by ``--out``. Staff change stock the same way (a SKU's save,
then its product's listing fields), so the catalogue's page cache moves on as it would.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bungu.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.db.models import F, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from bungu import payments  # noqa: E402
from bungu.catalog.models import SKU, Product  # noqa: E402
from bungu.orders.models import Order, OrderLine  # noqa: E402
from bungu.orders.states import LineState, OrderState  # noqa: E402


def _sku_entry(sku: SKU) -> dict[str, Any]:
    query = urlencode({"sku": sku.code})
    return {"id": sku.pk, "code": sku.code, "path": f"{sku.product.get_absolute_url()}?{query}"}


def _set_available(sku: SKU, units: int) -> None:
    sku.stock = sku.allocated + units
    sku.save()
    sku.product.refresh_listing_fields()


def seed(*, plenty: int, stock: int, scarce: int) -> dict[str, Any]:
    """Stock ``plenty`` SKUs with ``stock`` units to sell and one more with ``scarce``."""
    chosen: list[SKU] = []
    seen: set[int] = set()
    candidates = (
        SKU.objects.filter(is_active=True, price__gt=0, product__in=Product.objects.visible())
        .select_related("product")
        .order_by("id")
    )
    for sku in candidates.iterator(chunk_size=200):
        if sku.product_id not in seen:
            seen.add(sku.product_id)
            chosen.append(sku)
        if len(chosen) == plenty + 1:
            break
    if len(chosen) < plenty + 1:
        raise SystemExit(f"the catalogue has only {len(chosen)} products to sell, not {plenty + 1}")
    for sku in chosen[:plenty]:
        _set_available(sku, stock)
    _set_available(chosen[-1], scarce)
    return {
        "plenty": [_sku_entry(sku) for sku in chosen[:plenty]],
        "scarce": _sku_entry(chosen[-1]) | {"units": scarce},
        "since": timezone.now().isoformat(),
    }


def audit(*, since: datetime, sku_ids: list[int]) -> dict[str, Any]:
    """Oversold units, orders per SKU, and the processor's orphan authorisations."""
    # A cancelled line (or order) gave its units back; every other line still holds them.
    ordered = dict(
        OrderLine.objects.filter(sku_id__in=sku_ids)
        .exclude(state=LineState.CANCELLED)
        .exclude(order__state=OrderState.CANCELLED)
        .values_list("sku_id")
        .annotate(units=Sum("quantity"))
        .values_list("sku_id", "units")
    )
    stock = dict(SKU.objects.filter(pk__in=sku_ids).values_list("pk", "stock"))
    over_allocated = list(
        SKU.objects.filter(allocated__gt=F("stock")).values_list("pk", "stock", "allocated")
    )
    oversold = sum(max(0, (ordered.get(pk) or 0) - units) for pk, units in stock.items())
    oversold += sum(allocated - units for _, units, allocated in over_allocated)
    recent = Order.objects.filter(created_at__gte=since)
    orders_by_sku = dict(
        OrderLine.objects.filter(order__in=recent, sku_id__in=sku_ids)
        .values_list("sku_id")
        .annotate(units=Sum("quantity"))
        .values_list("sku_id", "units")
    )
    listed = payments.get_gateway().list_payments(created_after=since)
    ordered_attempts = set(
        Order.objects.filter(attempt_id__in=[p.reference for p in listed]).values_list(
            "attempt_id", flat=True
        )
    )
    orphans = [p.id for p in listed if p.state.holds_money and p.reference not in ordered_attempts]
    states: dict[str, int] = {}
    for payment in listed:
        states[payment.state.value] = states.get(payment.state.value, 0) + 1
    return {
        "orders": recent.count(),
        "units_by_sku": {str(pk): units for pk, units in orders_by_sku.items()},
        "oversold_units": oversold,
        "over_allocated_skus": [pk for pk, _, _ in over_allocated],
        "payments": len(listed),
        "payment_states": states,
        "orphan_authorisations": orphans,
        "database": connection.vendor,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("--plenty", type=int, required=True)
    seeding.add_argument("--stock", type=int, required=True)
    seeding.add_argument("--scarce", type=int, required=True)
    auditing = commands.add_parser("audit")
    auditing.add_argument("--since", type=datetime.fromisoformat, required=True)
    auditing.add_argument("--skus", type=int, nargs="+", required=True)
    for command in (seeding, auditing):
        command.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "seed":
        document = seed(plenty=args.plenty, stock=args.stock, scarce=args.scarce)
    else:
        document = audit(since=args.since, sku_ids=args.skus)
    args.out.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
