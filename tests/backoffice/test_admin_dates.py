"""The admin's date drill-down answers a date it cannot make with a 400 and a sentence, on
every changelist that has one (the walk finds them in the admin's registry), never a 500."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.http import QueryDict
from django.urls import reverse

from bungu.backoffice.site import date_lookup_problem

pytestmark = pytest.mark.django_db

BAD = [
    "{f}__year=99999999",
    "{f}__year=9999",
    "{f}__year=0",
    "{f}__year=-5",
    "{f}__year=abc",
    "{f}__year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96",  # full-width digits
    "{f}__year=2026&{f}__month=99999999999",
    "{f}__year=2026&{f}__month=13",
    "{f}__year=2026&{f}__month=2&{f}__day=31",
    "{f}__year=2026&{f}__month=12&{f}__day=99999999999",
    "{f}__year=2026&{f}__month=-1",
    "{f}__year=2026&{f}__year=99999999",
]
GOOD = ["{f}__year=2026", "{f}__year=9998&{f}__month=12&{f}__day=31", "{f}__year=1"]


def drilldown_changelists() -> list[tuple[str, str]]:
    found = []
    for model, model_admin in admin.site._registry.items():
        if model_admin.date_hierarchy:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            found.append((url, str(model_admin.date_hierarchy)))
    return sorted(found)


def test_the_walk_finds_the_changelists_with_a_date_drilldown() -> None:
    assert ("/admin/mail/outboxmessage/", "created_at") in drilldown_changelists()


@pytest.mark.parametrize("query", BAD)
def test_a_date_that_cannot_be_made_is_a_400_on_every_changelist(admin_client, query) -> None:
    for url, field in drilldown_changelists():
        response = admin_client.get(f"{url}?{query.format(f=field)}")

        assert response.status_code == 400, (url, query)
        assert "Pick a date from the list" in response.content.decode()


@pytest.mark.parametrize("query", GOOD)
def test_a_real_date_still_drills_down(admin_client, query) -> None:
    for url, field in drilldown_changelists():
        assert admin_client.get(f"{url}?{query.format(f=field)}").status_code == 200, url


def test_the_guard_names_the_problem() -> None:
    assert date_lookup_problem(QueryDict("a__year=2026&a__month=2&a__day=30")) == (
        "There is no such date."
    )
    problem = date_lookup_problem(QueryDict("a__month=0"))
    assert problem == "The month must be a number from 1 to 12."
    assert date_lookup_problem(QueryDict("q=2026&state__exact=sent")) is None


def test_anonymous_visitors_are_sent_to_sign_in_not_told_about_dates(client) -> None:
    response = client.get("/admin/mail/outboxmessage/?created_at__year=99999999")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_signed_in_sessions_are_not_in_the_admin_so_searching_them_cannot_fail(
    admin_client,
) -> None:
    # P3's sessions are the customer's own page; staff see them in the back office.
    assert admin_client.get("/admin/usersessions/usersession/?q=x").status_code == 404
    assert admin_client.get("/admin/account/emailaddress/").status_code == 404
    assert admin_client.get("/admin/mfa/authenticator/").status_code == 404
