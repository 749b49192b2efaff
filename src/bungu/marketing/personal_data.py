"""What the marketing app holds about a customer (read by bungu.privacy's data map): for
each campaign, whether it went to them, when, or why not. Campaigns themselves hold no
personal data; a suppression holds a keyed digest of an address, no link to an account, and
is still personal data: the shop can tell whether a given address is suppressed, and why."""

from bungu.privacy import DataCategory, Erase, Field, NotVersioned, PurgedBy, Purpose, Source

from .models import AGREEMENT_MAX_DAYS, RECIPIENT_RETENTION_DAYS
from .partner_models import OFFER_CODE_RETENTION_DAYS

PERSONAL = (
    [
        Field(
            f"marketing.CampaignRecipient.{name}",
            category=DataCategory.DERIVED,
            source=Source.AUTOMATIC,
            purposes={Purpose.MARKETING_EMAIL},
            retention_days=RECIPIENT_RETENTION_DAYS,
            erase=Erase.DELETE,
            note="Which marketing e-mail the shop sent you, when, or why it did not (P21, P25).",
        )
        for name in ("state", "sent_at", "skip_reason", "last_error")
    ]
    + [
        # P8, P5: a match with another company's list (or a staff entry): kept until it expires,
        # at most as long as an agreement may run, then deleted by prune_suppressions.
        Field(
            f"marketing.Suppression.{name}",
            category=DataCategory.DERIVED,
            source=Source.OTHER_SOURCE,
            purposes={Purpose.MARKETING_EMAIL},
            retention_days=AGREEMENT_MAX_DAYS,
            erase=Erase.DELETE,
            note="That the shop does not send you marketing e-mail, why, and until when (P8).",
        )
        for name in ("address_digest", "reason", "source", "created_at", "expires_at")
    ]
    + [
        # P14: an offer code is tied to the customer it went to (through the recipient row, which
        # only the shop holds): personal data, though the partner who sees it redeemed cannot tell
        # whose it is. Erased with the account; deleted after its retention.
        Field(
            f"marketing.OfferCode.{name}",
            category=category,
            source=Source.AUTOMATIC,
            purposes={Purpose.PARTNER_OFFERS},
            retention_days=OFFER_CODE_RETENTION_DAYS,
            erase=Erase.DELETE,
            note=note,
        )
        for name, category, note in (
            (
                "code",
                DataCategory.DERIVED,
                "The code of an offer we sent you on behalf of another business (P14).",
            ),
            ("issued_at", DataCategory.DERIVED, "When we gave you that offer code."),
            (
                "redeemed_at",
                DataCategory.DERIVED,
                "When the other business reported the code redeemed (it never learns who you are).",
            ),
        )
    ]
)

# P14: an offer code is about the customer its recipient row names.
SUBJECT_LINKS = {"marketing.OfferCode": ("recipient__customer",)}

NOT_PERSONAL = [
    "marketing.CampaignRecipient.campaign",
    "marketing.CampaignRecipient.customer",
    # The sending worker's bookkeeping.
    "marketing.CampaignRecipient.lease_owner",
    "marketing.CampaignRecipient.lease_expires_at",
    "marketing.CampaignRecipient.attempts",
    "marketing.OfferCode.offer",
    "marketing.OfferCode.recipient",
    # P8: an agreement and its exchanges are the shop's own records (their counts, no list);
    # the staff member who recorded an agreement is named for accountability.
    *(
        f"marketing.ComparisonAgreement.{name}"
        for name in (
            "partner",
            "purpose",
            "notice_version",
            "normalisation",
            "expires_at",
            "reference",
            "created_at",
            "created_by",
        )
    ),
    *(
        f"marketing.ComparisonExchange.{name}"
        for name in (
            "agreement",
            "method",
            "key",
            "nonce",
            "request_sha256",
            "expires_at",
            "created_at",
            "compared_at",
            "lines",
            "matched",
            "rejected",
        )
    ),
    # P8: a PSI exchange's ordered list of the shop's own customer ids (and a keyed check of
    # the address each was sent with), so the partner's answer can be read back into them.
    # No row of it is about one customer the way an account's data is: it says only that the
    # customer had an account when the request was made, holds no address, and is emptied when
    # the exchange is finished or expires (at most `psi.EXCHANGE_DAYS`).
    "marketing.ComparisonExchange.members",
]

# P5: kept for a while after the campaign ends, then deleted.
RETENTION = {
    "marketing.CampaignRecipient": PurgedBy("bungu.marketing.services.prune_recipients"),
    "marketing.Suppression": PurgedBy("bungu.marketing.comparison.prune_suppressions"),
    "marketing.OfferCode": PurgedBy("bungu.marketing.partners.prune_offer_codes"),
}

PRIOR_VERSIONS = {
    "marketing.CampaignRecipient": NotVersioned("The sending record: written by the shop."),
    "marketing.Suppression": NotVersioned("A match or an entry: replaced, never edited."),
    "marketing.OfferCode": NotVersioned("Issued by the shop; only its redemption is noted."),
}
