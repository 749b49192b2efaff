"""What the accounts app holds about a customer (read by bungu.privacy's data map)."""

from bungu.privacy import DataCategory, Erase, Field, Purpose, Source

PERSONAL = [
    Field(
        "accounts.User.email",
        category=DataCategory.EMAIL,
        source=Source.GIVEN,
        purposes={
            Purpose.SECURITY,
            Purpose.NOTIFICATIONS,
            Purpose.LEGAL_NOTICES,
            Purpose.CUSTOMER_SERVICE,
            Purpose.PAYMENT_PROCESSING,
            Purpose.FRAUD_DETECTION,
            Purpose.LEGAL_OBLIGATION,
            Purpose.BUSINESS_TRANSFER,
            Purpose.MARKETING_EMAIL,
            Purpose.PARTNER_OFFERS,
            Purpose.LIST_COMPARISON,
        },
        retention_days=None,
        # Replaced by a unique placeholder, so the orders kept for tax keep a valid owner.
        erase=Erase.ANONYMISE,
    ),
    Field(
        "accounts.User.name",
        category=DataCategory.NAME,
        source=Source.GIVEN,
        purposes={
            Purpose.FULFILMENT,
            Purpose.DELIVERY,
            Purpose.NOTIFICATIONS,
            Purpose.LEGAL_NOTICES,
            Purpose.CUSTOMER_SERVICE,
            Purpose.LEGAL_OBLIGATION,
            Purpose.BUSINESS_TRANSFER,
            Purpose.MARKETING_EMAIL,
            Purpose.MARKETING_POST,
        },
        retention_days=None,
        erase=Erase.DELETE,
        note="Optional (P4, P22): the shop works without it.",
    ),
    # The password is personal data even as a one-way hash: it came from the customer and a
    # leak would hurt them, so deletion must remove it. It serves sign-in security only and
    # an export says that a password is set, never the hash.
    Field(
        "accounts.User.password",
        category=DataCategory.CREDENTIALS,
        source=Source.GIVEN,
        purposes={Purpose.SECURITY},
        retention_days=None,
        erase=Erase.DELETE,
    ),
    Field(
        "accounts.User.last_login",
        category=DataCategory.ACCOUNT,
        source=Source.AUTOMATIC,
        purposes={Purpose.SECURITY, Purpose.CUSTOMER_SERVICE},
        retention_days=730,
        erase=Erase.DELETE,
    ),
    Field(
        "accounts.User.date_joined",
        category=DataCategory.ACCOUNT,
        source=Source.AUTOMATIC,
        purposes={Purpose.SECURITY, Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
        retention_days=None,
        erase=Erase.DELETE,
    ),
    Field(
        "accounts.User.is_active",
        category=DataCategory.ACCOUNT,
        source=Source.AUTOMATIC,
        purposes={Purpose.SECURITY, Purpose.CUSTOMER_SERVICE},
        retention_days=None,
        erase=Erase.DELETE,
    ),
]

NOT_PERSONAL = [
    # Staff roles and permissions: how the shop organises its own people, always empty for
    # customers.
    "accounts.User.is_staff",
    "accounts.User.is_superuser",
    "accounts.User.groups",
    "accounts.User.user_permissions",
]
