"""``bungu backup`` and ``bungu restore``: the database, the uploaded photos and a manifest.

A backup is one directory named by the UTC time it was taken (``bungu-20270131T020000Z``),
never overwritten: the database (``dumps``), the media files as one tar, and
``manifest.json`` (engine, the Django migrations applied per app, each file's size and
SHA-256, the time, the shop's version, and a digest of the manifest itself). The directory
and its files are readable by their owner only: they hold customers' data.

A restore checks everything before it touches anything: every file against the manifest, the
engine, the migrations, the erasure journal's copy. Then it replaces the database and the
media, migrates when the code is newer than the backup, and replays the erasure journal's
copy (P22), so that a customer erased after the backup was taken stays erased.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from bungu import privacy

from . import dumps
from .dumps import BackupFailed

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_FILE = "media.tar"
CHUNK = 1024 * 1024
# Journal files are stamped by the clock of the node that wrote them: replay from a little
# before the backup's moment (replaying an erasure already in the backup changes nothing).
CLOCK_SKEW = timedelta(minutes=10)
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RestoreReport:
    backup: str
    taken_at: datetime
    migrated: bool
    journal_entries: int
    rows_erased_again: int
    accounts_erased_again: int


# ---------------------------------------------------------------- files and the manifest
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest_digest(manifest: dict[str, Any]) -> str:
    body = {key: value for key, value in manifest.items() if key != "digest"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _shop_version() -> str:
    try:
        return metadata.version("bungu")
    except metadata.PackageNotFoundError:
        return "unknown"


def _tar_media(*, target: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target, "w") as archive:
        if media.is_dir():
            for child in sorted(media.iterdir()):
                archive.add(child, arcname=child.name)


# ---------------------------------------------------------------- backup
def take_backup(*, to: Path | None = None, now: datetime | None = None) -> Backup:
    """Back up the database and the media into a new directory under ``to`` (default
    ``BUNGU_BACKUP_DIR``) named by the UTC time. Raises BackupFailed, leaving no partial
    backup behind, when anything fails."""
    now = (now or timezone.now()).astimezone(UTC)
    parent = Path(to or settings.BUNGU_BACKUP_DIR)
    path = parent / f"bungu-{now:%Y%m%dT%H%M%SZ}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupFailed(f"Cannot write the backup under {parent}: {error.strerror}.") from error
    try:
        path.mkdir(mode=0o700)
    except FileExistsError as error:
        raise BackupFailed(f"{path} already exists; a backup is never overwritten.") from error
    except OSError as error:
        raise BackupFailed(f"Cannot write the backup under {parent}: {error.strerror}.") from error
    try:
        return Backup(path, _fill(path, now=now))
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise


def _fill(path: Path, *, now: datetime) -> dict[str, Any]:
    kind = dumps.engine()
    if kind == "postgresql":
        dumps.postgres_tool("pg_dump")  # a missing program is said before anything else
    elif kind == "sqlite":
        dumps.check_sqlite_file()
    dumps.ensure_reachable()
    # The journal's copy catches up first, so that it holds every erasure this backup holds.
    privacy.sync_journal_copy()
    database = path / dumps.database_file()
    try:
        if kind == "sqlite":
            migrations = dumps.dump_sqlite(target=database)
        elif kind == "postgresql":
            migrations = dumps.dump_postgres(target=database)
        else:
            raise BackupFailed(f"Backups of a {kind} database are not supported.")
        _tar_media(target=path / MEDIA_FILE)
    except OSError as error:
        raise BackupFailed(f"Cannot write the backup to {path}: {error}") from error
    files = {}
    for item in sorted(path.iterdir()):
        item.chmod(0o600)
        files[item.name] = {"size": item.stat().st_size, "sha256": _sha256(item)}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "shop": "bungu",
        "shop_version": _shop_version(),
        "taken_at": now.isoformat(),
        "engine": kind,
        "database": dumps.database_file(),
        "migrations": migrations,
        "files": files,
    }
    manifest["digest"] = _manifest_digest(manifest)
    target = path / MANIFEST
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    target.chmod(0o600)
    return manifest


# ---------------------------------------------------------------- checking a backup
def verify_backup(*, source: Path) -> dict[str, Any]:
    """The backup's manifest, once the manifest and every file it lists check out; raises
    BackupFailed naming the first file that does not (missing, other size, other SHA-256)."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupFailed(f"{source} is not a backup: it has no {MANIFEST}.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupFailed(f"{manifest_path} cannot be read: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupFailed(f"{manifest_path} is not a manifest this shop knows.")
    if manifest.get("digest") != _manifest_digest(manifest):
        raise BackupFailed(f"{manifest_path} was changed or damaged: its digest does not match.")
    files = manifest.get("files")
    if not isinstance(files, dict) or {manifest.get("database"), MEDIA_FILE} - set(files):
        raise BackupFailed(f"{manifest_path} does not list the database and the media.")
    for name, expected in sorted(files.items()):
        item = source / name
        if Path(name).name != name or not item.is_file():
            raise BackupFailed(f"{item} is missing from the backup.")
        if item.stat().st_size != expected.get("size"):
            raise BackupFailed(f"{item} has another size than the manifest says (truncated?).")
        if _sha256(item) != expected.get("sha256"):
            raise BackupFailed(f"{item} does not match its SHA-256 in the manifest (changed?).")
    return manifest


def _taken_at(manifest: dict[str, Any]) -> datetime:
    try:
        taken_at = datetime.fromisoformat(str(manifest["taken_at"]))
    except (KeyError, ValueError) as error:
        raise BackupFailed("The manifest has no valid time of backup.") from error
    if taken_at.tzinfo is None:
        raise BackupFailed("The manifest's time of backup has no UTC offset.")
    return taken_at


def _check_engine(manifest: dict[str, Any]) -> None:
    kind = dumps.engine()
    theirs = str(manifest.get("engine"))
    if theirs != kind:
        raise BackupFailed(
            f"This is a backup of a {ENGINE_NAMES.get(theirs, theirs)} database, and this shop "
            f"runs on {ENGINE_NAMES.get(kind, kind)} (DATABASE_URL): it cannot be restored here."
        )


def _unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations the backup applied that this code does not have (a newer shop's backup)."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = manifest.get("migrations") or {}
    return sorted(
        f"{app}.{name}"
        for app, names in applied.items()
        for name in names
        if (app, name) not in known
    )


def _needs_migrating(manifest: dict[str, Any]) -> bool:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = {
        (app, name) for app, names in (manifest.get("migrations") or {}).items() for name in names
    }
    return bool(known - applied)


# ---------------------------------------------------------------- restore
def restore_backup(
    *, source: Path, confirmed: bool = False, without_journal: bool = False
) -> RestoreReport:
    """Check the backup, then replace the database and media with it and replay the erasure
    journal's copy. Raises BackupFailed (nothing touched) when a file does not match its
    manifest, the engine differs, the backup is of a newer shop, the journal's copy is
    missing (unless ``without_journal``), or the database holds data (unless
    ``confirmed``); BackupFailed from a failed restore step as well."""
    manifest = verify_backup(source=source)
    taken_at = _taken_at(manifest)
    _check_engine(manifest)
    unknown = _unknown_migrations(manifest)
    if unknown:
        raise BackupFailed(
            "This backup is of a newer version of the shop (migrations this code lacks: "
            f"{', '.join(unknown[:5])}); restore it with that version."
        )
    journal = privacy.journal_dir()
    if not without_journal and not journal.is_dir():
        raise BackupFailed(
            f"The erasure journal's copy is not at {journal} (BUNGU_ERASURE_JOURNAL_DIR): "
            "without it, customers erased since the backup would come back. Point the setting "
            "at it, or pass --without-journal if the shop truly never had one."
        )
    try:
        privacy.check_restorable(taken_at=taken_at)
        if dumps.engine() == "postgresql":
            dumps.postgres_tool("pg_restore")
            dumps.postgres_tool("psql")
        dumps.ensure_reachable()
        tables = dumps.list_tables()
        if tables and not confirmed:
            raise BackupFailed(
                f"The database is not empty ({len(tables)} tables); restoring replaces all "
                "of it. Stop the shop and its workers, then run again with --yes."
            )
        # What the database about to be replaced knows of erasures joins the copy first.
        privacy.sync_journal_copy()
    except privacy.RestoreRefused as error:
        raise BackupFailed(str(error)) from error
    try:
        migrated, replayed = _put_back(source=source, manifest=manifest, taken_at=taken_at)
    except (BackupFailed, DatabaseError, OSError, CommandError, privacy.RestoreRefused) as error:
        # The database may hold the backup without the erasures done since: never serve it.
        raise BackupFailed(
            f"The restore stopped part-way: {error}. Do not start the shop; fix the cause and "
            "run the same restore again (it starts over and replays the journal)."
        ) from error
    return RestoreReport(
        backup=source.name,
        taken_at=taken_at,
        migrated=migrated,
        journal_entries=replayed.entries,
        rows_erased_again=replayed.rows,
        accounts_erased_again=replayed.accounts,
    )


def _put_back(
    *, source: Path, manifest: dict[str, Any], taken_at: datetime
) -> tuple[bool, privacy.ReplayReport]:
    """The database, the media, migrations if the code is newer, the journal's replay."""
    database = source / str(manifest["database"])
    if dumps.engine() == "sqlite":
        dumps.load_sqlite(source=database)
    else:
        dumps.load_postgres(source=database)
    _restore_media(source=source / MEDIA_FILE)
    migrated = _needs_migrating(manifest)
    if migrated:
        call_command("migrate", interactive=False, verbosity=0)
    cache.clear()
    replayed = privacy.replay_journal_copy(written_since=taken_at - CLOCK_SKEW)
    privacy.record_restore(backup=source.name, taken_at=taken_at)
    return migrated, replayed


def _restore_media(*, source: Path) -> None:
    """Put the backup's media in place of the current ones: unpacked beside them, then
    swapped, so a failure leaves the current media whole."""
    media = Path(settings.MEDIA_ROOT)
    media.parent.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    incoming = media.parent / f".{media.name}.restoring-{stamp}"
    outgoing = media.parent / f".{media.name}.replaced-{stamp}"
    try:
        incoming.mkdir(mode=0o755)
        with tarfile.open(source) as archive:
            archive.extractall(incoming, filter="data")
    except (OSError, tarfile.TarError) as error:
        shutil.rmtree(incoming, ignore_errors=True)
        raise BackupFailed(f"The media could not be unpacked: {error}") from error
    if media.exists():
        media.rename(outgoing)
    incoming.rename(media)
    shutil.rmtree(outgoing, ignore_errors=True)


def describe(report: RestoreReport) -> str:
    """What a restore did, in a sentence or two."""
    return (
        f"Restored {report.backup} (taken {report.taken_at:%Y-%m-%d %H:%M:%S} UTC)"
        f"{', then migrated' if report.migrated else ''}. Erasure journal: "
        f"{report.journal_entries} entries since the backup replayed; "
        f"{report.accounts_erased_again} account(s) erased again "
        f"({report.rows_erased_again} row(s) still held erased data)."
    )
