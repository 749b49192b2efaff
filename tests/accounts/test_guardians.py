"""P23: under-18s use the shop only through a guardian who invites them and can end it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from bungu.accounts import guardians
from bungu.accounts.models import GuardianLink
from tests.accounts.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def _invite(client, guardian, email="kid@example.com", **extra):
    client.force_login(guardian)
    return client.post(
        "/account/supervised/", {"email": email, "consent": "on", **extra}, follow=True
    )


def _join_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/account/supervised/join/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_guardian_invites_and_the_minor_signs_up_without_the_adult_statement(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    guardian = CustomerFactory(name="Aiko Sato")
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, guardian)

    assert "We sent an invitation to kid@example.com." in response.content.decode()
    link = GuardianLink.objects.get()
    assert link.approved_at is not None  # the guardian's consent
    assert mailoutbox[-1].to == ["kid@example.com"]
    assert mailoutbox[-1].extra_headers["X-Bungu-Kind"] == "account.guardian_invitation"
    assert "Aiko Sato" in mailoutbox[-1].body

    client.logout()
    join = _join_path(mailoutbox[-1])
    page = client.get(join).content.decode()
    assert "I am 18 or over" not in page
    assert 'value="kid@example.com"' in page

    signed_up = client.post(
        join, {"email": "kid@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert signed_up.status_code == 302
    minor = User.objects.get(email="kid@example.com")
    assert minor.adult_declared_at is None
    assert guardians.is_supervised(minor) is True
    assert guardians.guardian_of(minor) == guardian
    assert guardians.is_supervised(guardian) is False
    assert guardians.guardian_of(guardian) is None
    # The invitation is single-use.
    assert client.get(join).status_code == 404


def test_the_invitation_only_works_for_the_invited_address(client, mailoutbox):
    invitation = guardians.invite_supervised(
        guardian=CustomerFactory(), email="kid@example.com", site_url="http://t/", consent=True
    )
    join = f"/account/supervised/join/{invitation.token}/"

    response = client.post(
        join, {"email": "other@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 200
    assert "Sign up with the address the invitation was sent to." in response.content.decode()
    assert not User.objects.filter(email="other@example.com").exists()


@pytest.mark.parametrize("token", ["forged", "x" * 300, "a" * 43])
def test_forged_or_unknown_invitation_tokens_get_a_404(client, token):
    guardians.invite_supervised(
        guardian=CustomerFactory(), email="kid@example.com", site_url="http://t/", consent=True
    )

    response = client.get(f"/account/supervised/join/{token}/")

    assert response.status_code == 404
    assert "This invitation cannot be used" in response.content.decode()


def test_a_supervised_account_cannot_supervise_others(client):
    guardian = CustomerFactory()
    invitation = guardians.invite_supervised(
        guardian=guardian, email="kid@example.com", site_url="http://t/", consent=True
    )
    minor = CustomerFactory(email="kid@example.com", adult_declared_at=None)
    guardians.accept_invitation(link=invitation.link, user=minor)

    with pytest.raises(guardians.NotAnAdult):
        guardians.invite_supervised(
            guardian=minor, email="friend@example.com", site_url="http://t/", consent=True
        )
    client.force_login(minor)
    assert "Only an adult account" in client.get("/account/supervised/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "kid@example.com"}, "Please confirm that you are their parent or guardian."),
        ({"email": "nope", "consent": "on"}, "Enter a valid email address."),
    ],
)
def test_bad_invitations_are_refused(client, data, message):
    client.force_login(CustomerFactory())

    response = client.post("/account/supervised/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert GuardianLink.objects.count() == 0


def test_a_guardian_cannot_invite_their_own_address(client):
    guardian = CustomerFactory()

    response = _invite(client, guardian, email=guardian.email.upper())

    assert "Invite the young person&#x27;s own address, not yours." in response.content.decode()
    assert GuardianLink.objects.count() == 0


def test_open_invitations_are_limited(client, monkeypatch):
    monkeypatch.setattr(guardians, "MAX_OPEN_INVITATIONS", 1)
    guardian = CustomerFactory()
    _invite(client, guardian, email="one@example.com")

    response = _invite(client, guardian, email="two@example.com")

    assert "You have 1 open invitations" in response.content.decode()
    assert GuardianLink.objects.count() == 1


def test_ending_the_link_closes_the_supervised_account_and_its_sessions(client):
    guardian = CustomerFactory()
    invitation = guardians.invite_supervised(
        guardian=guardian, email="kid@example.com", site_url="http://t/", consent=True
    )
    minor = CustomerFactory(email="kid@example.com", adult_declared_at=None, password=PASSWORD)
    guardians.accept_invitation(link=invitation.link, user=minor)
    from django.test import Client  # noqa: PLC0415

    minor_browser = Client()
    minor_browser.post("/account/login/", {"login": minor.email, "password": PASSWORD})
    assert minor_browser.get("/account/").status_code == 200

    client.force_login(guardian)
    page = client.get("/account/supervised/").content.decode()
    assert "kid@example.com" in page
    response = client.post(f"/account/supervised/{invitation.link.pk}/end/")

    assert response.status_code == 302
    minor.refresh_from_db()
    assert minor.is_active is False
    assert guardians.is_supervised(minor) is False
    assert minor_browser.get("/account/").status_code == 302


def test_another_guardian_cannot_end_or_see_a_link(client):
    invitation = guardians.invite_supervised(
        guardian=CustomerFactory(), email="kid@example.com", site_url="http://t/", consent=True
    )
    client.force_login(CustomerFactory())

    assert client.post(f"/account/supervised/{invitation.link.pk}/end/").status_code == 404
    assert "kid@example.com" not in client.get("/account/supervised/").content.decode()
    invitation.link.refresh_from_db()
    assert invitation.link.ended_at is None


def test_a_withdrawn_invitation_cannot_be_used(client):
    guardian = CustomerFactory()
    invitation = guardians.invite_supervised(
        guardian=guardian, email="kid@example.com", site_url="http://t/", consent=True
    )
    guardians.end_link(guardian=guardian, link_id=invitation.link.pk)

    assert guardians.find_invitation(token=invitation.token) is None
    assert client.get(f"/account/supervised/join/{invitation.token}/").status_code == 404
