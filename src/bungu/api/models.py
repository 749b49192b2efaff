"""Agents (the companies the notice says perform functions for the shop) and their tokens.

A token is shown once, when it is issued; the shop keeps only its prefix (to find it) and
the SHA-256 digest of the whole token (to check it). Each token serves exactly one of its
agent's functions, expires, and can be revoked (P13).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from bungu.orders.fulfilment import CARRIERS
from bungu.privacy import AGENT_FUNCTION_NAMES, AGENT_FUNCTIONS

FUNCTION_CHOICES = [(name, AGENT_FUNCTION_NAMES.get(name, name)) for name in AGENT_FUNCTIONS]
CARRIER_CHOICES = [(code, carrier.name) for code, carrier in CARRIERS.items()]


class Agent(models.Model):
    """A company performing functions for the shop (fulfilment, delivery, e-mail ...)."""

    company = models.CharField(max_length=120, unique=True)
    # The notice's functions this company performs (AGENT_FUNCTIONS names).
    functions = models.JSONField(default=list)
    # Someone at the company to call about the agreement: a business contact, not a customer.
    contact = models.CharField(max_length=200, help_text="Name and e-mail or phone.")
    # A delivery company receives the parcels handed to this carrier.
    carrier = models.CharField(max_length=20, choices=CARRIER_CHOICES, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["company"]

    def __str__(self) -> str:
        return self.company

    def clean(self) -> None:
        unknown = sorted(set(self.functions) - set(AGENT_FUNCTIONS))
        if not isinstance(self.functions, list) or not self.functions or unknown:
            known = ", ".join(sorted(AGENT_FUNCTIONS))
            raise ValidationError({"functions": f"Choose one or more of: {known}."})
        if "delivery" in self.functions and not self.carrier:
            raise ValidationError({"carrier": "A delivery company needs its carrier."})


class TokenQuerySet(models.QuerySet["AgentToken"]):
    def usable(self, now: datetime) -> TokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, agent__is_active=True)


class AgentToken(models.Model):
    agent = models.ForeignKey(Agent, related_name="tokens", on_delete=models.CASCADE)
    function = models.CharField(max_length=40, choices=FUNCTION_CHOICES)
    # The public part of the token, to find it; the digest checks the whole.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    issued_by = models.CharField(max_length=60, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.function})"

    def refusal(self, now: datetime) -> str | None:
        """Why the token may not be used now, or None."""
        if self.revoked_at is not None:
            return "This token was revoked."
        if self.expires_at <= now:
            return "This token has expired."
        if not self.agent.is_active:
            return "This agent is no longer active."
        return None
