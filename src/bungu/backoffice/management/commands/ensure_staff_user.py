"""`bungu ensure_staff_user`: a back-office login for a fresh shop, printed on every start.

The login is the shop's owner: a staff member in the Owner role (``roles.OWNER``), not a
superuser, so every read of customers' data it makes goes through the purposes the role
holds and is logged (P13). A superuser is made separately, on purpose (README).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from bungu.backoffice.roles import OWNER, ensure_roles

USERNAME = "staff"
EMAIL = "staff@bungu.test"
LOGIN_FILE = "staff-password"


def _write_secret(path: Path, secret: str) -> None:
    # Owner-only from the moment the file exists, so the password is never world-readable.
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")


class Command(BaseCommand):
    help = (
        f"Create the shop owner {USERNAME!r} (staff in the {OWNER.name} role, not a superuser) "
        f"once, keep its password in $BUNGU_VAR_DIR/{LOGIN_FILE}, and print how to sign in."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        password_file = settings.VAR_DIR / LOGIN_FILE
        saved = password_file.read_text().strip() if password_file.exists() else ""
        user_model = get_user_model()
        # The shop's users sign in with whatever field the user model names: a username, or
        # (Bungu's accounts) the e-mail address.
        login_field = user_model.USERNAME_FIELD
        login = EMAIL if login_field == "email" else USERNAME
        with transaction.atomic():
            ensure_roles()
            user = user_model._default_manager.filter(**{login_field: login}).first()
            if user is None:
                # A password file left by an earlier database is reused, so the printed
                # login stays the same after the database is reset.
                password = saved or secrets.token_urlsafe(12)
                self._create(user_model, login_field, login, password)
                self.stdout.write(f"Created the back-office user {login}.")
            elif not saved:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save(update_fields=["password"])
                self.stdout.write(f"Gave {login} a new password (its file was missing).")
            elif user.check_password(saved):
                password = saved
            else:
                password = ""
            self._make_owner(user_model._default_manager.get(**{login_field: login}))
        if password and password != saved:
            _write_secret(password_file, password)
        port = os.environ.get("PORT", "8000")
        shown = password or f"(changed in the back office since it was saved in {password_file})"
        self.stdout.write(
            f"Back office: http://127.0.0.1:{port}/admin/  user: {login}  password: {shown}"
        )

    def _create(self, user_model: Any, login_field: str, login: str, password: str) -> None:
        fields = {field.name for field in user_model._meta.get_fields()}
        extra: dict[str, str] = {login_field: login}
        if login_field != "email" and "email" in fields:
            extra["email"] = EMAIL
        if login_field != "username" and "name" in fields:
            extra["name"] = USERNAME
        user = user_model(is_staff=True, is_superuser=False, **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()

    def _make_owner(self, user: Any) -> None:
        if user.is_superuser:
            # Made by an earlier version of this command: an owner now, whose reads of
            # customers' data need a purpose and are logged.
            user.is_superuser = False
            self.stdout.write(f"{user} is no longer a superuser, but the shop's owner.")
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
        user.groups.add(Group.objects.get(name=OWNER.name))
