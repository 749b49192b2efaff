"""``bungu agents ACTION``: the agents of P13 and their API tokens.

    bungu agents add --company Yamato --functions delivery --carrier dhl --contact "…"
    bungu agents issue-token --company Yamato --function delivery [--days 90]
    bungu agents revoke-token PREFIX
    bungu agents list

A token is printed once, when it is issued; the shop keeps only its digest.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bungu.api import services
from bungu.api.models import Agent, AgentToken


class Command(BaseCommand):
    help = "Agents and their API tokens: add, issue-token, revoke-token, list."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="record a company and the functions it performs")
        add.add_argument("--company", required=True)
        add.add_argument("--functions", required=True, help="comma-separated, e.g. delivery")
        add.add_argument("--contact", required=True, help="someone to call at the company")
        add.add_argument("--carrier", default="", help="a delivery company's carrier")
        issue = actions.add_parser("issue-token", help="issue a token for one function")
        issue.add_argument("--company", required=True)
        issue.add_argument("--function", required=True)
        issue.add_argument("--days", type=int, default=90)
        revoke = actions.add_parser("revoke-token", help="revoke a token by its prefix")
        revoke.add_argument("prefix")
        actions.add_parser("list", help="the agents and their tokens")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self._add(options)
        elif action == "issue-token":
            self._issue(options)
        elif action == "revoke-token":
            self._revoke(options["prefix"])
        else:
            self._list()

    def _add(self, options: dict[str, Any]) -> None:
        functions = [name.strip() for name in options["functions"].split(",") if name.strip()]
        try:
            agent = services.register_agent(
                company=options["company"],
                functions=functions,
                contact=options["contact"],
                carrier=options["carrier"],
            )
        except ValidationError as invalid:
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in invalid.message_dict.items()
            )
            raise CommandError(problems) from None
        self.stdout.write(f"Added {agent.company} ({', '.join(agent.functions)}).")

    def _issue(self, options: dict[str, Any]) -> None:
        try:
            agent = services.get_agent(company=options["company"])
            issued = services.issue_token(
                agent=agent,
                function=options["function"],
                days=options["days"],
                issued_by="command line",
            )
        except Agent.DoesNotExist:
            raise CommandError(f"There is no agent {options['company']!r}.") from None
        except ValueError as refused:
            raise CommandError(str(refused)) from None
        # The shop's day (TIME_ZONE), as every page shows it: the UTC date is a day later
        # for a token issued in the evening.
        expires = timezone.localdate(issued.token.expires_at).isoformat()
        self.stdout.write(
            f"Token for {agent.company}, {issued.token.function}, until {expires}. "
            "It is shown this once; the shop keeps only its digest:"
        )
        self.stdout.write(issued.secret)

    def _revoke(self, prefix: str) -> None:
        try:
            token = services.get_token(prefix=prefix.removeprefix("bga_")[:12])
        except AgentToken.DoesNotExist:
            raise CommandError(f"There is no token {prefix!r}.") from None
        services.revoke_token(token=token)
        self.stdout.write(f"Revoked {token.prefix} of {token.agent.company}.")

    def _list(self) -> None:
        now = timezone.now()
        for agent in Agent.objects.prefetch_related("tokens"):
            self.stdout.write(f"{agent.company}: {', '.join(agent.functions)}")
            for token in agent.tokens.all():
                state = token.refusal(now) or f"valid until {timezone.localdate(token.expires_at)}"
                self.stdout.write(f"  {token.prefix} {token.function}: {state}")
