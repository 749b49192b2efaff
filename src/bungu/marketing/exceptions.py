class MarketingError(Exception):
    """A marketing action the rules refuse; the message is written for the staff member."""


class UnknownSegment(MarketingError):  # noqa: N818 - a domain noun
    """No installed app declares a segment of that name, or its argument is unusable."""


class BadTemplate(MarketingError):  # noqa: N818 - a domain noun
    """A campaign's subject or body uses a placeholder the shop does not fill in."""


class WrongState(MarketingError):  # noqa: N818 - a domain noun
    """The campaign is not in a state that allows this (e.g. editing one that was sent)."""


class OfferRefused(MarketingError):  # noqa: N818 - a domain noun
    """A partner offer the rules refuse (an inactive partner, dates that do not hold)."""


class BadPartnerLink(MarketingError):  # noqa: N818 - a domain noun
    """A partner's link that is forged, expired, revoked, or whose partner was stopped."""


class BadUpload(MarketingError):  # noqa: N818 - a domain noun
    """A partner's list of redeemed codes that cannot be read (empty, too big, not text)."""


class UnknownNotice(MarketingError):  # noqa: N818 - a domain noun
    """A notice reminder was asked for a notice version that does not exist."""
