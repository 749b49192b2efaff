"""P20 on the updates that bypass save(): QuerySet.update() and bulk_update() of a versioned
model keep the earlier version of every row they change, through the same keeper; and
privacy.E007 holds every manager of such a model to it, with planted controls."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, models
from django.test.utils import isolate_apps
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from bungu.accounts.models import Address, PriorVersion, User
from bungu.accounts.services import record_adult_statement
from bungu.privacy import (
    Clock,
    DataMap,
    Field,
    KeepsPriorVersions,
    KeptBy,
    NotVersioned,
    PriorVersionsManager,
    PriorVersionsQuerySet,
    changes_by,
    data_map,
    enforce_retention,
    erase_subject,
)
from bungu.privacy.checks import updates_without_prior_versions
from bungu.reviews.models import Review
from bungu.wishlists.models import WishListItem
from tests.accounts.factories import AddressFactory, CustomerFactory
from tests.reviews.factories import ReviewFactory
from tests.wishlists.factories import WishListItemFactory, on_sale_sku

KEEPER = KeptBy("bungu.accounts.versions.keep_prior_version")


def copies() -> list[tuple[int | None, str, str | None]]:
    """The kept copies, oldest first: which row, its kind and the street it held."""
    return [
        (copy.object_id, copy.kind, copy.snapshot.get("line1"))
        for copy in PriorVersion.objects.order_by("id")
    ]


@pytest.mark.django_db
def test_p20_an_update_keeps_the_earlier_version_of_each_row_it_changes() -> None:
    customer = CustomerFactory()
    staff = CustomerFactory(is_staff=True)
    kyoto = AddressFactory(customer=customer, city="Kyoto", label="Home")
    nara = AddressFactory(customer=customer, city="Nara", label="Work")
    osaka = AddressFactory(customer=customer, city="Osaka", label="Parents")
    elsewhere = AddressFactory(city="Kobe")

    with changes_by(staff):
        assert Address.objects.filter(customer=customer).update(city="Osaka") == 3

    assert sorted(Address.objects.values_list("city", flat=True)) == ["Kobe", *["Osaka"] * 3]
    kept = PriorVersion.objects.order_by("object_id")
    assert [(c.object_id, c.customer, c.kind, c.changed_by) for c in kept] == [
        (kyoto.pk, customer, "address", staff),
        (nara.pk, customer, "address", staff),
    ]
    assert [(c.snapshot["city"], c.snapshot["label"]) for c in kept] == [
        ("Kyoto", "Home"),
        ("Nara", "Work"),
    ]
    assert osaka.pk not in {c.object_id for c in kept}
    assert elsewhere.pk not in {c.object_id for c in kept}


@pytest.mark.django_db
def test_p20_an_update_through_a_related_manager_and_an_expression_keeps_versions() -> None:
    customer = CustomerFactory(name="Aiko")
    home = AddressFactory(customer=customer, line1="1 Old Road")
    also = AddressFactory(customer=customer, line1="")

    customer.addresses.update(line1=models.functions.Upper("line1"))
    User.objects.filter(pk=customer.pk).update(name="Aiko Sato")

    assert copies() == [(home.pk, "address", "1 Old Road"), (None, "account", None)]
    assert PriorVersion.objects.get(kind="account").snapshot == {
        "email": customer.email,
        "name": "Aiko",
    }
    assert also.pk not in {object_id for object_id, _, _ in copies()}


@pytest.mark.django_db
def test_p20_an_update_of_a_related_row_keeps_the_earlier_one() -> None:
    item = WishListItemFactory(note="For the office")
    first_sku = item.sku_id
    other = on_sale_sku()

    WishListItem.objects.filter(pk=item.pk).update(sku=other)
    WishListItem.objects.filter(pk=item.pk).update(sku=other)  # the same: nothing to keep

    copy = PriorVersion.objects.get()
    assert (copy.customer_id, copy.record, copy.object_id, copy.snapshot) == (
        item.wish_list.owner_id,
        "wishlists.WishListItem",
        item.pk,
        {"note": "For the office", "sku": first_sku},
    )


@pytest.mark.django_db
def test_p20_bulk_update_keeps_the_earlier_version_of_each_changed_row_only() -> None:
    customer = CustomerFactory()
    rows = [AddressFactory(customer=customer, line1=f"{n} Old Road") for n in range(1, 5)]
    rows[0].line1, rows[1].line1, rows[3].line1 = "1 New Road", "2 New Road", "4 New Road"
    rows[2].city = "Kyoto"  # not in the fields given: bulk_update leaves it as it is

    with changes_by(customer):
        assert Address.objects.bulk_update(rows, ["line1"], batch_size=2) == 4

    assert copies() == [
        (rows[0].pk, "address", "1 Old Road"),
        (rows[1].pk, "address", "2 Old Road"),
        (rows[3].pk, "address", "4 Old Road"),
    ]
    assert set(PriorVersion.objects.values_list("changed_by", flat=True)) == {customer.pk}
    assert list(Address.objects.order_by("id").values_list("line1", "city")) == [
        ("1 New Road", "San Francisco"),
        ("2 New Road", "San Francisco"),
        ("3 Old Road", "San Francisco"),
        ("4 New Road", "San Francisco"),
    ]


@pytest.mark.django_db
def test_p20_an_update_of_no_versioned_field_is_one_query_and_keeps_nothing(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    customer = CustomerFactory()
    AddressFactory.create_batch(2, customer=customer)
    review = ReviewFactory(author=customer, flagged=True)

    with django_assert_num_queries(1):
        assert Address.objects.filter(customer=customer).update(updated_at=timezone.now()) == 2
    with django_assert_num_queries(1):
        assert Review.objects.filter(pk=review.pk).update(flagged=False) == 1
    with django_assert_num_queries(1):
        assert User.objects.filter(pk=customer.pk).update(is_active=False) == 1

    assert not PriorVersion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_p20_the_copies_go_with_an_update_that_fails() -> None:
    taken = CustomerFactory(email="taken@example.com")
    customer = CustomerFactory(email="mine@example.com")

    with pytest.raises(IntegrityError):
        User.objects.filter(pk=customer.pk).update(email=taken.email)

    assert not PriorVersion.objects.exists()
    assert User.objects.get(pk=customer.pk).email == "mine@example.com"


# ---------------------------------------------------------------- privacy.E007
class _Recent(models.Manager[models.Model]):
    def get_queryset(self) -> models.QuerySet[models.Model]:
        return super().get_queryset().filter(pk__gt=0)


@isolate_apps("tests.privacy")
def test_p20_a_manager_whose_update_keeps_no_prior_version_fails_e007() -> None:
    class Kept(KeepsPriorVersions):  # planted, never shown
        note = models.TextField()
        objects = PriorVersionsManager()
        drafts = PriorVersionsQuerySet.as_manager()

        class Meta:
            app_label = "planted"

    class PlainDefault(KeepsPriorVersions):  # planted: Django's own objects
        note = models.TextField()

        class Meta:
            app_label = "planted"

    class ExtraManager(KeepsPriorVersions):  # planted: a manager added later
        note = models.TextField()
        objects = PriorVersionsManager()
        recent = _Recent()

        class Meta:
            app_label = "planted"

    class PlainBase(KeepsPriorVersions):  # planted: a plain base manager
        note = models.TextField()
        objects = PriorVersionsManager()
        everything = models.Manager()

        class Meta:
            app_label = "planted"
            base_manager_name = "everything"

    class NeverEdited(KeepsPriorVersions):  # planted: declared not versioned
        note = models.TextField()

        class Meta:
            app_label = "planted"

    registry = DataMap()
    for model in (Kept, PlainDefault, ExtraManager, PlainBase):
        registry.declare_prior_versions(model._meta.label, KEEPER)
    registry.declare_prior_versions("planted.NeverEdited", NotVersioned("Written once."))
    everything = [Kept, PlainDefault, ExtraManager, PlainBase, NeverEdited]

    errors = updates_without_prior_versions(everything, datamap=registry)

    assert [(e.id, e.obj) for e in errors] == [
        ("privacy.E007", PlainDefault),
        ("privacy.E007", ExtraManager),
        ("privacy.E007", PlainBase),
    ]
    assert [e.msg for e in errors] == [
        f"planted.{label} ({manager}) makes QuerySet querysets, whose update() and "
        "bulk_update() change given personal data without keeping the earlier version (P20)."
        for label, manager in [
            ("PlainDefault.objects", "Manager"),
            ("ExtraManager.recent", "_Recent"),
            ("PlainBase.everything", "Manager"),
        ]
    ]
    registry.declare_prior_versions("planted.PlainDefault", NotVersioned("Written once."))
    assert [e.obj for e in updates_without_prior_versions(everything, datamap=registry)] == [
        ExtraManager,
        PlainBase,
    ]


def test_p20_every_manager_of_the_real_versioned_models_keeps_prior_versions() -> None:
    versioned = [m for m in apps.get_models() if issubclass(m, KeepsPriorVersions)]

    assert sorted(m._meta.label for m in versioned) == [
        "accounts.Address",
        "accounts.Profile",
        "accounts.User",
        "mail.MailPreferences",
        "reviews.Review",
        "wishlists.WishList",
        "wishlists.WishListItem",
    ]
    assert updates_without_prior_versions(versioned, datamap=data_map) == []


# ---------------------------------------------------------------- where no copy is kept
@pytest.mark.django_db
def test_p20_a_first_adult_statement_keeps_no_copy_and_is_never_replaced() -> None:
    customer = CustomerFactory(adult_declared_at=None)

    record_adult_statement(user=customer)
    first = customer.adult_declared_at
    record_adult_statement(user=customer)

    assert first is not None
    assert User.objects.get(pk=customer.pk).adult_declared_at == first
    assert not PriorVersion.objects.exists()


@pytest.mark.django_db
def test_p22_erasure_keeps_no_copy_even_through_a_versioned_base_manager(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = CustomerFactory(email="hana@example.com", name="Hana Sato")
    AddressFactory(customer=customer, line1="1 Old Road")
    for model in (User, Address):
        monkeypatch.setattr(model._meta, "base_manager", model._default_manager)

    erase_subject(subject=customer, actor="staff:test")

    assert not PriorVersion.objects.exists()
    assert User.objects.get(pk=customer.pk).name == ""


@pytest.mark.django_db
def test_p5_retention_keeps_no_copy_of_what_it_empties(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted: no versioned field has a retention today; the name is given one here."""
    name = next(item for item in data_map.for_model("accounts.User") if item.field_name == "name")
    planted = data_map.copy()
    planted.forget(name.label)
    planted.declare(
        personal=[
            Field(
                name.label,
                category=name.category,
                source=name.source,
                purposes=name.purposes,
                erase=name.erase,
                retention_days=30,
            )
        ],
        not_personal=[],
        origin="test",
    )
    planted.declare_retention("accounts.User", Clock("date_joined"))
    monkeypatch.setattr(User._meta, "base_manager", User._default_manager)
    customer = CustomerFactory(name="Hana Sato", date_joined=timezone.now() - timedelta(days=31))

    enforce_retention(datamap=planted)

    assert User.objects.get(pk=customer.pk).name == ""
    assert not PriorVersion.objects.exists()
