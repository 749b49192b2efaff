"""P23: the guardian who paid for a supervised account's order gets its confirmation too.

The order belongs to the young customer, whose address gets the order's own confirmation
(``orders.send_confirmation``); the guardian paid, so they are told what they paid for, with
the card as brand and last four digits only (P2). Sent after the order commits, whichever of
the return page, the webhook or the reconciler made it.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from bungu.mail import services as mail_services
from bungu.orders import services as orders

from .models import CheckoutAttempt

GUARDIAN_PAID = "order.guardian_paid"


def send_guardian_confirmation(*, attempt_id: str) -> None:
    """E-mail the guardian the order they approved and paid for (nothing when the attempt
    was not a guardian's, or has no order)."""
    attempt = CheckoutAttempt.objects.select_related("customer", "guardian").get(pk=attempt_id)
    order = orders.find_order_for_attempt(attempt_id=attempt.pk)
    if attempt.guardian is None or attempt.approved_at is None or order is None:
        return
    ward_name = attempt.customer.get_full_name() if attempt.customer else "The young customer"
    mail_services.send_mail_to(
        user=attempt.guardian,
        kind=GUARDIAN_PAID,
        subject=f"You paid for {ward_name}'s order {order.number}",
        template="checkout/email/guardian_paid",
        context={
            "order": order,
            "ward_name": ward_name,
            "lines": list(order.lines.all()),
            "order_url": settings.BUNGU_SITE_URL
            + reverse("checkout:approval_done", args=[attempt.pk]),
        },
    )
