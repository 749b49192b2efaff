"""The disclosure register (P16): every release of a customer's data to an authority, or for
fraud protection and credit risk, recorded with its legal basis and approved by a second
staff member before anything leaves the shop.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import transaction
from django.utils import timezone

from bungu.privacy.exceptions import DisclosureRefused
from bungu.privacy.models import Disclosure, LegalBasis
from bungu.privacy.notices.consent import Subject, subject_id

APPROVE_PERMISSION = "privacy.approve_disclosure"
RECORD_PERMISSION = "privacy.add_disclosure"


def _may(actor: AbstractBaseUser, permission: str) -> bool:
    return (
        actor.is_active
        and isinstance(actor, PermissionsMixin)
        and bool(getattr(actor, "is_staff", False))
        and actor.has_perm(permission)
    )


@transaction.atomic
def record_disclosure(
    *,
    subject: Subject,
    legal_basis: LegalBasis | str,
    requester: str,
    data_released: Iterable[str],
    requested_by: AbstractBaseUser,
    legal_basis_other: str = "",
    visible_to_customer: bool = True,
    note: str = "",
) -> Disclosure:
    """Record a request to release a customer's data, awaiting a second staff member's
    approval. Raises DisclosureRefused if the staff member may not record disclosures, and
    ValidationError for an unknown basis, an undescribed "other" basis, or data that is not
    personal data in the data map."""
    if not _may(requested_by, RECORD_PERMISSION):
        raise DisclosureRefused("Only privacy staff may record a disclosure.")
    disclosure = Disclosure(
        subject_id=subject_id(subject),
        legal_basis=legal_basis,
        legal_basis_other=legal_basis_other.strip(),
        requester=requester.strip(),
        data_released=sorted(dict.fromkeys(data_released)),
        requested_by_id=requested_by.pk,
        visible_to_customer=visible_to_customer,
        note=note.strip(),
    )
    disclosure.save()
    return disclosure


@transaction.atomic
def approve_disclosure(
    *, disclosure: Disclosure | int, approved_by: AbstractBaseUser, released_at: datetime | None
) -> Disclosure:
    """Approve a recorded disclosure; from then on it is never changed. Raises
    DisclosureRefused if it is already approved, if the approver recorded it themselves (P16:
    a second person decides) or lacks the approval permission."""
    pk = disclosure if isinstance(disclosure, int) else disclosure.pk
    found = Disclosure.objects.select_for_update().get(pk=pk)
    if found.is_approved:
        raise DisclosureRefused(f"Disclosure #{found.pk} is already approved.")
    if approved_by.pk == found.requested_by_id:
        raise DisclosureRefused("A second staff member must approve: you recorded this one.")
    if not _may(approved_by, APPROVE_PERMISSION):
        raise DisclosureRefused("Only privacy staff with the approval permission may approve.")
    now = timezone.now()
    found.approved_by_id = approved_by.pk
    found.approved_at = now
    found.released_at = released_at or now
    found.save()
    return found


def list_disclosures_for(*, subject: Subject) -> list[Disclosure]:
    """The approved releases of a customer's data that the customer may be told about."""
    return list(Disclosure.objects.shown_to(subject_id(subject)).order_by("-released_at", "-id"))
