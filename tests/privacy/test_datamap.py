"""The data map: declarations, the registry and its look-ups (P5, P13)."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from bungu.privacy import DataCategory, DataMap, Erase, Field, Purpose, Source, data_map
from bungu.privacy.datamap.registry import models_about_customers, subject_path
from bungu.privacy.models import AccessLogEntry, ConsentEvent, Notice


def _email_field(label: str = "shop.Customer.email") -> Field:
    return Field(
        label,
        category=DataCategory.EMAIL,
        source=Source.GIVEN,
        purposes={Purpose.NOTIFICATIONS},
        retention_days=None,
        erase=Erase.ANONYMISE,
    )


def test_a_field_splits_its_label_and_keeps_its_purposes() -> None:
    field = _email_field()

    assert (field.model_label, field.field_name) == ("shop.Customer", "email")
    assert field.purposes == frozenset({Purpose.NOTIFICATIONS})
    assert field.serves(Purpose.NOTIFICATIONS)
    assert not field.serves(Purpose.MARKETING_EMAIL)


def test_a_general_purpose_declared_serves_the_purposes_below_it() -> None:
    field = Field(
        "shop.Customer.email",
        category=DataCategory.EMAIL,
        source=Source.GIVEN,
        purposes={Purpose.MARKETING},
        retention_days=None,
        erase=Erase.DELETE,
    )

    assert field.serves(Purpose.MARKETING_EMAIL)
    assert not field.serves(Purpose.NOTIFICATIONS)


@pytest.mark.parametrize(
    ("label", "kwargs", "message"),
    [
        ("shop.Customer", {}, "not of the form"),
        ("shop..email", {}, "not of the form"),
        ("shop.Customer.email", {"purposes": set()}, "at least one purpose"),
        ("shop.Customer.email", {"retention_days": 0}, "positive number of days"),
    ],
)
def test_malformed_declarations_are_refused(label: str, kwargs: dict, message: str) -> None:
    arguments = {
        "category": DataCategory.EMAIL,
        "source": Source.GIVEN,
        "purposes": {Purpose.NOTIFICATIONS},
        "retention_days": None,
        "erase": Erase.DELETE,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        Field(label, **arguments)


def test_a_field_declared_twice_is_a_configuration_error() -> None:
    registry = DataMap()
    registry.declare(personal=[_email_field()], not_personal=[], origin="shop.personal_data")

    with pytest.raises(ImproperlyConfigured, match=r"shop.Customer.email is declared twice"):
        registry.declare(personal=[], not_personal=["shop.Customer.email"], origin="other")
    assert registry.declared_labels() == ["shop.Customer.email"]


def test_the_registry_answers_lookups() -> None:
    registry = DataMap()
    registry.declare(
        personal=[_email_field()], not_personal=["shop.Customer.is_staff"], origin="test"
    )

    assert registry.get("shop.Customer.email").category == DataCategory.EMAIL
    assert registry.find("shop.Customer.is_staff") is None
    assert registry.is_declared("shop.Customer.is_staff")
    assert [f.label for f in registry.in_category(DataCategory.CONTACT)] == ["shop.Customer.email"]
    assert [f.label for f in registry.serving(Purpose.NOTIFICATIONS)] == ["shop.Customer.email"]
    assert registry.serving(Purpose.DELIVERY) == []
    assert registry.model_labels() == ["shop.Customer"]


def test_every_app_declaration_module_is_discovered() -> None:
    assert data_map.get("accounts.User.email").erase == Erase.ANONYMISE
    assert data_map.get("accounts.User.last_login").source == Source.AUTOMATIC
    assert data_map.get("privacy.ConsentEvent.kind").erase == Erase.KEEP_FOR_LAW
    assert data_map.is_declared("accounts.User.is_staff")
    assert data_map.find("accounts.User.is_staff") is None


def _automatic_fields_kept_without_a_limit(fields: list[Field]) -> list[str]:
    """P5: automatic data has a retention period, unless it is the metadata of a record the
    customer gave (a review's timestamps, an account's joining date): that lives and dies
    with the record, which the customer can delete."""
    given_models = {f.label.rsplit(".", 1)[0] for f in fields if f.source is Source.GIVEN}
    return [
        f.label
        for f in fields
        if f.source is Source.AUTOMATIC
        and f.retention_days is None
        and f.label.rsplit(".", 1)[0] not in given_models
    ]


def test_p5_every_automatic_field_of_the_real_map_declares_a_retention_period() -> None:
    fields = list(data_map)

    assert any(f.source is Source.AUTOMATIC and f.retention_days for f in fields)
    assert _automatic_fields_kept_without_a_limit(fields) == []


def test_p5_the_retention_rule_catches_automatic_data_kept_without_a_limit() -> None:
    planted = Field(
        "shop.Visit.user_agent",
        category=DataCategory.DEVICE,
        source=Source.AUTOMATIC,
        purposes={Purpose.ANALYTICS},
        retention_days=None,
        erase=Erase.DELETE,
    )

    assert _automatic_fields_kept_without_a_limit([*data_map, planted]) == ["shop.Visit.user_agent"]


def test_the_models_about_customers_are_found_directly_and_through_others() -> None:
    found = {m._meta.label for m in models_about_customers(apps.get_models())}

    assert {"accounts.User", "privacy.ConsentEvent", "privacy.AccessLogEntry"} <= found
    assert "admin.LogEntry" in found
    assert "privacy.Notice" not in found
    assert "catalog.Product" not in found


def test_subject_paths_lead_to_the_customer_and_name_the_subject_first() -> None:
    assert subject_path(get_user_model()) == ""
    assert subject_path(ConsentEvent) == "subject"
    assert subject_path(AccessLogEntry) == "subject"
    with pytest.raises(LookupError, match=r"privacy.Notice does not refer to a customer"):
        subject_path(Notice)
