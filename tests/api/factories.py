"""Agents with tokens, and the helpers the API tests share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import factory
from factory.django import DjangoModelFactory

from bungu.api.models import Agent
from bungu.api.tokens import issue_token

# The company each function's agent is in the tests.
COMPANIES = {
    "delivery": "Yamato",
    "fulfilment": "Kobe Warehouse",
    "mail_delivery": "Postbox Mail",
    "analysis": "Numbers Inc",
    "search": "Findwell",
}


class AgentFactory(DjangoModelFactory):
    class Meta:
        model = Agent

    company = factory.Sequence(lambda n: f"Agent company {n}")
    functions = factory.LazyFunction(lambda: ["delivery"])
    contact = "Ken Ito, ken@agent.test"
    carrier = "dhl"


def token_for(function: str, *, company: str | None = None, days: int = 30) -> str:
    """A fresh token of an agent performing ``function`` (one agent per company)."""
    name = company or COMPANIES.get(function, f"{function} company")
    agent = Agent.objects.filter(company=name).first() or AgentFactory(
        company=name, functions=[function]
    )
    if function not in agent.functions:
        agent.functions = [*agent.functions, function]
        agent.save(update_fields=["functions"])
    return issue_token(agent=agent, function=function, days=days, issued_by="test").secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_only_keys(found: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """P13: an answer holds exactly the keys its function may have, no more, no fewer."""
    keys, wanted = set(found), set(allowed)
    assert keys == wanted, f"extra: {sorted(keys - wanted)}, missing: {sorted(wanted - keys)}"
