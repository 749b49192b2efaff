"""What the mail app holds about a customer (read by bungu.privacy's data map)."""

from bungu.privacy import (
    Clock,
    DataCategory,
    Erase,
    Field,
    KeptBy,
    NotVersioned,
    PurgedBy,
    Purpose,
    Source,
)

from .models import OPEN_RETENTION_DAYS, OUTBOX_RETENTION_DAYS, SUPPRESSION_RETENTION_DAYS

_OUTBOX_PURPOSES = {Purpose.CUSTOMER_SERVICE, Purpose.SECURITY}
_PREFERENCE_PURPOSES = {
    Purpose.MARKETING_EMAIL,
    Purpose.LEGAL_NOTICES,
    Purpose.CUSTOMER_SERVICE,
    Purpose.LEGAL_OBLIGATION,
}

PERSONAL = [
    # P5: the outbox keeps each message a year after it is done with (`bungu prune_outbox`).
    Field(
        "mail.OutboxMessage.to_address",
        category=DataCategory.EMAIL,
        source=Source.GIVEN,
        purposes={
            Purpose.NOTIFICATIONS,
            Purpose.LEGAL_NOTICES,
            Purpose.MARKETING_EMAIL,
            *_OUTBOX_PURPOSES,
        },
        retention_days=OUTBOX_RETENTION_DAYS,
        erase=Erase.DELETE,
    ),
    *(
        Field(
            f"mail.OutboxMessage.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.AUTOMATIC,
            purposes=_OUTBOX_PURPOSES,
            retention_days=OUTBOX_RETENTION_DAYS,
            erase=Erase.DELETE,
            note="What the shop e-mailed you, and when.",
        )
        # A delivery error may quote the address.
        for name in ("subject", "kind", "last_error", "suppressed_reason", "created_at", "sent_at")
    ),
    # P13: bodies and headers carry secrets meant for the customer alone (sign-in and
    # password-reset links, the signed unsubscribe link), so customer service, which can
    # answer "did you send it?" from the subject and times, never reads them.
    *(
        Field(
            f"mail.OutboxMessage.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.AUTOMATIC,
            purposes={Purpose.SECURITY},
            retention_days=OUTBOX_RETENTION_DAYS,
            erase=Erase.DELETE,
            note="What the shop e-mailed you.",
        )
        for name in ("text_body", "html_body", "headers")
    ),
    # P13: what the e-mail delivery service or returned mail reported of an address.
    Field(
        "mail.MailSuppression.address",
        category=DataCategory.EMAIL,
        source=Source.OTHER_SOURCE,
        purposes={Purpose.MARKETING_EMAIL, Purpose.LEGAL_NOTICES, *_OUTBOX_PURPOSES},
        retention_days=SUPPRESSION_RETENTION_DAYS,
        erase=Erase.DELETE,
        note="An address whose mail bounced or drew a complaint, as reported back to the shop.",
    ),
    *(
        Field(
            f"mail.MailSuppression.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.OTHER_SOURCE,
            purposes=_OUTBOX_PURPOSES,
            retention_days=SUPPRESSION_RETENTION_DAYS,
            erase=Erase.DELETE,
            note="Why the shop stopped writing to an address, and when.",
        )
        for name in ("kind", "detail", "created_at")
    ),
    *(
        Field(
            f"mail.MailPreferences.{name}",
            category=DataCategory.PRIVACY_PREFERENCES,
            source=Source.GIVEN,
            purposes=_PREFERENCE_PURPOSES,
            retention_days=None,
            erase=Erase.DELETE,
            note="Your e-mail choices (P21).",
        )
        for name in ("marketing", "other_mail", "legal_notices", "partner_offers", "updated_at")
    ),
    # P7, P5: whether and when the customer opened a message that carried the tracking image
    # (only with their choice), kept OPEN_RETENTION_DAYS after the image was added.
    *(
        Field(
            f"mail.OpenTracking.{name}",
            category=DataCategory.EMAIL_OPENS,
            source=Source.AUTOMATIC,
            # P14: opens of partner offers, where the notice declares them, are counted for
            # the partner's report (counts only, never who).
            purposes={Purpose.MARKETING_EMAIL, Purpose.PARTNER_OFFERS},
            retention_days=OPEN_RETENTION_DAYS,
            erase=Erase.DELETE,
            note="Whether you opened our e-mail, recorded only while you allow it (P7).",
        )
        for name in (
            "added_at",
            "first_opened_at",
            "last_opened_at",
            "opens",
            "proxy_fetches",
            "last_proxy_reason",
        )
    ),
]

NOT_PERSONAL = [
    "mail.OutboxMessage.recipient",
    "mail.MailPreferences.user",
    "mail.MailSuppression.recipient",
    # Which service (or staff member) reported it: the shop's own bookkeeping.
    "mail.MailSuppression.source",
    # The shop's own sender address and the delivery bookkeeping say nothing about the person.
    "mail.OutboxMessage.from_address",
    "mail.OutboxMessage.message_id",
    "mail.OutboxMessage.state",
    "mail.OutboxMessage.attempts",
    "mail.OutboxMessage.next_attempt_at",
    # P22: whether the content is blanked once delivered, a rule of the message, not data.
    "mail.OutboxMessage.erase_after_delivery",
    "mail.OpenTracking.recipient",
    # The message it belongs to (mapped above), and an HMAC of its public Message-ID.
    "mail.OpenTracking.message",
    "mail.OpenTracking.token",
    # The kind of mail ("marketing.campaign") when no outbox message says it.
    "mail.OpenTracking.kind",
]

# P19 corrections: where the customer changes their e-mail choices (read by "My data").
EDIT_URL_NAMES = {"mail.MailPreferences": "mail:preferences"}

# P5: a message's age counts from when it was done with (sent, or given up on).
RETENTION = {
    "mail.OutboxMessage": PurgedBy("bungu.mail.services.prune_outbox"),
    "mail.OpenTracking": Clock("added_at"),
    "mail.MailSuppression": Clock("created_at"),
}

# P20: how the earlier versions of the given data above are kept (privacy.KeepsPriorVersions).
# The keeper is the account's (named by path, so mail imports nothing above it).
PRIOR_VERSIONS = {
    "mail.MailPreferences": KeptBy("bungu.accounts.versions.keep_prior_version"),
    "mail.OutboxMessage": NotVersioned("A message as it was sent: never edited."),
    "mail.OpenTracking": NotVersioned("Counters the shop keeps; nobody edits them."),
    "mail.MailSuppression": NotVersioned("A report from the delivery service: never edited."),
}
