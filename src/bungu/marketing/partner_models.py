"""P14: offers the shop sends itself on behalf of other businesses.

A ``Partner`` is the other business; a ``PartnerOffer`` is one offer of it, sent as a
campaign of the shop (kind ``partner_offer``) to a segment, so every send-time check of a
campaign applies to it unchanged; an ``OfferCode`` is the one code a recipient of the offer
got, which only the shop can map back to the customer (through the recipient row). The
partner learns counts, never a name, an address or an e-mail address.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .models import Campaign, CampaignRecipient

# P5: an offer code (tied to a customer through its recipient row) is kept this long after
# it was issued, then deleted (``partners.prune_offer_codes``); the recipient row itself goes
# sooner or later with the campaign's own retention, taking the code with it.
OFFER_CODE_RETENTION_DAYS = 730
# A partner may report a redemption this many days after an offer's last day (a customer who
# redeemed on the last day, reported in the partner's next weekly batch); later lines count
# as expired.
REPORTING_GRACE_DAYS = 14


class Partner(models.Model):
    """Another business on whose behalf the shop sends offers. It never receives customer
    data: only the aggregate report, through a signed link (``partner_access.py``)."""

    name = models.CharField("company name", max_length=200, unique=True)
    contact = models.CharField(
        max_length=200, blank=True, help_text="Who at the partner receives the report."
    )
    agreement_reference = models.CharField(
        max_length=100, blank=True, help_text="The contract's reference."
    )
    notice_version = models.PositiveIntegerField(
        help_text="The version of the privacy notice the agreement was made under."
    )
    active = models.BooleanField(
        default=True, help_text="An inactive partner's offers are not sent, its links refused."
    )
    # Bumped to revoke every link given to the partner so far.
    link_generation = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"partner #{self.pk} {self.name}"


class PartnerOffer(models.Model):
    """One offer of a partner, sent by the shop as its own campaign to a segment."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="offers")
    title = models.CharField(max_length=120, help_text="What the partner and staff call it.")
    valid_from = models.DateField()
    valid_until = models.DateField(help_text="The last day a code may be redeemed.")
    campaign = models.OneToOneField(
        Campaign, on_delete=models.PROTECT, related_name="partner_offer"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="partner_offer_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"offer #{self.pk} {self.title!r} of partner {self.partner_id}"

    def clean(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": "The offer ends before it starts."})

    def runs_on(self, day: datetime.date) -> bool:
        """Whether a message of the offer may still go out on this day."""
        return self.valid_from <= day <= self.valid_until if self.valid_from else False

    def reportable_on(self, day: datetime.date) -> bool:
        """Whether a redemption may still be reported on this day."""
        return day <= self.valid_until + datetime.timedelta(days=REPORTING_GRACE_DAYS)


class OfferCode(models.Model):
    """The code one recipient of a partner offer got: random, unique, derived from nothing
    about them. Stored with the recipient row, so the shop alone can tell whose it is."""

    offer = models.ForeignKey(PartnerOffer, on_delete=models.CASCADE, related_name="codes")
    recipient = models.OneToOneField(
        CampaignRecipient, on_delete=models.CASCADE, related_name="offer_code"
    )
    code = models.CharField(max_length=16, unique=True)
    issued_at = models.DateTimeField(default=timezone.now)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["offer", "redeemed_at"], name="offer_code_redeemed")]

    def __str__(self) -> str:
        # Never the code: the admin and logs name a row by this.
        return f"offer code #{self.pk} of offer {self.offer_id}"
