"""The privacy app's own personal data, and that of Django's apps, which cannot declare it.

Links to a customer (foreign keys to the user model) are not personal data in themselves:
the record they point at is mapped where it is defined.

The cookies Django sets for the shop are declared here for the same reason (P5, P10).
"""

from datetime import timedelta

from django.conf import settings

from bungu.privacy.datamap.clocks import REQUEST_LINK_VALID_DAYS
from bungu.privacy.datamap.cookies import Cookie
from bungu.privacy.datamap.registry import Clock, Erase, Field, GenericLink, NotVersioned
from bungu.privacy.datamap.taxonomy import DataCategory, Purpose, Source

_LEDGER_PURPOSES = {Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION, Purpose.BUSINESS_TRANSFER}
_LOG_PURPOSES = {Purpose.CUSTOMER_SERVICE, Purpose.SECURITY, Purpose.LEGAL_OBLIGATION}

PERSONAL = [
    # The consent ledger is the proof of what a customer agreed to (P24, P25): kept after the
    # account is deleted, as the law expects of consent records. Customer service serves it,
    # and within it answering privacy requests (the privacy officer's reading of the ledger).
    *(
        Field(
            f"privacy.ConsentEvent.{name}",
            category=DataCategory.PRIVACY_PREFERENCES,
            source=Source.GIVEN,
            purposes=_LEDGER_PURPOSES,
            retention_days=None,
            erase=Erase.KEEP_FOR_LAW,
        )
        for name in ("kind", "notice", "practice", "at", "method", "page")
    ),
    # Who looked at a customer's data and why (P13): shown to the customer, kept two years.
    # Customer service serves it, and within it answering privacy requests (P26: "who saw my
    # data?"), which reaches this part of the account only.
    *(
        Field(
            f"privacy.AccessLogEntry.{name}",
            category=DataCategory.ACCESS_LOG,
            source=Source.AUTOMATIC,
            purposes=_LOG_PURPOSES,
            retention_days=730,
            erase=Erase.ANONYMISE,
        )
        for name in (
            "actor_label",
            "agent_company",
            "regarding",
            "purpose",
            "fields",
            "refused",
            "granted",
            "at",
        )
    ),
    # P16: the register of releases to authorities and for fraud protection. It is the proof
    # of what left the shop, so it outlives the account (the law may ask about it later).
    *(
        Field(
            f"privacy.Disclosure.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.OTHER_SOURCE if name == "requester" else Source.AUTOMATIC,
            purposes={Purpose.LEGAL_OBLIGATION, Purpose.BUSINESS_TRANSFER},
            # Seven years, as for the order records kept for tax (P5: a stated limit).
            retention_days=2555,
            erase=Erase.KEEP_FOR_LAW,
        )
        for name in (
            "legal_basis",
            "legal_basis_other",
            "requester",
            "data_released",
            "requested_at",
            "approved_at",
            "released_at",
            "visible_to_customer",
            "note",
        )
    ),
    # P24: which notice versions a customer was e-mailed about.
    *(
        Field(
            f"privacy.NoticeReminder.{name}",
            category=DataCategory.PRIVACY_PREFERENCES,
            source=Source.AUTOMATIC,
            purposes=_LEDGER_PURPOSES,
            retention_days=730,
            erase=Erase.DELETE,
        )
        for name in ("notice", "at")
    ),
    # P26: a customer's privacy concerns and requests, and the shop's answer. Kept three years
    # after they are received, to show how each was handled if a regulator asks.
    *(
        Field(
            f"privacy.PrivacyRequest.{name}",
            category=(
                DataCategory.PRIVACY_REQUEST
                if name == "description"
                else DataCategory.PRIVACY_PREFERENCES
            ),
            source=Source.GIVEN if name in {"kind", "description"} else Source.AUTOMATIC,
            # The customer's own words serve answering them (customer service, and within it
            # the privacy officer's answering of privacy requests); the record of handling,
            # the law too.
            purposes={Purpose.CUSTOMER_SERVICE}
            if name == "description"
            else {Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
            retention_days=1095,
            erase=Erase.KEEP_FOR_LAW,
        )
        for name in (
            "kind",
            "description",
            "status",
            "received_at",
            "confirm_due",
            "answer_due",
            "confirmed_at",
            "answered_at",
            "reply",
            "verified_by",
        )
    ),
    # P26: a request made without signing in, until the account holder confirms it from the
    # link e-mailed to them. Kept only as long as the link works.
    *(
        Field(
            f"privacy.PendingPrivacyRequest.{name}",
            category=(
                DataCategory.PRIVACY_REQUEST
                if name == "description"
                else DataCategory.PRIVACY_PREFERENCES
            ),
            source=Source.AUTOMATIC if name == "submitted_at" else Source.GIVEN,
            purposes={Purpose.CUSTOMER_SERVICE},
            retention_days=REQUEST_LINK_VALID_DAYS,
            erase=Erase.DELETE,
        )
        for name in ("kind", "description", "submitted_at")
    ),
    # P22: a customer's request to delete their account. Kept after the erasure as the proof
    # that it was asked for and done, and when (the law may ask).
    *(
        Field(
            f"privacy.AccountDeletion.{name}",
            category=DataCategory.PRIVACY_PREFERENCES,
            source=Source.GIVEN if name == "requested_at" else Source.AUTOMATIC,
            purposes={Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION},
            retention_days=1095,
            erase=Erase.KEEP_FOR_LAW,
        )
        for name in ("requested_at", "due_at", "cancelled_at", "completed_at")
    ),
    # The admin's change log names the records staff changed, customers' e-mail included.
    # P22: on erasure the name of the record becomes a placeholder (the entry still says a
    # record was changed, and when) and the account of what changed is emptied.
    *(
        Field(
            f"admin.LogEntry.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.AUTOMATIC,
            purposes={Purpose.SECURITY, Purpose.LEGAL_OBLIGATION},
            retention_days=730,
            erase=Erase.ANONYMISE if name == "object_repr" else Erase.DELETE,
        )
        for name in ("object_repr", "change_message")
    ),
]

# P19, P22: an admin change-log entry is about the record it names (content type and id), not
# about the staff member who wrote it; "My data" and the erasure find it through that record.
GENERIC_LINKS = {"admin.LogEntry": GenericLink(content_type="content_type", object_id="object_id")}

NOT_PERSONAL = [
    "privacy.ConsentEvent.subject",
    "privacy.AccessLogEntry.subject",
    "privacy.Disclosure.subject",
    "privacy.NoticeReminder.subject",
    "privacy.PrivacyRequest.customer",
    "privacy.PendingPrivacyRequest.customer",
    # A random key of the confirmation link, and the shop's record it became: no data itself.
    "privacy.PendingPrivacyRequest.nonce",
    "privacy.PendingPrivacyRequest.request",
    "privacy.AccountDeletion.subject",
    # The staff member answering a request: their own account.
    "privacy.PrivacyRequest.owner",
    # The staff members who recorded and approved a release: their own accounts.
    "privacy.Disclosure.requested_by",
    "privacy.Disclosure.approved_by",
    # The staff member who looked: their own account, not data about the customer.
    "privacy.AccessLogEntry.actor",
    "admin.LogEntry.user",
    "admin.LogEntry.action_time",
    "admin.LogEntry.content_type",
    "admin.LogEntry.object_id",
    "admin.LogEntry.action_flag",
]

COOKIES = [
    Cookie(
        "sessionid",
        setting="SESSION_COOKIE_NAME",
        purpose=(
            "Keeps you signed in, and carries short notes from one page to the next. It holds "
            "a random key; what it stands for stays on our server."
        ),
        # P3: unless the customer asks to stay signed in, it ends when the browser closes.
        max_age=timedelta(seconds=settings.SESSION_COOKIE_AGE),
        needed_for="signing in, your account, and checking out",
        essential=True,
        purposes={Purpose.SECURITY, Purpose.COOKIE_STORAGE},
        promises=("P3", "P10"),
    ),
    Cookie(
        "csrftoken",
        setting="CSRF_COOKIE_NAME",
        purpose=(
            "Proves that a form you send was filled in on our own pages, not forged by another "
            "site. It says nothing about you."
        ),
        max_age=timedelta(seconds=settings.CSRF_COOKIE_AGE),
        needed_for="sending any form: adding to the cart, signing in, writing a review",
        essential=True,
        purposes={Purpose.SECURITY},
        promises=("P1", "P11"),
    ),
    Cookie(
        "messages",
        purpose=(
            'Carries a one-time message such as "Added to your cart" to the next page, then '
            "is removed."
        ),
        max_age=None,
        needed_for="seeing confirmations after you do something",
        essential=True,
        purposes={Purpose.SERVICE},
        promises=("P10",),
    ),
]

# P5: how old each row is, for the retention declared above.
RETENTION = {
    "privacy.AccessLogEntry": Clock("at"),
    "privacy.AccountDeletion": Clock("requested_at"),
    "privacy.Disclosure": Clock("requested_at"),
    "privacy.NoticeReminder": Clock("at"),
    "privacy.PrivacyRequest": Clock("received_at"),
    "privacy.PendingPrivacyRequest": Clock("submitted_at"),
    "admin.LogEntry": Clock("action_time"),
}

# P20: how the earlier versions of the given data above are kept (privacy.KeepsPriorVersions).
PRIOR_VERSIONS = {
    "privacy.ConsentEvent": NotVersioned("Append-only: a new answer is a new row."),
    "privacy.AccountDeletion": NotVersioned("A request as it was made: never edited."),
    "privacy.PrivacyRequest": NotVersioned(
        "A request or concern as the customer sent it: the answers are added, the text is "
        "never edited."
    ),
    "privacy.PendingPrivacyRequest": NotVersioned(
        "A request waiting for its e-mail link, as it was sent: never edited."
    ),
}
