"""Log files in the data map (P5): what the shop's servers write down about every visit.

A log is not a model, so ``Field`` cannot declare it; each app that writes log files
declares them in its ``personal_data.py``, beside its fields and cookies::

    LOGS = [LogFile("access log", pattern="access-*.log", retention_days=14, ...)]

A declared log is written one file a day, its date in its name (``access-2027-01-31.log``),
under the shop's log directory (``settings.LOG_DIR``). ``delete_expired_log_files`` removes
the files whose day is older than the declared retention; ``bungu privacy datamap`` prints the
declarations and "My data" explains them in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from fnmatch import fnmatch
from pathlib import Path

from bungu.privacy.datamap.declared import DeclarationRegistry
from bungu.privacy.datamap.taxonomy import DataCategory, Purpose, Source

# The day a daily log file holds, as its name says.
_DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True, init=False)
class LogFile:
    """One kind of log file the shop writes, one file a day."""

    name: str
    # A glob over file names in the log directory; the day must appear in the name.
    pattern: str
    categories: frozenset[DataCategory]
    source: Source
    purposes: frozenset[Purpose]
    retention_days: int
    # What it holds and what it leaves out, in the words "My data" shows.
    holds: str

    def __init__(
        self,
        name: str,
        *,
        pattern: str,
        categories: Iterable[DataCategory],
        purposes: Iterable[Purpose],
        retention_days: int,
        holds: str,
        source: Source = Source.AUTOMATIC,
    ) -> None:
        if not name or not holds:
            raise ValueError("a log file needs a name and the words for what it holds")
        if "/" in pattern or "*" not in pattern:
            raise ValueError(f"log {name!r}: the pattern is a glob over names in the log folder")
        if retention_days < 1:
            raise ValueError(f"log {name!r}: retention_days must be a positive number of days")
        categories, purposes = frozenset(categories), frozenset(purposes)
        if not categories or not purposes:
            raise ValueError(f"log {name!r}: declare its categories and purposes")
        for attribute, value in (
            ("name", name),
            ("pattern", pattern),
            ("categories", frozenset(DataCategory(c) for c in categories)),
            ("source", Source(source)),
            ("purposes", frozenset(Purpose(p) for p in purposes)),
            ("retention_days", retention_days),
            ("holds", holds),
        ):
            object.__setattr__(self, attribute, value)

    def expired(self, path: Path, *, today: date) -> bool:
        """Whether this file of the log holds a day older than the retention. A file of the
        pattern without a readable day in its name counts by when it was last written."""
        found = _DAY_IN_NAME.search(path.name)
        try:
            day = date.fromisoformat(found.group(1)) if found else None
        except ValueError:
            day = None
        if day is None:
            day = date.fromtimestamp(path.stat().st_mtime)  # noqa: DTZ012 - a local day, as names
        return day < today - timedelta(days=self.retention_days)


class LogRegistry(DeclarationRegistry[LogFile]):
    """Every declared log file, in the order the apps declare them."""

    attribute = "LOGS"
    kind = LogFile
    noun = "log"

    def key(self, item: LogFile) -> str:
        return item.pattern

    def __iter__(self) -> Iterator[LogFile]:
        return iter(self._declared.values())

    def find(self, file_name: str) -> LogFile | None:
        """The declaration a file of the log directory belongs to, if any."""
        return next((log for log in self if fnmatch(file_name, log.pattern)), None)


log_registry = LogRegistry()


def delete_expired_log_files(
    *, directory: Path, today: date, registry: LogRegistry | None = None
) -> list[Path]:
    """P5: delete the files of every declared log whose day is older than its retention; the
    files that belong to no declaration are left alone. Returns the deleted paths."""
    registry = registry if registry is not None else log_registry
    if not directory.is_dir():
        return []
    deleted = []
    for path in sorted(directory.iterdir()):
        log = registry.find(path.name)
        if log is not None and path.is_file() and log.expired(path, today=today):
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted
