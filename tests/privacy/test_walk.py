"""P19, P22, P15: one walk of the data map, so what a customer is shown ("My data", on the page
and in the download) is exactly what deleting the account erases and what a successor
business would receive."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.utils import timezone

from bungu import privacy
from bungu.accounts import services as accounts
from bungu.privacy.datamap.registry import DataMap, data_map
from bungu.privacy.models import AccessLogEntry, Disclosure, LegalBasis
from bungu.privacy.rights import erasure, mydata, transfer
from bungu.reviews.models import ReportReason, ReviewReport
from tests.accounts.factories import AddressFactory, CustomerFactory, GuardianLinkFactory
from tests.cart.factories import CartFactory, CartLineFactory
from tests.mail.factories import OutboxMessageFactory
from tests.reviews.factories import approved_review
from tests.wishlists.factories import WishListFactory, WishListItemFactory

pytestmark = pytest.mark.django_db

Found = set[tuple[str, Any]]


def _customer_everywhere() -> Any:
    """A customer with records in every app that keeps personal data, and in each of the
    privacy app's ledgers."""
    customer = CustomerFactory(email="hana@example.com", name="Hana Sato")
    staff = CustomerFactory(is_staff=True)
    accounts.update_profile(user=customer, actor=customer, changes={"name": "Hana S."})
    address = AddressFactory(customer=customer)
    accounts.update_address(address=address, actor=customer, values={"line1": "9 New Street"})
    GuardianLinkFactory(guardian=customer, supervised=CustomerFactory())
    WishListItemFactory(wish_list=WishListFactory(owner=customer), note="for my birthday")
    CartLineFactory(cart=CartFactory(user=customer))
    OutboxMessageFactory(to_address=customer.email, recipient=customer, subject="Receipt")
    approved_review(author=customer, rating=4)
    ReviewReport.objects.create(
        reporter=customer, review=approved_review(rating=1), reason=ReportReason.SPAM
    )
    privacy.record_consent(subject=customer, method=privacy.ConsentMethod.PAGE, page="/privacy/")
    AccessLogEntry.objects.create(
        subject=customer, actor=staff, actor_label=f"staff:{staff.pk}", purpose="x", granted=True
    )
    Disclosure.objects.create(
        subject=customer,
        legal_basis=LegalBasis.COURT_ORDER,
        requester="A court",
        data_released=["accounts.User.email"],
        requested_by=staff,
        approved_by=CustomerFactory(is_staff=True),
        approved_at=timezone.now(),
        released_at=timezone.now(),
    )
    for record in (customer, address):
        LogEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(record),
            object_id=str(record.pk),
            object_repr="a record",
            action_flag=CHANGE,
            change_message="Changed it.",
        )
    return customer


def _shown(document: dict[str, Any]) -> Found:
    """Every (model, id) of a "My data" document, its own sections included."""
    found = {(s["model"], r["id"]) for s in document["records"] for r in s["records"]}
    sections = {
        "staff_changes": "admin.LogEntry",
        "consents": "privacy.ConsentEvent",
        "access_log": "privacy.AccessLogEntry",
        "disclosures": "privacy.Disclosure",
    }
    for key, label in sections.items():
        found |= {(label, entry["id"]) for entry in document[key]}
    return found


def _four_ways(customer: Any, datamap: DataMap) -> dict[str, Found]:
    client = Client()
    client.force_login(customer)
    download = client.get("/privacy/my-data/download/")
    assert download.status_code == 200
    exported = transfer.build_transfer_export(datamap=datamap)
    [mine] = [c for c in exported["customers"] if c["id"] == customer.pk]
    return {
        "my data": _shown(mydata.build_my_data(subject=customer, datamap=datamap)),
        # Through the page, so the data map in use is the one the view reads.
        "download": _shown(json.loads(download.content)),
        "transfer": {(label, row["pk"]) for label, rows in mine["records"].items() for row in rows},
        "erasure": {
            (model._meta.label, pk)
            for model, pks in erasure.plan_erasure(subject=customer, datamap=datamap)
            for pk in pks
        },
    }


def test_my_data_the_download_the_transfer_and_the_erasure_find_the_same_rows() -> None:
    customer = _customer_everywhere()

    found = _four_ways(customer, data_map)

    assert found["my data"] == found["download"] == found["transfer"] == found["erasure"]
    apps_found = {label.split(".")[0] for label, _ in found["erasure"]}
    assert apps_found >= {"accounts", "admin", "cart", "mail", "privacy", "reviews", "wishlists"}
    labels = {label for label, _ in found["erasure"]}
    assert {
        "accounts.GuardianLink",
        "admin.LogEntry",
        "privacy.AccessLogEntry",
        "privacy.ConsentEvent",
        "privacy.Disclosure",
        "reviews.ReviewReport",
    } <= labels
    assert len([1 for label, _ in found["erasure"] if label == "admin.LogEntry"]) == 2


def test_a_row_reachable_only_through_a_planted_path_is_found_all_four_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = _customer_everywhere()
    # Someone else reports the customer's review: the report is about its reporter, not
    # about the customer, until a link from reports to the reviewed author is declared.
    reported = ReviewReport.objects.create(
        reporter=CustomerFactory(),
        review=approved_review(author=customer, rating=2),
        reason=ReportReason.SPAM,
    )
    row = ("reviews.ReviewReport", reported.pk)
    assert all(row not in found for found in _four_ways(customer, data_map).values())

    planted = data_map.copy()
    planted._subject_links["reviews.ReviewReport"] = ("reporter", "review__author")
    for module in (mydata, transfer, erasure):
        monkeypatch.setattr(module, "data_map", planted)
    found = _four_ways(customer, planted)

    assert all(row in rows for rows in found.values()), {k: row in v for k, v in found.items()}
    assert found["my data"] == found["download"] == found["transfer"] == found["erasure"]


def test_the_walk_reads_rows_a_default_manager_would_hide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found through the base manager: a manager that hides rows hides nothing from the walk."""
    customer = _customer_everywhere()

    class Hiding(models.Manager[Any]):
        def get_queryset(self) -> models.QuerySet[Any]:
            return super().get_queryset().none()

    hiding = Hiding()
    hiding.model = ReviewReport
    monkeypatch.setattr(ReviewReport._meta, "default_manager", hiding)

    found = _four_ways(customer, data_map)

    assert found["my data"] == found["transfer"] == found["erasure"]
    assert any(label == "reviews.ReviewReport" for label, _ in found["erasure"])
