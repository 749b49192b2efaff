"""``bungu accounts ACTION ...``: the accounts commands under one name.

``bungu accounts import-profile FILE --source NAME --agreement REF`` is
``bungu accounts_import_profile ...``; each action's own options follow it.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

ACTIONS = {"import-profile": "accounts_import_profile"}


class Command(BaseCommand):
    help = "Account tasks: " + ", ".join(ACTIONS) + ". Options of an action follow its name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=sorted(ACTIONS), help="what to do")
        parser.add_argument("rest", nargs=argparse.REMAINDER, help="the action's own arguments")

    def handle(self, *args: Any, **options: Any) -> None:
        rest: list[str] = options["rest"]
        if rest[:1] in (["-h"], ["--help"]):
            raise CommandError(f"See `bungu {ACTIONS[options['action']]} --help`.")
        call_command(ACTIONS[options["action"]], *rest, stdout=self.stdout, stderr=self.stderr)
