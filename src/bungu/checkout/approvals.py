"""P23: a supervised (under-18) account's order waits for its guardian, who pays for it.

"Place order" on a supervised account prices the cart exactly as for anyone else, but instead
of going to the processor it keeps the priced order on the attempt (lines, amounts, address,
shipping method: the snapshot) in the state AWAITING_APPROVAL and e-mails the guardian. No
stock is held while the request waits: a request lives for days
(``BUNGU_GUARDIAN_APPROVAL_DAYS``), and holding stock that long for an order nobody has paid
would take it off sale for everyone else. The stock is held when the guardian approves, as
for any customer who goes to pay, and if it is gone by then the guardian is told plainly.

The guardian approves from their own account: the attempt becomes PAYING, with the guardian
as the payer on the processor's page, and from there the normal flow (return page, webhook,
reconciler, ``complete_attempt``) makes the order, which belongs to the young customer and
records the guardian's approval as an event. The snapshot is what is approved and paid for,
at the prices the young customer saw, whatever the cart became since. A declined or expired
request charges and holds nothing.

Only the linked guardian may see or act on a request; for anybody else, the young customer
included, it does not exist.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from bungu.accounts import guardians
from bungu.accounts.models import User
from bungu.cart.models import Cart
from bungu.catalog import services as catalog_services
from bungu.mail import services as mail_services

from .models import AttemptState, CheckoutAttempt
from .pricing import build_quote
from .services import (
    AttemptSpent,
    CartChanged,
    CheckoutError,
    NotPayable,
    PaymentStart,
    StockGone,
    hold_minutes,
    open_payment,
)

APPROVAL_REQUEST = "order.approval_request"
APPROVAL_DECLINED = "order.approval_declined"


class ApprovalClosed(CheckoutError):  # noqa: N818 - a domain noun
    """The request was declined, replaced, expired or already paid: it cannot be approved."""


def approval_days() -> timedelta:
    return timedelta(days=settings.BUNGU_GUARDIAN_APPROVAL_DAYS)


def _ward_name(attempt: CheckoutAttempt) -> str:
    return attempt.customer.get_full_name() if attempt.customer else "The young customer"


# ---------------------------------------------------------------- the young customer asks
def request_approval(
    *, attempt: CheckoutAttempt, cart: Cart | None, fingerprint: str, ward: User
) -> CheckoutAttempt:
    """Ask the ward's guardian to approve the order as priced now (no payment, no stock held);
    an earlier request still waiting is replaced. A double click returns the same request.
    Raises NotPayable (no guardian, nothing to pay), CartChanged or AttemptSpent."""
    guardian = guardians.guardian_of(ward)
    if guardian is None:
        raise NotPayable("Your account has no parent or guardian to approve orders.")
    if attempt.state == AttemptState.AWAITING_APPROVAL and secrets.compare_digest(
        attempt.fingerprint, fingerprint
    ):
        return attempt
    quote = build_quote(cart=cart, attempt=attempt)
    if not secrets.compare_digest(quote.fingerprint(attempt), fingerprint):
        raise CartChanged(
            "Your cart or details changed since you reviewed them (perhaps in another tab). "
            "Nothing was sent to your guardian: here is your order as it is now."
        )
    if not quote.payable:
        raise NotPayable(" ".join(quote.problems) or "Choose a shipping method first.")
    now = timezone.now()
    with transaction.atomic():
        locked = CheckoutAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state == AttemptState.AWAITING_APPROVAL and locked.fingerprint == fingerprint:
            return locked
        if locked.state != AttemptState.OPEN or locked.customer_id != ward.pk:
            raise AttemptSpent("Your order changed since you asked: review it again.")
        # One request at a time: the newest is what the guardian is asked about.
        CheckoutAttempt.objects.filter(
            customer_id=ward.pk, state=AttemptState.AWAITING_APPROVAL
        ).exclude(pk=locked.pk).update(state=AttemptState.ABANDONED, updated_at=now)
        locked.lines = [line.snapshot() for line in quote.lines]
        locked.subtotal = quote.subtotal
        locked.shipping_cost = quote.shipping_cost
        locked.tax = quote.tax
        locked.total = quote.total
        locked.currency = settings.BUNGU_CURRENCY
        locked.fingerprint = fingerprint
        locked.guardian = guardian
        locked.approval_requested_at = now
        locked.approval_expires_at = now + approval_days()
        locked.state = AttemptState.AWAITING_APPROVAL
        locked.save()
        transaction.on_commit(partial(send_approval_request, attempt_id=locked.pk))
    return locked


def send_approval_request(*, attempt_id: str) -> None:
    """E-mail the guardian the order they are asked to approve, with the link to their list."""
    attempt = CheckoutAttempt.objects.select_related("customer", "guardian").get(pk=attempt_id)
    if attempt.guardian is None:
        return
    mail_services.send_mail_to(
        user=attempt.guardian,
        kind=APPROVAL_REQUEST,
        subject=f"{_ward_name(attempt)} asks you to approve an order",
        template="checkout/email/approval_request",
        context={
            "attempt": attempt,
            "ward_name": _ward_name(attempt),
            "lines": attempt.snapshot_lines(),
            "approvals_url": settings.BUNGU_SITE_URL + reverse("checkout:approvals"),
        },
    )


def find_latest_request(*, customer_id: int) -> CheckoutAttempt | None:
    """The young customer's most recent request to their guardian, whatever became of it."""
    return (
        CheckoutAttempt.objects.filter(customer_id=customer_id, approval_requested_at__isnull=False)
        .select_related("guardian")
        .order_by("-approval_requested_at")
        .first()
    )


def get_own_request(*, customer_id: int, attempt_id: str) -> CheckoutAttempt:
    """One of the young customer's own requests. Raises CheckoutAttempt.DoesNotExist."""
    if not attempt_id.isalnum() or len(attempt_id) > 32:
        raise CheckoutAttempt.DoesNotExist
    return CheckoutAttempt.objects.select_related("guardian").get(
        pk=attempt_id, customer_id=customer_id, approval_requested_at__isnull=False
    )


# ---------------------------------------------------------------- the guardian decides
def list_pending_approvals(*, guardian_id: int) -> list[CheckoutAttempt]:
    """The requests waiting for this guardian, oldest first, with their young customers: one
    query however many (the lines are part of each row)."""
    return list(
        CheckoutAttempt.objects.filter(
            guardian_id=guardian_id,
            state=AttemptState.AWAITING_APPROVAL,
            approval_expires_at__gt=timezone.now(),
            customer__is_active=True,
        )
        .select_related("customer", "shipping_method")
        .order_by("approval_requested_at", "pk")
    )


def get_request_for_guardian(*, guardian: User, attempt_id: str) -> CheckoutAttempt:
    """A request this guardian may act on: theirs, and the young customer still in their
    care. Raises CheckoutAttempt.DoesNotExist for anybody else's, or an unknown id, alike."""
    if not attempt_id.isalnum() or len(attempt_id) > 32:
        raise CheckoutAttempt.DoesNotExist
    attempt = (
        CheckoutAttempt.objects.select_related("customer", "shipping_method")
        .filter(pk=attempt_id, guardian_id=guardian.pk, approval_requested_at__isnull=False)
        .first()
    )
    if attempt is None or attempt.customer_id is None:
        raise CheckoutAttempt.DoesNotExist
    current = guardians.guardian_of(attempt.customer_id)
    if current is None or current.pk != guardian.pk:
        raise CheckoutAttempt.DoesNotExist
    return attempt


def _closed(attempt: CheckoutAttempt) -> ApprovalClosed:
    name = _ward_name(attempt)
    if attempt.state == AttemptState.DECLINED:
        return ApprovalClosed(f"You declined this order of {name}'s.")
    if attempt.state == AttemptState.ABANDONED:
        return ApprovalClosed(
            f"{name} replaced this request with a newer one: it is in your list if it still "
            "waits for you."
        )
    if attempt.state == AttemptState.FAILED:
        return ApprovalClosed(
            f"The payment for this order was cancelled and nothing was charged. {name} can "
            "ask you again."
        )
    if attempt.state == AttemptState.AWAITING_APPROVAL:  # expired
        expired = date_format(timezone.localtime(attempt.approval_expires_at), "F j, Y")
        return ApprovalClosed(
            f"This request expired on {expired}, so it can no longer be approved and nothing "
            f"was charged. {name} can ask you again."
        )
    return ApprovalClosed("This order can no longer be approved.")


def _hold_snapshot(attempt: CheckoutAttempt) -> None:
    """Hold the stock of the request's lines (the caller holds the attempt's lock)."""
    lines = attempt.snapshot_lines()
    for line in lines:
        try:
            catalog_services.get_purchasable_sku(sku_id=line.sku_id)
        except catalog_services.NotPurchasable:
            raise ApprovalClosed(
                f"{line.name} is no longer sold, so this order cannot be approved as it is. "
                f"Nothing was charged: decline it, and {_ward_name(attempt)} can ask again."
            ) from None
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.sku_id] = wanted.get(line.sku_id, 0) + line.quantity
    try:
        catalog_services.hold_stock(lines=wanted)
    except catalog_services.OutOfStock as error:
        names = ", ".join(line.name for line in lines if line.sku_id in error.short)
        raise StockGone(
            f"Sorry, {names} sold out since {_ward_name(attempt)} asked. Nothing was charged; "
            "decline this request, or approve it later if it comes back in stock."
        ) from None
    attempt.held = {str(sku_id): units for sku_id, units in wanted.items()}
    attempt.hold_expires_at = timezone.now() + hold_minutes()


def approve_and_pay(*, attempt: CheckoutAttempt, guardian: User, return_url: str) -> PaymentStart:
    """The guardian approves the request as it was asked (the snapshot) and goes to pay: the
    stock is held and the processor's payment created, with the guardian as the payer. A
    second call while the payment is open goes back to the same payment. Raises
    ApprovalClosed (declined, replaced, expired, withdrawn item), StockGone, ProcessorDown or
    AttemptSpent; then nothing was charged."""
    with transaction.atomic():
        locked = (
            CheckoutAttempt.objects.select_for_update(of=("self",))
            .select_related("customer", "shipping_method")
            .get(pk=attempt.pk)
        )
        if locked.guardian_id != guardian.pk:
            raise CheckoutAttempt.DoesNotExist
        if locked.state == AttemptState.COMPLETED:
            raise ApprovalClosed("You have approved and paid for this order already.")
        resuming = locked.state == AttemptState.PAYING and locked.approved_at is not None
        if not resuming:
            if not locked.awaiting_approval:
                raise _closed(locked)
            _hold_snapshot(locked)
            locked.approved_at = timezone.now()
            locked.state = AttemptState.PAYING
            locked.save()
    return open_payment(attempt=locked, return_url=return_url)


def decline(*, attempt: CheckoutAttempt, guardian: User) -> CheckoutAttempt:
    """The guardian declines the request: nothing is charged or held, and the young customer
    is told by e-mail and on their checkout page. Raises ApprovalClosed for a request no
    longer waiting."""
    with transaction.atomic():
        locked = CheckoutAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.guardian_id != guardian.pk:
            raise CheckoutAttempt.DoesNotExist
        if locked.state != AttemptState.AWAITING_APPROVAL:
            raise _closed(locked)
        locked.state = AttemptState.DECLINED
        locked.declined_at = timezone.now()
        locked.save(update_fields=["state", "declined_at", "updated_at"])
        transaction.on_commit(partial(send_decline_notice, attempt_id=locked.pk))
    return locked


def send_decline_notice(*, attempt_id: str) -> None:
    """Tell the young customer by e-mail that their guardian declined the order."""
    attempt = CheckoutAttempt.objects.select_related("customer", "guardian").get(pk=attempt_id)
    if attempt.customer is None:
        return
    guardian_name = attempt.guardian.get_full_name() if attempt.guardian else "Your guardian"
    mail_services.send_mail_to(
        user=attempt.customer,
        kind=APPROVAL_DECLINED,
        subject="Your order was not approved",
        template="checkout/email/approval_declined",
        context={
            "attempt": attempt,
            "guardian_name": guardian_name,
            "lines": attempt.snapshot_lines(),
            "request_url": settings.BUNGU_SITE_URL
            + reverse("checkout:requested", args=[attempt.pk]),
        },
    )
