"""The system checks that keep the data map complete (P5) and consistent (P13)."""

from io import StringIO

import pytest
from django.apps import apps
from django.core import checks
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from bungu.privacy import (
    DataCategory,
    DataMap,
    Erase,
    Field,
    Purpose,
    Source,
    checks as privacy_checks,
    data_map,
)
from bungu.privacy.checks import undeclared_fields


def test_p5_the_real_project_passes_every_check() -> None:
    out = StringIO()
    call_command("check", stdout=out)

    assert out.getvalue() == "System check identified no issues (0 silenced).\n"
    assert privacy_checks.check_data_map() == []


@isolate_apps("tests.privacy")
def test_p5_a_planted_undeclared_field_fails_the_check() -> None:
    class Customer(models.Model):  # noqa: DJ008  # planted, never shown
        email = models.EmailField()

        class Meta:
            app_label = "planted"

    class Order(models.Model):  # noqa: DJ008  # planted, never shown
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
        placed_at = models.DateTimeField()

        class Meta:
            app_label = "planted"

    class GiftNote(models.Model):  # noqa: DJ008  # planted, never shown  # about a customer only through the order
        order = models.ForeignKey(Order, on_delete=models.CASCADE)
        message = models.TextField()

        class Meta:
            app_label = "planted"

    class Pen(models.Model):  # noqa: DJ008  # planted, never shown  # about no one
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "planted"

    registry = DataMap()
    registry.declare(
        personal=[
            Field(
                "planted.Customer.email",
                category=DataCategory.EMAIL,
                source=Source.GIVEN,
                purposes={Purpose.NOTIFICATIONS},
                retention_days=None,
                erase=Erase.ANONYMISE,
            )
        ],
        not_personal=[
            "planted.Order.customer",
            "planted.Order.placed_at",
            "planted.GiftNote.order",
        ],
        origin="test",
    )
    everything = [Customer, Order, GiftNote, Pen]

    errors = undeclared_fields(everything, datamap=registry, user_model=Customer)

    assert [(e.id, e.obj) for e in errors] == [("privacy.E001", GiftNote)]
    assert errors[0].msg == (
        "planted.GiftNote.message is about a customer but is declared neither personal nor "
        "not personal."
    )
    registry.declare(personal=[], not_personal=["planted.GiftNote.message"], origin="test")
    assert undeclared_fields(everything, datamap=registry, user_model=Customer) == []


@pytest.fixture
def gap(monkeypatch: pytest.MonkeyPatch) -> DataMap:
    """A copy of the real data map that the checks read instead, for planting problems."""
    copy = data_map.copy()
    monkeypatch.setattr(privacy_checks, "data_map", copy)
    return copy


def test_p5_forgetting_a_real_declaration_fails_the_check(gap: DataMap) -> None:
    gap.forget("accounts.User.name")

    errors = privacy_checks.check_data_map()

    assert [e.id for e in errors] == ["privacy.E001"]
    assert errors[0].msg.startswith("accounts.User.name is about a customer")
    assert errors[0].hint == (
        "Declare it in bungu.accounts.personal_data: a Field(...) in PERSONAL, or in NOT_PERSONAL."
    )


def test_the_check_limited_to_one_app_reports_only_that_app(gap: DataMap) -> None:
    gap.forget("accounts.User.name")

    assert privacy_checks.check_data_map([apps.get_app_config("catalog")]) == []
    errors = privacy_checks.check_data_map([apps.get_app_config("accounts")])
    assert [e.id for e in errors] == ["privacy.E001"]


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("accounts.User.nmae", "accounts.User has no field 'nmae'"),
        ("accounts.Usr.name", "there is no model accounts.Usr"),
    ],
)
def test_a_declaration_naming_no_real_field_fails_with_e002(
    gap: DataMap, label: str, problem: str
) -> None:
    gap.declare(personal=[], not_personal=[label], origin="test")

    errors = privacy_checks.check_data_map()

    assert [(e.id, e.msg) for e in errors] == [
        ("privacy.E002", f"The data map declares {label}, but {problem}.")
    ]


def test_p13_a_purpose_whose_scope_excludes_the_category_fails_with_e003(gap: DataMap) -> None:
    gap.forget("accounts.User.name")
    gap.declare(
        personal=[
            Field(
                "accounts.User.name",
                category=DataCategory.NAME,
                source=Source.GIVEN,
                purposes={Purpose.SEARCH},
                retention_days=None,
                erase=Erase.DELETE,
            )
        ],
        not_personal=[],
        origin="test",
    )

    errors = privacy_checks.check_data_map()

    assert [(e.id, e.msg) for e in errors] == [
        (
            "privacy.E003",
            (
                "accounts.User.name (user.name) is declared to serve essential.service.search, "
                "whose scope does not include that category."
            ),
        )
    ]


def test_the_checks_are_registered_under_the_privacy_tag() -> None:
    assert checks.registry.registry.tag_exists("privacy")
    assert checks.run_checks(tags=["privacy"]) == []
