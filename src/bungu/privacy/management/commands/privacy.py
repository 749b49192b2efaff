"""``bungu privacy ACTION ...``: the privacy commands under one name.

``bungu privacy datamap --json`` is ``bungu privacy_datamap --json``, and so on; each action's
own options follow it (``bungu privacy export-for-transfer --help``).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

ACTIONS = {
    "datamap": "privacy_datamap",
    "export-for-transfer": "privacy_export_for_transfer",
    "publish-notice": "privacy_publish_notice",
    "replay-erasures": "privacy_replay_erasures",
    "run-due-deletions": "privacy_run_due_deletions",
    # P24: reminders are sent as a campaign, by the marketing app's command of that name.
    "send-notice-reminders": "remind_notice",
}


class Command(BaseCommand):
    help = "Privacy tasks: " + ", ".join(ACTIONS) + ". Options of an action follow its name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=sorted(ACTIONS), help="what to do")
        parser.add_argument("rest", nargs=argparse.REMAINDER, help="the action's own arguments")

    def handle(self, *args: Any, **options: Any) -> None:
        rest: list[str] = options["rest"]
        if rest[:1] in (["-h"], ["--help"]):
            raise CommandError(f"See `bungu {ACTIONS[options['action']]} --help`.")
        call_command(ACTIONS[options["action"]], *rest, stdout=self.stdout, stderr=self.stderr)
