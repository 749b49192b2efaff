"""P26: privacy concerns and requests, from the customer's form to the shop's answer.

Deletion requests are tracked here for staff like the others; erasing an account is done by
the account-deletion flow, which sits above the apps whose data it erases.
"""

from __future__ import annotations

from .consent import Subject, subject_id
from .models import PrivacyRequest, RequestKind


def submit_privacy_request(
    *, customer: Subject, kind: RequestKind | str, description: str
) -> PrivacyRequest:
    """Record a signed-in customer's concern or request, with its legal clocks started.
    Raises ValidationError for an unknown kind or an empty or too long description."""
    request = PrivacyRequest(
        customer_id=subject_id(customer), kind=kind, description=description.strip()
    )
    request.full_clean(exclude=["confirm_due", "answer_due"])
    request.save()
    return request


def list_privacy_requests_for(*, customer: Subject) -> list[PrivacyRequest]:
    """A customer's own requests, newest first."""
    return list(PrivacyRequest.objects.of(subject_id(customer)).order_by("-received_at", "-id"))


def get_privacy_request_for(*, customer: Subject, request_id: int) -> PrivacyRequest:
    """One of the customer's own requests; PrivacyRequest.DoesNotExist for anyone else's."""
    return PrivacyRequest.objects.of(subject_id(customer)).get(pk=request_id)
