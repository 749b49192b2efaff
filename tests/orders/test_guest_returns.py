"""A guest asks for a return through the signed link of the confirmation e-mail (there is no
account to sign in to); a forged or expired link asks for nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from bungu.mail.models import OutboxMessage
from bungu.orders import fulfilment, services
from bungu.orders.models import Order, ReturnRequest

from .factories import place_test_order

pytestmark = pytest.mark.django_db


def guest_shipped_order(gateway) -> Order:
    order = place_test_order(gateway=gateway, email="guest@example.com")
    fulfilment.ship_lines(
        order=order,
        line_ids=[order.lines.get().pk],
        carrier="dhl",
        tracking_number="JD0000001",
        actor="staff #1",
    )
    order.refresh_from_db()
    return order


def test_a_guest_asks_for_a_return_through_the_signed_link(
    client, gateway, django_capture_on_commit_callbacks
):
    order = guest_shipped_order(gateway)
    line = order.lines.get()
    token = services.guest_link_token(order)
    page = client.get(reverse("orders:guest", args=[token])).content.decode()
    action = reverse("orders:guest_return", args=[token])
    assert f'action="{action}"' in page
    assert f'name="qty-{line.pk}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action, {f"qty-{line.pk}": "1", "reason": "A gift, wrong colour"})

    assert response.status_code == 302
    assert response["Location"] == reverse("orders:guest", args=[token])
    request = ReturnRequest.objects.get(order=order)
    assert (request.reason, [(i.line_id, i.quantity) for i in request.lines.all()]) == (
        "A gift, wrong colour",
        [(line.pk, 1)],
    )
    event = order.events.get(kind="return_requested")
    assert event.actor == "guest"
    mail = OutboxMessage.objects.get(kind="order.return")
    assert mail.to_address == "guest@example.com"
    page = client.get(reverse("orders:guest", args=[token])).content.decode()
    assert "Your return request is in." in page
    assert f"Return {request.pk}, asked" in page


def test_a_forged_link_asks_for_no_return(client, gateway):
    order = guest_shipped_order(gateway)
    line = order.lines.get()
    token = services.guest_link_token(order)

    response = client.post(
        reverse("orders:guest_return", args=[token[:-2] + "xx"]), {f"qty-{line.pk}": "1"}
    )

    assert response.status_code == 404
    assert not ReturnRequest.objects.exists()


def test_an_expired_link_asks_for_no_return(client, gateway, settings):
    order = guest_shipped_order(gateway)
    line = order.lines.get()
    token = services.guest_link_token(order)
    settings.BUNGU_ORDER_LINK_DAYS = -1  # every link is past its age

    response = client.post(reverse("orders:guest_return", args=[token]), {f"qty-{line.pk}": "1"})

    assert response.status_code == 404
    assert not ReturnRequest.objects.exists()


def test_a_guest_asking_badly_gets_a_message_and_nothing_changes(client, gateway):
    order = guest_shipped_order(gateway)
    line = order.lines.get()
    token = services.guest_link_token(order)

    response = client.post(
        reverse("orders:guest_return", args=[token]), {f"qty-{line.pk}": "5"}, follow=True
    )

    assert "No return was asked for: You can return at most 2" in response.content.decode()
    assert not ReturnRequest.objects.exists()


def test_a_guest_order_not_shipped_offers_no_return_form(client, gateway):
    order = place_test_order(gateway=gateway, email="guest@example.com")
    token = services.guest_link_token(order)

    page = client.get(reverse("orders:guest", args=[token])).content.decode()

    assert "Ask for a return" not in page


def test_the_shipping_mail_gives_a_guest_the_signed_link_to_ask_for_a_return(
    client, gateway, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = guest_shipped_order(gateway)

    mail = OutboxMessage.objects.get(kind=fulfilment.SHIPPED_MAIL)
    link = next(word for word in mail.text_body.split() if "/orders/guest/" in word).removeprefix(
        settings.BUNGU_SITE_URL
    )
    assert "Within 30 days you can ask to return items" in mail.text_body
    page = client.get(link).content.decode()
    assert "Ask for a return" in page
    assert order.number in page
