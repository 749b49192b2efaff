"""What checkout holds about a customer (read by bungu.privacy's data map).

A checkout attempt keeps the e-mail address and shipping address the customer typed until
the order is placed (the order keeps its own copy), and for ``ATTEMPT_RETENTION_DAYS`` after.
Deleting an account deletes its attempts. P25: ``created_at`` dates each one.
"""

from bungu.privacy import DataCategory, Erase, Field, NotVersioned, PurgedBy, Purpose, Source

from .models import ATTEMPT_RETENTION_DAYS

_PURPOSES = {
    Purpose.PAYMENT_PROCESSING,
    Purpose.CUSTOMER_SERVICE,
    Purpose.FRAUD_DETECTION,
    Purpose.BUSINESS_TRANSFER,
}


def _field(name: str, category: DataCategory, *, source: Source = Source.GIVEN) -> Field:
    return Field(
        f"checkout.CheckoutAttempt.{name}",
        category=category,
        source=source,
        purposes=_PURPOSES,
        retention_days=ATTEMPT_RETENTION_DAYS,
        erase=Erase.DELETE,
    )


PERSONAL = [
    _field("email", DataCategory.EMAIL),
    _field("recipient", DataCategory.NAME),
    *(
        _field(name, DataCategory.ADDRESS)
        for name in ("line1", "line2", "city", "region", "postal_code", "country")
    ),
    # Copied to the order, whose packing slip prints it; only customer service reads it here.
    Field(
        "checkout.CheckoutAttempt.gift_note",
        category=DataCategory.PURCHASE_HISTORY,
        source=Source.GIVEN,
        purposes={Purpose.CUSTOMER_SERVICE, Purpose.BUSINESS_TRANSFER},
        retention_days=ATTEMPT_RETENTION_DAYS,
        erase=Erase.DELETE,
    ),
    Field(
        "checkout.CheckoutAttempt.phone",
        category=DataCategory.PHONE,
        source=Source.GIVEN,
        purposes={Purpose.CUSTOMER_SERVICE, Purpose.BUSINESS_TRANSFER},
        retention_days=ATTEMPT_RETENTION_DAYS,
        erase=Erase.DELETE,
    ),
    # P23: the statement "I am 18 or over", as a time.
    Field(
        "checkout.CheckoutAttempt.adult_declared_at",
        category=DataCategory.ACCOUNT,
        source=Source.GIVEN,
        purposes={Purpose.CUSTOMER_SERVICE, Purpose.BUSINESS_TRANSFER},
        retention_days=ATTEMPT_RETENTION_DAYS,
        erase=Erase.DELETE,
    ),
    *(
        Field(
            f"checkout.CheckoutAttempt.{name}",
            category=DataCategory.PURCHASE_HISTORY,
            source=Source.AUTOMATIC,
            purposes={Purpose.CUSTOMER_SERVICE, Purpose.FRAUD_DETECTION, Purpose.BUSINESS_TRANSFER},
            retention_days=ATTEMPT_RETENTION_DAYS,
            erase=Erase.DELETE,
        )
        for name in (
            "shipping_method",
            "state",
            "lines",
            "held",
            "hold_expires_at",
            "subtotal",
            "shipping_cost",
            "tax",
            "total",
            "currency",
            "failure",
            "payment_released_at",  # when an authorisation that made no order was voided
            "created_at",
            "updated_at",
        )
    ),
    # P23: which guardian was asked to approve a supervised account's order, and what they
    # did when: the record that a parent or guardian was involved.
    *(
        Field(
            f"checkout.CheckoutAttempt.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.AUTOMATIC,
            purposes={
                Purpose.CUSTOMER_SERVICE,
                Purpose.LEGAL_OBLIGATION,
                Purpose.BUSINESS_TRANSFER,
            },
            retention_days=ATTEMPT_RETENTION_DAYS,
            erase=Erase.DELETE,
            note=note,
        )
        for name, note in (
            ("guardian", "The parent or guardian asked to approve the order (P23)."),
            ("approval_requested_at", "When the guardian was asked (P23)."),
            ("approval_expires_at", "Until when the guardian could approve (P23)."),
            ("approved_at", "When the guardian approved and went to pay (P23)."),
            ("declined_at", "When the guardian declined (P23)."),
        )
    ),
    Field(
        "checkout.CheckoutAttempt.payment_id",
        category=DataCategory.FINANCIAL,
        source=Source.AUTOMATIC,
        purposes={Purpose.PAYMENT_PROCESSING, Purpose.CUSTOMER_SERVICE, Purpose.FRAUD_DETECTION},
        retention_days=ATTEMPT_RETENTION_DAYS,
        erase=Erase.DELETE,
    ),
]

NOT_PERSONAL = [
    # A random id, the processor's reference for the payment.
    "checkout.CheckoutAttempt.id",
    "checkout.CheckoutAttempt.customer",
    "checkout.CheckoutAttempt.cart",
    # A digest of the priced order, for comparing two pricings; it says nothing on its own.
    "checkout.CheckoutAttempt.fingerprint",
]

RETENTION = {"checkout.CheckoutAttempt": PurgedBy("bungu.checkout.reconcile.purge_old_attempts")}

# P20: how the earlier versions of the given data above are kept (privacy.KeepsPriorVersions).
PRIOR_VERSIONS = {
    "checkout.CheckoutAttempt": NotVersioned(
        "Written once per attempt to pay: new details make a new attempt."
    ),
}
