"""Agents' tokens: stored as a digest, one function, expiring, revocable, shown once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from bungu.api.models import Agent, AgentToken
from bungu.api.tokens import TokenRefused, check_token, issue_token, revoke_token
from tests.backoffice.factories import staff_member

from .factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_only_the_digest_of_a_token_is_stored() -> None:
    issued = issue_token(agent=AgentFactory(), function="delivery", days=30, issued_by="test")

    row = model_to_dict(AgentToken.objects.get(), fields=None)
    assert issued.secret.startswith(f"bga_{issued.token.prefix}_")
    assert issued.token.digest == hashlib.sha256(issued.secret.encode()).hexdigest()
    secret_part = issued.secret.rsplit("_", 1)[1][:20]
    assert not any(secret_part in str(value) for value in row.values())
    assert check_token(issued.secret) == issued.token


def test_a_token_serves_only_a_function_its_agent_performs() -> None:
    agent = AgentFactory(functions=["delivery"])

    with pytest.raises(ValueError, match="does not perform 'analysis'"):
        issue_token(agent=agent, function="analysis", days=30, issued_by="test")
    assert not AgentToken.objects.exists()


@pytest.mark.parametrize("days", [0, 367])
def test_a_token_lasts_one_day_to_a_year(days: int) -> None:
    with pytest.raises(ValueError, match="1 to 366 days"):
        issue_token(agent=AgentFactory(), function="delivery", days=days, issued_by="test")


def test_a_revoked_token_is_refused() -> None:
    issued = issue_token(agent=AgentFactory(), function="delivery", days=30, issued_by="test")

    revoke_token(token=issued.token)

    with pytest.raises(TokenRefused, match="revoked"):
        check_token(issued.secret)


def test_the_command_adds_an_agent_issues_a_token_once_and_revokes_it() -> None:
    out = StringIO()

    call_command(
        "agents",
        "add",
        "--company",
        "Yamato",
        "--functions",
        "delivery",
        "--carrier",
        "dhl",
        "--contact",
        "Ken",
        stdout=out,
    )
    call_command(
        "agents", "issue-token", "--company", "yamato", "--function", "delivery", stdout=out
    )
    secret = out.getvalue().strip().splitlines()[-1]
    listing = StringIO()
    call_command("agents", "list", stdout=listing)
    call_command("agents", "revoke-token", secret[:16], stdout=out)

    assert check_token_refusal(secret) == "This token was revoked."
    assert secret.startswith("bga_")
    assert secret not in listing.getvalue()
    assert "delivery: valid until" in listing.getvalue()


def test_the_command_names_the_last_day_in_the_shops_time_zone() -> None:
    # 02:00 UTC on 31 January is still the evening of 30 January in Los Angeles: the UTC
    # date would promise the agent a day the token does not have. (A year far ahead, so the
    # token is not expired whenever the test runs.)
    issued = issue_token(agent=AgentFactory(), function="delivery", days=30, issued_by="test")
    AgentToken.objects.update(expires_at=datetime(2099, 1, 31, 2, 0, tzinfo=UTC))
    listing = StringIO()

    call_command("agents", "list", stdout=listing)

    assert f"{issued.token.prefix} delivery: valid until 2099-01-30" in listing.getvalue()


def check_token_refusal(secret: str) -> str:
    try:
        check_token(secret)
    except TokenRefused as refused:
        return str(refused)
    return ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--company", "X", "--functions", "astrology", "--contact", "Ken"], "functions"),
        (["add", "--company", "X", "--functions", "delivery", "--contact", "Ken"], "carrier"),
        (["issue-token", "--company", "Nobody", "--function", "delivery"], "no agent"),
        (["revoke-token", "bga_ffffffffffff"], "no token"),
    ],
)
def test_the_command_says_what_is_wrong(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("agents", *args, stdout=StringIO())
    assert not Agent.objects.filter(company="X").exists()


def test_the_owner_issues_a_token_in_the_admin_and_sees_it_once(client) -> None:
    agent = AgentFactory(company="Yamato", functions=["delivery"])
    client.force_login(staff_member("Owner"))

    page = client.post(
        "/admin/api/agenttoken/add/", {"agent": agent.pk, "function": "delivery", "days": 30}
    )

    assert page.status_code == 200
    token = AgentToken.objects.get()
    shown = page.content.decode()
    start = shown.index(f"bga_{token.prefix}_")
    secret = shown[start : start + 4 + 12 + 1 + 43]
    assert check_token(secret) == token
    assert secret not in client.get(f"/admin/api/agenttoken/{token.pk}/change/").content.decode()
    assert secret not in client.get("/admin/api/agenttoken/").content.decode()


def test_the_admin_refuses_a_function_the_agent_does_not_perform(client) -> None:
    agent = AgentFactory(functions=["delivery"])
    client.force_login(staff_member("Owner"))

    page = client.post(
        "/admin/api/agenttoken/add/", {"agent": agent.pk, "function": "analysis", "days": 30}
    )

    assert "does not perform this function" in page.content.decode()
    assert not AgentToken.objects.exists()


def test_staff_without_the_owner_role_cannot_issue_tokens(client) -> None:
    agent = AgentFactory()
    client.force_login(staff_member("Customer service"))

    page = client.post(
        "/admin/api/agenttoken/add/", {"agent": agent.pk, "function": "delivery", "days": 30}
    )

    assert page.status_code == 403
    assert not AgentToken.objects.exists()
