"""Staff roles: Django groups, each granted the purposes its job needs (P13).

A role is only a bundle of the privacy app's per-purpose permissions
(``privacy.access_for_<purpose>``), plus the few others the job needs. What a member may see
is decided by those permissions in ``bungu.privacy.access``, never by the role's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q

from bungu.privacy import Purpose


@dataclass(frozen=True)
class Role:
    name: str
    purposes: frozenset[Purpose]
    # Further permissions as "app_label.codename".
    extra: frozenset[str] = frozenset()

    def permission_labels(self) -> list[str]:
        own = {f"privacy.{purpose.permission_codename}" for purpose in self.purposes}
        return sorted(own | self.extra)


# The shop's owner: runs the shop day to day (catalogue, shipping and tax tables, notices,
# moderation, the outbox, privacy requests, staff and their roles) and may read customers'
# data for the purposes that work needs, each read logged like anyone's (P13). Not a
# superuser: `make run` signs in as one of these (``ensure_staff_user``).
_OWNER_MODELS = {
    "catalog": ["brand", "category", "producttype", "product", "productimage", "sku"],
    "checkout": ["shippingmethod", "shippingrate", "taxrate"],
}
OWNER = Role(
    "Owner",
    frozenset(
        {
            Purpose.CUSTOMER_SERVICE,
            Purpose.PRIVACY_REQUESTS,
            Purpose.FULFILMENT,
            Purpose.DELIVERY,
            Purpose.FRAUD_DETECTION,
            Purpose.LEGAL_OBLIGATION,
            Purpose.SECURITY,
        }
    ),
    extra=frozenset(
        {
            *(
                f"{app}.{action}_{model}"
                for app, models in _OWNER_MODELS.items()
                for model in models
                for action in ("add", "change", "delete", "view")
            ),
            "privacy.add_notice",
            "privacy.change_notice",
            "privacy.view_notice",
            "privacy.view_consentevent",
            "privacy.view_accesslogentry",
            "privacy.add_disclosure",
            "privacy.change_disclosure",
            "privacy.view_disclosure",
            "privacy.view_privacyrequest",
            "privacy.change_privacyrequest",
            "reviews.view_review",
            "reviews.change_review",
            "mail.view_outboxmessage",
            # P13: the agents of the notice and their API tokens (shown once when issued).
            "api.add_agent",
            "api.change_agent",
            "api.view_agent",
            "api.add_agenttoken",
            "api.change_agenttoken",
            "api.view_agenttoken",
            # Staff members and their roles (the admin lists staff only).
            "accounts.add_user",
            "accounts.change_user",
            "accounts.view_user",
            "auth.view_group",
        }
    ),
)
ROLES: tuple[Role, ...] = (
    Role("Customer service", frozenset({Purpose.CUSTOMER_SERVICE})),
    # Packers and the people who book couriers: names, addresses and phones, no e-mail.
    Role("Fulfilment", frozenset({Purpose.FULFILMENT, Purpose.DELIVERY})),
    Role(
        "Marketing",
        frozenset({Purpose.MARKETING_EMAIL, Purpose.MARKETING_POST}),
        # P8: they record the list-comparison agreements (in the admin).
        extra=frozenset(
            f"marketing.{action}_comparisonagreement" for action in ("add", "change", "view")
        ),
    ),
    Role("Fraud", frozenset({Purpose.FRAUD_DETECTION})),
    Role(
        "Privacy officer",
        # P26: answering privacy requests needs what the customer wrote in them (the notice's
        # "we answer your questions and requests"), not the rest of customer service's data.
        frozenset({Purpose.LEGAL_OBLIGATION, Purpose.PRIVACY_REQUESTS}),
        extra=frozenset(
            {
                # P16: the second pair of eyes on a disclosure.
                "privacy.approve_disclosure",
                # P13, P25: the consent ledger and the access log, to answer requests.
                "privacy.view_consentevent",
                "privacy.view_accesslogentry",
                "privacy.view_disclosure",
                "privacy.view_privacyrequest",
                "privacy.change_privacyrequest",
            }
        ),
    ),
    OWNER,
)


def role_named(name: str) -> Role:
    for role in ROLES:
        if role.name == name:
            return role
    raise LookupError(f"there is no role called {name!r}")


def _permissions(labels: list[str]) -> list[Permission]:
    wanted = [tuple(label.split(".", 1)) for label in labels]
    query = Q()
    for app_label, codename in wanted:
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query).select_related("content_type"))
    missing = set(labels) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise ImproperlyConfigured(
            f"permissions not found: {', '.join(sorted(missing))} (run migrate first)"
        )
    return found


@transaction.atomic
def ensure_roles() -> list[Group]:
    """Create or update one group per role, holding exactly the role's permissions.
    Members stay in their groups; permissions added by hand to a role's group are removed."""
    groups = []
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.name)
        group.permissions.set(_permissions(role.permission_labels()))
        groups.append(group)
    return groups
