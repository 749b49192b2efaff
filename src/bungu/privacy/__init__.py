"""The notice as code: Bungu's privacy promises, enforced.

Other apps use only the names exported here, never the privacy app's modules or models (an
import-linter contract checks it). Each public name is written once, in ``_PUBLIC``, with the
module that defines it; ``__all__``, ``__dir__`` and the lookup below derive from it.

Every name is resolved on first use through the module ``__getattr__``. Django imports this
package before any model may be loaded, and many of the names live in modules that import
models (``may_use``, ``record_consent``, ``access``...); by the time another app calls them
the registry is ready. The ``personal_data.py`` modules, imported while it is being readied,
use only the vocabulary and the data map, whose modules import no model.

The imports under ``TYPE_CHECKING`` are what mypy and editors read; a test checks that they
name exactly ``_PUBLIC``, module for module.

No submodule may share its name with an exported name: importing ``bungu.privacy.access``
would set the package attribute ``access`` to the module (hence ``sharing/accessor.py``).

The app's map (``docs/design.md`` says more):

* ``datamap/``: the vocabulary (``taxonomy``), the data map (``registry``) and cookie
  registry, how a record is dated and bound to a notice (``collection``, ``clocks``), the one
  walk that finds a customer's rows (``walk``), and the staff report of the map.
* ``notices/``: notice practices and their comparison, publishing, rendering, the consent
  ledger and the rule of P25 (``consent``), Global Privacy Control.
* ``rights/``: what a customer may ask: My data, privacy requests and concerns, account
  deletion and erasure, export for a business transfer, retention.
* ``sharing/``: staff and agents reaching data for a purpose (``accessor``, ``scopes``) and
  the disclosure register.
* ``models/``, ``views/``, ``admin/``: the records, the pages, the admin.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Each public name and the module (below this package) that defines it.
_PUBLIC: dict[str, str] = {
    "AGENT_FUNCTIONS": "datamap.taxonomy",
    "AGENT_FUNCTION_NAMES": "datamap.taxonomy",
    "AccountDeletion": "models",
    "Agent": "sharing.accessor",
    "AppendOnlyViolation": "exceptions",
    "Change": "notices.practices",
    "ChangeKind": "notices.practices",
    "Choice": "datamap.taxonomy",
    "Clock": "datamap.registry",
    "ConsentMethod": "models",
    "Cookie": "datamap.cookies",
    "CookieRegistry": "datamap.cookies",
    "DataCategory": "datamap.taxonomy",
    "DataMap": "datamap.registry",
    "Decision": "notices.consent",
    "DeletionAlreadyRequested": "exceptions",
    "DisclosureRefused": "exceptions",
    "Erase": "datamap.registry",
    "ErasedBy": "datamap.registry",
    "Field": "datamap.registry",
    "GatedModelAdmin": "admin.gated",
    "KeepsPriorVersions": "datamap.versions",
    "KeptBy": "datamap.registry",
    "LegalBasis": "models",
    "LessProtectiveUnconfirmed": "exceptions",
    "LogFile": "datamap.logs",
    "NoDeletionPending": "exceptions",
    "NoNoticeInForce": "exceptions",
    "NotVersioned": "datamap.registry",
    "NoticeComparison": "notices.practices",
    "NoticeInForce": "exceptions",
    "NoticeReminderText": "notices.publishing",
    "PersonalData": "sharing.accessor",
    "Practice": "notices.practices",
    "PracticeSet": "notices.practices",
    "PracticesError": "notices.practices",
    "PriorVersionsManager": "datamap.versions",
    "PriorVersionsQuerySet": "datamap.versions",
    "PrivacyError": "exceptions",
    "PurgedBy": "datamap.registry",
    "Purpose": "datamap.taxonomy",
    "PurposeNotAllowed": "exceptions",
    "RateLimit": "views.throttle",
    "Source": "datamap.taxonomy",
    "UndeclaredCookie": "datamap.cookies",
    "UnknownPractice": "exceptions",
    "access": "sharing.accessor",
    "actor_may_act_for": "sharing.accessor",
    "answer_notice": "notices.publishing",
    "approve_disclosure": "sharing.disclosures",
    "cancel_account_deletion": "rights.deletion",
    "changes_by": "datamap.versions",
    "compare_notices": "notices.practices",
    "complete_account_deletion": "rights.deletion",
    "cookie_registry": "datamap.cookies",
    "count_use": "views.throttle",
    "count_privacy_requests_by_status": "rights.concerns",
    "data_map": "datamap.registry",
    "delete_expired_log_files": "datamap.logs",
    "due_account_deletions": "rights.deletion",
    "enforce_retention": "rights.retention",
    "erase_subject": "rights.erasure",
    "fields_for": "sharing.accessor",
    "find_gpc_signal": "notices.gpc",
    "find_gpc_signals": "notices.gpc",
    "find_notice_in_force": "notices.consent",
    "get_notice_in_force": "notices.consent",
    "journal_erasure": "rights.erasure",
    "list_disclosures_for": "sharing.disclosures",
    "list_customers_to_remind": "notices.publishing",
    "log_registry": "datamap.logs",
    "may_record_opens": "notices.open_tracking",
    "may_record_opens_many": "notices.open_tracking",
    "may_use": "notices.consent",
    "may_use_many": "notices.consent",
    "notice_awaiting_answer": "notices.publishing",
    "notice_reminder": "notices.publishing",
    "open_recording_answer": "notices.open_tracking",
    "parse_practices": "notices.practices",
    "pending_account_deletion": "rights.deletion",
    "practices_in_force": "sharing.accessor",
    "prior_version_kept": "datamap.versions",
    "publish_notice": "notices.publishing",
    "publish_shipped_notice": "notices.publishing",
    "record_consent": "notices.consent",
    "record_disclosure": "sharing.disclosures",
    "record_gpc_signal": "notices.gpc",
    "record_notice_reminders": "notices.publishing",
    "replay_erasures": "rights.erasure",
    "replay_journal_copy": "rights.erasure",
    "ReplayReport": "rights.erasure",
    "RestoreRefused": "exceptions",
    "check_restorable": "rights.journal_copy",
    "journal_dir": "rights.journal_copy",
    "record_restore": "rights.journal_copy",
    "sync_journal_copy": "rights.journal_copy",
    "request_account_deletion": "rights.deletion",
    "set_open_recording": "notices.open_tracking",
    "versioned_fields": "datamap.versions",
    "withdraw_consent": "notices.consent",
}

# The data map's vocabulary under the short names declarations read best with.
_ALIASES: dict[str, str] = {"categories": "DataCategory", "purposes": "Purpose"}

__all__ = sorted([*_PUBLIC, *_ALIASES])  # noqa: PLE0605 - derived from the one table

if TYPE_CHECKING:
    from bungu.privacy.admin.gated import GatedModelAdmin as GatedModelAdmin
    from bungu.privacy.datamap.cookies import (
        Cookie as Cookie,
        CookieRegistry as CookieRegistry,
        UndeclaredCookie as UndeclaredCookie,
        cookie_registry as cookie_registry,
    )
    from bungu.privacy.datamap.logs import (
        LogFile as LogFile,
        delete_expired_log_files as delete_expired_log_files,
        log_registry as log_registry,
    )
    from bungu.privacy.datamap.registry import (
        Clock as Clock,
        DataMap as DataMap,
        Erase as Erase,
        ErasedBy as ErasedBy,
        Field as Field,
        KeptBy as KeptBy,
        NotVersioned as NotVersioned,
        PurgedBy as PurgedBy,
        data_map as data_map,
    )
    from bungu.privacy.datamap.taxonomy import (
        AGENT_FUNCTION_NAMES as AGENT_FUNCTION_NAMES,
        AGENT_FUNCTIONS as AGENT_FUNCTIONS,
        Choice as Choice,
        DataCategory as DataCategory,
        Purpose as Purpose,
        Source as Source,
    )
    from bungu.privacy.datamap.versions import (
        KeepsPriorVersions as KeepsPriorVersions,
        PriorVersionsManager as PriorVersionsManager,
        PriorVersionsQuerySet as PriorVersionsQuerySet,
        changes_by as changes_by,
        prior_version_kept as prior_version_kept,
        versioned_fields as versioned_fields,
    )
    from bungu.privacy.exceptions import (
        AppendOnlyViolation as AppendOnlyViolation,
        DeletionAlreadyRequested as DeletionAlreadyRequested,
        DisclosureRefused as DisclosureRefused,
        LessProtectiveUnconfirmed as LessProtectiveUnconfirmed,
        NoDeletionPending as NoDeletionPending,
        NoNoticeInForce as NoNoticeInForce,
        NoticeInForce as NoticeInForce,
        PrivacyError as PrivacyError,
        PurposeNotAllowed as PurposeNotAllowed,
        RestoreRefused as RestoreRefused,
        UnknownPractice as UnknownPractice,
    )
    from bungu.privacy.models import (
        AccountDeletion as AccountDeletion,
        ConsentMethod as ConsentMethod,
        LegalBasis as LegalBasis,
    )
    from bungu.privacy.notices.consent import (
        Decision as Decision,
        find_notice_in_force as find_notice_in_force,
        get_notice_in_force as get_notice_in_force,
        may_use as may_use,
        may_use_many as may_use_many,
        record_consent as record_consent,
        withdraw_consent as withdraw_consent,
    )
    from bungu.privacy.notices.gpc import (
        find_gpc_signal as find_gpc_signal,
        find_gpc_signals as find_gpc_signals,
        record_gpc_signal as record_gpc_signal,
    )
    from bungu.privacy.notices.open_tracking import (
        may_record_opens as may_record_opens,
        may_record_opens_many as may_record_opens_many,
        open_recording_answer as open_recording_answer,
        set_open_recording as set_open_recording,
    )
    from bungu.privacy.notices.practices import (
        Change as Change,
        ChangeKind as ChangeKind,
        NoticeComparison as NoticeComparison,
        Practice as Practice,
        PracticesError as PracticesError,
        PracticeSet as PracticeSet,
        compare_notices as compare_notices,
        parse_practices as parse_practices,
    )
    from bungu.privacy.notices.publishing import (
        NoticeReminderText as NoticeReminderText,
        answer_notice as answer_notice,
        list_customers_to_remind as list_customers_to_remind,
        notice_awaiting_answer as notice_awaiting_answer,
        notice_reminder as notice_reminder,
        publish_notice as publish_notice,
        publish_shipped_notice as publish_shipped_notice,
        record_notice_reminders as record_notice_reminders,
    )
    from bungu.privacy.rights.concerns import (
        count_privacy_requests_by_status as count_privacy_requests_by_status,
    )
    from bungu.privacy.rights.deletion import (
        cancel_account_deletion as cancel_account_deletion,
        complete_account_deletion as complete_account_deletion,
        due_account_deletions as due_account_deletions,
        pending_account_deletion as pending_account_deletion,
        request_account_deletion as request_account_deletion,
    )
    from bungu.privacy.rights.erasure import (
        ReplayReport as ReplayReport,
        erase_subject as erase_subject,
        journal_erasure as journal_erasure,
        replay_erasures as replay_erasures,
        replay_journal_copy as replay_journal_copy,
    )
    from bungu.privacy.rights.journal_copy import (
        check_restorable as check_restorable,
        journal_dir as journal_dir,
        record_restore as record_restore,
        sync_journal_copy as sync_journal_copy,
    )
    from bungu.privacy.rights.retention import (
        enforce_retention as enforce_retention,
    )
    from bungu.privacy.sharing.accessor import (
        Agent as Agent,
        PersonalData as PersonalData,
        access as access,
        actor_may_act_for as actor_may_act_for,
        fields_for as fields_for,
        practices_in_force as practices_in_force,
    )
    from bungu.privacy.sharing.disclosures import (
        approve_disclosure as approve_disclosure,
        list_disclosures_for as list_disclosures_for,
        record_disclosure as record_disclosure,
    )
    from bungu.privacy.views.throttle import (
        RateLimit as RateLimit,
        count_use as count_use,
    )

    categories = DataCategory
    purposes = Purpose


def __getattr__(name: str) -> Any:
    target = _ALIASES.get(name, name)
    module = _PUBLIC.get(target)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), target)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
