"""The agents' records: register a company, issue and revoke its tokens."""

from __future__ import annotations

from django.db import transaction

from .models import Agent, AgentToken
from .tokens import IssuedToken, issue_token, revoke_token

__all__ = ["IssuedToken", "get_agent", "issue_token", "register_agent", "revoke_token"]


@transaction.atomic
def register_agent(*, company: str, functions: list[str], contact: str, carrier: str = "") -> Agent:
    """Record a company performing functions for the shop. Raises ValidationError, naming
    each field at fault."""
    agent = Agent(
        company=company.strip(),
        functions=sorted(set(functions)),
        contact=contact.strip(),
        carrier=carrier,
    )
    agent.full_clean()
    agent.save()
    return agent


def get_agent(*, company: str) -> Agent:
    """The agent of that company (any letter case). Raises Agent.DoesNotExist."""
    return Agent.objects.get(company__iexact=company.strip())


def get_token(*, prefix: str) -> AgentToken:
    """A token by its prefix (the 12 hex digits after ``bga_``). Raises
    AgentToken.DoesNotExist."""
    return AgentToken.objects.select_related("agent").get(prefix=prefix.strip().lower())
