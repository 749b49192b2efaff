"""Staff read suppressed addresses through the privacy gate and may lift a wrong one."""

from __future__ import annotations

import pytest

from bungu.mail import services
from bungu.mail.models import MailSuppression, State, SuppressionKind
from bungu.privacy.models import AccessLogEntry
from tests.accounts.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _suppress(address: str) -> MailSuppression:
    suppression, _ = services.suppress_address(
        address=address, kind=SuppressionKind.BOUNCE, source="returned mail", detail="5.1.1"
    )
    return suppression


def test_staff_see_suppressions_through_the_gate_and_cannot_add_or_edit(admin_client) -> None:
    customer = CustomerFactory(email="gone-zq@example.com")
    suppression = _suppress("gone-zq@example.com")
    logged = AccessLogEntry.objects.filter(subject=customer).count()

    page = admin_client.get("/admin/mail/mailsuppression/").content.decode()

    assert "gone-zq@example.com" in page
    assert AccessLogEntry.objects.filter(subject=customer).count() == logged + 1
    assert admin_client.get("/admin/mail/mailsuppression/add/").status_code == 403
    detail = admin_client.get(f"/admin/mail/mailsuppression/{suppression.pk}/change/")
    assert 'name="_save"' not in detail.content.decode()


def test_lifting_a_wrong_suppression_lets_marketing_go_again(admin_client) -> None:
    CustomerFactory(email="back@example.com")
    suppression = _suppress("back@example.com")

    response = admin_client.post(
        "/admin/mail/mailsuppression/",
        {"action": "lift", "_selected_action": [suppression.pk]},
        follow=True,
    )

    assert "1 suppression(s) lifted." in response.content.decode()
    assert not services.is_suppressed("back@example.com")
    message = services.queue_message(
        to="back@example.com", kind="marketing", subject="New inks", text_body="Look."
    )
    assert message.state == State.QUEUED


def test_customers_cannot_see_or_lift_suppressions(client) -> None:
    client.force_login(CustomerFactory())
    suppression = _suppress("kept@example.com")

    response = client.post(
        "/admin/mail/mailsuppression/", {"action": "lift", "_selected_action": [suppression.pk]}
    )

    assert response.status_code == 302
    assert services.is_suppressed("kept@example.com")
