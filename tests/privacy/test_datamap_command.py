"""The data map, printed by `bungu privacy_datamap` and shown to staff (issue 4, P5)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from bungu.privacy import data_map
from tests.accounts.factories import CustomerFactory
from tests.storefront.html_checks import page_problems

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("privacy_datamap", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_every_declared_field_as_a_table() -> None:
    lines = run().splitlines()

    assert lines[0].split() == ["LABEL", "CATEGORY", "SOURCE", "PURPOSES", "RETENTION", "ERASE"]
    email = next(line for line in lines if line.startswith("accounts.User.email "))
    assert "user.contact.email" in email
    assert "given" in email
    assert "marketing.communications.email" in email
    assert "while the account exists" in email
    assert email.rstrip().endswith("anonymise")
    assert lines[-1] == f"{len(list(data_map))} personal fields."


def test_the_command_prints_json() -> None:
    rows = json.loads(run("--json"))

    assert len(rows) == len(list(data_map))
    email = next(row for row in rows if row["label"] == "accounts.User.email")
    assert (email["model"], email["field"], email["category"], email["erase"]) == (
        "accounts.User",
        "email",
        "user.contact.email",
        "anonymise",
    )
    assert email["retention_days"] is None
    assert "essential.service.security" in email["purposes"]


def test_staff_read_the_data_map_page(client: Client) -> None:
    client.force_login(CustomerFactory(is_staff=True))

    response = client.get("/privacy/staff/datamap/")

    assert response.status_code == 200
    html = response.content.decode()
    assert page_problems(html) == []
    assert '<th scope="row"><code>accounts.User.email</code></th>' in html
    assert html.count("<tr>") == len(list(data_map)) + 1


def test_customers_and_visitors_do_not_see_the_staff_page(client: Client) -> None:
    assert client.get("/privacy/staff/datamap/").status_code == 302
    client.force_login(CustomerFactory())
    response = client.get("/privacy/staff/datamap/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
