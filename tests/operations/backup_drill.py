"""The backup drill's steps, each run as its own process against a separate database.

``python -m tests.operations.backup_drill STEP [ARGS]`` with DATABASE_URL and BUNGU_VAR_DIR
naming the drill's own database and directory; each step prints one JSON document. The tests
in ``test_backups.py`` run them, as a shop owner runs ``bungu backup`` and ``bungu restore``:
real processes on a real database, never the test's transaction.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import django

PASSWORD = "a long passphrase 42"
ERASED = {"email": "erase.me@example.com", "name": "Kaede Erasable"}
KEPT = {"email": "keep.me@example.com", "name": "Ren Keepable"}


def seed() -> dict[str, Any]:
    """Two customers with addresses, a product with a photo."""
    from django.core.files.base import ContentFile  # noqa: PLC0415 - after django.setup()
    from PIL import Image  # noqa: PLC0415

    from bungu.catalog.models import ProductImage  # noqa: PLC0415
    from tests.accounts.factories import AddressFactory, CustomerFactory  # noqa: PLC0415
    from tests.catalog.factories import ProductFactory  # noqa: PLC0415

    erased = CustomerFactory(password=PASSWORD, **ERASED)
    kept = CustomerFactory(password=PASSWORD, **KEPT)
    AddressFactory(customer=erased, recipient=ERASED["name"], line1="7 Erasure Lane")
    AddressFactory(customer=kept, recipient=KEPT["name"])
    product = ProductFactory(name="Drill pen", slug="drill-pen")
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(picture, format="PNG")
    image = ProductImage(product=product, alt_text="A red pen")
    image.image.save("drill-pen.png", ContentFile(picture.getvalue()), save=True)
    return {
        "erased": erased.pk,
        "kept": kept.pk,
        "product_url": product.get_absolute_url(),
        "photo": image.image.name,
    }


def _tables() -> list[str]:
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def digests() -> dict[str, dict[str, str]]:
    """Per table, each row's SHA-256 keyed by its primary key (or by the digest itself)."""
    from django.db import connection  # noqa: PLC0415

    result: dict[str, dict[str, str]] = {}
    for table in _tables():
        with connection.cursor() as cursor:
            key = connection.introspection.get_primary_key_column(cursor, table)
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            rows: dict[str, str] = {}
            for row in cursor.fetchall():
                values = dict(zip(columns, row, strict=True))
                text = json.dumps(values, sort_keys=True, default=str)
                digest = hashlib.sha256(text.encode()).hexdigest()
                rows[str(values[key]) if key in values else digest] = digest
        result[table] = rows
    return result


def find(*needles: str) -> list[str]:
    """The tables where any of these texts appears in any column."""
    from django.db import connection  # noqa: PLC0415

    found = []
    for table in _tables():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            text = json.dumps(cursor.fetchall(), default=str).lower()
        if any(needle.lower() in text for needle in needles):
            found.append(table)
    return found


def erase(customer_id: str) -> dict[str, Any]:
    """The customer asks to delete the account; the grace period passes; it is erased."""
    from django.apps import apps  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from bungu import privacy  # noqa: PLC0415

    deletion = privacy.request_account_deletion(subject=int(customer_id))
    entries = privacy.complete_account_deletion(
        deletion_id=deletion.pk, actor="drill", now=timezone.now() + timedelta(days=30)
    )
    return {
        "rows": [
            [apps.get_model(entry.model)._meta.db_table, [str(pk) for pk in entry.row_ids]]
            for entry in entries
        ]
    }


def journal_rows(since: str) -> dict[str, Any]:
    """The rows the erasure journal's copy (outside the database) names, per table, for the
    entries written since this ISO moment: what a restore's replay may change."""
    from django.apps import apps  # noqa: PLC0415

    from bungu.privacy.rights.journal_copy import read_journal_copy  # noqa: PLC0415

    moment = datetime.fromisoformat(since)
    rows: dict[str, set[str]] = {}
    entries = [entry for entry in read_journal_copy() if entry.written_at >= moment]
    for entry in entries:
        table = apps.get_model(entry.model)._meta.db_table
        rows.setdefault(table, set()).update(str(pk) for pk in entry.row_ids)
    return {
        "entries": len(entries),
        "rows": [[table, sorted(ids)] for table, ids in sorted(rows.items())],
    }


def smoke(product_url: str, photo: str) -> dict[str, Any]:
    """The home page, the product page with its photo, and signing in, on restored data."""
    from django.core.files.storage import default_storage  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    browser = Client(HTTP_HOST="127.0.0.1")
    home = browser.get("/")
    product = browser.get(product_url)
    login = reverse("account_login")
    kept = browser.post(login, {"login": KEPT["email"], "password": PASSWORD})
    account = browser.get(reverse("accounts:overview"))
    stranger = Client(HTTP_HOST="127.0.0.1")
    erased = stranger.post(login, {"login": ERASED["email"], "password": PASSWORD})
    return {
        "home": home.status_code,
        "product": product.status_code,
        "product_names_photo": photo.rsplit("/", 1)[-1].split(".", maxsplit=1)[0] in product.text,
        "photo_file": default_storage.exists(photo),
        "kept_sign_in": kept.status_code,
        "account": account.status_code,
        "account_names_them": KEPT["name"] in account.text,
        "erased_sign_in": erased.status_code,
        "erased_signed_in": "_auth_user_id" in stranger.session,
    }


def write_pairs(stop_file: str) -> dict[str, Any]:
    """Write pairs of rows, each pair in one transaction, until the stop file appears (a shop
    at work); says "writing" once the first pair is in."""
    from django.db import connection, transaction  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE drill_pair (id integer PRIMARY KEY, pair integer NOT NULL)")
    stop = Path(stop_file)
    deadline = time.monotonic() + 180
    pairs = 0
    while not stop.exists() and time.monotonic() < deadline:
        with transaction.atomic(), connection.cursor() as cursor:
            for side in (0, 1):
                cursor.execute(
                    "INSERT INTO drill_pair (id, pair) VALUES (%s, %s)", [pairs * 2 + side, pairs]
                )
        pairs += 1
        if pairs == 1:
            sys.stdout.write("writing\n")
            sys.stdout.flush()
    return {"pairs": pairs}


def pairs() -> dict[str, Any]:
    """How many pairs the table holds, and how many are broken (one row without the other)."""
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute("SELECT pair, COUNT(*) FROM drill_pair GROUP BY pair")
        counts = cursor.fetchall()
    return {"pairs": len(counts), "broken": sum(1 for _, count in counts if count != 2)}


def wipe() -> dict[str, Any]:
    """Drop every table: the database is lost (a disk gone, a bad migration)."""
    from django.db import connection  # noqa: PLC0415

    tables = _tables()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys=OFF")
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")
        else:
            names = ", ".join(connection.ops.quote_name(table) for table in tables)
            cursor.execute(f"DROP TABLE {names} CASCADE")
    return {"dropped": len(tables)}


STEPS = {
    "wipe": wipe,
    "seed": seed,
    "digests": digests,
    "find": find,
    "erase": erase,
    "journal_rows": journal_rows,
    "smoke": smoke,
    "write_pairs": write_pairs,
    "pairs": pairs,
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bungu.settings")
    django.setup()
    step, *arguments = sys.argv[1:]
    result = STEPS[step](*arguments)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
