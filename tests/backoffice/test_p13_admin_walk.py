"""P13 in the Django admin: every role walks every admin page (each list, and the page of
every record of a model holding personal data) with a planted customer, and a planted value
may appear only on a page that read it through the privacy gate for a purpose the role holds,
and only if that page added an entry to the customer's access log.

The walk starts from the admin's registry, so a model registered later is walked without
being listed here; and the registry is checked against the data map: every registered model
with declared personal fields has a ``GatedModelAdmin``, except the staff list, which holds
no customer. Controls: roles holding the purposes do see the values (the walk reaches the
data), and a leaky admin registered in the test is caught.
"""

from __future__ import annotations

import html
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.db.models import Model
from django.test import Client, override_settings
from django.urls import NoReverseMatch, clear_url_caches, path, reverse
from django.utils import timezone

from bungu.accounts.admin import StaffMemberAdmin
from bungu.accounts.models import Address, User
from bungu.backoffice.roles import ROLES, Role
from bungu.mail.models import MailSuppression, OutboxMessage, State, SuppressionKind
from bungu.privacy import (
    GatedModelAdmin,
    Purpose,
    actor_may_act_for,
    data_map,
    fields_for,
    record_consent,
    record_disclosure,
)
from bungu.privacy.models import AccessLogEntry
from bungu.privacy.rights.concerns import submit_privacy_request
from tests.accounts.factories import CustomerFactory

from .factories import COPIES, PLANTED, planted_customer, staff_member

pytestmark = pytest.mark.django_db

NO_ROLE = Role("(no role)", frozenset())
SUPERUSER = Role("(superuser)", frozenset())

# What the admin walk plants beyond the back office's customer, one value per field.
ADMIN_PLANTED = {
    "mail.OutboxMessage.subject": "Zqmail subject 7734",
    "mail.OutboxMessage.text_body": "Zqbody: your sign-in link 7735",
    "privacy.PrivacyRequest.description": "Zqconcern: please stop the paper catalogue",
    "privacy.Disclosure.requester": "Zqrequester County Court",
    "privacy.ConsentEvent.page": "/zq-consent-page-7737/",
    "mail.MailSuppression.detail": "Zqstatus 5.1.1 mailbox 7736 unknown",
}
# The e-mail address is also the outbox message's recipient address.
ADMIN_COPIES = {
    **COPIES,
    "mail.OutboxMessage.to_address": "accounts.User.email",
    "mail.MailSuppression.address": "accounts.User.email",
}


def holders() -> dict[str, set[str]]:
    """Each planted value -> every field holding it."""
    planted = {**PLANTED, **ADMIN_PLANTED}
    found: dict[str, set[str]] = {value: {label} for label, value in planted.items()}
    for copy, original in ADMIN_COPIES.items():
        found[planted[original]].add(copy)
    return found


def plant_admin_records(customer: User) -> None:
    OutboxMessage.objects.create(
        recipient=customer,
        to_address=customer.email,
        from_address="Bungu <shop@bungu.test>",
        kind="transactional",
        subject=ADMIN_PLANTED["mail.OutboxMessage.subject"],
        text_body=ADMIN_PLANTED["mail.OutboxMessage.text_body"],
        message_id="<zq.7734@bungu.test>",
        state=State.SENT,
        sent_at=timezone.now(),
    )
    MailSuppression.objects.create(
        recipient=customer,
        address=customer.email,
        kind=SuppressionKind.BOUNCE,
        source="returned mail",
        detail=ADMIN_PLANTED["mail.MailSuppression.detail"],
    )
    submit_privacy_request(
        customer=customer,
        kind="concern",
        description=ADMIN_PLANTED["privacy.PrivacyRequest.description"],
    )
    record_disclosure(
        subject=customer,
        legal_basis="court_order",
        requester=ADMIN_PLANTED["privacy.Disclosure.requester"],
        data_released=["accounts.User.name"],
        requested_by=staff_member("Owner"),
    )
    record_consent(subject=customer, method="form", page=ADMIN_PLANTED["privacy.ConsentEvent.page"])


def admin_pages() -> Iterator[tuple[str, ModelAdmin[Any]]]:
    """Every admin list, and the page of every record of a model holding personal data (a
    few of the others)."""
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:{}_{}_changelist".format(*info)), model_admin
        personal = bool(data_map.for_model(model._meta.label))
        records = model._base_manager.order_by("pk").values_list("pk", flat=True)
        for pk in records if personal else records[:3]:
            try:
                yield reverse("admin:{}_{}_change".format(*info), args=[pk]), model_admin
            except NoReverseMatch:
                continue


def member(role: Role) -> User:
    if role is SUPERUSER:
        user: User = CustomerFactory(is_staff=True, is_superuser=True)
        return user
    return staff_member(role.name)


def allowed(model_admin: ModelAdmin[Any], labels: set[str], user: User) -> bool:
    """May this page show a value held by these fields to this user? Only a gated page, for
    its purpose, if the user may act for it and the purpose may see one of the fields."""
    if not isinstance(model_admin, GatedModelAdmin):
        return False
    purpose = model_admin.purpose
    own = {label for label in labels if label.startswith(model_admin.model._meta.label + ".")}
    served = {item.label for item in fields_for(purpose)}
    return actor_may_act_for(user, purpose) and bool(own & served)


def walk(client: Client, customer: User, user: User) -> tuple[dict[str, list[str]], set[str]]:
    """(pages that showed a value they may not -> the fields, values seen anywhere)."""
    leaks: dict[str, list[str]] = {}
    seen: set[str] = set()
    for url, model_admin in admin_pages():
        before = AccessLogEntry.objects.filter(subject=customer).count()
        response = client.get(url)
        assert response.status_code in {200, 302, 403, 404}, (url, response.status_code)
        logged = AccessLogEntry.objects.filter(subject=customer).count() > before
        page = response.content.decode()
        for value, labels in holders().items():
            if value in page or html.escape(value) in page:
                seen.add(value)
                if not (logged and allowed(model_admin, labels, user)):
                    leaks.setdefault(url, []).extend(sorted(labels))
    return leaks, seen


def test_every_admin_of_a_model_with_personal_data_reads_it_through_the_gate() -> None:
    ungated = {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if data_map.for_model(model._meta.label)
        and not isinstance(model_admin, GatedModelAdmin | StaffMemberAdmin)
    }

    assert ungated == set()


def test_the_walk_reaches_the_planted_records() -> None:
    customer = planted_customer()
    plant_admin_records(customer)

    urls = {url for url, _ in admin_pages()}

    assert "/admin/mail/outboxmessage/" in urls
    assert f"/admin/mail/mailsuppression/{customer.mail_suppressions.get().pk}/change/" in urls
    assert f"/admin/reviews/review/{customer.reviews.get().pk}/change/" in urls
    # Customers' own records are no longer in the admin at all.
    assert not any(url.startswith("/admin/accounts/address/") for url in urls)


@pytest.mark.parametrize("role", [*ROLES, NO_ROLE, SUPERUSER], ids=lambda role: role.name)
def test_p13_no_admin_page_shows_a_value_outside_the_gate(client, role: Role) -> None:
    customer = planted_customer()
    plant_admin_records(customer)
    user = member(role)
    client.force_login(user)

    leaks, seen = walk(client, customer, user)

    assert leaks == {}
    # Positive control: a role that may read for the gated pages' purposes does see values.
    purposes = {
        model_admin.purpose
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, GatedModelAdmin)
    }
    if role is SUPERUSER or (role.name == "Owner"):
        assert PLANTED["accounts.User.email"] in seen  # the outbox, for security
        assert PLANTED["reviews.Review.body"] in seen  # the moderation queue
    if role.name in {"Privacy officer", "Owner"} or role is SUPERUSER:
        # P26: those who answer privacy requests read what the customer wrote in them.
        assert ADMIN_PLANTED["privacy.PrivacyRequest.description"] in seen
        # P13, P25: and the consent ledger, read for the same purpose.
        assert ADMIN_PLANTED["privacy.ConsentEvent.page"] in seen
    if not (role.purposes & purposes) and role is not SUPERUSER:
        assert seen == set()


def test_a_superusers_reads_in_the_admin_are_logged_with_a_purpose(client) -> None:
    customer = planted_customer()
    plant_admin_records(customer)
    client.force_login(member(SUPERUSER))

    client.get("/admin/mail/outboxmessage/")

    entry = AccessLogEntry.objects.filter(subject=customer).latest("pk")
    assert (entry.purpose, entry.granted) == (Purpose.SECURITY.value, True)
    assert "mail.OutboxMessage.to_address" in entry.fields


class LeakyAddressAdmin(admin.ModelAdmin[Address]):
    """What a careless registration would look like: the address book, for any staff."""

    list_display = ["customer", "line1", "city"]

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return True

    def has_module_permission(self, request: Any) -> bool:
        return True


@contextmanager
def registered(model: type[Model], model_admin: type[ModelAdmin[Any]]) -> Iterator[None]:
    """The model registered with that admin, under a URL configuration that serves it."""
    project = importlib.import_module(django_settings.ROOT_URLCONF)
    admin.site.register(model, model_admin)
    urls = ModuleType("tests_planted_admin_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]  # a URL configuration module
        path("admin/", admin.site.urls),
        *(p for p in project.urlpatterns if str(p.pattern) != "admin/"),
    ]
    sys.modules[urls.__name__] = urls
    try:
        with override_settings(ROOT_URLCONF=urls.__name__):
            yield
    finally:
        admin.site.unregister(model)
        del sys.modules[urls.__name__]
        clear_url_caches()


def test_the_walk_catches_a_planted_leak(client) -> None:
    customer = planted_customer()
    user = member(next(role for role in ROLES if role.name == "Owner"))
    client.force_login(user)

    with registered(Address, LeakyAddressAdmin):
        leaks, _ = walk(client, customer, user)
        ungated = [
            model._meta.label
            for model, model_admin in admin.site._registry.items()
            if data_map.for_model(model._meta.label)
            and not isinstance(model_admin, GatedModelAdmin | StaffMemberAdmin)
        ]

    assert ungated == ["accounts.Address"]
    address = customer.addresses.get()
    assert set(leaks) == {
        "/admin/accounts/address/",
        f"/admin/accounts/address/{address.pk}/change/",
    }
    assert set(leaks["/admin/accounts/address/"]) == {
        "account.EmailAddress.email",
        "accounts.User.email",
        "mail.OutboxMessage.to_address",
        "mail.MailSuppression.address",
        "accounts.Address.line1",
        "accounts.Address.city",
    }
