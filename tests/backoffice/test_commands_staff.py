"""`ensure_staff_user`: one back-office login, created once, printed on every start."""

from __future__ import annotations

import io
import re
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from bungu.privacy import Purpose

LINE = re.compile(
    r"^Back office: http://127\.0\.0\.1:(\d+)/admin/  user: staff@bungu\.test  password: (\S+)$",
    re.MULTILINE,
)


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def run() -> str:
    out = io.StringIO()
    call_command("ensure_staff_user", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_creates_the_owner_once_and_keeps_its_password_private(var_dir, monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    first = run()
    port, password = LINE.search(first).groups()

    user = get_user_model().objects.get(email="staff@bungu.test")
    assert (user.is_staff, user.is_superuser, user.name) == (True, False, "staff")
    assert list(user.groups.values_list("name", flat=True)) == ["Owner"]
    assert user.check_password(password)
    assert port == "8123"
    secret = var_dir / "staff-password"
    assert secret.read_text() == password + "\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(password) >= 16

    second = run()
    assert LINE.search(second).group(2) == password
    assert "Created" not in second
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_port_defaults_to_8000(var_dir, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    assert LINE.search(run()).group(1) == "8000"


@pytest.mark.django_db
def test_a_lost_password_file_gets_a_new_password(var_dir):
    old = LINE.search(run()).group(2)
    (var_dir / "staff-password").unlink()

    out = run()
    new = LINE.search(out).group(2)
    assert new != old
    assert "new password" in out
    assert get_user_model().objects.get(email="staff@bungu.test").check_password(new)
    assert (var_dir / "staff-password").read_text().strip() == new


@pytest.mark.django_db
def test_a_fresh_database_reuses_the_saved_password(var_dir):
    (var_dir / "staff-password").write_text("kept-from-before-123\n")
    out = run()
    assert LINE.search(out).group(2) == "kept-from-before-123"
    assert (
        get_user_model()
        .objects.get(email="staff@bungu.test")
        .check_password("kept-from-before-123")
    )


@pytest.mark.django_db
def test_a_password_changed_in_the_back_office_is_not_shown(var_dir):
    run()
    user = get_user_model().objects.get(email="staff@bungu.test")
    user.set_password("changed-by-staff-999")
    user.save()

    out = run()
    assert "password: (changed in the back office" in out
    assert "changed-by-staff-999" not in out
    assert user.check_password("changed-by-staff-999")


@pytest.mark.django_db
def test_a_superuser_left_by_an_earlier_version_becomes_the_owner(var_dir):
    password = LINE.search(run()).group(2)
    get_user_model().objects.filter(email="staff@bungu.test").update(is_superuser=True)

    out = run()

    user = get_user_model().objects.get(email="staff@bungu.test")
    assert "no longer a superuser" in out
    assert (user.is_superuser, user.is_staff) == (False, True)
    assert user.check_password(password)
    assert list(user.groups.values_list("name", flat=True)) == ["Owner"]


@pytest.mark.django_db
def test_the_owner_may_read_customers_data_only_for_its_purposes(var_dir):
    """P13: the owner passes the purpose checks its role names, and no others."""
    run()
    owner = get_user_model().objects.get(email="staff@bungu.test")

    assert owner.has_perm("privacy." + Purpose.CUSTOMER_SERVICE.permission_codename)
    assert not owner.has_perm("privacy." + Purpose.MARKETING_EMAIL.permission_codename)
    assert not owner.has_perm("privacy." + Purpose.BUSINESS_TRANSFER.permission_codename)
