"""P14: what sending a partner offer adds to sending any campaign: the same checks of every
recipient at send time (``eligibility.refusals_for``: P21 choices, GPC, suppressions, P25),
then the offer's own (the offer still runs, its partner is active, and the notice's practice
of partner offers allows this customer's address to serve it: a customer who said no to
partner offers, in the ledger, is left out), and one offer code per recipient sent to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from bungu import privacy
from bungu.mail.kinds import Category
from bungu.mail.preferences import get_preferences_many

from .eligibility import Refusal, refusals_for
from .models import Campaign, SkipReason
from .offer_codes import display, issue_codes
from .partner_models import PartnerOffer


def offer_of(campaign: Campaign) -> PartnerOffer | None:
    return PartnerOffer.objects.select_related("partner").filter(campaign_id=campaign.pk).first()


def offer_refusals(
    campaign: Campaign, customers: Sequence[AbstractBaseUser], *, now: datetime
) -> dict[int, Refusal | None]:
    """Why each customer (by id) must not be sent this partner offer now, or None if they
    may. Two queries more than ``refusals_for``, two for the notice's partner-offer practice:
    the customer's switch for partner offers (P21: on the e-mail choices page, and the
    one-click unsubscribe of a partner offer turns it off) and the practice's opt-out in the
    ledger, which the switch writes."""
    refusals = refusals_for(customers, now=now)
    offer = offer_of(campaign)
    if offer is None or not offer.partner.active or offer.valid_until < timezone.localdate(now):
        ended = Refusal(SkipReason.OFFER_ENDED)
        return {pk: refusal or ended for pk, refusal in refusals.items()}
    open_ = [int(c.pk) for c in customers if refusals[int(c.pk)] is None]
    preferences = get_preferences_many(user_ids=open_)
    collected_at: dict[int, datetime] = {}
    for customer in customers:
        pk = int(customer.pk)
        joined = getattr(customer, "date_joined", None)
        if refusals[pk] is not None:
            continue
        if not preferences[pk].allows(Category.PARTNER_OFFERS):
            refusals[pk] = Refusal(SkipReason.PARTNER_OFFERS)
        elif isinstance(joined, datetime):
            collected_at[pk] = min(joined, now)
    if collected_at:
        decisions = privacy.may_use_many(
            subjects=[c for c in customers if int(c.pk) in collected_at],
            collected_at=collected_at,
            data_category=privacy.DataCategory.EMAIL,
            purpose=privacy.Purpose.PARTNER_OFFERS,
            recipient="shop",
            now=now,
        )
        for pk, decision in decisions.items():
            if not decision:
                refusals[pk] = Refusal(SkipReason.PARTNER_OFFERS, decision.reason)
    return refusals


def codes_for(campaign: Campaign, *, recipient_ids: Sequence[int]) -> dict[int, str]:
    """The offer code to show each recipient (by recipient id), as the customer reads it."""
    offer = offer_of(campaign)
    if offer is None or not recipient_ids:
        return {}
    codes = issue_codes(offer_id=offer.pk, recipient_ids=recipient_ids)
    return {pk: display(code) for pk, code in codes.items()}
