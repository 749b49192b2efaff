"""What each kind of campaign is refused for at send time, and how its mail is written.

* A **marketing** campaign is what P17 and P21 are about: it goes only to customers who did
  not turn marketing e-mail off, whose browser sent no Global Privacy Control signal (or who
  chose marketing again after it), whose address no list comparison (P8) or staff entry
  suppressed.
* A **notice reminder** (P24) is a service message about the notice itself: neither the
  marketing switch nor GPC (an opt-out of sale-like and marketing uses) stops it, and neither
  do the comparison lists, which exist to avoid unnecessary marketing. The customer's own
  switch for e-mail about notice changes does stop it (P21: "may even stop legal notices by
  e-mail"; the notice still applies).

Both kinds are refused for a closed account, an address that bounced or drew a complaint
(the mail app's suppressions), and where the notice does not allow that use of the address
(P25, for the purpose of the kind's mail).
"""

from __future__ import annotations

from dataclasses import dataclass

from bungu.mail.kinds import LEGAL_NOTICE, Category, category_of

from .models import CampaignKind


@dataclass(frozen=True)
class KindRules:
    # The mail app's kind of the messages: its category is the customer's switch (P21), its
    # purpose the use of the address the notice must allow (P25) and open confirmations are
    # judged for (P7).
    mail_kind: str
    # P17: a GPC signal on record is an opt-out of this mail.
    honours_gpc: bool
    # P8: marketing's own suppressions (list matches, staff entries) hold this mail back.
    honours_list_matches: bool
    # The templates (``.txt``, ``.html``) that wrap the message's body.
    template: str

    @property
    def category(self) -> Category:
        return category_of(self.mail_kind)


RULES = {
    CampaignKind.MARKETING: KindRules(
        mail_kind="marketing.campaign",
        honours_gpc=True,
        honours_list_matches=True,
        template="marketing/email/campaign",
    ),
    # P14: an offer the shop sends for a partner is marketing in every check above, and its
    # own switch (partner offers) is the customer's further say (``offer_sending.py``).
    CampaignKind.PARTNER_OFFER: KindRules(
        mail_kind="partner.offer",
        honours_gpc=True,
        honours_list_matches=True,
        template="marketing/email/campaign",
    ),
    CampaignKind.NOTICE_REMINDER: KindRules(
        mail_kind=LEGAL_NOTICE,
        honours_gpc=False,
        honours_list_matches=False,
        template="marketing/email/notice_reminder",
    ),
}


def rules_of(kind: str) -> KindRules:
    """Raises ValueError for a kind that is not a CampaignKind."""
    return RULES[CampaignKind(kind)]
