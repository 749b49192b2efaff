"""``bungu privacy publish-notice VERSION --effective DATE [--confirm-less-protective]``:
publish a notice version the project ships (``bungu/privacy/notices/v<N>.md`` and ``.toml``)
on the owner's date, with the admin's checks (P24, P25): it prints the comparison with the
version before, and refuses a less protective one unless the comparison is confirmed."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.privacy.exceptions import LessProtectiveUnconfirmed
from bungu.privacy.notices.practices import NoticeComparison
from bungu.privacy.notices.publishing import comparison_with_previous, publish_shipped_notice


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--effective {value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Publish a notice version the project ships, from its date on (P24, P25)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int, help="the shipped version (v<N>.md, v<N>.toml)")
        parser.add_argument("--effective", required=True, help="in force from (YYYY-MM-DD)")
        parser.add_argument(
            "--confirm-less-protective",
            action="store_true",
            help="publish it although it is less protective than the version before (P25)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            notice = publish_shipped_notice(
                version=options["version"],
                effective=_date(options["effective"]),
                confirmed_less_protective=options["confirm_less_protective"],
            )
        except FileNotFoundError as error:
            raise CommandError(str(error)) from None
        except LessProtectiveUnconfirmed as error:
            self._write_changes(error.comparison)
            raise CommandError(
                f"{error} Read the changes above, then run again with --confirm-less-protective."
            ) from None
        except ValidationError as error:
            problems = [f"{field}: {m}" for field, ms in error.message_dict.items() for m in ms]
            raise CommandError("Not published: " + "; ".join(problems)) from None
        comparison = comparison_with_previous(notice)
        if comparison is not None:
            self._write_changes(comparison)
        self.stdout.write(f"Published notice v{notice.version}, in force from {notice.effective}.")

    def _write_changes(self, comparison: NoticeComparison) -> None:
        self.stdout.write(f"v{comparison.old_version} -> v{comparison.new_version}:")
        for change in comparison.changes:
            mark = "LESS PROTECTIVE" if change.less_protective else "ok"
            self.stdout.write(f"  [{mark}] {change.practice}: {change.detail}")
