"""The vocabulary the data map and the notices share.

Names follow Fides' public taxonomy (fideslang) where one fits, so the map reads familiar to
privacy engineers; the shop-specific ones (fulfilment, partner offers, list comparison ...)
are added under the closest Fides parent. Both trees are hierarchical: a general term covers
every term below it ("user.contact" covers "user.contact.email").
"""

from __future__ import annotations

from enum import StrEnum


def _covers(general: str, specific: str) -> bool:
    return specific == general or specific.startswith(general + ".")


class DataCategory(StrEnum):
    """What kind of personal data a field holds."""

    USER = "user"
    ACCOUNT = "user.account"
    ACCOUNT_SETTINGS = "user.account.settings"
    # The access log (P13): who at the shop or among its agents saw the customer's data and
    # why. Apart from the rest of the account, so answering privacy requests reaches it and
    # nothing else of the account.
    ACCESS_LOG = "user.account.access_log"
    CREDENTIALS = "user.authorization.credentials"
    # Shop-specific parts of it, so "My data" names each secret for what it is.
    PASSWORD = "user.authorization.credentials.password"  # noqa: S105 - a category name
    SESSION_KEY = "user.authorization.credentials.session"
    TWO_FACTOR = "user.authorization.credentials.two_factor"
    NAME = "user.name"
    CONTACT = "user.contact"
    EMAIL = "user.contact.email"
    PHONE = "user.contact.phone_number"
    ADDRESS = "user.contact.address"
    # Brand, last four digits and the processor's token: never a card number (P2).
    FINANCIAL = "user.financial"
    BEHAVIOR = "user.behavior"
    PURCHASE_HISTORY = "user.behavior.purchase_history"
    BROWSING_HISTORY = "user.behavior.browsing_history"
    SEARCH_HISTORY = "user.behavior.search_history"
    EMAIL_OPENS = "user.behavior.email_opens"
    CONTENT = "user.content"
    PUBLIC_CONTENT = "user.content.public"
    PRIVATE_CONTENT = "user.content.private"
    # What a customer writes in a privacy request or concern (P26): apart from the rest of
    # what they write, so answering those requests reaches it and nothing else they wrote.
    PRIVACY_REQUEST = "user.content.private.privacy_request"
    DEVICE = "user.device"
    COOKIE_ID = "user.device.cookie_id"
    IP_ADDRESS = "user.device.ip_address"
    DEMOGRAPHIC = "user.demographic"
    DATE_OF_BIRTH = "user.demographic.date_of_birth"
    DERIVED = "user.derived"
    PRIVACY_PREFERENCES = "user.privacy_preferences"
    UNIQUE_ID = "user.unique_id"

    def covers(self, other: str) -> bool:
        return _covers(self.value, other)

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS: dict[DataCategory, str] = {
    DataCategory.USER: "anything about you",
    DataCategory.ACCOUNT: "your account",
    DataCategory.ACCESS_LOG: "the record of who saw your information and why",
    DataCategory.ACCOUNT_SETTINGS: "your account settings",
    DataCategory.CREDENTIALS: "a secret that proves who you are",
    DataCategory.PASSWORD: "your password (as a one-way hash)",
    DataCategory.SESSION_KEY: "the key that keeps a browser signed in",
    DataCategory.TWO_FACTOR: "your two-factor secret and recovery codes",
    DataCategory.NAME: "your name",
    DataCategory.CONTACT: "your contact details",
    DataCategory.EMAIL: "your e-mail address",
    DataCategory.PHONE: "your phone number",
    DataCategory.ADDRESS: "your postal address",
    DataCategory.FINANCIAL: "your card's brand, last four digits and payment token",
    DataCategory.BEHAVIOR: "what you do in the shop",
    DataCategory.PURCHASE_HISTORY: "your orders",
    DataCategory.BROWSING_HISTORY: "the pages you visit",
    DataCategory.SEARCH_HISTORY: "what you search for",
    DataCategory.EMAIL_OPENS: "whether you open our e-mails",
    DataCategory.CONTENT: "what you write",
    DataCategory.PUBLIC_CONTENT: "what you publish (reviews)",
    DataCategory.PRIVATE_CONTENT: "what you write to us",
    DataCategory.PRIVACY_REQUEST: "what you write to us about your privacy",
    DataCategory.DEVICE: "what your browser sends automatically",
    DataCategory.COOKIE_ID: "cookie identifiers",
    DataCategory.IP_ADDRESS: "your IP address",
    DataCategory.DEMOGRAPHIC: "facts about you such as your age",
    DataCategory.DATE_OF_BIRTH: "your date of birth",
    DataCategory.DERIVED: "what we infer from your dealings with us",
    DataCategory.PRIVACY_PREFERENCES: "your privacy and e-mail choices",
    DataCategory.UNIQUE_ID: "identifiers we give you",
}

# Categories that identify a person: withheld whenever a practice says identity_withheld (P14).
IDENTIFYING: frozenset[DataCategory] = frozenset(
    {DataCategory.NAME, DataCategory.CONTACT, DataCategory.UNIQUE_ID}
)


def is_identifying(category: str) -> bool:
    """Whether data of this category (or data it includes) identifies the person."""
    return any(_covers(general, category) or _covers(category, general) for general in IDENTIFYING)


class Purpose(StrEnum):
    """What personal data is used for (Fides calls these data uses)."""

    ESSENTIAL = "essential"
    SERVICE = "essential.service"
    FULFILMENT = "essential.service.fulfilment"
    DELIVERY = "essential.service.delivery"
    PAYMENT_PROCESSING = "essential.service.payment_processing"
    NOTIFICATIONS = "essential.service.notifications"
    LEGAL_NOTICES = "essential.service.legal_notices"
    CUSTOMER_SERVICE = "essential.service.operations.support"
    # Part of answering the customer (the notice's "we answer your questions and requests"),
    # narrowed to their privacy requests and choices: the privacy officer's work (P13, P26).
    PRIVACY_REQUESTS = "essential.service.operations.support.privacy_requests"
    SECURITY = "essential.service.security"
    SEARCH = "essential.service.search"
    FRAUD_DETECTION = "essential.fraud_detection"
    LEGAL_OBLIGATION = "essential.legal_obligation"
    BUSINESS_TRANSFER = "essential.business_transfer"
    COOKIE_STORAGE = "functional.storage"
    IMPROVE = "functional.service.improve"
    ANALYTICS = "analytics.reporting"
    PERSONALISE = "personalize"
    PERSONALISED_CONTENT = "personalize.content"
    RECOMMENDATIONS = "personalize.recommendations"
    MARKETING = "marketing"
    MARKETING_EMAIL = "marketing.communications.email"
    MARKETING_POST = "marketing.communications.postal"
    PARTNER_OFFERS = "marketing.advertising.partner_offers"
    LIST_COMPARISON = "marketing.list_comparison"
    ENRICHMENT = "marketing.enrichment"

    def covers(self, other: str) -> bool:
        return _covers(self.value, other)

    @property
    def label(self) -> str:
        return _PURPOSE_LABELS[self]

    @property
    def permission_codename(self) -> str:
        """The Django permission a staff member needs to reach personal data for this purpose."""
        return "access_for_" + self.value.replace(".", "_")


_PURPOSE_LABELS: dict[Purpose, str] = {
    Purpose.ESSENTIAL: "running the shop",
    Purpose.SERVICE: "providing what you ask for",
    Purpose.FULFILMENT: "picking and packing your order",
    Purpose.DELIVERY: "delivering your order",
    Purpose.PAYMENT_PROCESSING: "taking payment",
    Purpose.NOTIFICATIONS: "e-mails about your orders and account",
    Purpose.LEGAL_NOTICES: "telling you about changes to this notice",
    Purpose.CUSTOMER_SERVICE: "answering your questions",
    Purpose.PRIVACY_REQUESTS: "answering your privacy requests",
    Purpose.SECURITY: "keeping your account secure",
    Purpose.SEARCH: "searching the shop",
    Purpose.FRAUD_DETECTION: "protecting against fraud and credit risk",
    Purpose.LEGAL_OBLIGATION: "complying with the law",
    Purpose.BUSINESS_TRANSFER: "a sale or transfer of the business",
    Purpose.COOKIE_STORAGE: "remembering your browser and cart",
    Purpose.IMPROVE: "improving the shop",
    Purpose.ANALYTICS: "understanding how the shop is used",
    Purpose.PERSONALISE: "personalising your shopping",
    Purpose.PERSONALISED_CONTENT: "personalising what the shop shows you",
    Purpose.RECOMMENDATIONS: "recommending products",
    Purpose.MARKETING: "marketing",
    Purpose.MARKETING_EMAIL: "marketing e-mail",
    Purpose.MARKETING_POST: "marketing by post",
    Purpose.PARTNER_OFFERS: "offers we send on behalf of other businesses",
    Purpose.LIST_COMPARISON: "comparing lists to avoid unwanted messages",
    Purpose.ENRICHMENT: "adding information from other sources",
}


class Source(StrEnum):
    """Where a piece of personal data came from."""

    GIVEN = "given"
    AUTOMATIC = "automatic"
    OTHER_SOURCE = "other_source"

    @property
    def label(self) -> str:
        return {
            Source.GIVEN: "given by you",
            Source.AUTOMATIC: "gathered automatically",
            Source.OTHER_SOURCE: "from another source",
        }[self]


class Choice(StrEnum):
    """The choice a notice offers for a practice, strongest first."""

    OPT_IN = "opt-in"
    OPT_OUT = "opt-out"
    NONE = "none"

    @property
    def strength(self) -> int:
        return {Choice.OPT_IN: 2, Choice.OPT_OUT: 1, Choice.NONE: 0}[self]


# P13: each kind of agent serves these purposes and nothing else.
AGENT_FUNCTIONS: dict[str, frozenset[Purpose]] = {
    "fulfilment": frozenset({Purpose.FULFILMENT}),
    "delivery": frozenset({Purpose.DELIVERY}),
    "mail_delivery": frozenset(
        {
            Purpose.NOTIFICATIONS,
            Purpose.LEGAL_NOTICES,
            Purpose.MARKETING_EMAIL,
            Purpose.MARKETING_POST,
            Purpose.PARTNER_OFFERS,
        }
    ),
    "list_deduplication": frozenset({Purpose.LIST_COMPARISON}),
    "analysis": frozenset({Purpose.ANALYTICS, Purpose.IMPROVE}),
    "marketing": frozenset({Purpose.MARKETING_EMAIL, Purpose.MARKETING_POST}),
    "search": frozenset({Purpose.SEARCH}),
    "card_processing": frozenset({Purpose.PAYMENT_PROCESSING, Purpose.FRAUD_DETECTION}),
    "customer_service": frozenset({Purpose.CUSTOMER_SERVICE}),
}

# What the customer reads for each kind of agent in the access log ("Delivery company Yamato").
AGENT_FUNCTION_NAMES: dict[str, str] = {
    "fulfilment": "Fulfilment warehouse",
    "delivery": "Delivery company",
    "mail_delivery": "E-mail delivery service",
    "list_deduplication": "List de-duplication service",
    "analysis": "Analysis service",
    "marketing": "Marketing agency",
    "search": "Search provider",
    "card_processing": "Card processor",
    "customer_service": "Customer service agency",
}


def describe_agent(function: str, company: str = "") -> str:
    """An agent as the customer reads it: its kind, then its company if known."""
    kind = AGENT_FUNCTION_NAMES.get(function, function.replace("_", " ").capitalize())
    return f"{kind} {company}".strip()


RECIPIENT_KINDS = ("shop", "partner", "affiliate", "authority")


def parse_recipient(value: str) -> str:
    """Check a recipient (``shop | agent:<function> | partner | affiliate | authority``)."""
    if value in RECIPIENT_KINDS:
        return value
    kind, _, function = value.partition(":")
    if kind == "agent" and function in AGENT_FUNCTIONS:
        return value
    if kind == "agent":
        known = ", ".join(sorted(AGENT_FUNCTIONS))
        raise ValueError(f"unknown agent function {function!r} (known: {known})")
    raise ValueError(
        f"unknown recipient {value!r}: use shop, agent:<function>, partner, affiliate or authority"
    )


def agent_may_serve(recipient: str, purpose: str) -> bool:
    """P13: an agent may receive data only for the purposes of its function."""
    kind, _, function = recipient.partition(":")
    if kind != "agent":
        return True
    return any(allowed.covers(purpose) for allowed in AGENT_FUNCTIONS.get(function, ()))


def describe_recipient(recipient: str) -> str:
    kind, _, function = recipient.partition(":")
    if kind == "agent":
        return f"our {function.replace('_', ' ')} agents"
    return {
        "shop": "the shop itself",
        "partner": "partner businesses",
        "affiliate": "affiliated companies",
        "authority": "public authorities",
    }.get(kind, recipient)
