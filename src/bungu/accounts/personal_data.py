"""What the accounts app holds about a customer (read by bungu.privacy's data map)."""

from bungu.privacy import (
    Clock,
    Cookie,
    DataCategory,
    Erase,
    ErasedBy,
    Field,
    KeptBy,
    NotVersioned,
    Purpose,
    Source,
)

from .devices import DEVICE_COOKIE_AGE

# ---------------------------------------------------------------- the profile, P4, P22
# Every field is optional; the profile page names the feature each one serves.
_PROFILE = [
    Field(
        "accounts.Profile.phone",
        category=DataCategory.PHONE,
        source=Source.GIVEN,
        purposes={Purpose.DELIVERY, Purpose.CUSTOMER_SERVICE, Purpose.BUSINESS_TRANSFER},
        retention_days=None,
        erase=Erase.DELETE,
        note="Optional: lets the shop or the courier call about a delivery.",
    ),
    *(
        Field(
            f"accounts.Profile.{name}",
            category=DataCategory.ACCOUNT_SETTINGS,
            source=Source.GIVEN,
            purposes={
                Purpose.PERSONALISED_CONTENT,
                Purpose.CUSTOMER_SERVICE,
                Purpose.BUSINESS_TRANSFER,
            },
            retention_days=None,
            erase=Erase.DELETE,
            note="Optional: personalises what the shop shows and recommends.",
        )
        for name in ("ink_colours", "interests")
    ),
]

# ---------------------------------------------------------------- P9: from other sources
# Kept two years after it was received (it goes stale), or until the customer removes it.
SOURCED_RETENTION_DAYS = 730
_SOURCED_NOTE = "From another source: the customer sees where from and can correct or remove it."
_SOURCED = [
    Field(
        "accounts.SourcedDetail.interests",
        category=DataCategory.DERIVED,
        source=Source.OTHER_SOURCE,
        purposes={Purpose.ENRICHMENT, Purpose.MARKETING_EMAIL, Purpose.RECOMMENDATIONS},
        retention_days=SOURCED_RETENTION_DAYS,
        erase=Erase.DELETE,
        note=_SOURCED_NOTE,
    ),
    Field(
        "accounts.SourcedDetail.postal_address",
        category=DataCategory.ADDRESS,
        source=Source.OTHER_SOURCE,
        purposes={Purpose.MARKETING_POST, Purpose.CUSTOMER_SERVICE},
        retention_days=SOURCED_RETENTION_DAYS,
        erase=Erase.DELETE,
        note=_SOURCED_NOTE,
    ),
    # Where each value came from: being known to another company is itself about the person.
    *(
        Field(
            f"accounts.SourcedDetail.{name}",
            category=DataCategory.DERIVED,
            source=Source.OTHER_SOURCE if name in {"kind", "source"} else Source.AUTOMATIC,
            purposes={Purpose.ENRICHMENT, Purpose.MARKETING_EMAIL},
            retention_days=SOURCED_RETENTION_DAYS,
            erase=Erase.DELETE,
            note="Where a value from another source came from, and under which rule.",
        )
        for name in (
            "kind",
            "source",
            "agreement",
            "received_at",
            "notice_version",
            "notice_rule",
            "corrected_at",
        )
    ),
]

_SOURCED += [
    # What the customer removed (never the value): so the source's next file does not add it
    # again. Kept as long as the account, since that is how long the wish holds.
    Field(
        f"accounts.SourcedRemoval.{name}",
        category=DataCategory.PRIVACY_PREFERENCES,
        source=Source.GIVEN if name == "removed_at" else Source.OTHER_SOURCE,
        purposes={Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
        retention_days=None,
        erase=Erase.DELETE,
        note="Information from another source you removed: it is not added again.",
    )
    for name in ("kind", "source", "removed_at")
]

# ---------------------------------------------------------------- the address book
_ADDRESS_PURPOSES = {
    Purpose.FULFILMENT,
    Purpose.DELIVERY,
    Purpose.PAYMENT_PROCESSING,
    Purpose.CUSTOMER_SERVICE,
    Purpose.FRAUD_DETECTION,
    Purpose.LEGAL_OBLIGATION,
    Purpose.BUSINESS_TRANSFER,
}
_ADDRESS_BOOK = [
    Field(
        "accounts.Address.recipient",
        category=DataCategory.NAME,
        source=Source.GIVEN,
        purposes=_ADDRESS_PURPOSES,
        retention_days=None,
        erase=Erase.DELETE,
    ),
    *(
        Field(
            f"accounts.Address.{name}",
            category=DataCategory.ADDRESS,
            source=Source.GIVEN,
            purposes=_ADDRESS_PURPOSES,
            retention_days=None,
            erase=Erase.DELETE,
        )
        for name in (
            "label",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "is_default_shipping",
        )
    ),
    Field(
        "accounts.Address.phone",
        category=DataCategory.PHONE,
        source=Source.GIVEN,
        purposes={Purpose.FULFILMENT, Purpose.DELIVERY, Purpose.CUSTOMER_SERVICE},
        retention_days=None,
        erase=Erase.DELETE,
        note="Optional: given to the courier only.",
    ),
]

# ---------------------------------------------------------------- prior versions, P20
_PRIOR_VERSIONS = [
    *(
        Field(
            f"accounts.PriorVersion.{name}",
            category=DataCategory.CONTACT,
            source=Source.GIVEN,
            purposes={Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
            # Kept two years, long enough to settle what an address was when an order went.
            retention_days=730,
            erase=Erase.DELETE,
            note="The earlier version of the profile or an address, kept when it changed.",
        )
        for name in ("snapshot", "kind", "object_id", "change", "changed_at")
    ),
]

# ---------------------------------------------------------------- guardians, P23
_GUARDIANS = [
    Field(
        "accounts.GuardianLink.invited_email",
        category=DataCategory.EMAIL,
        source=Source.GIVEN,
        purposes={Purpose.SECURITY, Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
        retention_days=None,
        erase=Erase.DELETE,
        note="The young person's address, given by the guardian to invite them.",
    ),
    *(
        Field(
            f"accounts.GuardianLink.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.GIVEN,
            purposes={Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
            retention_days=None,
            erase=Erase.DELETE,
            note="When the guardian consented (P23), and how the link went on.",
        )
        for name in ("created_at", "approved_at", "expires_at", "accepted_at", "ended_at")
    ),
]

# ---------------------------------------------------------------- django-allauth's tables
_ALLAUTH = [
    Field(
        "account.EmailAddress.email",
        category=DataCategory.EMAIL,
        source=Source.GIVEN,
        purposes={
            Purpose.SECURITY,
            Purpose.NOTIFICATIONS,
            Purpose.CUSTOMER_SERVICE,
            Purpose.BUSINESS_TRANSFER,
        },
        retention_days=None,
        erase=Erase.DELETE,
    ),
    *(
        # The customer's own acts: following the link, choosing the address to use.
        Field(
            f"account.EmailAddress.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.GIVEN,
            purposes={Purpose.SECURITY, Purpose.CUSTOMER_SERVICE},
            retention_days=None,
            erase=Erase.DELETE,
        )
        for name in ("verified", "primary")
    ),
    # Unused while confirmation keys are signed (allauth's default), declared all the same.
    Field(
        "account.EmailConfirmation.key",
        category=DataCategory.CREDENTIALS,
        source=Source.AUTOMATIC,
        purposes={Purpose.SECURITY},
        retention_days=7,
        erase=Erase.DELETE,
    ),
    *(
        Field(
            f"account.EmailConfirmation.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.AUTOMATIC,
            purposes={Purpose.SECURITY},
            retention_days=7,
            erase=Erase.DELETE,
        )
        for name in ("created", "sent")
    ),
    # Two-factor authentication, which the customer chose to set up: the TOTP secret and the
    # recovery codes, kept until they turn it off.
    Field(
        "mfa.Authenticator.data",
        category=DataCategory.TWO_FACTOR,
        source=Source.GIVEN,
        purposes={Purpose.SECURITY},
        retention_days=None,
        erase=Erase.DELETE,
    ),
    *(
        Field(
            f"mfa.Authenticator.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.GIVEN,
            purposes={Purpose.SECURITY, Purpose.CUSTOMER_SERVICE},
            retention_days=None,
            erase=Erase.DELETE,
        )
        for name in ("type", "created_at")
    ),
    # Overwritten at each use; the last value older than this is of no use to security.
    Field(
        "mfa.Authenticator.last_used_at",
        category=DataCategory.ACCOUNT,
        source=Source.AUTOMATIC,
        purposes={Purpose.SECURITY, Purpose.CUSTOMER_SERVICE},
        retention_days=730,
        erase=Erase.DELETE,
    ),
    # P3: the signed-in sessions the customer sees and can end. A row lives as long as its
    # session (two weeks at most unless renewed); ended and expired ones are purged.
    Field(
        "usersessions.UserSession.ip",
        category=DataCategory.IP_ADDRESS,
        source=Source.AUTOMATIC,
        purposes={Purpose.SECURITY, Purpose.FRAUD_DETECTION},
        retention_days=30,
        erase=Erase.DELETE,
    ),
    *(
        Field(
            f"usersessions.UserSession.{name}",
            category=DataCategory.DEVICE,
            source=Source.AUTOMATIC,
            purposes={Purpose.SECURITY},
            retention_days=30,
            erase=Erase.DELETE,
        )
        for name in ("user_agent", "created_at", "last_seen_at", "data")
    ),
    Field(
        "usersessions.UserSession.session_key",
        category=DataCategory.SESSION_KEY,
        source=Source.AUTOMATIC,
        purposes={Purpose.SECURITY},
        retention_days=30,
        erase=Erase.DELETE,
    ),
]

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
        category=DataCategory.PASSWORD,
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
    # P23: the statement "I am 18 or over" at sign-up, as a time; never a birth date.
    Field(
        "accounts.User.adult_declared_at",
        category=DataCategory.ACCOUNT,
        source=Source.GIVEN,
        purposes={Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
        retention_days=None,
        erase=Erase.DELETE,
    ),
    *_PROFILE,
    *_ADDRESS_BOOK,
    *_PRIOR_VERSIONS,
    *_GUARDIANS,
    *_ALLAUTH,
    *_SOURCED,
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
    # Links to the customer: the record they point at is mapped where it is defined.
    "accounts.Profile.user",
    "accounts.Address.customer",
    "accounts.PriorVersion.customer",
    "accounts.SourcedDetail.customer",
    "accounts.SourcedRemoval.customer",
    # The customer or the staff member who made a change: their own account.
    "accounts.PriorVersion.changed_by",
    "accounts.PriorVersion.record",
    "accounts.GuardianLink.guardian",
    "accounts.GuardianLink.supervised",
    # A digest of a single-use invitation secret, not data about anyone.
    "accounts.GuardianLink.token_digest",
    # When an address was written or last touched: bookkeeping of the record itself.
    "accounts.Address.created_at",
    "accounts.Address.updated_at",
    "accounts.Profile.updated_at",
    "account.EmailAddress.user",
    "account.EmailConfirmation.email_address",
    "mfa.Authenticator.user",
    "usersessions.UserSession.user",
]

# P19 corrections: the page where the customer corrects each model's data ("My data" links
# there; bungu.privacy reads this map and never hard-codes the account pages' addresses).
EDIT_URL_NAMES = {
    "accounts.User": "accounts:profile",
    "accounts.Profile": "accounts:profile",
    "accounts.Address": "accounts:addresses",
    "account.EmailAddress": "account_email",
    "usersessions.UserSession": "accounts:sessions",
    "accounts.SourcedDetail": "accounts:sourced_details",
}

# P22, P19: a guardian link is about both people, so each one's "My data" shows it and
# deleting either account erases it (by default only the first link, the guardian, counts).
SUBJECT_LINKS = {"accounts.GuardianLink": ("guardian", "supervised")}

# P5: how old a row is, for the retention declared above. User.last_login and
# Authenticator.last_used_at are their own clocks (emptied when older than declared).
RETENTION = {
    "accounts.PriorVersion": Clock("changed_at"),
    "accounts.SourcedDetail": Clock("received_at"),
    "account.EmailConfirmation": Clock("created"),
    "usersessions.UserSession": Clock("last_seen_at"),
}

# P22, P3: erasing a session's record ends the session itself (its entry in the session
# store goes too), on the erasure and again on a replay after a backup restore.
ERASURE = {"usersessions.UserSession": ErasedBy("bungu.accounts.sessions.end_sessions")}

# P20: every change of given data keeps the earlier version, through the save hook
# (privacy.KeepsPriorVersions), whoever saves: these pages, the back office, the admin, or
# allauth when a new e-mail address becomes the primary one (it saves the user).
KEEPER = KeptBy("bungu.accounts.versions.keep_prior_version")
PRIOR_VERSIONS = {
    "accounts.User": KEEPER,
    "accounts.Profile": KEEPER,
    "accounts.Address": KEEPER,
    "account.EmailAddress": NotVersioned(
        "allauth adds and removes these rows, never edits an address in place; the address "
        "in use is copied to accounts.User.email, whose prior versions are kept."
    ),
    "accounts.GuardianLink": NotVersioned(
        "The invitation is never edited: a new address is a new invitation; the dates record "
        "how the link went on."
    ),
    "accounts.PriorVersion": NotVersioned("The copies themselves, never edited."),
    "accounts.SourcedRemoval": NotVersioned("Written once when the customer removes a value."),
    "accounts.SourcedDetail": NotVersioned(
        "Not given by the customer; their corrections keep the earlier version themselves "
        "(accounts.sourced.correct_sourced_detail)."
    ),
    "mfa.Authenticator": NotVersioned(
        "A secret: replaced, never edited, and never copied (a prior secret is a risk)."
    ),
}

# The device cookie of a browser that signed in before (devices.py): its own allowance of
# wrong passwords, so a stranger's guesses never lock the customer out.
COOKIES = [
    Cookie(
        "device",
        setting="BUNGU_DEVICE_COOKIE_NAME",
        purpose=(
            "Remembers that this browser signed in to your account before, so that someone "
            "else guessing your password elsewhere cannot lock you out. It holds a random "
            "number and a keyed fingerprint of the account, never your address."
        ),
        max_age=DEVICE_COOKIE_AGE,
        needed_for="signing in while someone else is trying wrong passwords on your account",
        essential=True,
        purposes={Purpose.SECURITY},
        promises=("P3",),
    ),
]
