"""``bungu privacy_export_for_transfer OUTPUT``: the P15 export for a successor business."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from bungu.privacy.rights.transfer import build_transfer_export


class Command(BaseCommand):
    help = (
        "Write every customer's personal data (found through the data map), every notice "
        "version and every consent to one JSON file, so that a successor can keep the "
        "promises (P15). The file holds personal data: it is created readable by its owner only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="the JSON file to write (it must not exist yet)")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"{output.parent} is not a directory.")
        export = build_transfer_export()
        try:
            # O_EXCL: never overwrite an earlier export; 0o600: personal data, owner only.
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{output} exists already; choose a new file.") from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(export, handle, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
            handle.write("\n")
        self.stdout.write(
            f"Wrote {len(export['customers'])} customers and {len(export['notices'])} notice "
            f"version(s) to {output}."
        )
