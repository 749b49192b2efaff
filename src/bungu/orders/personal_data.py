"""What the orders app holds about a customer (read by bungu.privacy's data map).

An order is kept for the law (tax and accounting records): deleting an account anonymises
its orders rather than deleting them. The name, street, phone and e-mail address become
placeholders; what a tax record needs (what was sold, for how much, the state and country
it went to, the processor's payment id) is kept; the card's brand, last four digits, expiry
and token are emptied. After ``ORDER_RETENTION_DAYS`` the order goes altogether.
P25: each order knows when it was collected (``created_at``).
"""

from bungu.privacy import DataCategory, Erase, Field, NotVersioned, PurgedBy, Purpose, Source

from .models import ORDER_RETENTION_DAYS

_ORDER_PURPOSES = {
    Purpose.FULFILMENT,
    Purpose.NOTIFICATIONS,
    Purpose.CUSTOMER_SERVICE,
    Purpose.FRAUD_DETECTION,
    Purpose.LEGAL_OBLIGATION,
    Purpose.BUSINESS_TRANSFER,
}
_ADDRESS_PURPOSES = {
    Purpose.FULFILMENT,
    Purpose.DELIVERY,
    Purpose.PAYMENT_PROCESSING,
    Purpose.CUSTOMER_SERVICE,
    Purpose.FRAUD_DETECTION,
    Purpose.LEGAL_OBLIGATION,
    Purpose.BUSINESS_TRANSFER,
}
_CARD_PURPOSES = {
    Purpose.PAYMENT_PROCESSING,
    Purpose.CUSTOMER_SERVICE,
    Purpose.FRAUD_DETECTION,
    Purpose.LEGAL_OBLIGATION,
    Purpose.BUSINESS_TRANSFER,
}


def _field(
    label: str,
    category: DataCategory,
    purposes: set[Purpose],
    erase: Erase,
    *,
    source: Source = Source.GIVEN,
    note: str = "",
) -> Field:
    return Field(
        label,
        category=category,
        source=source,
        purposes=purposes,
        retention_days=ORDER_RETENTION_DAYS,
        erase=erase,
        note=note,
    )


PERSONAL = [
    _field(
        "orders.Order.email",
        DataCategory.EMAIL,
        {
            Purpose.NOTIFICATIONS,
            Purpose.PAYMENT_PROCESSING,
            Purpose.CUSTOMER_SERVICE,
            Purpose.FRAUD_DETECTION,
            Purpose.LEGAL_OBLIGATION,
            Purpose.BUSINESS_TRANSFER,
        },
        Erase.ANONYMISE,
        note="Where the confirmation and news of the order go.",
    ),
    _field("orders.Order.ship_recipient", DataCategory.NAME, _ADDRESS_PURPOSES, Erase.ANONYMISE),
    *(
        _field(f"orders.Order.{name}", DataCategory.ADDRESS, _ADDRESS_PURPOSES, Erase.ANONYMISE)
        for name in ("ship_line1", "ship_line2", "ship_city", "ship_postal_code")
    ),
    # The state and country decide the sales tax: kept with the tax record.
    *(
        _field(f"orders.Order.{name}", DataCategory.ADDRESS, _ADDRESS_PURPOSES, Erase.KEEP_FOR_LAW)
        for name in ("ship_region", "ship_country")
    ),
    _field(
        "orders.Order.ship_phone",
        DataCategory.PHONE,
        {Purpose.FULFILMENT, Purpose.DELIVERY, Purpose.CUSTOMER_SERVICE},
        Erase.ANONYMISE,
        note="Optional: given to the courier only.",
    ),
    *(
        _field(
            f"orders.Order.{name}",
            DataCategory.PURCHASE_HISTORY,
            _ORDER_PURPOSES,
            Erase.KEEP_FOR_LAW,
            source=Source.AUTOMATIC if name in {"number", "state", "created_at"} else Source.GIVEN,
        )
        for name in (
            "number",
            "shipping_method",
            "shipping_method_name",
            "shipping_cost",
            "subtotal",
            "tax",
            "total",
            "currency",
            "state",
            "payment_state",
            "captured",
            "refunded",
            "created_at",
        )
    ),
    # Printed on the packing slip for the recipient: the packers need it, nobody else.
    _field(
        "orders.Order.gift_note",
        DataCategory.PURCHASE_HISTORY,
        {Purpose.FULFILMENT, Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
        Erase.ANONYMISE,
        note="A gift message, printed on the packing slip.",
    ),
    # P2: the card as the processor describes it; never its number or security code.
    *(
        _field(
            f"orders.Order.{name}",
            DataCategory.FINANCIAL,
            _CARD_PURPOSES,
            Erase.DELETE,
            note="The card's brand, last four digits and expiry, as the processor gives them.",
        )
        for name in ("card_brand", "card_last4", "card_exp_month", "card_exp_year")
    ),
    _field(
        "orders.Order.payment_token",
        DataCategory.FINANCIAL,
        _CARD_PURPOSES,
        Erase.DELETE,
        source=Source.AUTOMATIC,
        note="The processor's token for the card; the card itself stays with the processor.",
    ),
    _field(
        "orders.Order.payment_id",
        DataCategory.FINANCIAL,
        _CARD_PURPOSES,
        Erase.KEEP_FOR_LAW,
        source=Source.AUTOMATIC,
        note="The processor's number for the payment, kept with the accounts.",
    ),
    *(
        _field(
            f"orders.OrderLine.{name}",
            DataCategory.PURCHASE_HISTORY,
            _ORDER_PURPOSES,
            Erase.KEEP_FOR_LAW,
        )
        for name in ("sku", "sku_code", "name", "unit_price", "quantity", "line_total", "state")
    ),
    *(
        _field(
            f"orders.{label}",
            DataCategory.PURCHASE_HISTORY,
            _ORDER_PURPOSES,
            Erase.KEEP_FOR_LAW,
            source=Source.AUTOMATIC,
        )
        for label in (
            "Shipment.carrier",
            "Shipment.tracking_number",
            "Shipment.captured",
            "Shipment.actor",
            "Shipment.shipped_at",
            "Refund.amount",
            "Refund.reason",
            "Refund.actor",
            "Refund.at",
            "ReturnRequest.state",
            "ReturnRequest.created_at",
            "ReturnLine.quantity",
        )
    ),
    _field(
        "orders.ReturnRequest.reason",
        DataCategory.PURCHASE_HISTORY,
        _ORDER_PURPOSES,
        Erase.ANONYMISE,
        note="Why the customer sends the items back, in their words.",
    ),
    *(
        _field(
            f"orders.OrderEvent.{name}",
            DataCategory.PURCHASE_HISTORY,
            _ORDER_PURPOSES,
            Erase.KEEP_FOR_LAW,
            source=Source.AUTOMATIC,
        )
        for name in ("kind", "actor", "detail", "at")
    ),
]

NOT_PERSONAL = [
    # Links: to the customer (mapped by accounts) and to the order (mapped above).
    "orders.Order.customer",
    "orders.OrderLine.order",
    "orders.OrderEvent.order",
    "orders.OrderLine.shipment",
    "orders.Shipment.order",
    "orders.Refund.order",
    "orders.Refund.return_request",
    "orders.ReturnRequest.order",
    "orders.ReturnLine.return_request",
    "orders.ReturnLine.line",
    # A random key per refund form, so a form sent twice refunds once.
    "orders.Refund.idempotency_key",
    # A random id of the checkout attempt, the key that makes an order unique.
    "orders.Order.attempt_id",
]

RETENTION = {
    "orders.Order": PurgedBy("bungu.orders.services.purge_old_orders"),
    "orders.OrderLine": PurgedBy("bungu.orders.services.purge_old_orders"),
    "orders.OrderEvent": PurgedBy("bungu.orders.services.purge_old_orders"),
    "orders.Shipment": PurgedBy("bungu.orders.services.purge_old_orders"),
    "orders.Refund": PurgedBy("bungu.orders.services.purge_old_orders"),
    "orders.ReturnRequest": PurgedBy("bungu.orders.services.purge_old_orders"),
    "orders.ReturnLine": PurgedBy("bungu.orders.services.purge_old_orders"),
}

# P20: how the earlier versions of the given data above are kept (privacy.KeepsPriorVersions).
PRIOR_VERSIONS = {
    "orders.Order": NotVersioned(
        "The record of a sale, written when the order is placed; what happens next is "
        "written as events, and erasure anonymises it. No page edits its given fields."
    ),
    "orders.OrderLine": NotVersioned("A line of a sale, written when the order is placed."),
    "orders.ReturnRequest": NotVersioned(
        "The customer's reason is written once, with the request; staff move the request on "
        "through events and never edit what the customer wrote."
    ),
}
