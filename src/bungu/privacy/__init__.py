"""The notice as code: Bungu's privacy promises, enforced.

Other apps use only the names exported here, never the privacy app's models.

The vocabulary, the data map and the notice comparison are plain Python and are imported
eagerly. The services that read the database (``may_use``, ``record_consent``, ``access``...)
live in modules that import models, and Django imports this package before any model may be
loaded; so those names are resolved on first use through the module ``__getattr__`` below.
By the time another app calls them the registry is ready, and ``personal_data.py`` modules,
which are imported while it is being readied, need only the eager names.

No submodule may share its name with an exported function: importing ``bungu.privacy.access``
would set the package attribute ``access`` to the module (hence ``accessor.py``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .cookies import Cookie, CookieRegistry, UndeclaredCookie, cookie_registry
from .datamap import Clock, DataMap, Erase, ErasedBy, Field, PurgedBy, data_map
from .exceptions import (
    AppendOnlyViolation,
    DeletionAlreadyRequested,
    DisclosureRefused,
    LessProtectiveUnconfirmed,
    NoDeletionPending,
    NoNoticeInForce,
    NoticeInForce,
    PrivacyError,
    PurposeNotAllowed,
    UnknownPractice,
)
from .practices import (
    Change,
    ChangeKind,
    NoticeComparison,
    Practice,
    PracticesError,
    PracticeSet,
    compare_notices,
    parse_practices,
)
from .taxonomy import AGENT_FUNCTIONS, Choice, DataCategory, Purpose, Source

if TYPE_CHECKING:
    from .accessor import (
        Agent,
        PersonalData,
        access,
        actor_may_act_for,
        fields_for,
        practices_in_force,
    )
    from .consent import (
        Decision,
        find_notice_in_force,
        get_notice_in_force,
        may_use,
        record_consent,
        withdraw_consent,
    )
    from .disclosures import approve_disclosure, list_disclosures_for, record_disclosure
    from .erasure import (
        cancel_account_deletion,
        complete_account_deletion,
        due_account_deletions,
        erase_subject,
        journal_erasure,
        pending_account_deletion,
        replay_erasures,
        request_account_deletion,
    )
    from .gpc import find_gpc_signal, record_gpc_signal
    from .models import AccountDeletion, ConsentMethod, LegalBasis
    from .publishing import (
        answer_notice,
        notice_awaiting_answer,
        publish_notice,
        send_notice_reminders,
    )
    from .retention import enforce_retention

_LAZY = {
    "Agent": ".accessor",
    "PersonalData": ".accessor",
    "access": ".accessor",
    "actor_may_act_for": ".accessor",
    "fields_for": ".accessor",
    "practices_in_force": ".accessor",
    "Decision": ".consent",
    "find_notice_in_force": ".consent",
    "get_notice_in_force": ".consent",
    "may_use": ".consent",
    "record_consent": ".consent",
    "withdraw_consent": ".consent",
    "ConsentMethod": ".models",
    "AccountDeletion": ".models",
    "cancel_account_deletion": ".erasure",
    "complete_account_deletion": ".erasure",
    "due_account_deletions": ".erasure",
    "erase_subject": ".erasure",
    "journal_erasure": ".erasure",
    "pending_account_deletion": ".erasure",
    "replay_erasures": ".erasure",
    "request_account_deletion": ".erasure",
    "LegalBasis": ".models",
    "approve_disclosure": ".disclosures",
    "list_disclosures_for": ".disclosures",
    "record_disclosure": ".disclosures",
    "find_gpc_signal": ".gpc",
    "record_gpc_signal": ".gpc",
    "answer_notice": ".publishing",
    "notice_awaiting_answer": ".publishing",
    "publish_notice": ".publishing",
    "send_notice_reminders": ".publishing",
    "enforce_retention": ".retention",
}

# The data map's vocabulary under the short names declarations read best with.
categories = DataCategory
purposes = Purpose

__all__ = [
    "AGENT_FUNCTIONS",
    "AccountDeletion",
    "Agent",
    "AppendOnlyViolation",
    "Change",
    "ChangeKind",
    "Choice",
    "Clock",
    "ConsentMethod",
    "Cookie",
    "CookieRegistry",
    "DataCategory",
    "DataMap",
    "Decision",
    "DeletionAlreadyRequested",
    "DisclosureRefused",
    "Erase",
    "ErasedBy",
    "Field",
    "LegalBasis",
    "LessProtectiveUnconfirmed",
    "NoDeletionPending",
    "NoNoticeInForce",
    "NoticeComparison",
    "NoticeInForce",
    "PersonalData",
    "Practice",
    "PracticeSet",
    "PracticesError",
    "PrivacyError",
    "PurgedBy",
    "Purpose",
    "PurposeNotAllowed",
    "Source",
    "UndeclaredCookie",
    "UnknownPractice",
    "access",
    "actor_may_act_for",
    "answer_notice",
    "approve_disclosure",
    "cancel_account_deletion",
    "categories",
    "compare_notices",
    "complete_account_deletion",
    "cookie_registry",
    "data_map",
    "due_account_deletions",
    "enforce_retention",
    "erase_subject",
    "fields_for",
    "find_gpc_signal",
    "find_notice_in_force",
    "get_notice_in_force",
    "journal_erasure",
    "list_disclosures_for",
    "may_use",
    "notice_awaiting_answer",
    "parse_practices",
    "pending_account_deletion",
    "practices_in_force",
    "publish_notice",
    "purposes",
    "record_consent",
    "record_disclosure",
    "record_gpc_signal",
    "replay_erasures",
    "request_account_deletion",
    "send_notice_reminders",
    "withdraw_consent",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
