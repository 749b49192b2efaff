"""The privacy app's own personal data, and that of Django's apps, which cannot declare it.

Links to a customer (foreign keys to the user model) are not personal data in themselves:
the record they point at is mapped where it is defined.
"""

from .datamap import Erase, Field
from .taxonomy import DataCategory, Purpose, Source

_LEDGER_PURPOSES = {Purpose.CUSTOMER_SERVICE, Purpose.LEGAL_OBLIGATION, Purpose.BUSINESS_TRANSFER}
_LOG_PURPOSES = {Purpose.CUSTOMER_SERVICE, Purpose.SECURITY, Purpose.LEGAL_OBLIGATION}

PERSONAL = [
    # The consent ledger is the proof of what a customer agreed to (P24, P25): kept after the
    # account is deleted, as the law expects of consent records.
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
    *(
        Field(
            f"privacy.AccessLogEntry.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.AUTOMATIC,
            purposes=_LOG_PURPOSES,
            retention_days=730,
            erase=Erase.ANONYMISE,
        )
        for name in ("actor_label", "purpose", "fields", "refused", "granted", "at")
    ),
    # The admin's change log names the records staff changed, customers' e-mail included.
    *(
        Field(
            f"admin.LogEntry.{name}",
            category=DataCategory.ACCOUNT,
            source=Source.AUTOMATIC,
            purposes={Purpose.SECURITY, Purpose.LEGAL_OBLIGATION},
            retention_days=730,
            erase=Erase.ANONYMISE,
        )
        for name in ("object_repr", "change_message")
    ),
]

NOT_PERSONAL = [
    "privacy.ConsentEvent.subject",
    "privacy.AccessLogEntry.subject",
    # The staff member who looked: their own account, not data about the customer.
    "privacy.AccessLogEntry.actor",
    "admin.LogEntry.user",
    "admin.LogEntry.action_time",
    "admin.LogEntry.content_type",
    "admin.LogEntry.object_id",
    "admin.LogEntry.action_flag",
]
