"""``bungu mail ACTION ...``: the mail commands under one name.

``bungu mail read-returns PATH`` is ``bungu mail_read_returns PATH``; each action's own
options follow it.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

ACTIONS = {"read-returns": "mail_read_returns"}


class Command(BaseCommand):
    help = "Mail tasks: " + ", ".join(ACTIONS) + ". Options of an action follow its name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=sorted(ACTIONS), help="what to do")
        parser.add_argument("rest", nargs=argparse.REMAINDER, help="the action's own arguments")

    def handle(self, *args: Any, **options: Any) -> None:
        rest: list[str] = options["rest"]
        if rest[:1] in (["-h"], ["--help"]):
            raise CommandError(f"See `bungu {ACTIONS[options['action']]} --help`.")
        call_command(ACTIONS[options["action"]], *rest, stdout=self.stdout, stderr=self.stderr)
