"""The privacy app's records, one module per kind (Django finds them through this package).

Other apps never use these models directly: they call the functions exported by
``bungu.privacy`` (design.md).
"""

from bungu.privacy.models.access_log import AccessLogEntry
from bungu.privacy.models.append_only import AppendOnly, AppendOnlyQuerySet
from bungu.privacy.models.consent import ConsentEvent, ConsentKind, ConsentMethod
from bungu.privacy.models.deletion import (
    AccountDeletion,
    AccountDeletionQuerySet,
    ErasureAction,
    ErasureJournalEntry,
)
from bungu.privacy.models.disclosures import Disclosure, DisclosureQuerySet, LegalBasis
from bungu.privacy.models.notices import Notice, NoticeQuerySet, NoticeReminder
from bungu.privacy.models.requests import (
    PendingPrivacyRequest,
    PrivacyRequest,
    PrivacyRequestQuerySet,
    RequestKind,
    RequestStatus,
    Verification,
    new_link_nonce,
)

__all__ = [
    "AccessLogEntry",
    "AccountDeletion",
    "AccountDeletionQuerySet",
    "AppendOnly",
    "AppendOnlyQuerySet",
    "ConsentEvent",
    "ConsentKind",
    "ConsentMethod",
    "Disclosure",
    "DisclosureQuerySet",
    "ErasureAction",
    "ErasureJournalEntry",
    "LegalBasis",
    "Notice",
    "NoticeQuerySet",
    "NoticeReminder",
    "PendingPrivacyRequest",
    "PrivacyRequest",
    "PrivacyRequestQuerySet",
    "RequestKind",
    "RequestStatus",
    "Verification",
    "new_link_nonce",
]
