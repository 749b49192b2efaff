"""The privacy app's domain errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bungu.privacy.notices.practices import NoticeComparison


class PrivacyError(Exception):
    """Base of the errors below."""


class PurposeNotAllowed(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """Personal data was asked for a purpose, actor or field that P13 does not allow."""


class AppendOnlyViolation(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """Something tried to change or delete a ledger or log entry; they are written once."""


class NoticeInForce(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """A notice that has taken effect is never edited or deleted: publish a new version."""


class NoNoticeInForce(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """No version of the notice is in force yet, so nothing may be collected or used."""


class UnknownPractice(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """A consent names a practice the notice does not have."""


class DisclosureRefused(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """A disclosure may not be recorded or approved as asked (P16); the message says why."""


class LessProtectiveUnconfirmed(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """A notice less protective than the one before it was published without staff
    confirming the comparison (P25); ``comparison`` holds it."""

    def __init__(self, message: str, comparison: NoticeComparison) -> None:
        super().__init__(message)
        self.comparison = comparison


class DeletionAlreadyRequested(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """The customer has already asked to delete their account and it is not yet done (P22)."""


class NoDeletionPending(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """There is no pending deletion to cancel or carry out (P22)."""


class RestoreRefused(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """A backup may not be restored over this shop's erasure journal; the message says why."""
