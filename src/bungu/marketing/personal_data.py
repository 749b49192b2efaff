"""What the marketing app holds about a customer (read by bungu.privacy's data map): for
each campaign, whether it went to them, when, or why not. Campaigns themselves hold no
personal data; a suppression holds a keyed digest of an address, no link to an account."""

from bungu.privacy import DataCategory, Erase, Field, NotVersioned, PurgedBy, Purpose, Source

from .models import RECIPIENT_RETENTION_DAYS

PERSONAL = [
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

NOT_PERSONAL = [
    "marketing.CampaignRecipient.campaign",
    "marketing.CampaignRecipient.customer",
    # The sending worker's bookkeeping.
    "marketing.CampaignRecipient.lease_owner",
    "marketing.CampaignRecipient.lease_expires_at",
    "marketing.CampaignRecipient.attempts",
]

# P5: kept for a while after the campaign ends, then deleted.
RETENTION = {"marketing.CampaignRecipient": PurgedBy("bungu.marketing.services.prune_recipients")}

PRIOR_VERSIONS = {
    "marketing.CampaignRecipient": NotVersioned("The sending record: written by the shop."),
}
