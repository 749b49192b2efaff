"""P13: which categories of personal data each purpose may see.

A staff member or agent reaches personal data only through ``access()``, naming a purpose;
a field is handed over only if the data map says it serves that purpose *and* its category is
in the purpose's scope below. The two are declared apart on purpose: the data map is written
by each app about its own fields, the scopes by the privacy team about each job, and the
system check ``privacy.E003`` catches the two disagreeing.
"""

from __future__ import annotations

from bungu.privacy.datamap.taxonomy import DataCategory, Purpose

C = DataCategory
P = Purpose

PURPOSE_SCOPES: dict[P, frozenset[C]] = {
    P.FULFILMENT: frozenset({C.NAME, C.ADDRESS, C.PHONE, C.PURCHASE_HISTORY}),
    P.DELIVERY: frozenset({C.NAME, C.ADDRESS, C.PHONE}),
    P.PAYMENT_PROCESSING: frozenset({C.NAME, C.EMAIL, C.ADDRESS, C.FINANCIAL}),
    P.NOTIFICATIONS: frozenset({C.NAME, C.EMAIL, C.PURCHASE_HISTORY}),
    P.LEGAL_NOTICES: frozenset({C.NAME, C.EMAIL, C.PRIVACY_PREFERENCES}),
    P.CUSTOMER_SERVICE: frozenset(
        {
            C.ACCOUNT,
            C.NAME,
            C.CONTACT,
            C.PURCHASE_HISTORY,
            C.CONTENT,
            C.FINANCIAL,
            C.PRIVACY_PREFERENCES,
        }
    ),
    # P26: a privacy request, the customer's privacy choices and consents, and the log of who
    # saw their data (P13), never their orders, contact details or the rest of what they wrote.
    P.PRIVACY_REQUESTS: frozenset({C.PRIVACY_PREFERENCES, C.PRIVACY_REQUEST, C.ACCESS_LOG}),
    P.SECURITY: frozenset({C.ACCOUNT, C.CREDENTIALS, C.EMAIL, C.DEVICE}),
    P.SEARCH: frozenset({C.SEARCH_HISTORY}),
    P.FRAUD_DETECTION: frozenset(
        {C.NAME, C.EMAIL, C.ADDRESS, C.IP_ADDRESS, C.FINANCIAL, C.PURCHASE_HISTORY}
    ),
    P.LEGAL_OBLIGATION: frozenset(
        {C.NAME, C.CONTACT, C.PURCHASE_HISTORY, C.FINANCIAL, C.PRIVACY_PREFERENCES, C.ACCOUNT}
    ),
    # P15: a successor receives everything, bound by the notices it was collected under.
    P.BUSINESS_TRANSFER: frozenset({C.USER}),
    P.COOKIE_STORAGE: frozenset({C.COOKIE_ID}),
    P.IMPROVE: frozenset({C.BEHAVIOR, C.DEVICE, C.DERIVED}),
    P.ANALYTICS: frozenset({C.BEHAVIOR, C.DEVICE, C.DERIVED}),
    P.PERSONALISED_CONTENT: frozenset({C.BEHAVIOR, C.DERIVED, C.ACCOUNT_SETTINGS}),
    P.RECOMMENDATIONS: frozenset({C.PURCHASE_HISTORY, C.BROWSING_HISTORY, C.DERIVED}),
    # P7: the notice's marketing practice says opens are noted (only with the choice).
    P.MARKETING_EMAIL: frozenset(
        {C.NAME, C.EMAIL, C.PURCHASE_HISTORY, C.DERIVED, C.PRIVACY_PREFERENCES, C.EMAIL_OPENS}
    ),
    P.MARKETING_POST: frozenset({C.NAME, C.ADDRESS, C.DERIVED, C.PRIVACY_PREFERENCES}),
    # P14: offers for other businesses are addressed by the shop, which needs the contact
    # details; the partner itself never appears as a recipient of them. P7: a notice that
    # says so (v2) notes their opens too, with the same choice; the partner gets counts only.
    P.PARTNER_OFFERS: frozenset(
        {C.NAME, C.EMAIL, C.ADDRESS, C.DERIVED, C.PRIVACY_PREFERENCES, C.EMAIL_OPENS}
    ),
    P.LIST_COMPARISON: frozenset({C.NAME, C.EMAIL, C.ADDRESS}),
    P.ENRICHMENT: frozenset({C.DERIVED, C.DEMOGRAPHIC}),
}


def scope_of(purpose: P) -> frozenset[C]:
    """The categories a purpose may see. An umbrella purpose ("essential.service") sees
    nothing: asking for data "for running the shop" in general is what P13 rules out."""
    return PURPOSE_SCOPES.get(purpose, frozenset())


def purpose_may_see(purpose: P, category: str) -> bool:
    return any(allowed.covers(category) for allowed in scope_of(purpose))
